/**
 * SSE/SSE2/SSE3/SSE4.1 floating-point arithmetic: ADD SUB MUL DIV SQRT MIN MAX (PS PD SS SD),
 * ADDSUB, HADD, HSUB, RCP, RSQRT, DPPS/DPPD, ROUND*, the logical AND/ANDN/OR/XOR PS/PD and the
 * blends (SDM Vol. 2). Arithmetic goes through float-core.ts (MXCSR rounding, flags, NaNs).
 */
import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import * as fc from './float-core.js';
import { OP_ADD, OP_SUB, OP_MUL, OP_DIV, arith32, arith64, sqrt32, sqrt64, minmax32, minmax64 } from './float-core.js';
import { fpFinish, fpStart } from './mxcsr.js';
import { A, B, C, R, getXmm, loadAB, putXmm, simd, sseCheck, type SimdState } from './state.js';

type H = (cpu: Cpu, ins: Instr) => void;

function begin(cpu: Cpu, ins: Instr): SimdState {
  sseCheck(cpu);
  const st = simd(cpu);
  loadAB(cpu, st, ins);
  fpStart(cpu);
  return st;
}

function end(cpu: Cpu, st: SimdState, ins: Instr): void {
  fpFinish(cpu);
  putXmm(st, ins.reg0, R);
}

function copyA(t: Int32Array): void {
  t[R] = t[A]!; t[R + 1] = t[A + 1]!; t[R + 2] = t[A + 2]!; t[R + 3] = t[A + 3]!;
}

const ps = (op: number): H => (cpu, ins) => {
  const st = begin(cpu, ins), t = st.t32;
  for (let i = 0; i < 4; i++) t[R + i] = arith32(op, t[A + i]!, t[B + i]!);
  end(cpu, st, ins);
};
const ss = (op: number): H => (cpu, ins) => {
  const st = begin(cpu, ins), t = st.t32;
  copyA(t);
  t[R] = arith32(op, t[A]!, t[B]!);
  end(cpu, st, ins);
};
const pd = (op: number): H => (cpu, ins) => {
  const st = begin(cpu, ins), t = st.t32;
  for (let i = 0; i < 4; i += 2) {
    arith64(op, t[A + i]!, t[A + i + 1]!, t[B + i]!, t[B + i + 1]!);
    t[R + i] = fc.outLo; t[R + i + 1] = fc.outHi;
  }
  end(cpu, st, ins);
};
const sd = (op: number): H => (cpu, ins) => {
  const st = begin(cpu, ins), t = st.t32;
  copyA(t);
  arith64(op, t[A]!, t[A + 1]!, t[B]!, t[B + 1]!);
  t[R] = fc.outLo; t[R + 1] = fc.outHi;
  end(cpu, st, ins);
};

export const addps = ps(OP_ADD), subps = ps(OP_SUB), mulps = ps(OP_MUL), divps = ps(OP_DIV);
export const addss = ss(OP_ADD), subss = ss(OP_SUB), mulss = ss(OP_MUL), divss = ss(OP_DIV);
export const addpd = pd(OP_ADD), subpd = pd(OP_SUB), mulpd = pd(OP_MUL), divpd = pd(OP_DIV);
export const addsd = sd(OP_ADD), subsd = sd(OP_SUB), mulsd = sd(OP_MUL), divsd = sd(OP_DIV);

export function sqrtps(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  for (let i = 0; i < 4; i++) t[R + i] = sqrt32(t[B + i]!);
  end(cpu, st, ins);
}
export function sqrtss(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  copyA(t);
  t[R] = sqrt32(t[B]!);
  end(cpu, st, ins);
}
export function sqrtpd(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  for (let i = 0; i < 4; i += 2) { sqrt64(t[B + i]!, t[B + i + 1]!); t[R + i] = fc.outLo; t[R + i + 1] = fc.outHi; }
  end(cpu, st, ins);
}
export function sqrtsd(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  copyA(t);
  sqrt64(t[B]!, t[B + 1]!);
  t[R] = fc.outLo; t[R + 1] = fc.outHi;
  end(cpu, st, ins);
}

const mm32 = (max: boolean, scalar: boolean): H => (cpu, ins) => {
  const st = begin(cpu, ins), t = st.t32;
  copyA(t);
  for (let i = 0; i < (scalar ? 1 : 4); i++) t[R + i] = minmax32(t[A + i]!, t[B + i]!, max);
  end(cpu, st, ins);
};
const mm64 = (max: boolean, scalar: boolean): H => (cpu, ins) => {
  const st = begin(cpu, ins), t = st.t32;
  copyA(t);
  for (let i = 0; i < (scalar ? 2 : 4); i += 2) {
    minmax64(t[A + i]!, t[A + i + 1]!, t[B + i]!, t[B + i + 1]!, max);
    t[R + i] = fc.outLo; t[R + i + 1] = fc.outHi;
  }
  end(cpu, st, ins);
};
export const minps = mm32(false, false), maxps = mm32(true, false), minss = mm32(false, true), maxss = mm32(true, true);
export const minpd = mm64(false, false), maxpd = mm64(true, false), minsd = mm64(false, true), maxsd = mm64(true, true);

// SSE3 -------------------------------------------------------------------------------------------

export function addsubps(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  for (let i = 0; i < 4; i++) t[R + i] = arith32((i & 1) === 0 ? OP_SUB : OP_ADD, t[A + i]!, t[B + i]!);
  end(cpu, st, ins);
}
export function addsubpd(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  arith64(OP_SUB, t[A]!, t[A + 1]!, t[B]!, t[B + 1]!); t[R] = fc.outLo; t[R + 1] = fc.outHi;
  arith64(OP_ADD, t[A + 2]!, t[A + 3]!, t[B + 2]!, t[B + 3]!); t[R + 2] = fc.outLo; t[R + 3] = fc.outHi;
  end(cpu, st, ins);
}
const hps = (op: number): H => (cpu, ins) => {
  const st = begin(cpu, ins), t = st.t32;
  t[R] = arith32(op, t[A]!, t[A + 1]!);
  t[R + 1] = arith32(op, t[A + 2]!, t[A + 3]!);
  t[R + 2] = arith32(op, t[B]!, t[B + 1]!);
  t[R + 3] = arith32(op, t[B + 2]!, t[B + 3]!);
  end(cpu, st, ins);
};
const hpd = (op: number): H => (cpu, ins) => {
  const st = begin(cpu, ins), t = st.t32;
  arith64(op, t[A]!, t[A + 1]!, t[A + 2]!, t[A + 3]!); t[R] = fc.outLo; t[R + 1] = fc.outHi;
  arith64(op, t[B]!, t[B + 1]!, t[B + 2]!, t[B + 3]!); t[R + 2] = fc.outLo; t[R + 3] = fc.outHi;
  end(cpu, st, ins);
};
export const haddps = hps(OP_ADD), hsubps = hps(OP_SUB), haddpd = hpd(OP_ADD), hsubpd = hpd(OP_SUB);

// Logical (no floating-point exceptions) ---------------------------------------------------------

const logical = (f: (a: number, b: number) => number): H => (cpu, ins) => {
  sseCheck(cpu);
  const st = simd(cpu), t = st.t32;
  loadAB(cpu, st, ins);
  for (let i = 0; i < 4; i++) t[R + i] = f(t[A + i]!, t[B + i]!);
  putXmm(st, ins.reg0, R);
};
export const andps = logical((a, b) => a & b), andnps = logical((a, b) => ~a & b);
export const orps = logical((a, b) => a | b), xorps = logical((a, b) => a ^ b);

// RCP/RSQRT: approximations with relative error ≤ 1.5 * 2^-12 (SDM Vol. 2, RCPPS/RSQRTPS). The
// exact hardware tables are model-specific; this rounds the exact value to 12 significant bits.
function approx(bits: number, rsqrt: boolean): number {
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  const neg = bits < 0;
  if (exp === 0xff) {
    if (mant !== 0) return bits | 0x400000;
    return neg ? (rsqrt ? fc.DEFAULT_NAN32 : bits & 0x80000000) : 0;
  }
  if (exp === 0) return rsqrt ? (bits & 0x80000000) | 0x7f800000 : (bits & 0x80000000) | 0x7f800000; // denormals are zero
  if (rsqrt && neg) return fc.DEFAULT_NAN32;
  const x = fc.f32FromBits(bits);
  const y = rsqrt ? 1 / Math.sqrt(x) : 1 / x;
  const r = fc.f32ToBits(y);
  if ((r & 0x7f800000) === 0) return r & 0x80000000; // results below the normal range flush to zero
  return (r + 0x400) & ~0x7ff; // 12 significant bits
}
const approxPs = (rsqrt: boolean, scalar: boolean): H => (cpu, ins) => {
  sseCheck(cpu);
  const st = simd(cpu), t = st.t32;
  loadAB(cpu, st, ins);
  copyA(t);
  for (let i = 0; i < (scalar ? 1 : 4); i++) t[R + i] = approx(t[B + i]!, rsqrt);
  putXmm(st, ins.reg0, R);
};
export const rcpps = approxPs(false, false), rcpss = approxPs(false, true);
export const rsqrtps = approxPs(true, false), rsqrtss = approxPs(true, true);

// SSE4.1 -----------------------------------------------------------------------------------------

/** ROUNDPS/PD/SS/SD: imm8[1:0] mode unless imm8[2] (MXCSR.RC); imm8[3] suppresses PE. */
const roundOp = (double: boolean, scalar: boolean): H => (cpu, ins) => {
  const st = begin(cpu, ins), t = st.t32;
  const imm = ins.immLo;
  if ((imm & 4) === 0) fc.setRounding(imm & 3);
  const suppress = (imm & 8) !== 0;
  copyA(t);
  if (double) {
    for (let i = 0; i < (scalar ? 2 : 4); i += 2) { fc.round64(t[B + i]!, t[B + i + 1]!, suppress); t[R + i] = fc.outLo; t[R + i + 1] = fc.outHi; }
  } else {
    for (let i = 0; i < (scalar ? 1 : 4); i++) t[R + i] = fc.round32(t[B + i]!, suppress);
  }
  end(cpu, st, ins);
};
export const roundps = roundOp(false, false), roundpd = roundOp(true, false);
export const roundss = roundOp(false, true), roundsd = roundOp(true, true);

/**
 * DPPS: products of the lanes selected by imm8[7:4] (others +0.0), summed as
 * (p0 + p1) + (p2 + p3), each step rounded; the sum goes to the lanes of imm8[3:0].
 */
export function dpps(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  const imm = ins.immLo;
  const p = st.t32; // products in C (lanes 8..11)
  for (let i = 0; i < 4; i++) p[C + i] = (imm & (0x10 << i)) !== 0 ? arith32(OP_MUL, t[A + i]!, t[B + i]!) : 0;
  const s01 = arith32(OP_ADD, p[C]!, p[C + 1]!);
  const s23 = arith32(OP_ADD, p[C + 2]!, p[C + 3]!);
  const sum = arith32(OP_ADD, s01, s23);
  for (let i = 0; i < 4; i++) t[R + i] = (imm & (1 << i)) !== 0 ? sum : 0;
  end(cpu, st, ins);
}

export function dppd(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  const imm = ins.immLo;
  for (let i = 0; i < 2; i++) {
    if ((imm & (0x10 << i)) !== 0) { arith64(OP_MUL, t[A + 2 * i]!, t[A + 2 * i + 1]!, t[B + 2 * i]!, t[B + 2 * i + 1]!); t[C + 2 * i] = fc.outLo; t[C + 2 * i + 1] = fc.outHi; }
    else { t[C + 2 * i] = 0; t[C + 2 * i + 1] = 0; }
  }
  arith64(OP_ADD, t[C]!, t[C + 1]!, t[C + 2]!, t[C + 3]!);
  const lo = fc.outLo, hi = fc.outHi;
  for (let i = 0; i < 2; i++) {
    const on = (imm & (1 << i)) !== 0;
    t[R + 2 * i] = on ? lo : 0; t[R + 2 * i + 1] = on ? hi : 0;
  }
  end(cpu, st, ins);
}

/** BLENDPS/BLENDPD (imm8 lane mask) and BLENDVPS/BLENDVPD (sign bits of XMM0). */
const blend = (double: boolean, variable: boolean): H => (cpu, ins) => {
  sseCheck(cpu);
  const st = simd(cpu), t = st.t32;
  loadAB(cpu, st, ins);
  if (variable) getXmm(st, 0, C);
  for (let i = 0; i < 4; i++) {
    const lane = double ? i >> 1 : i;
    const pick = variable ? t[C + (double ? 2 * lane + 1 : lane)]! < 0 : (ins.immLo & (1 << lane)) !== 0;
    t[R + i] = pick ? t[B + i]! : t[A + i]!;
  }
  putXmm(st, ins.reg0, R);
};
export const blendps = blend(false, false), blendpd = blend(true, false);
export const blendvps = blend(false, true), blendvpd = blend(true, true);
