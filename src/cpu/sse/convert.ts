/**
 * Conversions between integers, binary32 and binary64: CVT* and CVTT* (SDM Vol. 2). Rounding per
 * MXCSR.RC (truncation for CVTT*); out-of-range or NaN → the integer indefinite with IE.
 */
import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import * as fc from './float-core.js';
import { fpFinish, fpStart } from './mxcsr.js';
import { A, B, R, loadAB, simd, simdCheck, storeDest, type SimdState } from './state.js';

function begin(cpu: Cpu, ins: Instr): SimdState {
  simdCheck(cpu, ins);
  const st = simd(cpu);
  loadAB(cpu, st, ins);
  fpStart(cpu);
  return st;
}

function end(cpu: Cpu, st: SimdState, ins: Instr): void {
  fpFinish(cpu);
  storeDest(cpu, st, ins, R);
}

function keepA(t: Int32Array): void {
  t[R] = t[A]!; t[R + 1] = t[A + 1]!; t[R + 2] = t[A + 2]!; t[R + 3] = t[A + 3]!;
}

function f32ToInt(bits: number, size: number, truncate: boolean): void {
  fc.floatToInt(fc.f32ForInt(bits), fc.isNan32(bits), size, truncate);
}

function f64ToInt(lo: number, hi: number, size: number, truncate: boolean): void {
  fc.floatToInt(fc.f64ForInt(lo, hi), fc.isNan64(lo, hi), size, truncate);
}

// Integer → float ---------------------------------------------------------------------------------

export function cvtpi2ps(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  keepA(t);
  t[R] = fc.intToFloat32(t[B]!, t[B]! >> 31);
  t[R + 1] = fc.intToFloat32(t[B + 1]!, t[B + 1]! >> 31);
  end(cpu, st, ins);
}

export function cvtpi2pd(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  const b0 = t[B]!, b1 = t[B + 1]!;
  fc.intToFloat64(b0, b0 >> 31); t[R] = fc.outLo; t[R + 1] = fc.outHi;
  fc.intToFloat64(b1, b1 >> 31); t[R + 2] = fc.outLo; t[R + 3] = fc.outHi;
  end(cpu, st, ins);
}
export const cvtdq2pd = cvtpi2pd;

export function cvtsi2ss(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  keepA(t);
  t[R] = fc.intToFloat32(t[B]!, ins.size1 === 8 ? t[B + 1]! : t[B]! >> 31);
  end(cpu, st, ins);
}

export function cvtsi2sd(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  keepA(t);
  fc.intToFloat64(t[B]!, ins.size1 === 8 ? t[B + 1]! : t[B]! >> 31);
  t[R] = fc.outLo; t[R + 1] = fc.outHi;
  end(cpu, st, ins);
}

export function cvtdq2ps(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  for (let i = 0; i < 4; i++) t[R + i] = fc.intToFloat32(t[B + i]!, t[B + i]! >> 31);
  end(cpu, st, ins);
}

// Float → integer ---------------------------------------------------------------------------------

const ps2int = (lanes: number, truncate: boolean) => (cpu: Cpu, ins: Instr): void => {
  const st = begin(cpu, ins), t = st.t32;
  for (let i = 0; i < 4; i++) {
    if (i < lanes) { f32ToInt(t[B + i]!, 32, truncate); t[R + i] = fc.outLo; } else t[R + i] = 0;
  }
  end(cpu, st, ins);
};
export const cvtps2pi = ps2int(2, false), cvttps2pi = ps2int(2, true);
export const cvtps2dq = ps2int(4, false), cvttps2dq = ps2int(4, true);

const pd2int = (truncate: boolean) => (cpu: Cpu, ins: Instr): void => {
  const st = begin(cpu, ins), t = st.t32;
  f64ToInt(t[B]!, t[B + 1]!, 32, truncate); const r0 = fc.outLo;
  f64ToInt(t[B + 2]!, t[B + 3]!, 32, truncate);
  t[R] = r0; t[R + 1] = fc.outLo; t[R + 2] = 0; t[R + 3] = 0;
  end(cpu, st, ins);
};
export const cvtpd2pi = pd2int(false), cvttpd2pi = pd2int(true);
export const cvtpd2dq = pd2int(false), cvttpd2dq = pd2int(true);

const ss2si = (double: boolean, truncate: boolean) => (cpu: Cpu, ins: Instr): void => {
  const st = begin(cpu, ins), t = st.t32;
  const size = ins.size0 === 8 ? 64 : 32;
  if (double) f64ToInt(t[B]!, t[B + 1]!, size, truncate);
  else f32ToInt(t[B]!, size, truncate);
  t[R] = fc.outLo; t[R + 1] = fc.outHi;
  end(cpu, st, ins);
};
export const cvtss2si = ss2si(false, false), cvttss2si = ss2si(false, true);
export const cvtsd2si = ss2si(true, false), cvttsd2si = ss2si(true, true);

// Float ↔ float -----------------------------------------------------------------------------------

export function cvtps2pd(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  const b1 = t[B + 1]!;
  fc.cvt32to64(t[B]!); t[R] = fc.outLo; t[R + 1] = fc.outHi;
  fc.cvt32to64(b1); t[R + 2] = fc.outLo; t[R + 3] = fc.outHi;
  end(cpu, st, ins);
}

export function cvtpd2ps(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  t[R] = fc.cvt64to32(t[B]!, t[B + 1]!);
  t[R + 1] = fc.cvt64to32(t[B + 2]!, t[B + 3]!);
  t[R + 2] = 0; t[R + 3] = 0;
  end(cpu, st, ins);
}

export function cvtss2sd(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  keepA(t);
  fc.cvt32to64(t[B]!); t[R] = fc.outLo; t[R + 1] = fc.outHi;
  end(cpu, st, ins);
}

export function cvtsd2ss(cpu: Cpu, ins: Instr): void {
  const st = begin(cpu, ins), t = st.t32;
  keepA(t);
  t[R] = fc.cvt64to32(t[B]!, t[B + 1]!);
  end(cpu, st, ins);
}
