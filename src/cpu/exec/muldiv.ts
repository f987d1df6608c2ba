import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { ARITH_FLAGS, CF, LazyOp, OF, PARITY, SF } from './flags.js';
import { I_LAZY_OP, I_RFLAGS } from '../state/cpu-state.js';
import { truncate } from './alu.js';

/**
 * MUL, IMUL (one, two and three operands), DIV, IDIV (SDM Vol. 2). CF = OF = "the upper half is
 * significant". The SDM leaves SF, ZF, AF and PF undefined after MUL/IMUL and all six arithmetic
 * flags undefined after DIV/IDIV. This machine's CPU, measured through the native oracle
 * (tests/fixtures/oracle/muldiv.json):
 *
 *   instruction   CF, OF             SF, PF                       ZF     AF
 *   MUL, IMUL     upper half used    from the low half (the       0      0
 *                                    destination for 2/3 ops)
 *   DIV, IDIV     unchanged          unchanged                    unchanged
 *
 * ZF is cleared even when the low half (or the whole product) is zero, so the flags cannot be
 * left to LazyOp.Result, which would derive ZF from the result: all six are written to RFLAGS
 * (overwriting all of them, so stale lazily-evaluated bits need not be materialised first).
 */

const VEC_DE = 0;

function setMulFlags(cpu: Cpu, size: number, lo: number, hi: number, overflow: boolean): void {
  const s = cpu.s;
  const sign = size === 8 ? hi : lo << (32 - size * 8);
  s[I_RFLAGS] = (s[I_RFLAGS]! & ~ARITH_FLAGS) | (overflow ? CF | OF : 0) | (sign < 0 ? SF : 0) | PARITY[lo & 0xff]!;
  s[I_LAZY_OP] = LazyOp.None;
}

const big64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const signed64 = (lo: number, hi: number): bigint => BigInt.asIntN(64, big64(lo, hi));

/** Unsigned 32x32 → 64 product as [lo, hi] without precision loss. */
function mul32(a: number, b: number, out: Int32Array): void {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  out[0] = (p00 & 0xffff) | (mid << 16);
  out[1] = (p11 + (p01 >>> 16) + (p10 >>> 16) + Math.floor(mid / 65536)) | 0;
}

const product = new Int32Array(2);
/** The 128-bit product of `mul64`: four 32-bit words, least significant first. */
const wide = new Int32Array(4);

/**
 * Unsigned 64x64 → 128 product into `wide` from four 32x32 partial products (no BigInt: 64-bit
 * multiplies are hot in 64-bit code, where compilers turn divisions by constants into MUL).
 */
function mul64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  mul32(aLo >>> 0, bLo >>> 0, product);
  const w0 = product[0]!, ll = product[1]! >>> 0;
  mul32(aLo >>> 0, bHi >>> 0, product);
  const lhLo = product[0]! >>> 0, lhHi = product[1]! >>> 0;
  mul32(aHi >>> 0, bLo >>> 0, product);
  const hlLo = product[0]! >>> 0, hlHi = product[1]! >>> 0;
  mul32(aHi >>> 0, bHi >>> 0, product);
  const hhLo = product[0]! >>> 0, hhHi = product[1]! >>> 0;
  const w1 = ll + lhLo + hlLo; // < 3 * 2^32: exact
  const w2 = Math.floor(w1 / 0x100000000) + lhHi + hlHi + hhLo;
  const w3 = Math.floor(w2 / 0x100000000) + hhHi;
  wide[0] = w0;
  wide[1] = w1 | 0;
  wide[2] = w2 | 0;
  wide[3] = w3 | 0;
}

/**
 * Signed 64x64 → 128 product into `wide`: the unsigned product minus 2^64·b when a < 0 and
 * 2^64·a when b < 0 (two's complement), which only touches the upper half.
 */
function imul64(aLo: number, aHi: number, bLo: number, bHi: number): void {
  mul64(aLo, aHi, bLo, bHi);
  if (aHi < 0) subHigh(bLo, bHi);
  if (bHi < 0) subHigh(aLo, aHi);
}

function subHigh(lo: number, hi: number): void {
  const l = (wide[2]! >>> 0) - (lo >>> 0);
  wide[2] = l | 0;
  wide[3] = ((wide[3]! | 0) - (hi | 0) - (l < 0 ? 1 : 0)) | 0;
}

export function mul(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const b = cpu.readSource(ins, ins.kind0, ins.reg0, size), bHi = cpu.hi;
  const g = cpu.g32;
  switch (size) {
    case 1: {
      const r = cpu.g8[0]! * b;
      cpu.g16[0] = r;
      setMulFlags(cpu, 1, r & 0xff, 0, r > 0xff);
      return;
    }
    case 2: {
      const r = cpu.g16[0]! * b;
      cpu.g16[0] = r & 0xffff;
      cpu.g16[8] = r >>> 16;
      setMulFlags(cpu, 2, r & 0xffff, 0, r > 0xffff);
      return;
    }
    case 4: {
      mul32(g[0]! >>> 0, b >>> 0, product);
      cpu.setReg(0, 4, product[0]!, 0);
      cpu.setReg(4, 4, product[1]!, 0);
      setMulFlags(cpu, 4, product[0]!, 0, product[1] !== 0);
      return;
    }
    default: {
      mul64(g[0]!, g[1]!, b, bHi);
      const w0 = wide[0]!, w1 = wide[1]!, w2 = wide[2]!, w3 = wide[3]!;
      cpu.setReg(0, 8, w0, w1);
      cpu.setReg(4, 8, w2, w3);
      setMulFlags(cpu, 8, w0, w1, (w2 | w3) !== 0);
    }
  }
}

/** One-operand IMUL: rDX:rAX = rAX * r/m (signed). */
export function imul1(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const b = cpu.readSource(ins, ins.kind0, ins.reg0, size), bHi = cpu.hi;
  const g = cpu.g32;
  switch (size) {
    case 1: {
      const r = ((cpu.g8[0]! << 24) >> 24) * ((b << 24) >> 24);
      cpu.g16[0] = r & 0xffff;
      setMulFlags(cpu, 1, r & 0xff, 0, r !== ((r << 24) >> 24));
      return;
    }
    case 2: {
      const r = ((cpu.g16[0]! << 16) >> 16) * ((b << 16) >> 16);
      cpu.g16[0] = r & 0xffff;
      cpu.g16[8] = (r >> 16) & 0xffff;
      setMulFlags(cpu, 2, r & 0xffff, 0, r !== ((r << 16) >> 16));
      return;
    }
    case 4: {
      // Sign-extend both to 64 bits; the low 64 bits of the 128-bit product are the signed product.
      const a = g[0]! | 0, bb = b | 0;
      imul64(a, a >> 31, bb, bb >> 31);
      const lo = wide[0]!, hi = wide[1]!;
      cpu.setReg(0, 4, lo, 0);
      cpu.setReg(4, 4, hi, 0);
      setMulFlags(cpu, 4, lo, 0, hi !== lo >> 31);
      return;
    }
    default: {
      imul64(g[0]!, g[1]!, b, bHi);
      const w0 = wide[0]!, w1 = wide[1]!, w2 = wide[2]!, w3 = wide[3]!;
      cpu.setReg(0, 8, w0, w1);
      cpu.setReg(4, 8, w2, w3);
      setMulFlags(cpu, 8, w0, w1, w2 !== w1 >> 31 || w3 !== w1 >> 31);
    }
  }
}

/** Truncating signed multiply used by the two- and three-operand forms. */
function imulTruncated(cpu: Cpu, ins: Instr, a: number, aHi: number, b: number, bHi: number): void {
  const size = ins.size0;
  if (size === 8) {
    imul64(a, aHi, b, bHi);
    const lo = wide[0]!, hi = wide[1]!;
    cpu.setReg(ins.reg0, 8, lo, hi);
    setMulFlags(cpu, 8, lo, hi, wide[2] !== hi >> 31 || wide[3] !== hi >> 31);
    return;
  }
  if (size === 4) {
    const lo = Math.imul(a, b);
    const exact = (a | 0) * (b | 0);
    cpu.setReg(ins.reg0, 4, lo, 0);
    setMulFlags(cpu, 4, lo, 0, exact !== lo);
    return;
  }
  const shift = 32 - size * 8;
  const r = ((a << shift) >> shift) * ((b << shift) >> shift);
  const t = truncate(r, size);
  cpu.setReg(ins.reg0, size, t, 0);
  setMulFlags(cpu, size, t, 0, r !== ((t << shift) >> shift));
}

export function imul2(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const b = cpu.readSource(ins, ins.kind1, ins.reg1, size), bHi = cpu.hi;
  const a = cpu.getReg(ins.reg0, size), aHi = cpu.hi;
  imulTruncated(cpu, ins, a, aHi, b, bHi);
}

export function imul3(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const a = cpu.readSource(ins, ins.kind1, ins.reg1, size), aHi = cpu.hi;
  imulTruncated(cpu, ins, a, aHi, ins.immLo, ins.immHi);
}

/** DIV: #DE on a zero divisor or a quotient that does not fit (SDM Vol. 2, DIV). Flags are left as they were. */
export function div(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const d = cpu.readSource(ins, ins.kind0, ins.reg0, size), dHi = cpu.hi;
  const g = cpu.g32;
  switch (size) {
    case 1: {
      if (d === 0) cpu.raise(VEC_DE);
      const n = cpu.g16[0]!;
      const q = Math.floor(n / d);
      if (q > 0xff) cpu.raise(VEC_DE);
      cpu.g8[0] = q;
      cpu.g8[1] = n % d;
      return;
    }
    case 2: {
      if (d === 0) cpu.raise(VEC_DE);
      const n = cpu.g16[8]! * 65536 + cpu.g16[0]!;
      const q = Math.floor(n / d);
      if (q > 0xffff) cpu.raise(VEC_DE);
      cpu.g16[0] = q;
      cpu.g16[8] = n % d;
      return;
    }
    case 4: {
      const dv = d >>> 0;
      if (dv === 0) cpu.raise(VEC_DE);
      if (g[4] === 0) {
        const nl = g[0]! >>> 0;
        cpu.setReg(0, 4, Math.floor(nl / dv) | 0, 0);
        cpu.setReg(4, 4, nl % dv | 0, 0);
        return;
      }
      const n = (BigInt(g[4]! >>> 0) << 32n) | BigInt(g[0]! >>> 0);
      const q = n / BigInt(dv);
      if (q > 0xffffffffn) cpu.raise(VEC_DE);
      cpu.setReg(0, 4, Number(q) | 0, 0);
      cpu.setReg(4, 4, Number(n % BigInt(dv)) | 0, 0);
      return;
    }
    default: {
      // Common case: a dividend and divisor below 2^32 (RDX = 0): exact in doubles.
      if (g[4] === 0 && g[5] === 0 && g[1] === 0 && dHi === 0 && d !== 0) {
        const nl = g[0]! >>> 0, dl = d >>> 0;
        cpu.setReg(0, 8, Math.floor(nl / dl) | 0, 0);
        cpu.setReg(4, 8, nl % dl | 0, 0);
        return;
      }
      const dv = big64(d, dHi);
      if (dv === 0n) cpu.raise(VEC_DE);
      const n = (big64(g[4]!, g[5]!) << 64n) | big64(g[0]!, g[1]!);
      const q = n / dv;
      if (q > 0xffffffffffffffffn) cpu.raise(VEC_DE);
      const r = n % dv;
      cpu.setReg(0, 8, Number(q & 0xffffffffn) | 0, Number(q >> 32n) | 0);
      cpu.setReg(4, 8, Number(r & 0xffffffffn) | 0, Number(r >> 32n) | 0);
    }
  }
}

/** IDIV: signed, quotient truncated toward zero; the remainder has the dividend's sign. */
export function idiv(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const raw = cpu.readSource(ins, ins.kind0, ins.reg0, size), rawHi = cpu.hi;
  const g = cpu.g32;
  const bits = BigInt(size * 8);
  let n: bigint, d: bigint;
  switch (size) {
    case 1: n = BigInt((cpu.g16[0]! << 16) >> 16); d = BigInt((raw << 24) >> 24); break;
    case 2: n = BigInt(((cpu.g16[8]! << 16) | cpu.g16[0]!) | 0); d = BigInt((raw << 16) >> 16); break;
    case 4: n = BigInt.asIntN(64, (BigInt(g[4]! >>> 0) << 32n) | BigInt(g[0]! >>> 0)); d = BigInt(raw | 0); break;
    default: n = BigInt.asIntN(128, (big64(g[4]!, g[5]!) << 64n) | big64(g[0]!, g[1]!)); d = signed64(raw, rawHi); break;
  }
  if (d === 0n) cpu.raise(VEC_DE);
  const q = n / d; // BigInt division truncates toward zero, as IDIV does
  const r = n % d;
  const limit = 1n << (bits - 1n);
  if (q >= limit || q < -limit) cpu.raise(VEC_DE);
  const qu = BigInt.asUintN(Number(bits), q), ru = BigInt.asUintN(Number(bits), r);
  switch (size) {
    case 1: cpu.g8[0] = Number(qu); cpu.g8[1] = Number(ru); break;
    case 2: cpu.g16[0] = Number(qu); cpu.g16[8] = Number(ru); break;
    case 4: cpu.setReg(0, 4, Number(qu) | 0, 0); cpu.setReg(4, 4, Number(ru) | 0, 0); break;
    default:
      cpu.setReg(0, 8, Number(qu & 0xffffffffn) | 0, Number(qu >> 32n) | 0);
      cpu.setReg(4, 8, Number(ru & 0xffffffffn) | 0, Number(ru >> 32n) | 0);
  }
}
