/**
 * The x87 register stack, status word bookkeeping and the per-instruction prologue/epilogue
 * (SDM Vol. 1, 8.1-8.5). Registers are physical (see fpu-layout.ts); ST(i) = R((TOP + i) & 7).
 */
import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { OpKind } from '../decode/instr.js';
import { I_CR } from '../state/cpu-state.js';
import { C, R, X, resetFlags, setIndefinite } from './extended.js';
import { I_FCW, I_FDP, I_FIP, I_FOP, I_FPR, I_FSW, I_FTW, SW_B, SW_C1, SW_CC_MASK, SW_DE, SW_ES, SW_IE, SW_SF, SW_TOP_MASK } from './fpu-layout.js';
import { reportPendingX87 } from './fpu-exceptions.js';

export const VEC_NM = 7;

export function top(cpu: Cpu): number {
  return (cpu.s[I_FSW]! >> 11) & 7;
}

export function setTop(cpu: Cpu, t: number): void {
  const s = cpu.s;
  s[I_FSW] = (s[I_FSW]! & ~SW_TOP_MASK) | ((t & 7) << 11);
}

/** Int32 index of ST(i)'s slot. */
export function st(cpu: Cpu, i: number): number {
  return I_FPR + 4 * ((top(cpu) + i) & 7);
}

export function isEmpty(cpu: Cpu, i: number): boolean {
  return ((cpu.s[I_FTW]! >> ((top(cpu) + i) & 7)) & 1) === 0;
}

export function writeSt(cpu: Cpu, i: number, se: number, hi: number, lo: number): void {
  const s = cpu.s;
  const p = (top(cpu) + i) & 7;
  const at = I_FPR + 4 * p;
  s[at] = lo | 0;
  s[at + 1] = hi | 0;
  s[at + 2] = se & 0xffff;
  s[I_FTW] = s[I_FTW]! | (1 << p);
}

/** Write the current result R to ST(i). */
export function writeStR(cpu: Cpu, i: number): void {
  writeSt(cpu, i, R.se, R.hi, R.lo);
}

export function pop(cpu: Cpu): void {
  const s = cpu.s;
  const t = top(cpu);
  s[I_FTW] = s[I_FTW]! & ~(1 << t);
  setTop(cpu, t + 1);
}

/**
 * Push R. Stack overflow (the new ST(0) is not empty): #IS with C1 = 1; masked, the real
 * indefinite is pushed; unmasked, nothing changes (SDM Vol. 1, 8.5.1.1).
 */
export function pushR(cpu: Cpu): void {
  const t = (top(cpu) - 1) & 7;
  if (((cpu.s[I_FTW]! >> t) & 1) !== 0) {
    X.flags |= SW_IE | SW_SF;
    X.up = true; // C1 = 1: overflow
    if ((C.unmasked & SW_IE) !== 0) return;
    setIndefinite();
  }
  setTop(cpu, t);
  writeStR(cpu, 0);
}

/** Stack underflow (#IS, C1 = 0): sets the flags; returns true when the response is masked. */
export function underflow(): boolean {
  X.flags = (X.flags & ~SW_DE) | SW_IE | SW_SF;
  X.up = false;
  setIndefinite();
  return (C.unmasked & SW_IE) === 0;
}

/**
 * Prologue of an x87 instruction: CR0.EM or CR0.TS → #NM (SDM Vol. 3, Table 2-2); for waiting
 * instructions a pending unmasked exception is reported first (#MF or FERR#). Loads the control
 * configuration for the softfloat and clears the per-instruction flags.
 */
export function begin(cpu: Cpu, waiting = true): void {
  const s = cpu.s;
  pending = false;
  if ((s[I_CR]! & 0xc) !== 0) cpu.raise(VEC_NM);
  if (waiting && (s[I_FSW]! & SW_ES) !== 0) reportPendingX87(cpu);
  const fcw = s[I_FCW]!;
  C.rc = (fcw >> 10) & 3;
  const pc = (fcw >> 8) & 3;
  C.pc = pc === 0 ? 24 : pc === 2 ? 53 : 64;
  C.unmasked = ~fcw & 0x3f;
  resetFlags();
}

/**
 * Record the last-instruction pointers of a non-control instruction (SDM Vol. 1, 8.1.8-8.1.9):
 * FIP = offset of the instruction, always. FOP (the 11 low opcode bits) and FDP (offset of the
 * memory operand) are updated only when the instruction flags an unmasked exception: the modelled
 * CPU has FOP compatibility mode off and CPUID.(EAX=7,ECX=0):EBX[6] FDP_EXCPTN_ONLY (as the oracle
 * CPU records). `finish` commits them.
 */
export function notePointers(cpu: Cpu, ins: Instr, dataOffset: number): void {
  const s = cpu.s;
  s[I_FIP] = cpu.insRipLo;
  s[I_FIP + 1] = cpu.insRipHi;
  pendingFop = (((ins.row?.opcode ?? 0) & 7) << 8) | (ins.modrm & 0xff);
  pendingHasData = ins.kind0 === OpKind.Mem || ins.kind1 === OpKind.Mem;
  pendingFdpLo = dataOffset;
  pendingFdpHi = pendingHasData ? cpu.eaHi : 0;
  pending = true;
}
let pending = false, pendingFop = 0, pendingHasData = false, pendingFdpLo = 0, pendingFdpHi = 0;

/** Effective address (offset) of the memory operand, for FDP; computed before the access. */
export function dataOffset(cpu: Cpu, ins: Instr): number {
  const ea = cpu.effectiveAddress(ins);
  if (ins.addrSize !== 8) cpu.eaHi = 0;
  return ea | 0;
}

/**
 * Merge the instruction's flags into FSW: exception bits are sticky, C1 reflects the rounding
 * direction (or stack overflow/underflow); ES and B are set when an unmasked exception is flagged.
 * `keepCc`: condition codes other than C1 already set by the instruction (compares) are kept.
 */
export function finish(cpu: Cpu): void {
  const s = cpu.s;
  let fsw = s[I_FSW]!;
  const f = X.flags;
  fsw = (fsw & ~SW_C1) | (X.up ? SW_C1 : 0) | f;
  if ((fsw & ~s[I_FCW]! & 0x3f) !== 0) fsw |= SW_ES | SW_B;
  s[I_FSW] = fsw;
  if (pending && (f & C.unmasked & 0x3f) !== 0) {
    s[I_FOP] = pendingFop;
    if (pendingHasData) { s[I_FDP] = pendingFdpLo; s[I_FDP + 1] = pendingFdpHi; }
  }
  pending = false;
}

/** Set C0..C3 (argument in status-word bit positions), leaving C1 to `finish` unless `withC1`. */
export function setCc(cpu: Cpu, bits: number): void {
  const s = cpu.s;
  s[I_FSW] = (s[I_FSW]! & ~(SW_CC_MASK & ~SW_C1)) | (bits & SW_CC_MASK & ~SW_C1);
}

/** Whether an unmasked exception among `bits` was flagged (the destination must not change). */
export function blocked(bits: number): boolean {
  if ((X.flags & C.unmasked & bits) === 0) return false;
  X.up = false; // nothing was rounded: C1 = 0
  return true;
}

/** Whether ST(7) is in use: a push would overflow the stack. */
export function fullForPush(cpu: Cpu): boolean {
  return ((cpu.s[I_FTW]! >> ((top(cpu) + 7) & 7)) & 1) !== 0;
}
