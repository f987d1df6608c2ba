/**
 * IEEE 754 binary32/binary64 arithmetic with the MXCSR semantics of SSE (SDM Vol. 1, 4.8-4.9,
 * 10.2.3 and 11.5): all four rounding modes, DAZ, FTZ, tininess detected after rounding, and the
 * six exception flags.
 *
 * JavaScript numbers are binary64 with round-to-nearest. Every operation here first produces its
 * exact result as an unevaluated sum `hi + lo` (error-free transformations on operands scaled into
 * [1, 2), so nothing overflows or underflows on the way) times 2^E, then `roundExact` rounds that
 * exact value once, in the MXCSR rounding mode, to 24 or 53 bits with the format's exponent range.
 * No allocation: results go through module-level variables and small preallocated typed arrays.
 *
 * NaNs never pass through a JavaScript number (V8 may quiet or canonicalise them): operands are
 * classified from their bit patterns and NaN results are written as bits (SDM Vol. 1, Table 4-7:
 * the first source NaN wins, SNaNs are quieted, invalid operations give the default NaN).
 */

// MXCSR bits (SDM Vol. 1, Figure 10-3).
export const IE = 1, DE = 2, ZE = 4, OE = 8, UE = 16, PE = 32;
export const MXCSR_DAZ = 0x40, MXCSR_FTZ = 0x8000;
export const MXCSR_MASKS = 0x1f80;

/** MXCSR in effect for the current instruction (set by `fpBegin`). */
let rc = 0;
let daz = false;
let ftz = false;
let ueMasked = true;
/** Exception flags raised by the current instruction (IE..PE). */
export let flags = 0;

export function fpBegin(mxcsr: number): void {
  rc = (mxcsr >> 13) & 3;
  daz = (mxcsr & MXCSR_DAZ) !== 0;
  ftz = (mxcsr & MXCSR_FTZ) !== 0;
  ueMasked = (mxcsr & (UE << 7)) !== 0;
  flags = 0;
}

/** Override the rounding mode for the current instruction (ROUNDPS imm8, CVTT*). */
export function setRounding(mode: number): void {
  rc = mode & 3;
}

export function getRounding(): number {
  return rc;
}

export function raiseFlags(f: number): void {
  flags |= f;
}

export function clearFlags(): void {
  flags = 0;
}

// ---------------------------------------------------------------------------------------------
// Bit conversions

const cbuf = new ArrayBuffer(8);
const cf64 = new Float64Array(cbuf);
const cf32 = new Float32Array(cbuf);
const ci32 = new Int32Array(cbuf);

export function f32FromBits(bits: number): number {
  ci32[0] = bits;
  return cf32[0]!;
}

export function f32ToBits(value: number): number {
  cf32[0] = value;
  return ci32[0]!;
}

export function f64FromBits(lo: number, hi: number): number {
  ci32[0] = lo;
  ci32[1] = hi;
  return cf64[0]!;
}

/** Result halves of the last f64 operation. */
export let outLo = 0;
export let outHi = 0;

export function f64ToBits(value: number): void {
  cf64[0] = value;
  outLo = ci32[0]!;
  outHi = ci32[1]!;
}

function setOut(lo: number, hi: number): void {
  outLo = lo;
  outHi = hi;
}

// ---------------------------------------------------------------------------------------------
// Powers of two, exponents, normalisation

const POW2 = new Float64Array(2200);
for (let k = -1074; k <= 1023; k++) POW2[k + 1100] = 2 ** k;

/** 2^k for any integer k (products of table entries outside the double range). */
export function pow2(k: number): number {
  if (k > 1023) return POW2[1023 + 1100]! * POW2[k - 1023 + 1100]!;
  if (k < -1074) return 0;
  return POW2[k + 1100]!;
}

/** x * 2^k computed exactly when the result is representable (two steps for large k). */
export function scaleBy(x: number, k: number): number {
  if (k > 1000) return x * POW2[1000 + 1100]! * pow2(k - 1000);
  if (k < -1000) return x * POW2[-1000 + 1100]! * pow2(k + 1000);
  return x * POW2[k + 1100]!;
}

/** Unbiased binary exponent of a finite non-zero double (subnormals included). */
export function expOf(x: number): number {
  cf64[0] = x;
  const e = (ci32[1]! >>> 20) & 0x7ff;
  if (e !== 0) return e - 1023;
  cf64[0] = x * 18446744073709551616; // 2^64
  return ((ci32[1]! >>> 20) & 0x7ff) - 1023 - 64;
}

// ---------------------------------------------------------------------------------------------
// Error-free transformations (Knuth TwoSum, Dekker/Veltkamp TwoProduct)

let efLo = 0;
const SPLIT = 134217729; // 2^27 + 1

function twoSum(a: number, b: number): number {
  const s = a + b;
  const bb = s - a;
  efLo = (a - (s - bb)) + (b - bb);
  return s;
}

/** a*b = result + efLo exactly, for |a|,|b| in [1, 4). */
function twoProd(a: number, b: number): number {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a), al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b), bl = b - bh;
  efLo = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
  return p;
}

// ---------------------------------------------------------------------------------------------
// Rounding of an exact value hi + lo (times 2^E) to a format

/** Sign of (exact − rounded) after `roundQ`. */
let dir = 0;
const C52 = 4503599627370496; // 2^52

/** Round hi + lo to a multiple of the power of two q, to nearest even; sets `dir`. */
function roundQ(hi: number, lo: number, q: number): number {
  const n = hi / q;
  if (n >= C52 || n <= -C52) {
    dir = lo > 0 ? 1 : lo < 0 ? -1 : 0;
    return hi;
  }
  const rn = n >= 0 ? (n + C52) - C52 : -((-n + C52) - C52);
  const diff = n - rn;
  let r = rn;
  if (diff === 0) dir = lo > 0 ? 1 : lo < 0 ? -1 : 0;
  else if ((diff === 0.5 || diff === -0.5) && lo !== 0) {
    const sd = diff > 0 ? 1 : -1;
    if ((lo > 0 ? 1 : -1) === sd) { r = rn + sd; dir = -sd; } else dir = sd;
  } else dir = diff > 0 ? 1 : -1;
  return r * q;
}

/** Apply the directed rounding modes to a round-to-nearest result r with quantum q. */
function directed(r: number, q: number): number {
  if (dir === 0) return r;
  // The exact value lies between r and r + dir*q.
  switch (rc) {
    case 1: return dir < 0 ? r - q : r; // toward −∞
    case 2: return dir > 0 ? r + q : r; // toward +∞
    case 3: return (dir < 0 && r > 0) ? r - q : (dir > 0 && r < 0) ? r + q : r; // toward 0
    default: return r;
  }
}

/** Format parameters: precision, minimum normal exponent, maximum exponent. */
export const F32 = 0, F64 = 1;
const PREC = [24, 53], EMIN = [-126, -1022], EMAX = [127, 1023];
const MAXF = [3.4028234663852886e38, Number.MAX_VALUE];

function overflowResult(negative: boolean, fmt: number): number {
  const max = MAXF[fmt]!;
  switch (rc) {
    case 0: return negative ? -Infinity : Infinity;
    case 1: return negative ? -Infinity : max;
    case 2: return negative ? -max : Infinity;
    default: return negative ? -max : max;
  }
}

/**
 * Round the exact value (hi + lo) * 2^E, hi ≠ 0 finite and |lo| < ulp(hi)/2, to format `fmt` in
 * the current rounding mode. Returns the result as a double (±Infinity on overflow) and raises
 * PE/UE/OE. Tininess is detected after rounding (SDM Vol. 1, 4.9.1.5).
 */
export function roundExact(hi: number, lo: number, E: number, fmt: number): number {
  // Normalise hi into [1, 2) (lo scaled alike; a vanishing lo keeps its sign as a sticky bit).
  const eh = expOf(hi);
  const f = pow2(-eh);
  let m: number, l: number;
  if (eh > 1000 || eh < -1000) { m = scaleBy(hi, -eh); l = scaleBy(lo, -eh); } else { m = hi * f; l = lo * f; }
  if (l === 0 && lo !== 0) l = lo > 0 ? 5e-324 : -5e-324;
  let e = E + eh;
  const p = PREC[fmt]!;
  const negative = m < 0;
  let q = POW2[1 - p + 1100]!;
  if ((m === 1 || m === -1) && l !== 0 && (l < 0) !== negative) {
    // The exact value lies just below |hi|: its binade is one lower.
    m *= 2; l *= 2; e -= 1;
  }
  let r = roundQ(m, l, q);
  const inexact = dir !== 0;
  r = directed(r, q);
  // Exponent of the unbounded-range result (r in [1, 2], or 2 after rounding up).
  const er = (r >= 2 || r <= -2) ? e + 1 : e;
  if (er > EMAX[fmt]!) {
    flags |= OE | PE;
    return overflowResult(negative, fmt);
  }
  if (er >= EMIN[fmt]!) {
    if (inexact) flags |= PE;
    return scaleBy(r, e);
  }
  // Tiny: flush (FTZ with underflow masked) or round to the subnormal quantum.
  if (ftz && ueMasked) {
    flags |= UE | PE;
    return negative ? -0 : 0;
  }
  q = pow2(EMIN[fmt]! - p + 1 - e);
  r = roundQ(m, l, q);
  r = directed(r, q);
  if (dir !== 0) flags |= UE | PE;
  else if (!ueMasked) flags |= UE;
  if (r === 0) return negative ? -0 : 0;
  return scaleBy(r, e);
}

// ---------------------------------------------------------------------------------------------
// Exact operations on finite values: results in eHi/eLo/eE

let eHi = 0, eLo = 0, eE = 0;

function exactAdd(a: number, b: number): void {
  const big = Math.max(Math.abs(a), Math.abs(b));
  if (big >= 1e300) {
    let sa = a * 0.25, sb = b * 0.25;
    if (sa === 0 && a !== 0) sa = a > 0 ? 5e-324 : -5e-324;
    if (sb === 0 && b !== 0) sb = b > 0 ? 5e-324 : -5e-324;
    eHi = twoSum(sa, sb); eLo = efLo; eE = 2;
    return;
  }
  eHi = twoSum(a, b); eLo = efLo; eE = 0;
}

function exactMul(a: number, b: number): void {
  const ea = expOf(a), eb = expOf(b);
  const ma = scaleBy(a, -ea), mb = scaleBy(b, -eb);
  eHi = twoProd(ma, mb); eLo = efLo; eE = ea + eb;
}

function exactDiv(a: number, b: number): void {
  const ea = expOf(a), eb = expOf(b);
  const ma = scaleBy(a, -ea), mb = scaleBy(b, -eb);
  const q = ma / mb;
  const ph = twoProd(q, mb), pl = efLo;
  const rem = (ma - ph) - pl;
  eHi = q; eLo = rem / mb; eE = ea - eb;
}

function exactSqrt(a: number): void {
  let ea = expOf(a);
  if ((ea & 1) !== 0) ea -= 1;
  const m = scaleBy(a, -ea); // [1, 4)
  const s = Math.sqrt(m);
  const ph = twoProd(s, s), pl = efLo;
  const rem = (m - ph) - pl;
  eHi = s; eLo = rem / (2 * s); eE = ea / 2;
}

// ---------------------------------------------------------------------------------------------
// Operand classification

/** Classes: 0 finite (value in `cVal`), 1 infinity, 2 QNaN, 3 SNaN. */
let cVal = 0;

/** Classify binary32 bits; denormals count DE or become zero with DAZ (when `denormals`). */
function class32(bits: number, denormals: boolean): number {
  const exp = (bits >>> 23) & 0xff;
  if (exp === 0xff) {
    if ((bits & 0x7fffff) === 0) { cVal = bits < 0 ? -Infinity : Infinity; return 1; }
    return (bits & 0x400000) !== 0 ? 2 : 3;
  }
  if (exp === 0 && (bits & 0x7fffff) !== 0 && denormals) {
    if (daz) { cVal = bits < 0 ? -0 : 0; return 0; }
    flags |= DE;
  }
  cVal = f32FromBits(bits);
  return 0;
}

function class64(lo: number, hi: number, denormals: boolean): number {
  const exp = (hi >>> 20) & 0x7ff;
  if (exp === 0x7ff) {
    if ((hi & 0xfffff) === 0 && lo === 0) { cVal = hi < 0 ? -Infinity : Infinity; return 1; }
    return (hi & 0x80000) !== 0 ? 2 : 3;
  }
  if (exp === 0 && ((hi & 0xfffff) !== 0 || lo !== 0) && denormals) {
    if (daz) { cVal = hi < 0 ? -0 : 0; return 0; }
    flags |= DE;
  }
  cVal = f64FromBits(lo, hi);
  return 0;
}

export const DEFAULT_NAN32 = 0xffc00000 | 0;
export const DEFAULT_NAN64_HI = 0xfff80000 | 0;

/** Whether bits are a NaN / an SNaN. */
export function isNan32(bits: number): boolean {
  return (bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0;
}
export function isSnan32(bits: number): boolean {
  return isNan32(bits) && (bits & 0x400000) === 0;
}
export function isNan64(lo: number, hi: number): boolean {
  return (hi & 0x7ff00000) === 0x7ff00000 && ((hi & 0xfffff) !== 0 || lo !== 0);
}
export function isSnan64(lo: number, hi: number): boolean {
  return isNan64(lo, hi) && (hi & 0x80000) === 0;
}

// ---------------------------------------------------------------------------------------------
// Binary32 operations (bits in, bits out)

export const OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_DIV = 3;

/** NaN operand rule for two sources: the first NaN, quieted; IE if any is signalling. */
function nan32(a: number, ca: number, b: number, cb: number): number {
  if (ca === 3 || cb === 3) flags |= IE;
  return (ca >= 2 ? a : b) | 0x400000;
}

/** Finish a finite non-NaN result: round exact eHi/eLo/eE, or keep an exact zero. */
function finish32(): number {
  if (eHi === 0) return f32ToBits(eHi); // exact zero (sign chosen by the caller)
  return f32ToBits(roundExact(eHi, eLo, eE, F32));
}

export function arith32(op: number, a: number, b: number): number {
  const ca = class32(a, false), va = cVal;
  const cb = class32(b, false), vb = cVal;
  if (ca >= 2 || cb >= 2) return nan32(a, ca, b, cb);
  // Denormal operands: counted (or zeroed) only for non-NaN operands.
  let x = va, y = vb;
  // x / 0 reports ZE only: a denormal dividend is not reported (measured on the oracle CPU).
  const divZero = op === OP_DIV && (b & 0x7fffffff) === 0;
  if (ca === 0 && (a & 0x7f800000) === 0 && (a & 0x7fffff) !== 0) { if (daz) x = a < 0 ? -0 : 0; else if (!divZero) flags |= DE; }
  if (cb === 0 && (b & 0x7f800000) === 0 && (b & 0x7fffff) !== 0) { if (daz) y = b < 0 ? -0 : 0; else flags |= DE; }
  const r = arithValue(op, x, ca, y, cb, F32);
  if (r === NAN_RESULT) return DEFAULT_NAN32;
  if (r === ROUND_RESULT) return finish32();
  return f32ToBits(specialValue);
}

const NAN_RESULT = 1, ROUND_RESULT = 2, VALUE_RESULT = 3;
let specialValue = 0;

/** Shared special-case logic; finite non-trivial results are left in eHi/eLo/eE. */
function arithValue(op: number, x: number, cx: number, y: number, cy: number, fmt: number): number {
  if (op === OP_SUB) { y = -y; op = OP_ADD; }
  switch (op) {
    case OP_ADD:
      if (cx === 1 || cy === 1) {
        if (cx === 1 && cy === 1 && x !== y) { flags |= IE; return NAN_RESULT; }
        specialValue = cx === 1 ? x : y;
        return VALUE_RESULT;
      }
      if (x === 0 && y === 0) {
        const nx = Object.is(x, -0), ny = Object.is(y, -0);
        specialValue = nx && ny ? -0 : nx !== ny && rc === 1 ? -0 : 0;
        return VALUE_RESULT;
      }
      if (x === 0 || y === 0) { eHi = x === 0 ? y : x; eLo = 0; eE = 0; return ROUND_RESULT; }
      exactAdd(x, y);
      if (eHi === 0) { specialValue = rc === 1 ? -0 : 0; return VALUE_RESULT; }
      return ROUND_RESULT;
    case OP_MUL: {
      const neg = (x < 0 || Object.is(x, -0)) !== (y < 0 || Object.is(y, -0));
      if (cx === 1 || cy === 1) {
        if (x === 0 || y === 0) { flags |= IE; return NAN_RESULT; }
        specialValue = neg ? -Infinity : Infinity;
        return VALUE_RESULT;
      }
      if (x === 0 || y === 0) { specialValue = neg ? -0 : 0; return VALUE_RESULT; }
      exactMul(x, y);
      return ROUND_RESULT;
    }
    default: { // OP_DIV
      const neg = (x < 0 || Object.is(x, -0)) !== (y < 0 || Object.is(y, -0));
      if (cx === 1) {
        if (cy === 1) { flags |= IE; return NAN_RESULT; }
        specialValue = neg ? -Infinity : Infinity;
        return VALUE_RESULT;
      }
      if (cy === 1) { specialValue = neg ? -0 : 0; return VALUE_RESULT; }
      if (y === 0) {
        if (x === 0) { flags |= IE; return NAN_RESULT; }
        flags |= ZE;
        specialValue = neg ? -Infinity : Infinity;
        return VALUE_RESULT;
      }
      if (x === 0) { specialValue = neg ? -0 : 0; return VALUE_RESULT; }
      exactDiv(x, y);
      void fmt;
      return ROUND_RESULT;
    }
  }
}

/** Whether bits (f32) are a denormal. */
function denormal32(bits: number): boolean {
  return (bits & 0x7f800000) === 0 && (bits & 0x7fffff) !== 0;
}
function denormal64(lo: number, hi: number): boolean {
  return (hi & 0x7ff00000) === 0 && ((hi & 0xfffff) !== 0 || lo !== 0);
}

/** Read a non-NaN f32 operand with DAZ/DE applied. */
function value32(bits: number): number {
  if (denormal32(bits)) {
    if (daz) return bits < 0 ? -0 : 0;
    flags |= DE;
  }
  return f32FromBits(bits);
}

function value64(lo: number, hi: number): number {
  if (denormal64(lo, hi)) {
    if (daz) return hi < 0 ? -0 : 0;
    flags |= DE;
  }
  return f64FromBits(lo, hi);
}

export function sqrt32(a: number): number {
  const ca = class32(a, false);
  if (ca >= 2) { if (ca === 3) flags |= IE; return a | 0x400000; }
  // A negative operand (denormals included, unless DAZ makes them zero) is invalid before DE.
  if (a < 0 && (a & 0x7fffffff) !== 0 && !(daz && denormal32(a))) { flags |= IE; return DEFAULT_NAN32; }
  const x = ca === 1 ? cVal : value32(a);
  if (x === 0) return f32ToBits(x);
  if (ca === 1) return a;
  exactSqrt(x);
  return finish32();
}

// ---------------------------------------------------------------------------------------------
// Binary64 operations (halves in, halves out through outLo/outHi)

function nan64(alo: number, ahi: number, ca: number, blo: number, bhi: number, cb: number): void {
  if (ca === 3 || cb === 3) flags |= IE;
  if (ca >= 2) setOut(alo, ahi | 0x80000);
  else setOut(blo, bhi | 0x80000);
}

function finish64(): void {
  if (eHi === 0) { f64ToBits(eHi); return; }
  f64ToBits(roundExact(eHi, eLo, eE, F64));
}

export function arith64(op: number, alo: number, ahi: number, blo: number, bhi: number): void {
  const ca = class64(alo, ahi, false), va = cVal;
  const cb = class64(blo, bhi, false), vb = cVal;
  if (ca >= 2 || cb >= 2) { nan64(alo, ahi, ca, blo, bhi, cb); return; }
  let x = va, y = vb;
  const divZero = op === OP_DIV && (bhi & 0x7fffffff) === 0 && blo === 0;
  if (ca === 0 && denormal64(alo, ahi)) { if (daz) x = ahi < 0 ? -0 : 0; else if (!divZero) flags |= DE; }
  if (cb === 0 && denormal64(blo, bhi)) { if (daz) y = bhi < 0 ? -0 : 0; else flags |= DE; }
  const r = arithValue(op, x, ca, y, cb, F64);
  if (r === NAN_RESULT) setOut(0, DEFAULT_NAN64_HI);
  else if (r === ROUND_RESULT) finish64();
  else f64ToBits(specialValue);
}

export function sqrt64(lo: number, hi: number): void {
  const ca = class64(lo, hi, false);
  if (ca >= 2) { if (ca === 3) flags |= IE; setOut(lo, hi | 0x80000); return; }
  if (hi < 0 && ((hi & 0x7fffffff) !== 0 || lo !== 0) && !(daz && denormal64(lo, hi))) { flags |= IE; setOut(0, DEFAULT_NAN64_HI); return; }
  const x = ca === 1 ? cVal : value64(lo, hi);
  if (x === 0) { f64ToBits(x); return; }
  if (ca === 1) { setOut(lo, hi); return; }
  exactSqrt(x);
  finish64();
}

// ---------------------------------------------------------------------------------------------
// MIN/MAX (SDM Vol. 2, MINPS/MAXPS): any NaN or two zeros → the second operand; IE on any NaN.

export function minmax32(a: number, b: number, max: boolean): number {
  const ca = class32(a, false), cb = class32(b, false);
  if (ca >= 2 || cb >= 2) { flags |= IE; return daz && denormal32(b) ? b & 0x80000000 : b; }
  const x = ca === 1 ? f32FromBits(a) : value32(a);
  const y = cb === 1 ? f32FromBits(b) : value32(b);
  if (max ? x > y : x < y) return denormal32(a) && daz ? a & 0x80000000 : a;
  return denormal32(b) && daz ? b & 0x80000000 : b;
}

export function minmax64(alo: number, ahi: number, blo: number, bhi: number, max: boolean): void {
  const ca = class64(alo, ahi, false), cb = class64(blo, bhi, false);
  if (ca >= 2 || cb >= 2) { flags |= IE; if (daz && denormal64(blo, bhi)) setOut(0, bhi & 0x80000000); else setOut(blo, bhi); return; }
  const x = ca === 1 ? f64FromBits(alo, ahi) : value64(alo, ahi);
  const y = cb === 1 ? f64FromBits(blo, bhi) : value64(blo, bhi);
  if (max ? x > y : x < y) {
    if (denormal64(alo, ahi) && daz) setOut(0, ahi & 0x80000000); else setOut(alo, ahi);
  } else if (denormal64(blo, bhi) && daz) setOut(0, bhi & 0x80000000);
  else setOut(blo, bhi);
}

// ---------------------------------------------------------------------------------------------
// Compares

/**
 * Compare two values: returns 0 less, 1 equal, 2 greater, 3 unordered. `signalQnan`: a QNaN
 * operand raises IE too (COMIS*, the LT/LE/NLT/NLE predicates); an SNaN always does.
 */
export function compare32(a: number, b: number, signalQnan: boolean): number {
  const ca = class32(a, false), cb = class32(b, false);
  if (ca >= 2 || cb >= 2) {
    if (ca === 3 || cb === 3 || signalQnan) flags |= IE;
    return 3;
  }
  const x = ca === 1 ? f32FromBits(a) : value32(a);
  const y = cb === 1 ? f32FromBits(b) : value32(b);
  return x < y ? 0 : x === y ? 1 : 2;
}

export function compare64(alo: number, ahi: number, blo: number, bhi: number, signalQnan: boolean): number {
  const ca = class64(alo, ahi, false), cb = class64(blo, bhi, false);
  if (ca >= 2 || cb >= 2) {
    if (ca === 3 || cb === 3 || signalQnan) flags |= IE;
    return 3;
  }
  const x = ca === 1 ? f64FromBits(alo, ahi) : value64(alo, ahi);
  const y = cb === 1 ? f64FromBits(blo, bhi) : value64(blo, bhi);
  return x < y ? 0 : x === y ? 1 : 2;
}

/**
 * CMPPS/CMPSS predicates 0..7 (SDM Vol. 2, Table 3-1): EQ LT LE UNORD NEQ NLT NLE ORD. Returns
 * true when the predicate holds. LT/LE/NLT/NLE signal on QNaN.
 */
export function predicate(rel: number, imm: number): boolean {
  switch (imm & 7) {
    case 0: return rel === 1;
    case 1: return rel === 0;
    case 2: return rel === 0 || rel === 1;
    case 3: return rel === 3;
    case 4: return rel !== 1;
    case 5: return rel !== 0;
    case 6: return rel !== 0 && rel !== 1;
    default: return rel !== 3;
  }
}

export function predicateSignals(imm: number): boolean {
  const p = imm & 3;
  return p === 1 || p === 2;
}

// ---------------------------------------------------------------------------------------------
// Conversions

/** f32 → f64 (CVTSS2SD/CVTPS2PD): exact; SNaN quieted with IE; DE on denormals. */
export function cvt32to64(a: number): void {
  const ca = class32(a, false);
  if (ca >= 2) {
    if (ca === 3) flags |= IE;
    // The payload moves to the top of the f64 fraction.
    setOut((a & 0x7) << 29, (a & 0x80000000) | 0x7ff80000 | ((a >>> 3) & 0x7ffff));
    return;
  }
  f64ToBits(ca === 1 ? cVal : value32(a));
}

/** f64 → f32 (CVTSD2SS/CVTPD2PS): rounded per MXCSR. */
export function cvt64to32(lo: number, hi: number): number {
  const ca = class64(lo, hi, false);
  if (ca >= 2) {
    if (ca === 3) flags |= IE;
    return (hi & 0x80000000) | 0x7fc00000 | ((hi & 0x7ffff) << 3) | (lo >>> 29);
  }
  const x = ca === 1 ? cVal : value64(lo, hi);
  if (x === 0 || ca === 1) return f32ToBits(x);
  return f32ToBits(roundExact(x, 0, 0, F32));
}

/** Signed integer (as a double, or hi*2^32 + lo unsigned-low) → float. */
export function intToFloat32(lo: number, hi: number): number {
  const h = hi * 4294967296, l = lo >>> 0;
  const s = twoSum(h, l);
  if (s === 0) return 0;
  return f32ToBits(roundExact(s, efLo, 0, F32));
}

export function intToFloat64(lo: number, hi: number): void {
  const h = hi * 4294967296, l = lo >>> 0;
  const s = twoSum(h, l);
  if (s === 0) { setOut(0, 0); return; }
  f64ToBits(roundExact(s, efLo, 0, F64));
}

/** Round a finite double to an integer in the current rounding mode (sets `dir`). */
function roundToInteger(x: number): number {
  if (x >= C52 || x <= -C52) { dir = 0; return x; }
  let r = roundQ(x, 0, 1);
  r = directed(r, 1);
  return r;
}

/**
 * Float → signed integer of `bits` 32 or 64 (CVT*2SI/DQ/PI; truncating with `truncate`). NaN,
 * infinity or out of range → the integer indefinite (0x80000000 / 0x8000000000000000) with IE.
 * Result halves in outLo/outHi.
 */
export function floatToInt(x: number, isNan: boolean, bits: number, truncate: boolean): void {
  if (isNan || x === Infinity || x === -Infinity) { flags |= IE; indefinite(bits); return; }
  let r: number;
  let inexact: boolean;
  if (truncate) { r = Math.trunc(x); inexact = r !== x; } else { r = roundToInteger(x); inexact = dir !== 0; }
  if (r === 0) { setOut(0, 0); if (inexact) flags |= PE; return; }
  const limit = bits === 32 ? 2147483648 : 9223372036854775808;
  if (r >= limit || r < -limit) { flags |= IE; indefinite(bits); return; }
  if (inexact) flags |= PE;
  if (bits === 32) { setOut(r | 0, r < 0 ? -1 : 0); return; }
  const h = Math.floor(r / 4294967296);
  setOut((r - h * 4294967296) | 0, h | 0);
}

function indefinite(bits: number): void {
  if (bits === 32) setOut(0x80000000 | 0, 0);
  else setOut(0, 0x80000000 | 0);
}

/** Value of f32 bits for conversion to integer (DAZ applies; no DE: SDM lists only IE/PE). */
export function f32ForInt(bits: number): number {
  if (denormal32(bits) && daz) return bits < 0 ? -0 : 0;
  return f32FromBits(bits);
}

export function f64ForInt(lo: number, hi: number): number {
  if (denormal64(lo, hi) && daz) return hi < 0 ? -0 : 0;
  return f64FromBits(lo, hi);
}

/**
 * ROUNDPS/ROUNDSS (SSE4.1): round to an integral value in format; `mode` 0-3 or the MXCSR mode,
 * `suppressPe`: imm8 bit 3. SNaN → QNaN with IE; DAZ applies; no DE (SDM Vol. 2, ROUNDPS).
 */
export function round32(a: number, suppressPe: boolean): number {
  const ca = class32(a, false);
  if (ca >= 2) { if (ca === 3) flags |= IE; return a | 0x400000; }
  if (ca === 1) return a;
  const x = f32ForInt(a);
  const r = roundToInteger(x);
  if (dir !== 0 && !suppressPe) flags |= PE;
  return f32ToBits(r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r);
}

export function round64(lo: number, hi: number, suppressPe: boolean): void {
  const ca = class64(lo, hi, false);
  if (ca >= 2) { if (ca === 3) flags |= IE; setOut(lo, hi | 0x80000); return; }
  if (ca === 1) { setOut(lo, hi); return; }
  const x = f64ForInt(lo, hi);
  const r = roundToInteger(x);
  if (dir !== 0 && !suppressPe) flags |= PE;
  f64ToBits(r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r);
}
