/**
 * A small softfloat for the x87 double-extended format (SDM Vol. 1, 4.2.2 and 8.2): 1 sign bit,
 * 15-bit exponent (bias 16383), 64-bit significand with an explicit integer bit (J).
 *
 * Values travel as three numbers: `se` (sign << 15 | exponent), `hi` and `lo` (significand bits
 * 63..32 and 31..0, unsigned). Nothing here allocates: operations read their operands from
 * arguments, write the result into the preallocated `R` and accumulate exception bits (SW_IE,
 * SW_DE, ... as in the status word) and the C1 "rounded up" indication into `X`.
 *
 * The rounding algorithm follows Berkeley SoftFloat 3 `roundPackToExtF80` (the model QEMU and
 * Bochs use for the x87) with the x87 specifics: precision control (24/53/64-bit significand with
 * the full 15-bit exponent range), C1 set when the magnitude was rounded up, and the unmasked
 * overflow/underflow responses (exponent biased by -/+24576, SDM Vol. 1, 8.5.4/8.5.5).
 *
 * Operand classes follow SDM Vol. 1, 8.2.2 (Table 8-3): pseudo-NaN, pseudo-infinity and unnormals
 * are unsupported formats (#IA); denormals and pseudo-denormals are normalized and raise #D.
 */
import { SW_DE, SW_IE, SW_OE, SW_PE, SW_UE, SW_ZE } from './fpu-layout.js';

export const BIAS = 16383;
const TWO32 = 4294967296;

/** Rounding control (FCW.RC): nearest, down (-inf), up (+inf), toward zero. */
export const RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3;

/** Per-instruction configuration, copied from FCW before an operation. */
export const C = {
  rc: RC_NEAREST,
  /** Significand bits: 24, 53 or 64 (FCW.PC 0, 2, 3; PC = 1 is reserved and acts as 64 here). */
  pc: 64,
  /** Unmasked exception bits (SW_* bits whose FCW mask bit is clear). */
  unmasked: 0,
};

/** Result of the last operation. */
export const R = { se: 0, hi: 0, lo: 0 };

/** Accumulated exception bits of the current instruction, and whether the result was rounded up. */
export const X = { flags: 0, up: false };

export function resetFlags(): void {
  X.flags = 0;
  X.up = false;
}

/** Operand classes. */
export const K_ZERO = 0, K_NORMAL = 1, K_INF = 2, K_QNAN = 3, K_SNAN = 4, K_UNSUPPORTED = 5;

/** Unpacked operands: sign, unbounded biased exponent, significand normalized to bit 63. */
let aSign = 0, aExp = 0, aHi = 0, aLo = 0, aKind = 0;
let bSign = 0, bExp = 0, bHi = 0, bLo = 0, bKind = 0;
/** Scratch 96-bit value (hi, lo, ext) for shifts. */
let tHi = 0, tLo = 0, tExt = 0;

/** Classify a packed value (no flags). */
export function classify(se: number, hi: number, lo: number): number {
  const exp = se & 0x7fff;
  const j = hi >>> 31;
  if (exp === 0x7fff) {
    if (j === 0) return K_UNSUPPORTED;
    if ((hi & 0x7fffffff) === 0 && lo === 0) return K_INF;
    return (hi & 0x40000000) !== 0 ? K_QNAN : K_SNAN;
  }
  if (exp === 0) return hi === 0 && lo === 0 ? K_ZERO : K_NORMAL;
  return j === 0 ? K_UNSUPPORTED : K_NORMAL;
}

/** True for denormals and pseudo-denormals (exponent 0, non-zero significand). */
export function isDenormal(se: number, hi: number, lo: number): boolean {
  return (se & 0x7fff) === 0 && (hi !== 0 || lo !== 0);
}

function clz32x2(hi: number, lo: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

/** Unpack into the A slot; denormals set DE and are normalized. Returns the class. */
export function unpackA(se: number, hi: number, lo: number): number {
  hi >>>= 0; lo >>>= 0;
  aSign = se >>> 15 & 1;
  aKind = classify(se, hi, lo);
  aExp = se & 0x7fff;
  aHi = hi; aLo = lo;
  if (aKind === K_NORMAL && aExp === 0) {
    X.flags |= SW_DE;
    aExp = 1;
    const n = clz32x2(hi, lo);
    normalizeA(n);
  }
  return aKind;
}

function normalizeA(n: number): void {
  if (n === 0) return;
  if (n >= 32) { aHi = (aLo << (n - 32)) >>> 0; aLo = 0; }
  else { aHi = ((aHi << n) | (aLo >>> (32 - n))) >>> 0; aLo = (aLo << n) >>> 0; }
  aExp -= n;
}

export function unpackB(se: number, hi: number, lo: number): number {
  hi >>>= 0; lo >>>= 0;
  bSign = se >>> 15 & 1;
  bKind = classify(se, hi, lo);
  bExp = se & 0x7fff;
  bHi = hi; bLo = lo;
  if (bKind === K_NORMAL && bExp === 0) {
    X.flags |= SW_DE;
    bExp = 1;
    const n = clz32x2(hi, lo);
    if (n >= 32) { bHi = (bLo << (n - 32)) >>> 0; bLo = 0; }
    else if (n > 0) { bHi = ((bHi << n) | (bLo >>> (32 - n))) >>> 0; bLo = (bLo << n) >>> 0; }
    bExp -= n;
  }
  return bKind;
}

/** Accessors for code that works on unpacked values (transcendentals, conversions). */
export function unpackedA(): { sign: number; exp: number; hi: number; lo: number } {
  UA.sign = aSign; UA.exp = aExp; UA.hi = aHi; UA.lo = aLo;
  return UA;
}
const UA = { sign: 0, exp: 0, hi: 0, lo: 0 };
export function unpackedB(): { sign: number; exp: number; hi: number; lo: number } {
  UB.sign = bSign; UB.exp = bExp; UB.hi = bHi; UB.lo = bLo;
  return UB;
}
const UB = { sign: 0, exp: 0, hi: 0, lo: 0 };

export function setResult(se: number, hi: number, lo: number): void {
  R.se = se; R.hi = hi >>> 0; R.lo = lo >>> 0;
}

/** The default NaN ("real indefinite", SDM Vol. 1, Table 4-3). */
export function setIndefinite(): void {
  setResult(0xffff, 0xc0000000, 0);
}

/** Invalid operation with the masked response (indefinite). */
export function invalid(): void {
  X.flags |= SW_IE;
  setIndefinite();
}

/**
 * NaN propagation for two operands (SDM Vol. 1, Table 4-7): an SNaN raises #IA and is quieted;
 * a QNaN operand is preferred over an SNaN; two NaNs of the same kind give the larger significand.
 * Call when at least one of A, B is a NaN (classes from the last unpackA/unpackB).
 */
function propagateNaN2(seA: number, hiA: number, loA: number, seB: number, hiB: number, loB: number): void {
  const sigA = aKind === K_SNAN, sigB = bKind === K_SNAN;
  const nanA = aKind === K_SNAN || aKind === K_QNAN, nanB = bKind === K_SNAN || bKind === K_QNAN;
  if (sigA || sigB) X.flags |= SW_IE;
  let pickA: boolean;
  if (nanA && nanB) {
    if (sigA !== sigB) pickA = !sigA;
    else {
      const ha = (hiA | 0x40000000) >>> 0, hb = (hiB | 0x40000000) >>> 0;
      if (ha !== hb) pickA = ha > hb;
      else if (loA >>> 0 !== loB >>> 0) pickA = loA >>> 0 > loB >>> 0;
      else pickA = (seA & 0x8000) === 0 || (seB & 0x8000) !== 0;
    }
  } else pickA = nanA;
  if (pickA) setResult(seA, (hiA | 0x40000000) >>> 0, loA);
  else setResult(seB, (hiB | 0x40000000) >>> 0, loB);
}

/** Quiet an SNaN operand (raising #IA) or return a QNaN unchanged. */
export function propagateNaN1(se: number, hi: number, lo: number): void {
  if ((hi & 0x40000000) === 0) X.flags |= SW_IE;
  setResult(se, (hi | 0x40000000) >>> 0, lo);
}

// ------------------------------------------------------------------------------------------------
// 96-bit shifts on the scratch (tHi, tLo, tExt)

/** Shift (hi, lo, ext) right by n (>= 0), OR-ing lost bits into bit 0 of ext ("jamming"). */
function shiftRightJam(hi: number, lo: number, ext: number, n: number): void {
  if (n === 0) { tHi = hi; tLo = lo; tExt = ext; return; }
  if (n >= 96) {
    tHi = 0; tLo = 0; tExt = (hi | lo | ext) !== 0 ? 1 : 0;
    return;
  }
  let sticky = 0;
  while (n >= 32) {
    sticky |= ext;
    ext = lo; lo = hi; hi = 0;
    n -= 32;
  }
  if (n > 0) {
    sticky |= (ext << (32 - n));
    ext = ((ext >>> n) | (lo << (32 - n))) >>> 0;
    lo = ((lo >>> n) | (hi << (32 - n))) >>> 0;
    hi = hi >>> n;
  }
  tHi = hi >>> 0; tLo = lo >>> 0; tExt = (ext | (sticky !== 0 ? 1 : 0)) >>> 0;
}

// ------------------------------------------------------------------------------------------------
// Rounding

function roundUpWanted(sign: number, half: boolean, above: boolean, nonzero: boolean, odd: boolean): boolean {
  switch (C.rc) {
    case RC_NEAREST: return above || (half && odd);
    case RC_DOWN: return nonzero && sign === 1;
    case RC_UP: return nonzero && sign === 0;
    default: return false;
  }
}

/** Tininess is detected before rounding on the x87 (checked against the oracle CPU). */
export let TININESS_AFTER_ROUNDING = false;

/**
 * Round (sign, biased exp, significand hi:lo with 32 extra bits `ext`, jammed) to the precision
 * `bits` (24, 53 or 64) within the extended exponent range and pack into R. Handles overflow,
 * underflow (denormal results), the unmasked responses and the flags.
 */
export function roundPack(sign: number, exp: number, hi: number, lo: number, ext: number, bits = C.pc): void {
  hi >>>= 0; lo >>>= 0; ext >>>= 0;
  if (hi === 0 && lo === 0 && ext === 0) { setResult(sign << 15, 0, 0); return; }
  // Normalize (callers usually pass normalized values; conversions may not).
  if ((hi & 0x80000000) === 0) {
    let n = clz32x2(hi, lo);
    if (n === 64) {
      hi = ext; lo = 0; ext = 0; exp -= 64;
      n = Math.clz32(hi);
    }
    if (n > 0) {
      if (n >= 32) { hi = lo; lo = ext; ext = 0; n -= 32; exp -= 32; }
      if (n > 0) {
        hi = ((hi << n) | (lo >>> (32 - n))) >>> 0;
        lo = ((lo << n) | (ext >>> (32 - n))) >>> 0;
        ext = (ext << n) >>> 0;
        exp -= n;
      }
    }
  }
  if (exp <= 0) {
    if ((C.unmasked & SW_UE) !== 0) {
      // Unmasked underflow: deliver the normalized result with the exponent biased up.
      X.flags |= SW_UE;
      exp += 24576;
    } else {
      roundDenormal(sign, exp, hi, lo, ext, bits);
      return;
    }
  }
  roundNormal(sign, exp, hi, lo, ext, bits);
}

/** Round a normal-range value (exp >= 1); may overflow. */
function roundNormal(sign: number, exp: number, hi: number, lo: number, ext: number, bits: number): void {
  let inexact: boolean;
  let up: boolean;
  if (bits === 64) {
    inexact = ext !== 0;
    up = roundUpWanted(sign, ext === 0x80000000, ext > 0x80000000, inexact, (lo & 1) !== 0);
    if (up) {
      lo = lo + 1;
      if (lo > 0xffffffff) { lo = 0; hi = hi + 1; if (hi > 0xffffffff) { hi = 0x80000000; exp++; } }
    }
  } else {
    const k = 64 - bits; // 40 or 11 bits below the rounding point
    let u: number, rb: number;
    if (k === 11) { u = hi * 2097152 + (lo >>> 11); rb = lo & 0x7ff; }
    else { u = hi >>> 8; rb = (hi & 0xff) * TWO32 + lo; }
    const half = 2 ** (k - 1);
    const nonzero = rb !== 0 || ext !== 0;
    inexact = nonzero;
    up = roundUpWanted(sign, rb === half && ext === 0, rb > half || (rb === half && ext !== 0), nonzero, (u % 2) === 1);
    if (up) {
      u += 1;
      if (u === 2 ** bits) { u = 2 ** (bits - 1); exp++; }
    }
    if (k === 11) { hi = Math.floor(u / 2097152) >>> 0; lo = ((u % 2097152) * 2048) >>> 0; }
    else { hi = (u * 256) >>> 0; lo = 0; }
  }
  if (exp >= 0x7fff) {
    if ((C.unmasked & SW_OE) !== 0) {
      X.flags |= SW_OE;
      exp -= 24576;
    } else {
      overflow(sign, bits);
      return;
    }
  }
  if (inexact) {
    X.flags |= SW_PE;
    if (up) X.up = true;
  }
  setResult((sign << 15) | exp, hi, lo);
}

function overflow(sign: number, bits: number): void {
  X.flags |= SW_OE | SW_PE;
  const rc = C.rc;
  if (rc === RC_NEAREST || (rc === RC_DOWN && sign === 1) || (rc === RC_UP && sign === 0)) {
    setResult((sign << 15) | 0x7fff, 0x80000000, 0);
    X.up = true;
  } else {
    // Largest finite value of the precision.
    if (bits === 64) setResult((sign << 15) | 0x7ffe, 0xffffffff, 0xffffffff);
    else if (bits === 53) setResult((sign << 15) | 0x7ffe, 0xffffffff, 0xfffff800);
    else setResult((sign << 15) | 0x7ffe, 0xffffff00, 0);
  }
}

function roundDenormal(sign: number, exp: number, hi: number, lo: number, ext: number, bits: number): void {
  // Tininess before rounding: any exp <= 0 is tiny (exp counts from the normalized value).
  let tiny = true;
  if (TININESS_AFTER_ROUNDING && exp === 0) {
    // After rounding: not tiny when rounding with an unbounded exponent reaches 2^emin.
    const saveUp = X.up, saveFlags = X.flags;
    roundNormal(sign, 1, hi, lo, ext, bits);
    tiny = (R.se & 0x7fff) !== 2;
    X.up = saveUp; X.flags = saveFlags;
  }
  shiftRightJam(hi, lo, ext, 1 - exp);
  hi = tHi; lo = tLo; ext = tExt;
  let inexact: boolean, up: boolean;
  let outExp = 0;
  if (bits === 64) {
    inexact = ext !== 0;
    up = roundUpWanted(sign, ext === 0x80000000, ext > 0x80000000, inexact, (lo & 1) !== 0);
    if (up) {
      lo = lo + 1;
      if (lo > 0xffffffff) { lo = 0; hi = hi + 1; }
      hi >>>= 0; lo >>>= 0;
    }
  } else {
    const k = 64 - bits;
    let u: number, rb: number;
    if (k === 11) { u = hi * 2097152 + (lo >>> 11); rb = lo & 0x7ff; }
    else { u = hi >>> 8; rb = (hi & 0xff) * TWO32 + lo; }
    const half = 2 ** (k - 1);
    const nonzero = rb !== 0 || ext !== 0;
    inexact = nonzero;
    up = roundUpWanted(sign, rb === half && ext === 0, rb > half || (rb === half && ext !== 0), nonzero, (u % 2) === 1);
    if (up) u += 1;
    if (k === 11) { hi = Math.floor(u / 2097152) >>> 0; lo = ((u % 2097152) * 2048) >>> 0; }
    else { hi = (u * 256) >>> 0; lo = 0; }
  }
  if ((hi & 0x80000000) !== 0) outExp = 1; // rounded up into the normal range
  if (inexact) {
    X.flags |= SW_PE;
    if (tiny) X.flags |= SW_UE;
    if (up) X.up = true;
  }
  setResult((sign << 15) | outExp, hi, lo);
}

// ------------------------------------------------------------------------------------------------
// Addition and subtraction

/** R = a + b (negate b's sign for subtraction). Operands packed. */
export function add(seA: number, hiA: number, loA: number, seB: number, hiB: number, loB: number, negateB = false): void {
  const ka = unpackA(seA, hiA, loA), kb = unpackB(seB, hiB, loB);
  if (negateB && kb < K_QNAN) bSign ^= 1;
  if (ka >= K_QNAN || kb >= K_QNAN) {
    if (ka === K_UNSUPPORTED || kb === K_UNSUPPORTED) { X.flags &= ~SW_DE; invalid(); return; }
    X.flags &= ~SW_DE;
    propagateNaN2(seA, hiA, loA, seB, hiB, loB);
    return;
  }
  if (ka === K_INF || kb === K_INF) {
    if (ka === K_INF && kb === K_INF && aSign !== bSign) { invalid(); return; }
    if (ka === K_INF) setResult((aSign << 15) | 0x7fff, 0x80000000, 0);
    else setResult((bSign << 15) | 0x7fff, 0x80000000, 0);
    return;
  }
  if (ka === K_ZERO && kb === K_ZERO) {
    const sign = aSign === bSign ? aSign : C.rc === RC_DOWN ? 1 : 0;
    setResult(sign << 15, 0, 0);
    return;
  }
  if (kb === K_ZERO) { roundPack(aSign, aExp, aHi, aLo, 0); return; }
  if (ka === K_ZERO) { roundPack(bSign, bExp, bHi, bLo, 0); return; }
  addUnpacked();
}

/** Add the unpacked non-zero finite A and B; rounds into R. */
function addUnpacked(): void {
  if (aSign === bSign) {
    let exp: number, hi: number, lo: number, ext: number;
    let xh: number, xl: number;
    if (aExp >= bExp) {
      shiftRightJam(bHi, bLo, 0, aExp - bExp);
      exp = aExp; xh = aHi; xl = aLo;
    } else {
      shiftRightJam(aHi, aLo, 0, bExp - aExp);
      exp = bExp; xh = bHi; xl = bLo;
    }
    lo = xl + tLo;
    let carry = lo > 0xffffffff ? 1 : 0;
    lo >>>= 0;
    hi = xh + tHi + carry;
    ext = tExt;
    if (hi > 0xffffffff) {
      // Carry out of bit 63: shift right by one.
      const sticky = ext & 1;
      ext = ((ext >>> 1) | ((lo & 1) << 31) | sticky) >>> 0;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi = 0x80000000 + Math.floor((hi - TWO32) / 2);
      hi = (hi >>> 0);
      exp++;
    }
    roundPack(aSign, exp, hi, lo, ext);
    return;
  }
  // Different signs: subtract the smaller magnitude from the larger.
  let sign: number;
  let xh: number, xl: number, exp: number;
  const cmp = aExp !== bExp ? (aExp > bExp ? 1 : -1) : aHi !== bHi ? (aHi > bHi ? 1 : -1) : aLo !== bLo ? (aLo > bLo ? 1 : -1) : 0;
  if (cmp === 0) { setResult(C.rc === RC_DOWN ? 0x8000 : 0, 0, 0); return; }
  if (cmp > 0) {
    shiftRightJam(bHi, bLo, 0, aExp - bExp);
    sign = aSign; xh = aHi; xl = aLo; exp = aExp;
  } else {
    shiftRightJam(aHi, aLo, 0, bExp - aExp);
    sign = bSign; xh = bHi; xl = bLo; exp = bExp;
  }
  // (xh, xl, 0) - (tHi, tLo, tExt)
  let ext = 0 - tExt;
  let borrow = ext < 0 ? 1 : 0;
  ext >>>= 0;
  let lo = xl - tLo - borrow;
  borrow = lo < 0 ? 1 : 0;
  lo >>>= 0;
  const hi = (xh - tHi - borrow) >>> 0;
  roundPack(sign, exp, hi, lo, ext);
}

export function sub(seA: number, hiA: number, loA: number, seB: number, hiB: number, loB: number): void {
  add(seA, hiA, loA, seB, hiB, loB, true);
}

// ------------------------------------------------------------------------------------------------
// Multiplication

const P = new Float64Array(8);

/** 64x64 -> 128-bit product of A and B significands into P as eight 16-bit limbs (little end). */
function mulSig(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff, a1 = al >>> 16, a2 = ah & 0xffff, a3 = ah >>> 16;
  const b0 = bl & 0xffff, b1 = bl >>> 16, b2 = bh & 0xffff, b3 = bh >>> 16;
  // Accumulate column sums (each < 4 * 2^32 + carries: exact in doubles).
  let c = 0;
  let col = a0 * b0;
  P[0] = col % 65536; c = Math.floor(col / 65536);
  col = c + a0 * b1 + a1 * b0;
  P[1] = col % 65536; c = Math.floor(col / 65536);
  col = c + a0 * b2 + a1 * b1 + a2 * b0;
  P[2] = col % 65536; c = Math.floor(col / 65536);
  col = c + a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  P[3] = col % 65536; c = Math.floor(col / 65536);
  col = c + a1 * b3 + a2 * b2 + a3 * b1;
  P[4] = col % 65536; c = Math.floor(col / 65536);
  col = c + a2 * b3 + a3 * b2;
  P[5] = col % 65536; c = Math.floor(col / 65536);
  col = c + a3 * b3;
  P[6] = col % 65536; c = Math.floor(col / 65536);
  P[7] = c;
}

export function mul(seA: number, hiA: number, loA: number, seB: number, hiB: number, loB: number): void {
  const ka = unpackA(seA, hiA, loA), kb = unpackB(seB, hiB, loB);
  const sign = aSign ^ bSign;
  if (ka >= K_QNAN || kb >= K_QNAN) {
    X.flags &= ~SW_DE;
    if (ka === K_UNSUPPORTED || kb === K_UNSUPPORTED) { invalid(); return; }
    propagateNaN2(seA, hiA, loA, seB, hiB, loB);
    return;
  }
  if (ka === K_INF || kb === K_INF) {
    if (ka === K_ZERO || kb === K_ZERO) { invalid(); return; }
    setResult((sign << 15) | 0x7fff, 0x80000000, 0);
    return;
  }
  if (ka === K_ZERO || kb === K_ZERO) { setResult(sign << 15, 0, 0); return; }
  mulUnpacked(sign);
}

function mulUnpacked(sign: number): void {
  mulSig(aHi, aLo, bHi, bLo);
  let exp = aExp + bExp - BIAS;
  let hi = (P[7]! * 65536 + P[6]!) >>> 0;
  let lo = (P[5]! * 65536 + P[4]!) >>> 0;
  let ext = (P[3]! * 65536 + P[2]!) >>> 0;
  const rest = P[1]! !== 0 || P[0]! !== 0;
  if ((hi & 0x80000000) !== 0) {
    exp++;
  } else {
    hi = ((hi << 1) | (lo >>> 31)) >>> 0;
    lo = ((lo << 1) | (ext >>> 31)) >>> 0;
    ext = (ext << 1) >>> 0 | (P[1]! >>> 15);
  }
  if (rest) ext = (ext | 1) >>> 0;
  roundPack(sign, exp, hi, lo, ext >>> 0);
}

// ------------------------------------------------------------------------------------------------
// Division

export function div(seA: number, hiA: number, loA: number, seB: number, hiB: number, loB: number): void {
  const ka = unpackA(seA, hiA, loA), kb = unpackB(seB, hiB, loB);
  const sign = aSign ^ bSign;
  if (ka >= K_QNAN || kb >= K_QNAN) {
    X.flags &= ~SW_DE;
    if (ka === K_UNSUPPORTED || kb === K_UNSUPPORTED) { invalid(); return; }
    propagateNaN2(seA, hiA, loA, seB, hiB, loB);
    return;
  }
  if (ka === K_INF) {
    if (kb === K_INF) { invalid(); return; }
    setResult((sign << 15) | 0x7fff, 0x80000000, 0);
    return;
  }
  if (kb === K_INF) { setResult(sign << 15, 0, 0); return; }
  if (kb === K_ZERO) {
    if (ka === K_ZERO) { invalid(); return; }
    // Division by zero takes priority over a denormal dividend (oracle CPU).
    X.flags = (X.flags & ~SW_DE) | SW_ZE;
    setResult((sign << 15) | 0x7fff, 0x80000000, 0);
    return;
  }
  if (ka === K_ZERO) { setResult(sign << 15, 0, 0); return; }
  divUnpacked(sign);
}

function divUnpacked(sign: number): void {
  let exp = aExp - bExp + BIAS;
  let rHi = aHi, rLo = aLo;
  const dHi = bHi, dLo = bLo;
  if (rHi < dHi || (rHi === dHi && rLo < dLo)) {
    rHi = rHi * 2 + (rLo >>> 31);
    rLo = (rLo << 1) >>> 0;
    exp--;
  }
  let qHi = 0, qLo = 0, qExt = 0;
  for (let i = 0; i < 66; i++) {
    let bit = 0;
    if (rHi > dHi || (rHi === dHi && rLo >= dLo)) {
      let lo = rLo - dLo;
      let borrow = 0;
      if (lo < 0) { lo += TWO32; borrow = 1; }
      rHi = rHi - dHi - borrow;
      rLo = lo;
      bit = 1;
    }
    if (i < 32) qHi = qHi * 2 + bit;
    else if (i < 64) qLo = qLo * 2 + bit;
    else qExt = qExt * 2 + bit;
    rHi = rHi * 2 + (rLo >>> 31);
    rLo = (rLo << 1) >>> 0;
  }
  qExt = (qExt * 1073741824) >>> 0; // two bits at the top of ext
  if (rHi !== 0 || rLo !== 0) qExt = (qExt | 1) >>> 0;
  roundPack(sign, exp, qHi >>> 0, qLo >>> 0, qExt);
}

// ------------------------------------------------------------------------------------------------
// Square root (digit-by-digit on 3 x 32-bit limbs)

const SQ_R = new Float64Array(3); // remainder limbs (most significant first), < 2^96
const SQ_Q = new Float64Array(3); // root limbs

export function sqrt(se: number, hi: number, lo: number): void {
  const k = unpackA(se, hi, lo);
  if (k >= K_QNAN) {
    X.flags &= ~SW_DE;
    if (k === K_UNSUPPORTED) { invalid(); return; }
    propagateNaN1(se, hi, lo);
    return;
  }
  if (k === K_ZERO) { setResult(se, 0, 0); return; }
  if (aSign === 1) { X.flags &= ~SW_DE; invalid(); return; }
  if (k === K_INF) { setResult(0x7fff, 0x80000000, 0); return; }
  sqrtUnpacked();
}

/** Square root of unpacked positive finite A into R. */
function sqrtUnpacked(): void {
  // value = sig * 2^(e - 63), e = aExp - BIAS. Make the power even.
  let e = aExp - BIAS - 63;
  // Radicand bits: sig (64 bits) possibly shifted left one (65 bits) then 68 zero bits.
  let extra = 0;
  if ((e & 1) !== 0) { extra = 1; e -= 1; }
  // Radicand N = sig << (extra + 68): treated as a 134-bit stream of bit pairs.
  const totalBits = 134;
  const sigBits = 64 + extra; // the top part (after leading zero padding)
  const lead = totalBits - 68 - sigBits; // leading zero bits (1 or 0)
  SQ_R.fill(0); SQ_Q.fill(0);
  for (let i = 0; i < 67; i++) {
    // r = r*4 + next two bits
    shl3(SQ_R, 2);
    SQ_R[2] = SQ_R[2]! + radicandBit(2 * i, lead) * 2 + radicandBit(2 * i + 1, lead);
    // t = q*4 + 1
    T3[0] = SQ_Q[0]!; T3[1] = SQ_Q[1]!; T3[2] = SQ_Q[2]!;
    shl3(T3, 2);
    T3[2] = T3[2]! + 1;
    shl3(SQ_Q, 1);
    if (cmp3(SQ_R, T3) >= 0) {
      sub3(SQ_R, T3);
      SQ_Q[2] = SQ_Q[2]! + 1;
    }
  }
  const sticky = SQ_R[0] !== 0 || SQ_R[1] !== 0 || SQ_R[2] !== 0 ? 1 : 0;
  // q has 67 bits: SQ_Q[0] holds bits 66..64 (3 bits), [1] bits 63..32, [2] bits 31..0.
  // Value = q * 2^((e - 68) / 2).
  const K = (e - 68) / 2;
  // Put q into hi:lo:ext left aligned (q < 2^67): shift left by 29 within 96 bits.
  const q2 = SQ_Q[0]!, q1 = SQ_Q[1]!, q0 = SQ_Q[2]!;
  const hi = ((q2 << 29) | (q1 >>> 3)) >>> 0;
  const lo = ((q1 << 29) | (q0 >>> 3)) >>> 0;
  const ext = ((q0 << 29) | sticky) >>> 0;
  // hi:lo:ext = q * 2^29, as a 96-bit number; as a significand with bit 95 = 2^(exp-BIAS):
  // value = (hi:lo:ext) * 2^(K - 29); the top bit (bit 95) has weight 2^(95 + K - 29).
  roundPack(0, BIAS + 95 + K - 29, hi, lo, ext);
}

/**
 * Bit `pos` (from the most significant end) of the 134-bit radicand whose 64-bit significand
 * (aHi:aLo) starts after `lead` zero bits. A function, not a closure, so FSQRT allocates nothing.
 */
function radicandBit(pos: number, lead: number): number {
  const p = pos - lead;
  if (p < 0 || p >= 64) return 0;
  return p < 32 ? (aHi >>> (31 - p)) & 1 : (aLo >>> (63 - p)) & 1;
}

const T3 = new Float64Array(3);

function shl3(v: Float64Array, n: number): void {
  const m = 2 ** n;
  const c0 = Math.floor(v[2]! * m / TWO32);
  v[2] = (v[2]! * m) % TWO32;
  const c1 = Math.floor(v[1]! * m / TWO32);
  v[1] = (v[1]! * m) % TWO32 + c0;
  v[0] = (v[0]! * m) % TWO32 + c1;
}

function cmp3(a: Float64Array, b: Float64Array): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! > b[i]! ? 1 : -1;
  return 0;
}

function sub3(a: Float64Array, b: Float64Array): void {
  let borrow = 0;
  for (let i = 2; i >= 0; i--) {
    let d = a[i]! - b[i]! - borrow;
    borrow = 0;
    if (d < 0) { d += TWO32; borrow = 1; }
    a[i] = d;
  }
}

// ------------------------------------------------------------------------------------------------
// Comparison

/** Result of compare: 0 less, 1 equal, 2 greater, 3 unordered. */
export const CMP_LT = 0, CMP_EQ = 1, CMP_GT = 2, CMP_UN = 3;

/**
 * Compare a with b. `quiet`: QNaN operands do not raise #IA (FUCOM*); SNaNs and unsupported
 * formats always do. Sets DE for denormal operands unless the comparison is unordered.
 */
export function compare(seA: number, hiA: number, loA: number, seB: number, hiB: number, loB: number, quiet: boolean): number {
  const ka = unpackA(seA, hiA, loA), kb = unpackB(seB, hiB, loB);
  if (ka >= K_QNAN || kb >= K_QNAN) {
    X.flags &= ~SW_DE;
    if (!quiet || ka === K_SNAN || kb === K_SNAN || ka === K_UNSUPPORTED || kb === K_UNSUPPORTED) X.flags |= SW_IE;
    return CMP_UN;
  }
  if (ka === K_ZERO && kb === K_ZERO) return CMP_EQ;
  // Order by (sign, magnitude).
  const magA = ka === K_ZERO ? -1 : ka === K_INF ? 1e9 : aExp;
  const magB = kb === K_ZERO ? -1 : kb === K_INF ? 1e9 : bExp;
  let m: number;
  if (magA !== magB) m = magA > magB ? 1 : -1;
  else if (ka === K_INF || ka === K_ZERO) m = 0;
  else m = aHi !== bHi ? (aHi > bHi ? 1 : -1) : aLo !== bLo ? (aLo > bLo ? 1 : -1) : 0;
  const sa = ka === K_ZERO ? 0 : aSign, sb = kb === K_ZERO ? 0 : bSign;
  const zeroA = ka === K_ZERO, zeroB = kb === K_ZERO;
  if (zeroA) return sb === 1 ? CMP_GT : CMP_LT;
  if (zeroB) return sa === 1 ? CMP_LT : CMP_GT;
  if (sa !== sb) return sa === 1 ? CMP_LT : CMP_GT;
  if (m === 0) return CMP_EQ;
  return (m > 0) !== (sa === 1) ? CMP_GT : CMP_LT;
}

// ------------------------------------------------------------------------------------------------
// Round to integer and integer conversions

/**
 * Round the unpacked finite non-zero A to an integer per C.rc: result magnitude in (tHi, tLo)
 * (may be >= 2^64 only when aExp > BIAS + 63, flagged by returning false). Sets PE/up.
 * Returns true when the integer fits in 64 bits.
 */
function roundAToInteger(rc: number): boolean {
  const shift = BIAS + 63 - aExp;
  if (shift <= 0) {
    tHi = aHi; tLo = aLo;
    return shift === 0;
  }
  shiftRightJam(aHi, aLo, 0, shift);
  let hi = tHi, lo = tLo;
  const ext = tExt;
  if (ext !== 0) {
    X.flags |= SW_PE;
    let up: boolean;
    switch (rc) {
      case RC_NEAREST: up = ext > 0x80000000 || (ext === 0x80000000 && (lo & 1) === 1); break;
      case RC_DOWN: up = aSign === 1; break;
      case RC_UP: up = aSign === 0; break;
      default: up = false;
    }
    if (up) {
      X.up = true;
      lo += 1;
      if (lo > 0xffffffff) { lo = 0; hi += 1; if (hi > 0xffffffff) { tHi = 0; tLo = 0; return false; } }
    }
  }
  tHi = hi >>> 0; tLo = lo >>> 0;
  return true;
}

/** FRNDINT: round to an integral value in extended format (ignores precision control). */
export function roundToInt(se: number, hi: number, lo: number): void {
  const k = unpackA(se, hi, lo);
  if (k >= K_QNAN) {
    X.flags &= ~SW_DE;
    if (k === K_UNSUPPORTED) { invalid(); return; }
    propagateNaN1(se, hi, lo);
    return;
  }
  if (k === K_ZERO || k === K_INF) { setResult(se, hi, lo); return; }
  if (aExp >= BIAS + 63) { setResult((aSign << 15) | aExp, aHi, aLo); return; }
  if (!roundAToInteger(C.rc)) { setResult((aSign << 15) | (BIAS + 64), 0x80000000, 0); return; }
  if (tHi === 0 && tLo === 0) { setResult(aSign << 15, 0, 0); return; }
  const saveUp = X.up;
  roundPack(aSign, BIAS + 63, tHi, tLo, 0, 64);
  X.up = saveUp;
}

/** Integer conversion result: value as two int32 halves. */
export const I = { lo: 0, hi: 0 };

/**
 * Convert to a signed integer of `bytes` (2, 4, 8) with rounding `rc` (FIST uses FCW.RC,
 * FISTTP truncates). Out of range or NaN: #IA and the integer indefinite (SDM Vol. 1, 4.8.3.4).
 * Returns false when the result is invalid (I holds the indefinite).
 */
export function toInt(se: number, hi: number, lo: number, bytes: number, rc: number): boolean {
  const k = unpackA(se, hi, lo);
  const indefLo = bytes === 2 ? 0x8000 : bytes === 4 ? 0x80000000 | 0 : 0;
  const indefHi = bytes === 8 ? 0x80000000 | 0 : 0;
  if (k !== K_NORMAL && k !== K_ZERO) {
    X.flags &= ~SW_DE;
    X.flags |= SW_IE;
    I.lo = indefLo; I.hi = indefHi;
    return false;
  }
  if (k === K_ZERO) { I.lo = 0; I.hi = 0; return true; }
  const saveFlags = X.flags, saveUp = X.up;
  const ok = roundAToInteger(rc);
  let mHi = tHi, mLo = tLo;
  // Range check on the magnitude.
  let fits: boolean;
  if (!ok) fits = false;
  else if (bytes === 8) fits = aSign === 1 ? (mHi < 0x80000000 || (mHi === 0x80000000 && mLo === 0)) : mHi < 0x80000000;
  else {
    const limit = bytes === 4 ? 0x80000000 : 0x8000;
    fits = mHi === 0 && (aSign === 1 ? mLo <= limit : mLo < limit);
  }
  if (!fits) {
    X.flags = saveFlags | SW_IE;
    X.up = saveUp;
    I.lo = indefLo; I.hi = indefHi;
    return false;
  }
  if (aSign === 1) {
    // Two's complement negation.
    mLo = (~mLo + 1) >>> 0;
    mHi = (~mHi + (mLo === 0 ? 1 : 0)) >>> 0;
  }
  I.lo = mLo | 0;
  I.hi = bytes === 8 ? mHi | 0 : 0;
  if (bytes === 2) I.lo &= 0xffff;
  return true;
}

/** Load a signed integer (lo, hi halves; for 16/32-bit pass the sign-extended value in lo, hi = sign). */
export function fromInt64(lo: number, hi: number): void {
  let sign = 0;
  let mLo = lo >>> 0, mHi = hi >>> 0;
  if ((hi | 0) < 0) {
    sign = 1;
    mLo = (~mLo + 1) >>> 0;
    mHi = (~mHi + (mLo === 0 ? 1 : 0)) >>> 0;
  }
  if (mHi === 0 && mLo === 0) { setResult(sign << 15, 0, 0); return; }
  roundPack(sign, BIAS + 63, mHi, mLo, 0, 64);
}

// ------------------------------------------------------------------------------------------------
// float32 / float64 conversions

/** Load IEEE single (bits as int32) into R exactly; SNaN: #IA and quieted; denormal: #D. */
export function fromFloat32(bits: number): void {
  const sign = bits >>> 31;
  const exp = (bits >>> 23) & 0xff;
  const frac = bits & 0x7fffff;
  if (exp === 0xff) {
    if (frac === 0) { setResult((sign << 15) | 0x7fff, 0x80000000, 0); return; }
    if ((frac & 0x400000) === 0) X.flags |= SW_IE;
    setResult((sign << 15) | 0x7fff, (0xc0000000 | (frac << 8)) >>> 0, 0);
    return;
  }
  if (exp === 0) {
    if (frac === 0) { setResult(sign << 15, 0, 0); return; }
    X.flags |= SW_DE;
    const n = Math.clz32(frac) - 8; // leading zeros within the 24-bit field (frac < 2^23 so n >= 1)
    setResult((sign << 15) | (BIAS - 126 - n), (frac << (8 + n)) >>> 0, 0);
    return;
  }
  setResult((sign << 15) | (exp - 127 + BIAS), (0x80000000 | (frac << 8)) >>> 0, 0);
}

/** Load IEEE double (halves) into R exactly. */
export function fromFloat64(lo: number, hi: number): void {
  const sign = hi >>> 31;
  const exp = (hi >>> 20) & 0x7ff;
  const fHi = hi & 0xfffff;
  const fLo = lo >>> 0;
  // significand bits: J . fHi(20) fLo(32) -> shift left by 11
  const sHi = ((fHi << 11) | (fLo >>> 21)) >>> 0;
  const sLo = (fLo << 11) >>> 0;
  if (exp === 0x7ff) {
    if (fHi === 0 && fLo === 0) { setResult((sign << 15) | 0x7fff, 0x80000000, 0); return; }
    if ((fHi & 0x80000) === 0) X.flags |= SW_IE;
    setResult((sign << 15) | 0x7fff, (0xc0000000 | sHi) >>> 0, sLo);
    return;
  }
  if (exp === 0) {
    if (fHi === 0 && fLo === 0) { setResult(sign << 15, 0, 0); return; }
    X.flags |= SW_DE;
    const n = clz32x2(sHi, sLo); // >= 1
    let h: number, l: number;
    if (n >= 32) { h = (sLo << (n - 32)) >>> 0; l = 0; }
    else { h = ((sHi << n) | (sLo >>> (32 - n))) >>> 0; l = (sLo << n) >>> 0; }
    setResult((sign << 15) | (BIAS - 1022 - n + 0), h, l);
    // value = 0.f * 2^-1022 = (sig/2^63) * 2^(-1022 - n + ...): sHi:sLo holds f << 11 with the
    // binary point after bit 63 at J position; after shifting left by n, bit 63 has weight
    // 2^(-1022 - n).
    return;
  }
  setResult((sign << 15) | (exp - 1023 + BIAS), (0x80000000 | sHi) >>> 0, sLo);
}

/** Result of a store to float32/float64: bits in F.lo (and F.hi). */
export const F = { lo: 0, hi: 0 };

/**
 * Round R-format input to IEEE single (fracBits 23, expBits 8) or double (52, 11) with C.rc,
 * producing F. Flags: IE for SNaN/unsupported, DE for denormal input, OE/UE/PE. With unmasked
 * OE/UE the caller does not store (F still holds the masked response; `X.flags` tell).
 */
export function toFloat(se: number, hi: number, lo: number, fracBits: number, expBits: number): void {
  const k = unpackA(se, hi, lo);
  const emax = (1 << expBits) - 1;
  const bias = (1 << (expBits - 1)) - 1;
  const single = fracBits === 23;
  const pack = (sign: number, e: number, fHi: number, fLo: number) => {
    // fHi/fLo: fraction bits (single: fLo only).
    if (single) { F.lo = ((sign << 31) | (e << 23) | fLo) | 0; F.hi = 0; }
    else { F.hi = ((sign << 31) | (e << 20) | fHi) | 0; F.lo = fLo | 0; }
  };
  if (k === K_UNSUPPORTED) { X.flags |= SW_IE; pack(1, emax, single ? 0 : 0x80000, single ? 0x400000 : 0); return; }
  if (k === K_QNAN || k === K_SNAN) {
    if (k === K_SNAN) X.flags |= SW_IE;
    const h = (hi | 0x40000000) >>> 0;
    if (single) pack(aSign, emax, 0, (h >>> 8) & 0x7fffff);
    else pack(aSign, emax, (h >>> 11) & 0xfffff, ((h << 21) | (lo >>> 11)) >>> 0);
    return;
  }
  if (k === K_INF) { pack(aSign, emax, 0, 0); return; }
  if (k === K_ZERO) { pack(aSign, 0, 0, 0); return; }
  // Finite non-zero: target exponent.
  let e = aExp - BIAS + bias;
  const p = fracBits + 1; // 24 or 53
  // Bits of the significand kept: p for normal, fewer for denormal results.
  let keep = p;
  let unmaskedBias = 0;
  if (e <= 0) {
    if ((C.unmasked & SW_UE) !== 0) { X.flags |= SW_UE; unmaskedBias = 1; }
    else keep = p - (1 - e);
  }
  // Extract the top `keep` bits as u (keep <= 53) and the rest as a round indication.
  let u: number, half: boolean, above: boolean, nonzero: boolean;
  if (keep <= 0) {
    u = 0;
    // The whole significand is below the rounding point; half means value == 0.5 ulp exactly.
    const isHalf = keep === 0 && aHi === 0x80000000 && aLo === 0;
    half = isHalf;
    above = keep === 0 && !isHalf;
    nonzero = true;
  } else {
    shiftRightJam(aHi, aLo, 0, 64 - keep);
    u = tHi * TWO32 + tLo;
    half = tExt === 0x80000000;
    above = tExt > 0x80000000;
    nonzero = tExt !== 0;
  }
  const up = roundUpWanted(aSign, half, above, nonzero, u % 2 === 1);
  if (nonzero) {
    if (keep < p && unmaskedBias === 0) X.flags |= SW_UE;
  }
  if (up) u += 1;
  if (keep < p && unmaskedBias === 0) {
    // Denormal (or zero) result; a carry into bit `keep` makes it the smallest normal.
    if (nonzero) { X.flags |= SW_PE; if (up) X.up = true; }
    const fracScale = 2 ** fracBits;
    const ee = u >= fracScale ? 1 : 0;
    const f = u % fracScale;
    if (single) pack(aSign, ee, 0, f);
    else pack(aSign, ee, Math.floor(f / TWO32), f % TWO32);
    return;
  }
  if (u === 2 ** p) { u = 2 ** (p - 1); e++; }
  if (unmaskedBias) e += expBits === 8 ? 192 : 1536;
  if (e >= emax) {
    if ((C.unmasked & SW_OE) !== 0) {
      X.flags |= SW_OE;
      e -= expBits === 8 ? 192 : 1536;
    } else {
      X.flags |= SW_OE | SW_PE;
      const rc = C.rc;
      if (rc === RC_NEAREST || (rc === RC_DOWN && aSign === 1) || (rc === RC_UP && aSign === 0)) { pack(aSign, emax, 0, 0); X.up = true; }
      else if (single) pack(aSign, emax - 1, 0, 0x7fffff);
      else pack(aSign, emax - 1, 0xfffff, 0xffffffff);
      return;
    }
  }
  if (nonzero) { X.flags |= SW_PE; if (up) X.up = true; }
  const fracScale = 2 ** fracBits;
  const f = u - fracScale;
  if (single) pack(aSign, e, 0, f);
  else pack(aSign, e, Math.floor(f / TWO32), f % TWO32);
}

/** Constants in extended format. */
export const ONE_SE = BIAS;
