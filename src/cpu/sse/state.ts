/**
 * SIMD register access for the MMX/SSE executors (SDM Vol. 1, chapters 9-12).
 *
 * Every executor works on a small private work area (`SimdState.t*` views, 64 bytes): operand A
 * (the destination / first source) at bytes 0..15, operand B (the second source) at 16..31, a third
 * operand (XMM0 of the variable blends) at 32..47 and the result at 48..63. Handlers load operands
 * there, compute, check SIMD exceptions and only then write the destination, so a faulting
 * instruction changes nothing. The views are created once per vCPU: nothing is allocated per
 * instruction.
 *
 * Registers live in the state block (state/layout.ts): XMMn at `xmm` + 16n; MMn is the 64-bit
 * significand of the PHYSICAL x87 register Rn in `fpuRegs` (16-byte slots; SDM Vol. 1, 9.5.1).
 */
import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { OpKind } from '../decode/instr.js';
import { I_CR } from '../state/cpu-state.js';
import { offsetOf } from '../state/layout.js';

export const I_XMM = offsetOf('xmm') >> 2;
export const I_MXCSR = offsetOf('mxcsr') >> 2;
export const I_FPR = offsetOf('fpuRegs') >> 2;
export const I_FSW = offsetOf('fpuStatus') >> 2;
export const I_FTW = offsetOf('fpuTag') >> 2;

export const VEC_UD = 6, VEC_NM = 7, VEC_GP = 13, VEC_MF = 16, VEC_XM = 19;

/** Work-area offsets in int32 units. */
export const A = 0, B = 4, C = 8, R = 12;

export class SimdState {
  /** State block views (whole block). */
  readonly s: Int32Array;
  /** Work area views (64 bytes). */
  readonly t8: Uint8Array;
  readonly ts8: Int8Array;
  readonly t16: Uint16Array;
  readonly ts16: Int16Array;
  readonly t32: Int32Array;
  readonly tu32: Uint32Array;
  readonly tf32: Float32Array;
  readonly tf64: Float64Array;

  constructor(cpu: Cpu) {
    this.s = cpu.s;
    const buffer = new ArrayBuffer(64);
    this.t8 = new Uint8Array(buffer);
    this.ts8 = new Int8Array(buffer);
    this.t16 = new Uint16Array(buffer);
    this.ts16 = new Int16Array(buffer);
    this.t32 = new Int32Array(buffer);
    this.tu32 = new Uint32Array(buffer);
    this.tf32 = new Float32Array(buffer);
    this.tf64 = new Float64Array(buffer);
  }
}

const states = new WeakMap<Cpu, SimdState>();
let lastCpu: Cpu | null = null;
let lastState: SimdState | null = null;

/** The vCPU's SIMD work area (created on first use, then cached). */
export function simd(cpu: Cpu): SimdState {
  if (cpu === lastCpu) return lastState!;
  let st = states.get(cpu);
  if (!st) states.set(cpu, (st = new SimdState(cpu)));
  lastCpu = cpu;
  lastState = st;
  return st;
}

// ---------------------------------------------------------------------------------------------
// Availability checks (SDM Vol. 3, 2.5 and 13.1; Vol. 2, Tables 2-18 .. 2-22 "Exception class")

/** An SSE instruction on XMM registers: CR0.EM or CR4.OSFXSR=0 → #UD, CR0.TS → #NM. */
export function sseCheck(cpu: Cpu): void {
  const s = cpu.s;
  const cr0 = s[I_CR]!;
  if ((cr0 & 0x4) !== 0 || (s[I_CR + 8]! & 0x200) === 0) cpu.raise(VEC_UD);
  if ((cr0 & 0x8) !== 0) cpu.raise(VEC_NM);
}

/**
 * An instruction on MMX registers: CR0.EM → #UD, CR0.TS → #NM, a pending unmasked x87 exception →
 * #MF (or FERR# with CR0.NE=0) (SDM Vol. 3, 12.5). Then TOP = 0 and all tags valid (SDM Vol. 1,
 * 9.5.1): the abridged tag `fpuTag` becomes 0xFF.
 */
export function mmxCheck(cpu: Cpu): void {
  const s = cpu.s;
  const cr0 = s[I_CR]!;
  if ((cr0 & 0x4) !== 0) cpu.raise(VEC_UD);
  if ((cr0 & 0x8) !== 0) cpu.raise(VEC_NM);
  if ((s[I_FSW]! & 0x80) !== 0) {
    if ((cr0 & 0x20) !== 0) cpu.raise(VEC_MF);
    (cpu as { onFerr?: (() => void) | null }).onFerr?.();
  }
}

export function mmxEnter(cpu: Cpu): void {
  const s = cpu.s;
  s[I_FSW] = s[I_FSW]! & ~0x3800;
  s[I_FTW] = 0xff;
}

/** Whether an instruction touches MMX registers (operand 0 or 1 is an MMX register or MMX-sized form). */
export function usesMmx(ins: Instr): boolean {
  return ins.kind0 === OpKind.Mmx || ins.kind1 === OpKind.Mmx;
}

/** The checks of an instruction with XMM and/or MMX operands. */
export function simdCheck(cpu: Cpu, ins: Instr): void {
  if (ins.kind0 === OpKind.Mmx || ins.kind1 === OpKind.Mmx || ins.kind2 === OpKind.Mmx) {
    if (ins.kind0 === OpKind.Xmm || ins.kind1 === OpKind.Xmm) sseCheck(cpu);
    mmxCheck(cpu);
    mmxEnter(cpu);
  } else {
    sseCheck(cpu);
  }
}

// ---------------------------------------------------------------------------------------------
// Operand transfer between registers / memory and the work area

/** Copy XMMn into the work area at int32 offset `at`. */
export function getXmm(st: SimdState, n: number, at: number): void {
  const s = st.s, t = st.t32, x = I_XMM + 4 * n;
  t[at] = s[x]!; t[at + 1] = s[x + 1]!; t[at + 2] = s[x + 2]!; t[at + 3] = s[x + 3]!;
}

export function putXmm(st: SimdState, n: number, at: number): void {
  const s = st.s, t = st.t32, x = I_XMM + 4 * n;
  s[x] = t[at]!; s[x + 1] = t[at + 1]!; s[x + 2] = t[at + 2]!; s[x + 3] = t[at + 3]!;
}

export function getMmx(st: SimdState, n: number, at: number): void {
  const s = st.s, t = st.t32, x = I_FPR + 4 * n;
  t[at] = s[x]!; t[at + 1] = s[x + 1]!; t[at + 2] = 0; t[at + 3] = 0;
}

/** Write MMn from the work area; the sign/exponent field of Rn becomes all ones. */
export function putMmx(st: SimdState, n: number, at: number): void {
  const s = st.s, t = st.t32, x = I_FPR + 4 * n;
  s[x] = t[at]!; s[x + 1] = t[at + 1]!; s[x + 2] = 0xffff; s[x + 3] = 0;
}

/**
 * Linear address of the memory operand for a `size`-byte access. `aligned`: legacy SSE 16-byte
 * operands must be 16-byte aligned, else #GP(0) (SDM Vol. 1, 11.4.1 / 12.x; Vol. 2, 2.4).
 */
export function memAddress(cpu: Cpu, ins: Instr, size: number, aligned: boolean): number {
  const linear = cpu.linear(ins, size);
  if (aligned && linear % 16 !== 0) cpu.raise(VEC_GP, 0);
  return linear;
}

/** Read `size` bytes (4, 8 or 16; 1 and 2 zero-extended) at `linear` into the work area. */
export function readMemTo(cpu: Cpu, st: SimdState, linear: number, size: number, at: number): void {
  const t = st.t32;
  switch (size) {
    case 1: t[at] = cpu.read8(linear); t[at + 1] = 0; t[at + 2] = 0; t[at + 3] = 0; return;
    case 2: t[at] = cpu.read16(linear); t[at + 1] = 0; t[at + 2] = 0; t[at + 3] = 0; return;
    case 4: t[at] = cpu.read32(linear); t[at + 1] = 0; t[at + 2] = 0; t[at + 3] = 0; return;
    case 8: t[at] = cpu.read64(linear); t[at + 1] = cpu.hi; t[at + 2] = 0; t[at + 3] = 0; return;
    default: {
      const lo = cpu.read64(linear), hi = cpu.hi;
      const second = cpu.read64(cpu.wrapLinear(linear + 8));
      t[at] = lo; t[at + 1] = hi; t[at + 2] = second; t[at + 3] = cpu.hi;
    }
  }
}

/** Write `size` bytes from the work area to memory; both pages are checked before any byte is written. */
export function writeMemFrom(cpu: Cpu, st: SimdState, linear: number, size: number, at: number): void {
  const t = st.t32;
  switch (size) {
    case 1: cpu.write8(linear, t[at]! & 0xff); return;
    case 2: cpu.write16(linear, t[at]! & 0xffff); return;
    case 4: cpu.write32(linear, t[at]!); return;
    case 8: cpu.write64(linear, t[at]!, t[at + 1]!); return;
    default:
      cpu.probeWrite(linear, 16);
      cpu.write64(linear, t[at]!, t[at + 1]!);
      cpu.write64(cpu.wrapLinear(linear + 8), t[at + 2]!, t[at + 3]!);
  }
}

/**
 * Load an operand into the work area at `at`: an XMM register (16 bytes), an MMX register (8 bytes,
 * upper half zero) or memory of the operand's size. `aligned` applies to 16-byte memory operands.
 */
export function loadOperand(cpu: Cpu, st: SimdState, ins: Instr, kind: OpKind, reg: number, size: number, at: number, aligned: boolean): void {
  if (kind === OpKind.Xmm) getXmm(st, reg, at);
  else if (kind === OpKind.Mmx) getMmx(st, reg, at);
  else if (kind === OpKind.Mem) readMemTo(cpu, st, memAddress(cpu, ins, size, aligned && size === 16), size, at);
  else if (kind === OpKind.Reg) {
    const t = st.t32;
    t[at] = cpu.getReg(reg, size);
    t[at + 1] = size === 8 ? cpu.hi : 0;
    t[at + 2] = 0; t[at + 3] = 0;
  } else cpu.raise(VEC_UD);
}

/** Load operands 0 (A) and 1 (B). Packed legacy-SSE memory sources must be aligned. */
export function loadAB(cpu: Cpu, st: SimdState, ins: Instr, aligned = true): void {
  loadOperand(cpu, st, ins, ins.kind0, ins.reg0, ins.size0, A, aligned);
  loadOperand(cpu, st, ins, ins.kind1, ins.reg1, ins.size1, B, aligned);
}

/** Store the work area at `at` to operand 0 (full register; memory of the operand's size). */
export function storeDest(cpu: Cpu, st: SimdState, ins: Instr, at: number, aligned = true): void {
  const kind = ins.kind0;
  if (kind === OpKind.Xmm) putXmm(st, ins.reg0, at);
  else if (kind === OpKind.Mmx) putMmx(st, ins.reg0, at);
  else if (kind === OpKind.Mem) writeMemFrom(cpu, st, memAddress(cpu, ins, ins.size0, aligned && ins.size0 === 16), ins.size0, at);
  else if (kind === OpKind.Reg) {
    const t = st.t32;
    cpu.setReg(ins.reg0, ins.size0, t[at]!, t[at + 1]!);
  } else cpu.raise(VEC_UD);
}

/** The register width of operand 0 in bytes (8 for MMX, 16 for XMM). */
export function destWidth(ins: Instr): number {
  return ins.kind0 === OpKind.Mmx ? 8 : 16;
}
