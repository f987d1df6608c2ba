import type { Cpu } from '../cpu.js';
import { OpKind, type Instr } from '../decode/instr.js';
import { condition, getFlags, getZF, VM, IOPL, LazyOp, OF } from './flags.js';
import { I_LAZY_OP, I_MODE, I_RFLAGS, I_RIP, I_HALTED } from '../state/cpu-state.js';
import { DecodeMode } from '../decode/decoder.js';
import { loadCodeSegment } from './segment.js';
import { farCall, farJump, farReturn } from '../system/far-transfer.js';

/** Branch target = RIP (already the next instruction) + displacement, at the operand size. */
function relativeTarget(cpu: Cpu, ins: Instr): void {
  const s = cpu.s;
  const size = ins.opSize;
  const lo = s[I_RIP]!, rel = ins.immLo;
  if (size === 8) {
    const sum = (lo >>> 0) + rel;
    const hi = (s[I_RIP + 1]! + Math.floor(sum / 4294967296)) | 0;
    cpu.setIp(sum | 0, hi, 8);
  } else {
    cpu.setIp((lo + rel) | 0, 0, size);
  }
}

export function jcc(cpu: Cpu, ins: Instr): void {
  if (condition(cpu.s, ins.row!.opcode & 0xf)) relativeTarget(cpu, ins);
}

export function jmp(cpu: Cpu, ins: Instr): void {
  relativeTarget(cpu, ins);
}

export function call(cpu: Cpu, ins: Instr): void {
  const s = cpu.s;
  cpu.push(ins.opSize, s[I_RIP]!, s[I_RIP + 1]!);
  relativeTarget(cpu, ins);
}

export function jmp_indirect(cpu: Cpu, ins: Instr): void {
  const size = ins.opSize;
  const lo = cpu.readSource(ins, ins.kind0, ins.reg0, size);
  cpu.setIp(lo, size === 8 ? cpu.hi : 0, size);
}

export function call_indirect(cpu: Cpu, ins: Instr): void {
  const s = cpu.s;
  const size = ins.opSize;
  const lo = cpu.readSource(ins, ins.kind0, ins.reg0, size);
  const hi = size === 8 ? cpu.hi : 0;
  // Check the target before pushing, so a #GP leaves the stack untouched.
  const retLo = s[I_RIP]!, retHi = s[I_RIP + 1]!;
  cpu.setIp(lo, hi, size);
  const newLo = s[I_RIP]!, newHi = s[I_RIP + 1]!;
  s[I_RIP] = retLo; s[I_RIP + 1] = retHi;
  cpu.push(size, retLo, retHi);
  s[I_RIP] = newLo; s[I_RIP + 1] = newHi;
}

/** RET / RET imm16. */
export function ret(cpu: Cpu, ins: Instr): void {
  const size = ins.opSize;
  const lo = cpu.pop(size), hi = size === 8 ? cpu.hi : 0;
  try {
    cpu.setIp(lo, hi, size);
  } catch (e) {
    cpu.adjustSp(-size);
    throw e;
  }
  if (ins.kind0 === OpKind.Imm) cpu.adjustSp(ins.immLo & 0xffff);
}

/** Count register for LOOP/JCXZ: CX, ECX or RCX by address size. Returns true if it is zero after the update. */
function decrementCount(cpu: Cpu, ins: Instr): boolean {
  const g = cpu.g32;
  if (ins.addrSize === 2) {
    const v = (cpu.g16[4]! - 1) & 0xffff;
    cpu.g16[4] = v;
    return v === 0;
  }
  if (ins.addrSize === 4) {
    const v = (g[2]! - 1) | 0;
    g[2] = v;
    if (cpu.s[I_MODE] === DecodeMode.Long64) g[3] = 0;
    return v === 0;
  }
  const lo = g[2]!;
  const nlo = (lo - 1) | 0;
  g[2] = nlo;
  if (lo === 0) g[3] = (g[3]! - 1) | 0;
  return nlo === 0 && g[3] === 0;
}

function countIsZero(cpu: Cpu, ins: Instr): boolean {
  const g = cpu.g32;
  if (ins.addrSize === 2) return cpu.g16[4] === 0;
  if (ins.addrSize === 4) return g[2] === 0;
  return g[2] === 0 && g[3] === 0;
}

export function loop(cpu: Cpu, ins: Instr): void {
  if (!decrementCount(cpu, ins)) relativeTarget(cpu, ins);
}

export function loope(cpu: Cpu, ins: Instr): void {
  if (!decrementCount(cpu, ins) && getZF(cpu.s)) relativeTarget(cpu, ins);
}

export function loopne(cpu: Cpu, ins: Instr): void {
  if (!decrementCount(cpu, ins) && !getZF(cpu.s)) relativeTarget(cpu, ins);
}

export function jcxz(cpu: Cpu, ins: Instr): void {
  if (countIsZero(cpu, ins)) relativeTarget(cpu, ins);
}

/** Far JMP/CALL to selector:offset, direct (Ap) or through an m16:16/32/64 pointer (system/far-transfer.ts). */
export function jmpf(cpu: Cpu, ins: Instr): void {
  farJump(cpu, ins.imm2, ins.immLo, 0, ins.opSize);
}

export function callf(cpu: Cpu, ins: Instr): void {
  farCall(cpu, ins.imm2, ins.immLo, 0, ins.opSize);
}

/** Read an m16:16 / m16:32 / m16:64 far pointer operand: offset into (lo, hi), selector returned. */
function readFarPointer(cpu: Cpu, ins: Instr): number {
  const size = ins.opSize;
  const linear = cpu.linear(ins, size + 2);
  farOffsetHi = 0;
  if (size === 8) { farOffsetLo = cpu.read64(linear); farOffsetHi = cpu.hi; }
  else farOffsetLo = size === 2 ? cpu.read16(linear) : cpu.read32(linear);
  return cpu.read16(cpu.wrapLinear(linear + size));
}

let farOffsetLo = 0, farOffsetHi = 0;

export function jmpf_indirect(cpu: Cpu, ins: Instr): void {
  const selector = readFarPointer(cpu, ins);
  farJump(cpu, selector, farOffsetLo, farOffsetHi, ins.opSize);
}

export function callf_indirect(cpu: Cpu, ins: Instr): void {
  const selector = readFarPointer(cpu, ins);
  farCall(cpu, selector, farOffsetLo, farOffsetHi, ins.opSize);
}

/** RETF / RETF imm16. */
export function retf(cpu: Cpu, ins: Instr): void {
  farReturn(cpu, ins.opSize, ins.kind0 === OpKind.Imm ? ins.immLo & 0xffff : 0);
}

/** INT n: in virtual-8086 mode with IOPL < 3 it is a #GP(0) (SDM Vol. 3, 20.3.3). */
export function int(cpu: Cpu, ins: Instr): void {
  const s = cpu.s;
  if (s[I_MODE] === DecodeMode.V86 && ((getFlags(s) & IOPL) >> 12) < 3) cpu.raise(13, 0);
  cpu.softwareInterrupt(ins.immLo & 0xff);
}

export function int3(cpu: Cpu): void {
  cpu.softwareInterrupt(3);
}

/** INT1 (ICEBP): a #DB trap without the gate-DPL check of INT n (SDM Vol. 3, 6.12.1.1). */
export function int1(cpu: Cpu): void {
  cpu.softwareInterrupt(1, false);
}

export function into(cpu: Cpu): void {
  if ((getFlags(cpu.s) & OF) !== 0) cpu.softwareInterrupt(4);
}

/** IRET in real mode (SDM Vol. 2, IRET "REAL-ADDRESS-MODE"); protected forms: system layer. */
export function iret(cpu: Cpu, ins: Instr): void {
  const s = cpu.s;
  // Any IRET ends NMI blocking, even one that faults later (SDM Vol. 3, 6.7.1).
  cpu.nmiBlocked = false;
  const size = ins.opSize;
  if (s[I_MODE] !== DecodeMode.Real) {
    cpu.iretProtected(ins);
    return;
  }
  // Each slot is addressed on its own: with SP = FFFC a 16-bit stack wraps between CS and FLAGS.
  const ipAt = cpu.stackLinear(0, size), csAt = cpu.stackLinear(size, 2), flagsAt = cpu.stackLinear(2 * size, size);
  const ip = size === 2 ? cpu.read16(ipAt) : cpu.read32(ipAt);
  const cs = cpu.read16(csAt);
  const flags = size === 2 ? cpu.read16(flagsAt) : cpu.read32(flagsAt);
  if (size === 4 && (ip >>> 0) > 0xffff) cpu.raise(13, 0);
  cpu.adjustSp(3 * size);
  loadCodeSegment(cpu, cs, false);
  cpu.setIp(ip, 0, size);
  const keep = size === 2 ? ~0xffff : VM | 0x1a0000; // IRETD keeps VM, VIP, VIF (SDM IRET real mode)
  s[I_RFLAGS] = ((getFlags(s) & keep) | (flags & ~keep) | 2) & ~0x8028;
  s[I_LAZY_OP] = LazyOp.None;
  cpu.blockBreak = true;
}

/** HLT: stop until an interrupt (the run loop sleeps). */
export function hlt(cpu: Cpu): void {
  cpu.s[I_HALTED] = 1;
  cpu.blockBreak = true;
}

/** BOUND: #BR if the signed index is outside [lower, upper]. */
export function bound(cpu: Cpu, ins: Instr): void {
  const size = ins.opSize;
  const index = cpu.getReg(ins.reg0, size);
  const linear = cpu.linear(ins, size * 2);
  let lower: number, upper: number, value: number;
  if (size === 2) {
    lower = (cpu.read16(linear) << 16) >> 16;
    upper = (cpu.read16(cpu.wrapLinear(linear + 2)) << 16) >> 16;
    value = (index << 16) >> 16;
  } else {
    lower = cpu.read32(linear);
    upper = cpu.read32(cpu.wrapLinear(linear + 4));
    value = index | 0;
  }
  if (value < lower || value > upper) cpu.raise(5);
}

