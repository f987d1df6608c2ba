/**
 * x87 transcendental instructions: FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1
 * (SDM Vol. 2 instruction pages; Vol. 1, 8.3.9).
 *
 * Method: the operands are exact binary fractions; each function is evaluated in BigInt fixed
 * point with at least ~140 significant bits (the working scale adapts to the magnitude of the
 * argument, so tiny arguments keep full relative precision), and the result is rounded once to
 * the 64-bit significand with the current rounding mode. The evaluation error is far below 2^-100
 * relative, so results are the correctly rounded values of the functions, except for the argument
 * reduction of FSIN/FCOS/FSINCOS/FPTAN, which uses the same 66-bit approximation of pi as the
 * hardware (SDM Vol. 1, 8.3.10 "Transcendental Instruction Accuracy") so large arguments reduce
 * like on Intel CPUs. tests/fpu/oracle-fpu.test.ts measures the distance to the oracle CPU.
 *
 * BigInt allocates; these instructions take tens to hundreds of cycles on hardware too and are
 * not on the interpreter's hot path (the arithmetic core in extended.ts does not allocate).
 */
import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import * as E from './extended.js';
import { C, R, X } from './extended.js';
import { SW_C0, SW_C2, SW_C3, SW_DE, SW_IE, SW_UE, SW_PE, SW_ZE } from './fpu-layout.js';
import { begin, blocked, finish, isEmpty, notePointers, pop, pushR, setCc, st, underflow, writeSt, writeStR } from './fpu-stack.js';

// ------------------------------------------------------------------------------------------------
// Constants

/** pi to 512 bits (hex digits of the fraction are the Blowfish P-array). */
const PI_HEX = '3243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89452821E638D01377BE5466CF34E90C6CC0AC29B7C97C50DD3F84D5B5B5470917';
const PI_BITS = (PI_HEX.length - 1) * 4; // fractional bits
const PI_BIG = BigInt('0x' + PI_HEX); // pi * 2^PI_BITS
/** Intel's 66-bit pi (SDM: "a 66-bit approximation of pi"): pi * 2^64 truncated. */
const PI66 = PI_BIG >> BigInt(PI_BITS - 64);

function piAt(w: number): bigint {
  return w <= PI_BITS ? PI_BIG >> BigInt(PI_BITS - w) : PI_BIG << BigInt(w - PI_BITS);
}

/** ln 2 * 2^LN2_BITS, computed once: ln2 = sum 1/(k 2^k). */
const LN2_BITS = 400;
const LN2_BIG = (() => {
  const one = 1n << BigInt(LN2_BITS + 16);
  let sum = 0n;
  for (let k = 1n; k < BigInt(LN2_BITS + 20); k++) sum += one / (k << k);
  return sum >> 16n;
})();

function ln2At(w: number): bigint {
  return LN2_BIG >> BigInt(LN2_BITS - w);
}

// ------------------------------------------------------------------------------------------------
// Exact operand access

/** An operand as (sign, M, s): value = (-1)^sign * M * 2^s, M a 64-bit BigInt. */
interface Num { sign: number; m: bigint; s: number }

function toNum(se: number, hi: number, lo: number): Num {
  // Only for classified finite non-zero values; denormals use exponent 1.
  const exp = Math.max(se & 0x7fff, 1);
  const m = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return { sign: (se >> 15) & 1, m, s: exp - E.BIAS - 63 };
}

function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** Round (-1)^sign * v * 2^scale (v > 0) to the 80-bit result in R with the current RC. */
function roundBig(sign: number, v: bigint, scale: number, bits = 64): void {
  if (v === 0n) { E.setResult(sign << 15, 0, 0); return; }
  const len = bitLength(v);
  let top: bigint, sticky = 0;
  if (len >= 96) {
    top = v >> BigInt(len - 96);
    if ((v & ((1n << BigInt(len - 96)) - 1n)) !== 0n) sticky = 1;
  } else top = v << BigInt(96 - len);
  const hi = Number((top >> 64n) & 0xffffffffn);
  const lo = Number((top >> 32n) & 0xffffffffn);
  const ext = Number(top & 0xffffffffn) | sticky;
  E.roundPack(sign, E.BIAS + len - 1 + scale, hi, lo, ext >>> 0, bits);
}

/** Fixed-point value of |x| with w fractional bits (truncated). */
function fixed(n: Num, w: number): bigint {
  const sh = n.s + w;
  return sh >= 0 ? n.m << BigInt(sh) : n.m >> BigInt(-sh);
}

// ------------------------------------------------------------------------------------------------
// Kernels on fixed point with w fractional bits

/** (a * b) / 2^w truncated toward zero (so alternating series terms reach 0). */
function mulW(a: bigint, b: bigint, w: bigint): bigint {
  const p = a * b;
  return p >= 0n ? p >> w : -((-p) >> w);
}

/** sin and cos of r (|r| <= ~0.8), r * 2^w. */
function sinCosFixed(r: bigint, w: number): [bigint, bigint] {
  const W = BigInt(w);
  const one = 1n << W;
  const r2 = mulW(r, r, W);
  let term = r, sin = r;
  for (let n = 1n; term !== 0n; n++) {
    term = -mulW(term, r2, W) / ((2n * n) * (2n * n + 1n));
    sin += term;
  }
  term = one;
  let cos = one;
  for (let n = 1n; term !== 0n; n++) {
    term = -mulW(term, r2, W) / ((2n * n - 1n) * (2n * n));
    cos += term;
  }
  return [sin, cos];
}

/** atan(t) for 0 <= t <= 1, t * 2^w, by argument halving and the Taylor series. */
function atanFixed(t: bigint, w: number): bigint {
  const W = BigInt(w);
  const one = 1n << W;
  let halvings = 0n;
  while (t > (one >> 6n)) {
    // atan(t) = 2 atan(t / (1 + sqrt(1 + t^2)))
    const s = sqrtBig((one << W) + t * t);
    t = (t << W) / (one + s);
    halvings++;
  }
  const t2 = mulW(t, t, W);
  let power = t, sum = t;
  for (let k = 1n; power !== 0n; k++) {
    power = -mulW(power, t2, W);
    sum += power / (2n * k + 1n);
  }
  return sum << halvings;
}

function sqrtBig(v: bigint): bigint {
  if (v < 2n) return v;
  let x = 1n << BigInt((bitLength(v) + 1) >> 1);
  for (;;) {
    const y = (x + v / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** ln(1 + u) for u = a / 2^w with |u| small enough: 2 atanh(u / (2 + u)). */
function log1pFixed(a: bigint, w: number): bigint {
  const W = BigInt(w);
  const two = 2n << W;
  const z = (a << W) / (two + a);
  const z2 = mulW(z, z, W);
  let power = z, sum = z;
  for (let k = 1n; power !== 0n; k++) {
    power = mulW(power, z2, W);
    sum += power / (2n * k + 1n);
  }
  return 2n * sum;
}

// ------------------------------------------------------------------------------------------------
// Operand checks

function isNaNKind(k: number): boolean {
  return k === E.K_QNAN || k === E.K_SNAN;
}

/** Common prologue; returns false when ST(0) (and ST(1) if `two`) are not usable (handled). */
function prologue(cpu: Cpu, ins: Instr, two: boolean, pushes = false, trigOp = false): boolean {
  begin(cpu);
  notePointers(cpu, ins, 0);
  if (isEmpty(cpu, 0) || (two && isEmpty(cpu, 1))) {
    if (underflow()) {
      if (two) { writeStR(cpu, 1); pop(cpu); } else writeStR(cpu, 0);
      if (pushes) { pushR(cpu); X.up = false; }
    }
    // FSIN/FCOS/FSINCOS/FPTAN clear C2 on a stack fault (oracle CPU).
    if (trigOp) setCc(cpu, cpu.s[FSW_INDEX]! & (SW_C0 | SW_C3));
    finish(cpu);
    return false;
  }
  return true;
}

const WORK = 160;

// ------------------------------------------------------------------------------------------------
// FSIN / FCOS / FSINCOS / FPTAN

/**
 * Reduce x for the trigonometric functions: returns [quadrant k mod 4, sign of r, |r| fixed, w]
 * with r = x - k * pi66/2. Null when |x| >= 2^63 (C2 = 1, out of range).
 */
function reduce(n: Num): [number, number, bigint, number] | null {
  const e = bitLength(n.m) + n.s; // |x| < 2^e
  if (e > 63) return null;
  // |x| < pi/4: no reduction.
  let quadrant = 0, sign = 0;
  let r: bigint, w: number;
  const piQuarterCmp = e <= -1; // |x| < 0.5 < pi/4
  if (piQuarterCmp || (fixed(n, 66) < (PI66 >> 1n))) {
    w = WORK - 3 * Math.min(e, 0);
    r = fixed(n, w);
    return [0, sign, r, w];
  }
  // x * 2^65 is an integer (s >= -65 since |x| >= pi/4 and M has 64 bits).
  const X = n.m << BigInt(n.s + 65);
  // k = round(x / (pi66/2)); pi66/2 * 2^65 = PI66.
  let k = X / PI66;
  let rem = X - k * PI66;
  if (rem * 2n > PI66) { k++; rem -= PI66; }
  quadrant = Number(k & 3n);
  if (rem < 0n) { sign ^= 1; rem = -rem; }
  // rem * 2^-65 exactly; scale to w bits adapted to its size.
  const lr = bitLength(rem) - 65;
  w = WORK - 3 * Math.min(lr, 0);
  r = w >= 65 ? rem << BigInt(w - 65) : rem >> BigInt(65 - w);
  return [quadrant, sign, r, w];
}

type TrigKind = 0 | 1 | 2 | 3; // sin, cos, sincos, tan

function trig(cpu: Cpu, ins: Instr, kind: TrigKind): void {
  const pushes = kind === 2 || kind === 3;
  if (!prologue(cpu, ins, false, pushes, true)) return;
  const s = cpu.s;
  const a = st(cpu, 0);
  const se = s[a + 2]!, hi = s[a + 1]! >>> 0, lo = s[a]! >>> 0;
  const k = E.unpackA(se, hi, lo);
  if (pushes && !isEmpty(cpu, 7)) {
    // Stack overflow: #IS with C1 = 1; masked: ST(0) := indefinite and the indefinite is pushed.
    X.flags |= SW_IE | 0x40;
    X.up = true;
    setCc(cpu, s[FSW_INDEX]! & (SW_C0 | SW_C3));
    if (!blocked(SW_IE)) {
      E.setIndefinite();
      writeStR(cpu, 0);
      writeSt(cpu, 7, R.se, R.hi, R.lo);
      s[0] = s[0]!;
      setTopPush(cpu);
    }
    finish(cpu);
    return;
  }
  let r0se = 0, r0hi = 0, r0lo = 0; // new ST(0) (sin, cos or tan)
  let p = false; let pse = 0, phi = 0, plo = 0; // value to push (cos for FSINCOS, 1.0 for FPTAN)
  if (k >= E.K_QNAN || k === E.K_INF) {
    X.flags &= ~SW_DE;
    if (k === E.K_INF || k === E.K_UNSUPPORTED) E.invalid(); else E.propagateNaN1(se, hi, lo);
    r0se = R.se; r0hi = R.hi; r0lo = R.lo;
    if (pushes) { p = true; pse = R.se; phi = R.hi; plo = R.lo; }
  } else if (k === E.K_ZERO) {
    if (kind === 1) { E.setResult(0x3fff, 0x80000000, 0); }
    else E.setResult(se, 0, 0);
    r0se = R.se; r0hi = R.hi; r0lo = R.lo;
    if (kind === 2) { r0se = 0x3fff; r0hi = 0x80000000; r0lo = 0; p = true; pse = se; phi = 0; plo = 0; }
    if (kind === 3) { p = true; pse = 0x3fff; phi = 0x80000000; plo = 0; }
  } else {
    const n = toNum(se, hi, lo);
    const red = reduce(n);
    if (red === null) {
      setCc(cpu, SW_C2 | (cpu.s[FSW_INDEX]! & (SW_C0 | SW_C3)));
      X.flags &= ~SW_DE;
      finish(cpu);
      return;
    }
    const [q, rSign, r, w] = red;
    const [sn, cs] = sinCosFixed(r, w);
    // |x| = k pi/2 + r: sin|x| by k mod 4 = sin r, cos r, -sin r, -cos r; cos x = cos r, -sin r,
    // -cos r, sin r; sin r carries the sign of r, and sin x the sign of x.
    const sinVal = (q & 1) === 0 ? sn : cs;
    const cosVal = (q & 1) === 0 ? cs : sn;
    const sinSign = ((q & 1) === 0 ? rSign ^ (q >> 1) : (q >> 1)) ^ n.sign;
    const cosSign = (q & 1) === 0 ? (q >> 1) : rSign ^ (q === 1 ? 1 : 0);
    const denormalFlags = X.flags & SW_DE;
    if (kind === 0 || kind === 2) { roundBig(sinSign, abs(sinVal), -w); }
    const sinR = { se: R.se, hi: R.hi, lo: R.lo };
    if (kind === 1 || kind === 2) {
      X.up = false; // FSINCOS: C1 reports the rounding of the cosine (the value pushed last)
      roundBig(cosSign, abs(cosVal), -w);
    }
    const cosR = { se: R.se, hi: R.hi, lo: R.lo };
    if (kind === 3) {
      // tan = sin / cos
      const W = BigInt(w);
      const num = abs(sinVal) << (W + 8n);
      const t = num / abs(cosVal);
      const exact = t * abs(cosVal) === num;
      roundBig(sinSign ^ cosSign, exact ? t : (t << 1n) | 1n, exact ? -w - 8 : -w - 9);
    }
    void denormalFlags;
    if (kind === 0) { r0se = sinR.se; r0hi = sinR.hi; r0lo = sinR.lo; }
    else if (kind === 1) { r0se = cosR.se; r0hi = cosR.hi; r0lo = cosR.lo; }
    else if (kind === 2) { r0se = cosR.se; r0hi = cosR.hi; r0lo = cosR.lo; p = true; pse = sinR.se; phi = sinR.hi; plo = sinR.lo; }
    else { r0se = R.se; r0hi = R.hi; r0lo = R.lo; p = true; pse = 0x3fff; phi = 0x80000000; plo = 0; }
  }
  setCc(cpu, cpu.s[FSW_INDEX]! & (SW_C0 | SW_C3)); // C2 = 0; C0 and C3 unchanged
  if ((X.flags & SW_IE) !== 0) X.flags &= ~SW_DE;
  if (blocked(SW_DE)) X.flags &= SW_IE | SW_DE;
  if (!blocked(SW_IE | SW_DE)) {
    if (kind === 2) {
      // FSINCOS: ST(0) = sin then push cos: ST(0) = cos, ST(1) = sin.
      writeSt(cpu, 0, pse, phi, plo);
      E.setResult(r0se, r0hi, r0lo);
      pushR(cpu);
    } else {
      writeSt(cpu, 0, r0se, r0hi, r0lo);
      if (p) { E.setResult(pse, phi, plo); pushR(cpu); }
    }
  }
  finish(cpu);
}

function setTopPush(cpu: Cpu): void {
  // Decrement TOP (the value was already written to ST(7), which becomes ST(0)).
  const s = cpu.s;
  const t = ((s[0x0] !== undefined ? 0 : 0) + (((cpu.s as Int32Array)[0] ?? 0) & 0));
  void t; void s;
  const fswTop = (cpu.s[FSW_INDEX]! >> 11) & 7;
  cpu.s[FSW_INDEX] = (cpu.s[FSW_INDEX]! & ~0x3800) | (((fswTop - 1) & 7) << 11);
}
import { I_FSW as FSW_INDEX } from './fpu-layout.js';

function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}

export const fsin = (cpu: Cpu, ins: Instr) => trig(cpu, ins, 0);
export const fcos = (cpu: Cpu, ins: Instr) => trig(cpu, ins, 1);
export const fsincos = (cpu: Cpu, ins: Instr) => trig(cpu, ins, 2);
export const fptan = (cpu: Cpu, ins: Instr) => trig(cpu, ins, 3);

// ------------------------------------------------------------------------------------------------
// F2XM1

export function f2xm1(cpu: Cpu, ins: Instr): void {
  if (!prologue(cpu, ins, false)) return;
  const s = cpu.s;
  const a = st(cpu, 0);
  const se = s[a + 2]!, hi = s[a + 1]! >>> 0, lo = s[a]! >>> 0;
  const k = E.unpackA(se, hi, lo);
  if (k >= E.K_QNAN) {
    X.flags &= ~SW_DE;
    if (k === E.K_UNSUPPORTED) E.invalid(); else E.propagateNaN1(se, hi, lo);
  } else if (k === E.K_ZERO) E.setResult(se, 0, 0);
  else if (k === E.K_INF) {
    if ((se & 0x8000) !== 0) E.setResult(0xbfff, 0x80000000, 0); else E.setResult(se, hi, lo);
  } else {
    const n = toNum(se, hi, lo);
    const e = bitLength(n.m) + n.s;
    const w = WORK - 2 * Math.min(e, 0);
    // t = x ln2 (signed), expm1(t) = sum t^k / k!
    const x = fixed(n, w + 8) * (n.sign ? -1n : 1n);
    const W = BigInt(w);
    const t = (x * ln2At(w + 8)) >> (W + 16n);
    let term = t, sum = t;
    for (let j = 2n; term !== 0n; j++) {
      term = mulW(term, t, W) / j;
      sum += term;
    }
    roundBig(sum < 0n ? 1 : 0, abs(sum), -w);
  }
  finishUnary(cpu);
}

function finishUnary(cpu: Cpu): void {
  if (blocked(SW_DE)) X.flags &= SW_IE | SW_DE;
  if (!blocked(SW_IE | SW_DE)) writeStR(cpu, 0);
  finish(cpu);
}

// ------------------------------------------------------------------------------------------------
// FYL2X, FYL2XP1, FPATAN: ST(1) = f(ST(1), ST(0)), pop.

function binaryPop(cpu: Cpu, ins: Instr, fn: (ySe: number, yHi: number, yLo: number, xSe: number, xHi: number, xLo: number) => void): void {
  if (!prologue(cpu, ins, true)) return;
  const s = cpu.s;
  const a = st(cpu, 0), b = st(cpu, 1);
  fn(s[b + 2]!, s[b + 1]! >>> 0, s[b]! >>> 0, s[a + 2]!, s[a + 1]! >>> 0, s[a]! >>> 0);
  if ((X.flags & SW_IE) !== 0) X.flags &= ~SW_DE;
  if (blocked(SW_DE)) X.flags &= SW_IE | SW_DE;
  if (!blocked(SW_IE | SW_DE | SW_ZE)) {
    writeStR(cpu, 1);
    pop(cpu);
  }
  finish(cpu);
}

/** NaN/unsupported handling for two operands; true when handled. */
function nanPair(ySe: number, yHi: number, yLo: number, xSe: number, xHi: number, xLo: number): boolean {
  const ky = E.classify(ySe, yHi, yLo), kx = E.classify(xSe, xHi, xLo);
  if (ky === E.K_UNSUPPORTED || kx === E.K_UNSUPPORTED) { E.invalid(); return true; }
  if (isNaNKind(ky) || isNaNKind(kx)) { E.add(xSe, xHi, xLo, ySe, yHi, yLo); X.flags &= ~SW_DE; return true; }
  return false;
}

function flagDenormals(se1: number, hi1: number, lo1: number, se2: number, hi2: number, lo2: number): void {
  if (E.isDenormal(se1, hi1, lo1) || E.isDenormal(se2, hi2, lo2)) X.flags |= SW_DE;
}

function fyl2xCore(ySe: number, yHi: number, yLo: number, xSe: number, xHi: number, xLo: number, plusOne: boolean): void {
  if (nanPair(ySe, yHi, yLo, xSe, xHi, xLo)) return;
  flagDenormals(ySe, yHi, yLo, xSe, xHi, xLo);
  const ky = E.classify(ySe, yHi, yLo), kx = E.classify(xSe, xHi, xLo);
  const yNeg = (ySe & 0x8000) !== 0, xNeg = (xSe & 0x8000) !== 0;
  if (plusOne) {
    // log2(1 + x): x = 0 → ±0 with sign of x * y; infinite y with x = 0 → invalid.
    if (kx === E.K_ZERO) {
      if (ky === E.K_INF) { E.invalid(); return; }
      E.setResult((yNeg !== xNeg ? 0x8000 : 0), 0, 0);
      return;
    }
    if (kx === E.K_INF) {
      if (xNeg || ky === E.K_ZERO) { E.invalid(); return; }
      E.setResult((yNeg ? 0x8000 : 0) | 0x7fff, 0x80000000, 0);
      return;
    }
    if (ky === E.K_ZERO) {
      E.setResult(yNeg !== xNeg ? 0x8000 : 0, 0, 0);
      return;
    }
    if (ky === E.K_INF) {
      E.setResult(((yNeg !== xNeg) ? 0x8000 : 0) | 0x7fff, 0x80000000, 0);
      return;
    }
    // Finite non-zero x (range -1 + sqrt(2)/2 .. 1 - sqrt(2)/2 is the documented domain).
    const nx = toNum(xSe, xHi, xLo);
    const ny = toNum(ySe, yHi, yLo);
    const e = bitLength(nx.m) + nx.s;
    if (xNeg && e >= 1) { E.invalid(); return; }
    const w = WORK + 40 - 3 * Math.min(e, 0);
    const ax = fixed(nx, w) * (xNeg ? -1n : 1n);
    if (xNeg && -ax >= (1n << BigInt(w))) { E.invalid(); return; }
    const ln = log1pFixed(ax, w);
    product(ny, ln, w, yNeg);
    return;
  }
  if (xNeg && kx !== E.K_ZERO) { E.invalid(); return; }
  if (kx === E.K_ZERO) {
    if (ky === E.K_ZERO) { E.invalid(); return; }
    if (ky !== E.K_INF) X.flags |= SW_ZE;
    E.setResult((yNeg ? 0 : 0x8000) | 0x7fff, 0x80000000, 0);
    return;
  }
  if (kx === E.K_INF) {
    if (ky === E.K_ZERO) { E.invalid(); return; }
    E.setResult((yNeg ? 0x8000 : 0) | 0x7fff, 0x80000000, 0);
    return;
  }
  // Finite positive x: log2 x = e + log2 m.
  const nx = toNum(xSe, xHi, xLo);
  const len = bitLength(nx.m);
  let ex = len - 1 + nx.s; // x = m * 2^ex, m in [1, 2)
  const w = WORK + 64;
  let mFix = nx.m << BigInt(w - (len - 1)); // m * 2^w
  // Centre m around 1: if m > sqrt(2), use m/2 and ex + 1.
  const sqrt2 = sqrtBig(2n << BigInt(2 * w));
  if (mFix > sqrt2) { mFix >>= 1n; ex += 1; }
  const u = mFix - (1n << BigInt(w)); // m - 1
  const isOne = u === 0n && ex === 0;
  if (ky === E.K_INF) {
    if (isOne) { E.invalid(); return; }
    const neg = yNeg !== (ex < 0 || (ex === 0 && u < 0n));
    E.setResult((neg ? 0x8000 : 0) | 0x7fff, 0x80000000, 0);
    return;
  }
  if (ky === E.K_ZERO) {
    const logNeg = ex < 0 || (ex === 0 && u < 0n);
    E.setResult(isOne ? (yNeg ? 0x8000 : 0) : ((yNeg !== logNeg) ? 0x8000 : 0), 0, 0);
    return;
  }
  if (isOne) { E.setResult(yNeg ? 0x8000 : 0, 0, 0); return; }
  const ny = toNum(ySe, yHi, yLo);
  // Relative precision when x is close to 1: scale by the size of u.
  const extra = ex === 0 ? Math.max(0, w - bitLength(abs(u))) : 0;
  const W2 = w + extra;
  const ln = log1pFixed(u << BigInt(extra), W2); // ln m * 2^W2
  // log2 x = ex + ln m / ln 2, as fixed point with W2 bits.
  const l2 = (ln << BigInt(W2)) / ln2At(W2) + (BigInt(ex) << BigInt(W2));
  product(ny, l2, W2, yNeg, true);
}

/** R = y * v * 2^-w (v signed, already log2 when `isLog2`, else natural log converted). */
function product(ny: Num, v: bigint, w: number, yNeg: boolean, isLog2 = false): void {
  let l2 = v;
  if (!isLog2) l2 = (v << BigInt(w)) / ln2At(w);
  const neg = (l2 < 0n) !== yNeg;
  const mag = abs(l2) * ny.m;
  roundBig(neg ? 1 : 0, mag, ny.s - w);
}

export const fyl2x = (cpu: Cpu, ins: Instr) => binaryPop(cpu, ins, (a, b, c, d, e, f) => fyl2xCore(a, b, c, d, e, f, false));
export const fyl2xp1 = (cpu: Cpu, ins: Instr) => binaryPop(cpu, ins, (a, b, c, d, e, f) => fyl2xCore(a, b, c, d, e, f, true));

/** FPATAN: ST(1) = atan2(ST(1), ST(0)), pop (SDM Vol. 2, FPATAN, Table 3-29). */
function fpatanCore(ySe: number, yHi: number, yLo: number, xSe: number, xHi: number, xLo: number): void {
  if (nanPair(ySe, yHi, yLo, xSe, xHi, xLo)) return;
  flagDenormals(ySe, yHi, yLo, xSe, xHi, xLo);
  const ky = E.classify(ySe, yHi, yLo), kx = E.classify(xSe, xHi, xLo);
  const yNeg = (ySe & 0x8000) !== 0 ? 1 : 0, xNeg = (xSe & 0x8000) !== 0;
  const w = WORK + 8;
  const pi = piAt(w);
  const piFrac = (num: bigint, den: bigint) => roundBig(yNeg, (pi * num) / den, -w);
  if (ky === E.K_ZERO) {
    if (xNeg) piFrac(1n, 1n); else E.setResult(ySe & 0x8000, 0, 0);
    return;
  }
  if (ky === E.K_INF) {
    if (kx === E.K_INF) piFrac(xNeg ? 3n : 1n, 4n);
    else piFrac(1n, 2n);
    return;
  }
  if (kx === E.K_ZERO) { piFrac(1n, 2n); return; }
  if (kx === E.K_INF) {
    if (xNeg) piFrac(1n, 1n); else E.setResult(ySe & 0x8000, 0, 0);
    return;
  }
  const ny = toNum(ySe, yHi, yLo), nx = toNum(xSe, xHi, xLo);
  // q = |y| / |x| exactly as a ratio; atan(q) with relative precision.
  const ey = bitLength(ny.m) + ny.s, ex = bitLength(nx.m) + nx.s;
  const d = ey - ex; // q ~ 2^d
  let angle: bigint, W: number;
  if (d <= 0) {
    // q <= ~2: if q <= 1 use atan(q), else pi/2 - atan(1/q)
    W = w - Math.min(d, 0);
    const qFix = divFix(ny, nx, W);
    if (qFix <= (1n << BigInt(W))) angle = atanFixed(qFix, W);
    else angle = (piAt(W) >> 1n) - atanFixed(divFix(nx, ny, W), W);
  } else {
    W = w;
    const inv = divFix(nx, ny, W); // 1/q < 1
    angle = (piAt(W) >> 1n) - atanFixed(inv, W);
  }
  if (xNeg) angle = piAt(W) - angle;
  roundBig(yNeg, angle, -W);
}

/** |a| / |b| as fixed point with W fractional bits, with a sticky bit folded in. */
function divFix(a: Num, b: Num, W: number): bigint {
  const sh = a.s - b.s + W + 2;
  const num = sh >= 0 ? a.m << BigInt(sh) : a.m;
  const den = sh >= 0 ? b.m : b.m << BigInt(-sh);
  return (num / den) >> 2n;
}

export const fpatan = (cpu: Cpu, ins: Instr) => binaryPop(cpu, ins, fpatanCore);

void C; void SW_UE; void SW_PE;
