import { I_LAZY_OP, I_LAZY_RES, I_LAZY_SIZE, I_LAZY_SRC1, I_LAZY_SRC2, I_RFLAGS } from '../state/cpu-state.js';

/** RFLAGS bits (SDM Vol. 1, 3.4.3). */
export const CF = 1 << 0, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8, IF = 1 << 9,
  DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18,
  VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21;
export const ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;

/**
 * Kinds of lazily evaluated flag-setting operations. While `lazyOp` is not None, the six arithmetic
 * flags in RFLAGS are stale and are computed on demand from the stored result and operands.
 */
export const enum LazyOp {
  None = 0,
  Add = 1, // CF = carry out
  Adc = 2, // ADD with a carry-in of 1
  Sub = 3, // CF = borrow (also CMP, NEG)
  Sbb = 4, // SUB with a borrow-in of 1
  Logic = 5, // CF = OF = AF = 0 (AND, OR, XOR, TEST)
  Inc = 6, // CF kept in RFLAGS
  Dec = 7, // CF kept in RFLAGS
  /** CF, OF and AF were written to RFLAGS explicitly; ZF, SF, PF come from the result. */
  Result = 8,
}

/** Parity of the low byte of a value: PF is set when the number of 1 bits is even. */
const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let bits = 0;
  for (let b = i; b; b >>= 1) bits += b & 1;
  PARITY[i] = bits % 2 === 0 ? PF : 0;
}

/** Record an operation; `result`, `a`, `b` are the low 32 bits (masked to the size for 1/2 bytes). */
export function setLazy(s: Int32Array, op: LazyOp, size: number, result: number, a: number, b: number): void {
  s[I_LAZY_OP] = op;
  s[I_LAZY_SIZE] = size;
  s[I_LAZY_RES] = result;
  s[I_LAZY_SRC1] = a;
  s[I_LAZY_SRC2] = b;
}

/** Record a 64-bit operation (both halves of result and operands). */
export function setLazy64(s: Int32Array, op: LazyOp, resLo: number, resHi: number, aLo: number, aHi: number, bLo: number, bHi: number): void {
  s[I_LAZY_OP] = op;
  s[I_LAZY_SIZE] = 8;
  s[I_LAZY_RES] = resLo;
  s[I_LAZY_RES + 1] = resHi;
  s[I_LAZY_SRC1] = aLo;
  s[I_LAZY_SRC1 + 1] = aHi;
  s[I_LAZY_SRC2] = bLo;
  s[I_LAZY_SRC2 + 1] = bHi;
}

/** The sign-carrying word of a lazy value: the high half for 64-bit, else the low half shifted. */
function top(s: Int32Array, at: number, size: number): number {
  return size === 8 ? s[at + 1]! : s[at]! << (32 - size * 8);
}

/** Unsigned a < b for the lazy operands at `ia` and `ib`. */
function below(s: Int32Array, ia: number, ib: number, size: number): boolean {
  if (size === 8) {
    const ah = s[ia + 1]! >>> 0, bh = s[ib + 1]! >>> 0;
    if (ah !== bh) return ah < bh;
  }
  return (s[ia]! >>> 0) < (s[ib]! >>> 0);
}

function equal(s: Int32Array, ia: number, ib: number, size: number): boolean {
  return s[ia] === s[ib] && (size !== 8 || s[ia + 1] === s[ib + 1]);
}

export function getCF(s: Int32Array): number {
  const size = s[I_LAZY_SIZE]!;
  switch (s[I_LAZY_OP]) {
    case LazyOp.None: case LazyOp.Result: case LazyOp.Inc: case LazyOp.Dec: return s[I_RFLAGS]! & CF;
    case LazyOp.Add: return below(s, I_LAZY_RES, I_LAZY_SRC1, size) ? 1 : 0;
    case LazyOp.Adc: return below(s, I_LAZY_RES, I_LAZY_SRC1, size) || equal(s, I_LAZY_RES, I_LAZY_SRC1, size) ? 1 : 0;
    case LazyOp.Sub: return below(s, I_LAZY_SRC1, I_LAZY_SRC2, size) ? 1 : 0;
    case LazyOp.Sbb: return below(s, I_LAZY_SRC1, I_LAZY_SRC2, size) || equal(s, I_LAZY_SRC1, I_LAZY_SRC2, size) ? 1 : 0;
    default: return 0;
  }
}

export function getZF(s: Int32Array): boolean {
  if (s[I_LAZY_OP] === LazyOp.None) return (s[I_RFLAGS]! & ZF) !== 0;
  const size = s[I_LAZY_SIZE]!;
  if (size === 8) return s[I_LAZY_RES] === 0 && s[I_LAZY_RES + 1] === 0;
  return (s[I_LAZY_RES]! << (32 - size * 8)) === 0;
}

export function getSF(s: Int32Array): boolean {
  if (s[I_LAZY_OP] === LazyOp.None) return (s[I_RFLAGS]! & SF) !== 0;
  return top(s, I_LAZY_RES, s[I_LAZY_SIZE]!) < 0;
}

export function getPF(s: Int32Array): boolean {
  if (s[I_LAZY_OP] === LazyOp.None) return (s[I_RFLAGS]! & PF) !== 0;
  return PARITY[s[I_LAZY_RES]! & 0xff] !== 0;
}

export function getOF(s: Int32Array): boolean {
  const size = s[I_LAZY_SIZE]!;
  switch (s[I_LAZY_OP]) {
    case LazyOp.None: case LazyOp.Result: return (s[I_RFLAGS]! & OF) !== 0;
    case LazyOp.Add: case LazyOp.Adc: {
      const r = top(s, I_LAZY_RES, size), a = top(s, I_LAZY_SRC1, size), b = top(s, I_LAZY_SRC2, size);
      return ((a ^ r) & (b ^ r)) < 0;
    }
    case LazyOp.Sub: case LazyOp.Sbb: {
      const r = top(s, I_LAZY_RES, size), a = top(s, I_LAZY_SRC1, size), b = top(s, I_LAZY_SRC2, size);
      return ((a ^ b) & (a ^ r)) < 0;
    }
    case LazyOp.Inc: {
      // Overflow when the result is the smallest negative number.
      const r = top(s, I_LAZY_RES, size);
      return r === -0x80000000 && (size === 8 ? s[I_LAZY_RES] === 0 : true);
    }
    case LazyOp.Dec: {
      // Overflow when the result is the largest positive number (result + 1 is the smallest negative).
      if (size === 8) return s[I_LAZY_RES + 1] === 0x7fffffff && s[I_LAZY_RES] === -1;
      return ((s[I_LAZY_RES]! + 1) << (32 - size * 8)) === -0x80000000;
    }
    default: return false;
  }
}

export function getAF(s: Int32Array): boolean {
  switch (s[I_LAZY_OP]) {
    case LazyOp.None: case LazyOp.Result: return (s[I_RFLAGS]! & AF) !== 0;
    case LazyOp.Logic: return false;
    case LazyOp.Inc: return (s[I_LAZY_RES]! & 0xf) === 0;
    case LazyOp.Dec: return (s[I_LAZY_RES]! & 0xf) === 0xf;
    default: return ((s[I_LAZY_RES]! ^ s[I_LAZY_SRC1]! ^ s[I_LAZY_SRC2]!) & 0x10) !== 0;
  }
}

/** Materialise the arithmetic flags into RFLAGS and return its low 32 bits. */
export function getFlags(s: Int32Array): number {
  if (s[I_LAZY_OP] === LazyOp.None) return s[I_RFLAGS]!;
  const flags = (s[I_RFLAGS]! & ~ARITH_FLAGS) | getCF(s) | (getPF(s) ? PF : 0) | (getAF(s) ? AF : 0) |
    (getZF(s) ? ZF : 0) | (getSF(s) ? SF : 0) | (getOF(s) ? OF : 0);
  s[I_RFLAGS] = flags;
  s[I_LAZY_OP] = LazyOp.None;
  return flags;
}

/** Replace the arithmetic flags selected by `mask` (after materialising the rest). */
export function setFlagBits(s: Int32Array, mask: number, values: number): void {
  const flags = getFlags(s);
  s[I_RFLAGS] = (flags & ~mask) | (values & mask);
}

/**
 * Evaluate condition code `cc` (the low nibble of Jcc/SETcc/CMOVcc, SDM Vol. 1, Appendix B).
 */
export function condition(s: Int32Array, cc: number): boolean {
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = getOF(s); break;
    case 1: r = getCF(s) !== 0; break;
    case 2: r = getZF(s); break;
    case 3: r = getCF(s) !== 0 || getZF(s); break;
    case 4: r = getSF(s); break;
    case 5: r = getPF(s); break;
    case 6: r = getSF(s) !== getOF(s); break;
    default: r = getZF(s) || getSF(s) !== getOF(s); break;
  }
  return (cc & 1) !== 0 ? !r : r;
}

export { PARITY };
