/**
 * Packed integer instructions on MMX (64-bit) and XMM (128-bit) registers: MMX, SSE/SSE2 integer,
 * SSSE3 and the SSE4.1/4.2 integer additions (SDM Vol. 2). One handler serves both widths: it works
 * on `w` bytes of the work area (8 for MMX, 16 for XMM).
 *
 * Work area byte offsets: A 0, B 16, C 32, R 48 (words: 0, 8, 16, 24; dwords: 0, 4, 8, 12).
 */
import type { Cpu } from '../cpu.js';
import { OpKind, type Instr } from '../decode/instr.js';
import { setFlagBits, ARITH_FLAGS, CF, ZF } from '../exec/flags.js';
import { R, destWidth, getXmm, loadAB, loadOperand, simd, simdCheck, storeDest, type SimdState } from './state.js';

type Lanes = (st: SimdState, w: number, ins: Instr) => void;
type H = (cpu: Cpu, ins: Instr) => void;

/** Binary op: R = f(A, B), stored to operand 0. */
const bin = (f: Lanes): H => (cpu, ins) => {
  simdCheck(cpu, ins);
  const st = simd(cpu);
  loadAB(cpu, st, ins);
  f(st, destWidth(ins), ins);
  storeDest(cpu, st, ins, R);
};

const sat8s = (x: number): number => (x < -128 ? -128 : x > 127 ? 127 : x);
const sat8u = (x: number): number => (x < 0 ? 0 : x > 255 ? 255 : x);
const sat16s = (x: number): number => (x < -32768 ? -32768 : x > 32767 ? 32767 : x);
const sat16u = (x: number): number => (x < 0 ? 0 : x > 65535 ? 65535 : x);

const u8 = (f: (a: number, b: number) => number): Lanes => (st, w) => {
  const t = st.t8;
  for (let i = 0; i < w; i++) t[48 + i] = f(t[i]!, t[16 + i]!);
};
const s8 = (f: (a: number, b: number) => number): Lanes => (st, w) => {
  const t = st.ts8;
  for (let i = 0; i < w; i++) t[48 + i] = f(t[i]!, t[16 + i]!);
};
const u16 = (f: (a: number, b: number) => number): Lanes => (st, w) => {
  const t = st.t16;
  for (let i = 0; i < w >> 1; i++) t[24 + i] = f(t[i]!, t[8 + i]!);
};
const s16 = (f: (a: number, b: number) => number): Lanes => (st, w) => {
  const t = st.ts16;
  for (let i = 0; i < w >> 1; i++) t[24 + i] = f(t[i]!, t[8 + i]!);
};
const s32 = (f: (a: number, b: number) => number): Lanes => (st, w) => {
  const t = st.t32;
  for (let i = 0; i < w >> 2; i++) t[12 + i] = f(t[i]!, t[4 + i]!);
};
const u32 = (f: (a: number, b: number) => number): Lanes => (st, w) => {
  const t = st.tu32;
  for (let i = 0; i < w >> 2; i++) t[12 + i] = f(t[i]!, t[4 + i]!);
};
const q64 = (sub: boolean): Lanes => (st, w) => {
  const t = st.tu32;
  for (let i = 0; i < w >> 2; i += 2) {
    const alo = t[i]!, blo = t[4 + i]!;
    if (sub) {
      const lo = alo - blo;
      t[12 + i] = lo >>> 0;
      t[13 + i] = (t[i + 1]! - t[5 + i]! - (lo < 0 ? 1 : 0)) >>> 0;
    } else {
      const lo = alo + blo;
      t[12 + i] = lo >>> 0;
      t[13 + i] = (t[i + 1]! + t[5 + i]! + (lo > 0xffffffff ? 1 : 0)) >>> 0;
    }
  }
};

export const paddb = bin(u8((a, b) => a + b)), paddw = bin(u16((a, b) => a + b)), paddd = bin(s32((a, b) => (a + b) | 0));
export const psubb = bin(u8((a, b) => a - b)), psubw = bin(u16((a, b) => a - b)), psubd = bin(s32((a, b) => (a - b) | 0));
export const paddq = bin(q64(false)), psubq = bin(q64(true));
export const paddsb = bin(s8((a, b) => sat8s(a + b))), paddsw = bin(s16((a, b) => sat16s(a + b)));
export const psubsb = bin(s8((a, b) => sat8s(a - b))), psubsw = bin(s16((a, b) => sat16s(a - b)));
export const paddusb = bin(u8((a, b) => sat8u(a + b))), paddusw = bin(u16((a, b) => sat16u(a + b)));
export const psubusb = bin(u8((a, b) => sat8u(a - b))), psubusw = bin(u16((a, b) => sat16u(a - b)));
export const pmullw = bin(s16((a, b) => Math.imul(a, b)));
export const pmulhw = bin(s16((a, b) => (a * b) >> 16));
export const pmulhuw = bin(u16((a, b) => (a * b) / 65536));
export const pmulld = bin(s32((a, b) => Math.imul(a, b)));
export const pavgb = bin(u8((a, b) => (a + b + 1) >> 1)), pavgw = bin(u16((a, b) => (a + b + 1) >> 1));
export const pminub = bin(u8(Math.min)), pmaxub = bin(u8(Math.max));
export const pminsw = bin(s16(Math.min)), pmaxsw = bin(s16(Math.max));
export const pminsb = bin(s8(Math.min)), pmaxsb = bin(s8(Math.max));
export const pminuw = bin(u16(Math.min)), pmaxuw = bin(u16(Math.max));
export const pminsd = bin(s32(Math.min)), pmaxsd = bin(s32(Math.max));
export const pminud = bin(u32(Math.min)), pmaxud = bin(u32(Math.max));
export const pand = bin(s32((a, b) => a & b)), pandn = bin(s32((a, b) => ~a & b));
export const por = bin(s32((a, b) => a | b)), pxor = bin(s32((a, b) => a ^ b));
export const pcmpeqb = bin(u8((a, b) => (a === b ? 0xff : 0))), pcmpeqw = bin(u16((a, b) => (a === b ? 0xffff : 0)));
export const pcmpeqd = bin(s32((a, b) => (a === b ? -1 : 0)));
export const pcmpgtb = bin(s8((a, b) => (a > b ? -1 : 0))), pcmpgtw = bin(s16((a, b) => (a > b ? -1 : 0)));
export const pcmpgtd = bin(s32((a, b) => (a > b ? -1 : 0)));

/** 32 x 32 → 64-bit unsigned/signed products as halves. */
let mulLo = 0, mulHi = 0;
function mulU32(a: number, b: number): void {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  mulLo = ((mid << 16) | (ll & 0xffff)) >>> 0;
  mulHi = (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}
function mulS32(a: number, b: number): void {
  mulU32(a >>> 0, b >>> 0);
  // Signed correction: subtract b<<32 if a < 0, a<<32 if b < 0.
  let hi = mulHi;
  if (a < 0) hi -= b >>> 0;
  if (b < 0) hi -= a >>> 0;
  mulHi = hi >>> 0;
}
const mulDq = (signed: boolean): Lanes => (st, w) => {
  const t = st.tu32, s = st.t32;
  for (let i = 0; i < w >> 2; i += 2) {
    if (signed) mulS32(s[i]!, s[4 + i]!); else mulU32(t[i]!, t[4 + i]!);
    t[12 + i] = mulLo; t[13 + i] = mulHi;
  }
};
export const pmuludq = bin(mulDq(false)), pmuldq = bin(mulDq(true));

export const pmaddwd = bin((st, w) => {
  const t = st.ts16, d = st.t32;
  for (let i = 0; i < w >> 2; i++) d[12 + i] = (t[2 * i]! * t[8 + 2 * i]! + t[2 * i + 1]! * t[9 + 2 * i]!) | 0;
});

export const psadbw = bin((st, w) => {
  const t = st.t8, q = st.t32;
  for (let g = 0; g < w; g += 8) {
    let sum = 0;
    for (let i = 0; i < 8; i++) sum += Math.abs(t[g + i]! - t[16 + g + i]!);
    q[12 + (g >> 2)] = sum; q[13 + (g >> 2)] = 0;
  }
});

// Packs and unpacks ------------------------------------------------------------------------------

export const packsswb = bin((st, w) => {
  const a = st.ts16, r = st.ts8, n = w >> 1;
  for (let i = 0; i < n; i++) { r[48 + i] = sat8s(a[i]!); r[48 + n + i] = sat8s(a[8 + i]!); }
});
export const packuswb = bin((st, w) => {
  const a = st.ts16, r = st.t8, n = w >> 1;
  for (let i = 0; i < n; i++) { r[48 + i] = sat8u(a[i]!); r[48 + n + i] = sat8u(a[8 + i]!); }
});
export const packssdw = bin((st, w) => {
  const a = st.t32, r = st.ts16, n = w >> 2;
  for (let i = 0; i < n; i++) { r[24 + i] = sat16s(a[i]!); r[24 + n + i] = sat16s(a[4 + i]!); }
});
export const packusdw = bin((st, w) => {
  const a = st.t32, r = st.t16, n = w >> 2;
  for (let i = 0; i < n; i++) { r[24 + i] = sat16u(a[i]!); r[24 + n + i] = sat16u(a[4 + i]!); }
});

/** Interleave elements of `size` bytes from the low (high = false) or high half of A and B. */
const unpack = (size: number, high: boolean): Lanes => (st, w) => {
  const t = st.t8;
  const base = high ? w >> 1 : 0;
  const n = (w >> 1) / size;
  for (let e = 0; e < n; e++) {
    for (let k = 0; k < size; k++) {
      t[48 + 2 * e * size + k] = t[base + e * size + k]!;
      t[48 + (2 * e + 1) * size + k] = t[16 + base + e * size + k]!;
    }
  }
};
export const punpcklbw = bin(unpack(1, false)), punpcklwd = bin(unpack(2, false)), punpckldq = bin(unpack(4, false));
export const punpckhbw = bin(unpack(1, true)), punpckhwd = bin(unpack(2, true)), punpckhdq = bin(unpack(4, true));
export const punpcklqdq = bin(unpack(8, false)), punpckhqdq = bin(unpack(8, true));
export const unpcklps = bin(unpack(4, false)), unpckhps = bin(unpack(4, true));
export const unpcklpd = bin(unpack(8, false)), unpckhpd = bin(unpack(8, true));

// Shifts -----------------------------------------------------------------------------------------

/**
 * PSLL/PSRL/PSRA W/D/Q: count from operand 1 (its low 64 bits) or an imm8 (group 12-14 forms,
 * where operand 0 is the register and operand 1 the immediate).
 */
const shift = (bits: number, kind: 0 | 1 | 2): H => (cpu, ins) => {
  simdCheck(cpu, ins);
  const st = simd(cpu), t = st.tu32;
  let count: number;
  if (ins.kind1 === OpKind.Imm) {
    loadOperand(cpu, st, ins, ins.kind0, ins.reg0, 16, 0, true);
    count = ins.immLo & 0xff;
  } else {
    loadAB(cpu, st, ins);
    count = t[5] !== 0 || t[4]! > 64 ? 64 : t[4]!;
  }
  const w = destWidth(ins);
  if (bits === 16) {
    const a = st.t16, sa = st.ts16;
    for (let i = 0; i < w >> 1; i++) {
      a[24 + i] = kind === 2 ? sa[i]! >> Math.min(count, 15) : count > 15 ? 0 : kind === 0 ? a[i]! << count : a[i]! >>> count;
    }
  } else if (bits === 32) {
    const s = st.t32;
    for (let i = 0; i < w >> 2; i++) {
      s[12 + i] = kind === 2 ? s[i]! >> Math.min(count, 31) : count > 31 ? 0 : kind === 0 ? s[i]! << count : s[i]! >>> count;
    }
  } else {
    for (let i = 0; i < w >> 2; i += 2) {
      const lo = t[i]!, hi = t[i + 1]!;
      if (count > 63) { t[12 + i] = 0; t[13 + i] = 0; }
      else if (count === 0) { t[12 + i] = lo; t[13 + i] = hi; }
      else if (kind === 0) {
        if (count >= 32) { t[13 + i] = lo << (count - 32); t[12 + i] = 0; }
        else { t[13 + i] = (hi << count) | (lo >>> (32 - count)); t[12 + i] = lo << count; }
      } else if (count >= 32) { t[12 + i] = hi >>> (count - 32); t[13 + i] = 0; }
      else { t[12 + i] = (lo >>> count) | (hi << (32 - count)); t[13 + i] = hi >>> count; }
    }
  }
  storeDest(cpu, st, ins, R);
};
export const psllw = shift(16, 0), pslld = shift(32, 0), psllq = shift(64, 0);
export const psrlw = shift(16, 1), psrld = shift(32, 1), psrlq = shift(64, 1);
export const psraw = shift(16, 2), psrad = shift(32, 2);

/** PSLLDQ/PSRLDQ: byte shifts of the whole XMM register by imm8 (> 15 clears it). */
const byteShift = (left: boolean): H => (cpu, ins) => {
  simdCheck(cpu, ins);
  const st = simd(cpu), t = st.t8;
  getXmm(st, ins.reg0, 0);
  const n = ins.immLo & 0xff;
  for (let i = 0; i < 16; i++) {
    const from = left ? i - n : i + n;
    t[48 + i] = from >= 0 && from < 16 ? t[from]! : 0;
  }
  storeDest(cpu, st, ins, R);
};
export const pslldq = byteShift(true), psrldq = byteShift(false);

// Shuffles, inserts, extracts --------------------------------------------------------------------

export const pshufd = bin((st, _w, ins) => {
  const t = st.t32, imm = ins.immLo;
  for (let i = 0; i < 4; i++) t[12 + i] = t[4 + ((imm >> (2 * i)) & 3)]!;
});
export const pshufw = bin((st, _w, ins) => {
  const t = st.t16, imm = ins.immLo;
  for (let i = 0; i < 4; i++) t[24 + i] = t[8 + ((imm >> (2 * i)) & 3)]!;
});
const pshufHalf = (high: boolean): Lanes => (st, _w, ins) => {
  const t = st.t16, imm = ins.immLo, keep = high ? 0 : 4, shuf = high ? 4 : 0;
  for (let i = 0; i < 4; i++) { t[24 + keep + i] = t[8 + keep + i]!; t[24 + shuf + i] = t[8 + shuf + ((imm >> (2 * i)) & 3)]!; }
};
export const pshufhw = bin(pshufHalf(true)), pshuflw = bin(pshufHalf(false));

export const shufps = bin((st, _w, ins) => {
  const t = st.t32, imm = ins.immLo;
  t[12] = t[imm & 3]!; t[13] = t[(imm >> 2) & 3]!;
  t[14] = t[4 + ((imm >> 4) & 3)]!; t[15] = t[4 + ((imm >> 6) & 3)]!;
});
export const shufpd = bin((st, _w, ins) => {
  const t = st.t32, imm = ins.immLo;
  const a = (imm & 1) * 2, b = ((imm >> 1) & 1) * 2;
  t[12] = t[a]!; t[13] = t[a + 1]!; t[14] = t[4 + b]!; t[15] = t[5 + b]!;
});

/** PINSRW: word imm8 of operand 0 ← the low word of a GPR / m16. */
export function pinsrw(cpu: Cpu, ins: Instr): void {
  simdCheck(cpu, ins);
  const st = simd(cpu);
  loadOperand(cpu, st, ins, ins.kind0, ins.reg0, 16, 0, true);
  const value = ins.kind1 === OpKind.Mem ? cpu.read16(cpu.linear(ins, 2)) : cpu.getReg(ins.reg1, 4) & 0xffff;
  const w = destWidth(ins);
  const t = st.t32;
  t[R] = t[0]!; t[R + 1] = t[1]!; t[R + 2] = t[2]!; t[R + 3] = t[3]!;
  st.t16[24 + (ins.immLo & ((w >> 1) - 1))] = value;
  storeDest(cpu, st, ins, R);
}

/** PEXTRW (0F C5): GPR ← word imm8 of an MMX/XMM register, zero-extended. */
export function pextrw(cpu: Cpu, ins: Instr): void {
  simdCheck(cpu, ins);
  const st = simd(cpu);
  loadOperand(cpu, st, ins, ins.kind1, ins.reg1, 16, 4, true);
  const w = ins.kind1 === OpKind.Mmx ? 8 : 16;
  cpu.setReg(ins.reg0, ins.size0, st.t16[8 + (ins.immLo & ((w >> 1) - 1))]!, 0);
}

/** PEXTRB/PEXTRW/PEXTRD/PEXTRQ (66 0F 3A 14-16) and EXTRACTPS (17). */
export function pextr(cpu: Cpu, ins: Instr): void {
  simdCheck(cpu, ins);
  const st = simd(cpu), t = st.t32;
  getXmm(st, ins.reg1, 4);
  const op = ins.row!.opcode;
  const imm = ins.immLo;
  let lo: number, hi = 0;
  if (op === 0x14) lo = st.t8[16 + (imm & 15)]!;
  else if (op === 0x15) lo = st.t16[8 + (imm & 7)]!;
  else if (op === 0x16 && ins.size0 === 8) { lo = t[4 + 2 * (imm & 1)]!; hi = t[5 + 2 * (imm & 1)]!; }
  else lo = t[4 + (imm & 3)]!;
  if (ins.kind0 === OpKind.Mem) cpu.writeMem(cpu.linear(ins, ins.size0), ins.size0, lo, hi);
  else cpu.setReg(ins.reg0, ins.size0 === 8 ? 8 : 4, lo, hi);
}
export const extractps = pextr;

/** PINSRB/PINSRD/PINSRQ (66 0F 3A 20, 22). */
export function pinsr(cpu: Cpu, ins: Instr): void {
  simdCheck(cpu, ins);
  const st = simd(cpu), t = st.t32;
  getXmm(st, ins.reg0, R);
  const op = ins.row!.opcode, imm = ins.immLo;
  const size = op === 0x20 ? 1 : ins.size1 === 8 ? 8 : 4;
  let lo: number, hi = 0;
  if (ins.kind1 === OpKind.Mem) { lo = cpu.readMem(cpu.linear(ins, size), size); hi = cpu.hi; }
  else { lo = cpu.getReg(ins.reg1, size === 8 ? 8 : 4); hi = cpu.hi; }
  if (size === 1) st.t8[48 + (imm & 15)] = lo;
  else if (size === 4) t[R + (imm & 3)] = lo;
  else { t[R + 2 * (imm & 1)] = lo; t[R + 2 * (imm & 1) + 1] = hi; }
  storeDest(cpu, st, ins, R);
}

/** INSERTPS: lane imm8[5:4] ← source lane imm8[7:6] (register) or m32; imm8[3:0] zeroes lanes. */
export function insertps(cpu: Cpu, ins: Instr): void {
  simdCheck(cpu, ins);
  const st = simd(cpu), t = st.t32;
  loadAB(cpu, st, ins);
  const imm = ins.immLo;
  const value = ins.kind1 === OpKind.Mem ? t[4]! : t[4 + ((imm >> 6) & 3)]!;
  for (let i = 0; i < 4; i++) t[R + i] = t[i]!;
  t[R + ((imm >> 4) & 3)] = value;
  for (let i = 0; i < 4; i++) if ((imm & (1 << i)) !== 0) t[R + i] = 0;
  storeDest(cpu, st, ins, R);
}

// SSSE3 ------------------------------------------------------------------------------------------

export const pshufb = bin((st, w) => {
  const t = st.t8;
  for (let i = 0; i < w; i++) {
    const idx = t[16 + i]!;
    t[48 + i] = (idx & 0x80) !== 0 ? 0 : t[idx & (w - 1)]!;
  }
});

const horizontal = (bits: number, f: (a: number, b: number) => number): Lanes => (st, w) => {
  if (bits === 16) {
    const t = st.ts16, n = w >> 2; // pairs per source
    for (let i = 0; i < n; i++) { t[24 + i] = f(t[2 * i]!, t[2 * i + 1]!); t[24 + n + i] = f(t[8 + 2 * i]!, t[9 + 2 * i]!); }
  } else {
    const t = st.t32, n = w >> 3;
    for (let i = 0; i < n; i++) { t[12 + i] = f(t[2 * i]!, t[2 * i + 1]!); t[12 + n + i] = f(t[4 + 2 * i]!, t[5 + 2 * i]!); }
  }
};
export const phaddw = bin(horizontal(16, (a, b) => a + b)), phaddd = bin(horizontal(32, (a, b) => (a + b) | 0));
export const phaddsw = bin(horizontal(16, (a, b) => sat16s(a + b)));
export const phsubw = bin(horizontal(16, (a, b) => a - b)), phsubd = bin(horizontal(32, (a, b) => (a - b) | 0));
export const phsubsw = bin(horizontal(16, (a, b) => sat16s(a - b)));

export const pmaddubsw = bin((st, w) => {
  const a = st.t8, b = st.ts8, r = st.ts16;
  for (let i = 0; i < w >> 1; i++) r[24 + i] = sat16s(a[2 * i]! * b[16 + 2 * i]! + a[2 * i + 1]! * b[17 + 2 * i]!);
});
export const pmulhrsw = bin(s16((a, b) => (((a * b) >> 14) + 1) >> 1));
export const psignb = bin(s8((a, b) => (b < 0 ? -a : b === 0 ? 0 : a)));
export const psignw = bin(s16((a, b) => (b < 0 ? -a : b === 0 ? 0 : a)));
export const psignd = bin(s32((a, b) => (b < 0 ? -a | 0 : b === 0 ? 0 : a)));
export const pabsb = bin(s8((_a, b) => Math.abs(b))), pabsw = bin(s16((_a, b) => Math.abs(b)));
export const pabsd = bin(s32((_a, b) => Math.abs(b) | 0));

export const palignr = bin((st, w, ins) => {
  const t = st.t8, n = ins.immLo & 0xff;
  for (let i = 0; i < w; i++) {
    const k = i + n;
    t[48 + i] = k < w ? t[16 + k]! : k < 2 * w ? t[k - w]! : 0;
  }
});

// SSE4.1 / SSE4.2 --------------------------------------------------------------------------------

export const pcmpeqq = bin((st) => {
  const t = st.t32;
  for (let i = 0; i < 4; i += 2) { const m = t[i] === t[4 + i] && t[i + 1] === t[5 + i] ? -1 : 0; t[12 + i] = m; t[13 + i] = m; }
});
export const pcmpgtq = bin((st) => {
  const t = st.t32, u = st.tu32;
  for (let i = 0; i < 4; i += 2) {
    const gt = t[i + 1]! > t[5 + i]! || (t[i + 1] === t[5 + i] && u[i]! > u[4 + i]!);
    const m = gt ? -1 : 0; t[12 + i] = m; t[13 + i] = m;
  }
});

export const pblendw = bin((st, _w, ins) => {
  const t = st.t16;
  for (let i = 0; i < 8; i++) t[24 + i] = (ins.immLo & (1 << i)) !== 0 ? t[8 + i]! : t[i]!;
});

export function pblendvb(cpu: Cpu, ins: Instr): void {
  simdCheck(cpu, ins);
  const st = simd(cpu), t = st.t8;
  loadAB(cpu, st, ins);
  getXmm(st, 0, 8);
  for (let i = 0; i < 16; i++) t[48 + i] = (t[32 + i]! & 0x80) !== 0 ? t[16 + i]! : t[i]!;
  storeDest(cpu, st, ins, R);
}

/** PTEST: ZF = (A AND B) == 0, CF = (NOT A AND B) == 0; AF OF PF SF cleared. */
export function ptest(cpu: Cpu, ins: Instr): void {
  simdCheck(cpu, ins);
  const st = simd(cpu), t = st.t32;
  loadAB(cpu, st, ins);
  let and = 0, andn = 0;
  for (let i = 0; i < 4; i++) { and |= t[i]! & t[4 + i]!; andn |= ~t[i]! & t[4 + i]!; }
  setFlagBits(cpu.s, ARITH_FLAGS, (and === 0 ? ZF : 0) | (andn === 0 ? CF : 0));
}

/** PMOVSX/PMOVZX: widen the low elements of the source; the row's opcode low 3 bits select the form. */
const PMOV_FROM = [1, 1, 1, 2, 2, 4], PMOV_TO = [2, 4, 8, 4, 8, 8];
const pmov = (signed: boolean): H => (cpu, ins) => {
  simdCheck(cpu, ins);
  const st = simd(cpu);
  loadOperand(cpu, st, ins, ins.kind1, ins.reg1, ins.size1, 4, false);
  const form = ins.row!.opcode & 7;
  const from = PMOV_FROM[form]!, to = PMOV_TO[form]!;
  const t = st.t32;
  for (let i = 0; i < 16 / to; i++) {
    let v: number;
    if (from === 1) v = signed ? st.ts8[16 + i]! : st.t8[16 + i]!;
    else if (from === 2) v = signed ? st.ts16[8 + i]! : st.t16[8 + i]!;
    else v = signed ? t[4 + i]! : st.tu32[4 + i]!;
    if (to === 2) st.t16[24 + i] = v;
    else if (to === 4) t[12 + i] = v;
    else { t[12 + 2 * i] = v; t[13 + 2 * i] = signed && v < 0 ? -1 : 0; }
  }
  storeDest(cpu, st, ins, R);
};
export const pmovsx = pmov(true), pmovzx = pmov(false);

/** PHMINPOSUW: the minimum unsigned word and its index (lowest index on ties); the rest zeroed. */
export const phminposuw = bin((st) => {
  const t = st.t16;
  let min = t[8]!, idx = 0;
  for (let i = 1; i < 8; i++) if (t[8 + i]! < min) { min = t[8 + i]!; idx = i; }
  for (let i = 0; i < 8; i++) t[24 + i] = 0;
  t[24] = min; t[25] = idx;
});

/** MPSADBW: eight sums of absolute differences of 4-byte groups (SDM Vol. 2, MPSADBW). */
export const mpsadbw = bin((st, _w, ins) => {
  const t = st.t8, r = st.t16;
  const aOff = ((ins.immLo >> 2) & 1) * 4, bOff = (ins.immLo & 3) * 4;
  for (let i = 0; i < 8; i++) {
    let sum = 0;
    for (let k = 0; k < 4; k++) sum += Math.abs(t[aOff + i + k]! - t[16 + bOff + k]!);
    r[24 + i] = sum;
  }
});

/** PCLMULQDQ is not advertised; kept out. */
