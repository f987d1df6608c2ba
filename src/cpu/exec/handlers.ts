import type { Cpu } from '../cpu.js';
import type { Handler, Instr } from '../decode/instr.js';
import { EXEC_NAMES, type ExecName } from '../decode/generated/exec-names.js';
import * as alu from './alu.js';
import * as data from './data.js';
import * as shift from './shift.js';
import * as muldiv from './muldiv.js';
import * as bcd from './bcd.js';
import * as bits from './bits.js';
import * as stack from './stack.js';
import * as control from './control.js';
import * as string from './string.js';
import * as io from './io.js';
import * as system from './system.js';
import * as debugRegisters from '../system/debug-registers.js';
import { SSE_HANDLERS } from '../sse/index.js';
import * as msr from '../system/msr.js';
import * as fastSyscall from '../system/fast-syscall.js';
import * as descriptorOps from '../system/descriptor-ops.js';
import { FPU_HANDLERS } from '../fpu/x87-handlers.js';

/**
 * The interpreter's dispatch table: one handler per executor name of the opcode maps, in the order
 * of generated/exec-names.ts. Names without an entry here decode but raise #UD when executed (see
 * system.unimplemented); tests/cpu/coverage.test.ts lists which those are.
 */
export const IMPLEMENTED: Partial<Record<ExecName, Handler>> = {
  ...SSE_HANDLERS,
  add: alu.add, adc: alu.adc, sub: alu.sub, sbb: alu.sbb, and: alu.and, or: alu.or, xor: alu.xor,
  cmp: alu.cmp, test: alu.test, inc: alu.inc, dec: alu.dec, neg: alu.neg, not: alu.not,
  mov: data.mov, movzx: data.movzx, movsx: data.movsx, lea: data.lea, xchg: data.xchg, xadd: data.xadd,
  cmpxchg: data.cmpxchg, cmpxchg8b: data.cmpxchg8b, bswap: data.bswap, cmovcc: data.cmovcc,
  setcc: data.setcc, cbw: data.cbw, cwd: data.cwd, xlat: data.xlat, lahf: data.lahf, sahf: data.sahf,
  salc: data.salc, nop: data.nop,
  shl: shift.shl, shr: shift.shr, sar: shift.sar, rol: shift.rol, ror: shift.ror, rcl: shift.rcl,
  rcr: shift.rcr, shld: shift.shld, shrd: shift.shrd,
  mul: muldiv.mul, imul1: muldiv.imul1, imul2: muldiv.imul2, imul3: muldiv.imul3, div: muldiv.div,
  idiv: muldiv.idiv,
  daa: bcd.daa, das: bcd.das, aaa: bcd.aaa, aas: bcd.aas, aam: bcd.aam, aad: bcd.aad,
  bt: bits.bt, bts: bits.bts, btr: bits.btr, btc: bits.btc, bsf: bits.bsf, bsr: bits.bsr,
  popcnt: bits.popcnt, lzcnt: bits.lzcnt, tzcnt: bits.tzcnt,
  push: stack.push, pop: stack.pop, push_sreg: stack.push_sreg, pop_sreg: stack.pop_sreg,
  pusha: stack.pusha, popa: stack.popa, pushf: stack.pushf, popf: stack.popf, enter: stack.enter,
  leave: stack.leave,
  jcc: control.jcc, jmp: control.jmp, call: control.call, jmp_indirect: control.jmp_indirect,
  call_indirect: control.call_indirect, ret: control.ret, loop: control.loop, loope: control.loope,
  loopne: control.loopne, jcxz: control.jcxz, jmpf: control.jmpf, callf: control.callf,
  jmpf_indirect: control.jmpf_indirect, callf_indirect: control.callf_indirect, retf: control.retf,
  mov_from_dr: debugRegisters.mov_from_dr, mov_to_dr: debugRegisters.mov_to_dr,
  int: control.int, int3: control.int3, int1: control.int1, into: control.into, iret: control.iret,
  hlt: control.hlt, bound: control.bound,
  movs: string.movs, stos: string.stos, lods: string.lods, cmps: string.cmps, scas: string.scas,
  ins: string.ins, outs: string.outs,
  in: io.in_, out: io.out,
  mov_from_sreg: system.mov_from_sreg, mov_to_sreg: system.mov_to_sreg, les: system.les,
  lds: system.lds, lss: system.lss, lfs: system.lfs, lgs: system.lgs, cpuid: system.cpuid,
  rdtsc: system.rdtsc, ud: system.ud, pause: system.pause, clc: system.clc,
  stc: system.stc, cmc: system.cmc, cld: system.cld, std: system.std, cli: system.cli, sti: system.sti,
  lgdt: system.lgdt, lidt: system.lidt, sgdt: system.sgdt, sidt: system.sidt, smsw: system.smsw,
  lmsw: system.lmsw, clts: system.clts, mov_from_cr: system.mov_from_cr, mov_to_cr: system.mov_to_cr,
  invlpg: system.invlpg, wbinvd: system.wbinvd, invd: system.wbinvd,
  rdmsr: msr.rdmsr, wrmsr: msr.wrmsr,
  syscall: fastSyscall.syscall, sysret: fastSyscall.sysret, sysenter: fastSyscall.sysenter,
  sysexit: fastSyscall.sysexit, swapgs: fastSyscall.swapgs, rdtscp: fastSyscall.rdtscp, rdpid: fastSyscall.rdpid,
  rdfsbase: fastSyscall.rdfsbase, rdgsbase: fastSyscall.rdgsbase, wrfsbase: fastSyscall.wrfsbase,
  wrgsbase: fastSyscall.wrgsbase,
  sldt: descriptorOps.sldt, str: descriptorOps.str, lldt: descriptorOps.lldt, ltr: descriptorOps.ltr,
  lar: descriptorOps.lar, lsl: descriptorOps.lsl, verr: descriptorOps.verr, verw: descriptorOps.verw,
  arpl: descriptorOps.arpl,
  // x87, FXSAVE/XSAVE, EMMS (src/cpu/fpu); FWAIT and XGETBV there replace the system.ts versions.
  ...FPU_HANDLERS,
};

export const HANDLER_TABLE: readonly Handler[] = EXEC_NAMES.map((name) => IMPLEMENTED[name] ?? system.unimplemented);

/** Executor names that decode but are not executed yet. */
export const UNIMPLEMENTED_EXEC_NAMES: readonly ExecName[] = EXEC_NAMES.filter((name) => !IMPLEMENTED[name]);

/** Handler for instructions the decoder rejected (#UD, or #GP for the 15-byte limit). */
export function executeFault(cpu: Cpu, ins: Instr): void {
  cpu.raise(ins.fault < 0 ? 6 : ins.fault, ins.fault === 13 ? 0 : -1);
}
