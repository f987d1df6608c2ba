import type { Cpu } from '../cpu.js';
import { OpKind, type Instr } from '../decode/instr.js';
import { AF, CF, getCF, getFlags, LazyOp, OF, setLazy, setLazy64 } from './flags.js';
import { I_LAZY_OP, I_RFLAGS } from '../state/cpu-state.js';
import { truncate } from './alu.js';

/**
 * Shifts and rotates (SDM Vol. 2, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD). The count is
 * masked to 5 bits (6 with a 64-bit operand). A masked count of 0 changes no flag.
 *
 * The SDM defines OF only for a count of 1 and leaves it undefined for larger counts; AF is
 * undefined whenever the count is not 0. This machine's CPU (measured through the native oracle,
 * tests/fixtures/oracle/shift.json) does the following, for every non-zero masked count:
 *
 *   instruction   OF                                         AF
 *   SHL/SAL       MSB(dest) XOR bit(n-2)(dest)               0
 *   SHR           MSB(dest)                                  0
 *   SAR           0                                          0
 *   ROL           MSB(dest) XOR bit(n-2)(dest)   (*)         unchanged
 *   ROR           MSB(dest) XOR bit 0 (dest)     (*)         unchanged
 *   RCL           MSB(dest) XOR bit(n-2)(dest)               unchanged
 *   RCR           MSB(dest) XOR CF (before)                  unchanged
 *   SHLD          MSB(dest) XOR bit(n-2)(dest)               0
 *   SHRD          MSB(dest) XOR bit 0 (src)                  0
 *
 * where dest is the ORIGINAL operand and n its width: OF is always the SDM's count-1 formula, as
 * if the operand had been shifted or rotated by one place, whatever the count.
 * (*) except ROL/ROR r, imm8 (opcodes C0/C1 with a register destination) with a masked count
 * above 1, which leave OF unchanged.
 * RCL/RCR with 8/16-bit operands rotate by count mod 9/17; when that is 0 nothing changes,
 * not even OF or CF.
 */

function shiftCount(cpu: Cpu, ins: Instr): number {
  const raw = cpu.readSource(ins, ins.kind1, ins.reg1, 1);
  return raw & (ins.size0 === 8 ? 0x3f : 0x1f);
}

/** Record a shift result: CF and OF explicitly, ZF/SF/PF from the result, AF cleared. */
function setShiftFlags(cpu: Cpu, size: number, lo: number, hi: number, cf: number, of: number): void {
  const s = cpu.s;
  s[I_RFLAGS] = (s[I_RFLAGS]! & ~(CF | OF | AF)) | cf | (of ? OF : 0);
  if (size === 8) setLazy64(s, LazyOp.Result, lo, hi, 0, 0, 0, 0);
  else setLazy(s, LazyOp.Result, size, lo, 0, 0);
}

/** OF value meaning "leave OF as it was". */
const KEEP_OF = -1;

/** Rotates change only CF and OF (`of` = 0, 1 or KEEP_OF). */
function setRotateFlags(cpu: Cpu, cf: number, of: number): void {
  const s = cpu.s;
  const flags = getFlags(s);
  const ofBit = of === KEEP_OF ? flags & OF : of ? OF : 0;
  s[I_RFLAGS] = (flags & ~(CF | OF)) | cf | ofBit;
  s[I_LAZY_OP] = LazyOp.None;
}

/** Bit `n` (0..31) of a 32-bit word. */
function bit(value: number, n: number): number {
  return (value >>> n) & 1;
}

/** Sign bit of an operand of `size` bytes (1, 2 or 4; for 8 pass the high half with size 4). */
function msb(value: number, size: number): number {
  return (value >>> (size * 8 - 1)) & 1;
}

/**
 * The count-1 OF formula of SHL/ROL/RCL/SHLD applied to the original operand: MSB XOR the bit
 * below it (`top` is the word holding the sign: the low half, or the high half for 64 bits).
 */
function ofLeft(top: number, size: number): number {
  const n = size === 8 ? 32 : size * 8;
  return bit(top, n - 1) ^ bit(top, n - 2);
}

export function shl(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const a = cpu.readDest(ins), aHi = cpu.hi;
  const count = shiftCount(cpu, ins);
  if (count === 0) { cpu.writeDest(ins, a, aHi); return; }
  if (size === 8) {
    let lo: number, hi: number, cf: number;
    if (count < 32) { hi = (aHi << count) | (a >>> (32 - count)); lo = a << count; cf = (aHi >>> (32 - count)) & 1; }
    else { hi = a << (count - 32); lo = 0; cf = count === 32 ? aHi & 1 : (a >>> (64 - count)) & 1; }
    cpu.writeDest(ins, lo, hi);
    setShiftFlags(cpu, 8, lo, hi, cf, ofLeft(aHi, 8));
    return;
  }
  const bits = size * 8;
  const r = truncate(a << count, size);
  const cf = count > bits ? 0 : (a >>> (bits - count)) & 1;
  cpu.writeDest(ins, r, 0);
  setShiftFlags(cpu, size, r, 0, cf, ofLeft(a, size));
}

export function shr(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const a = cpu.readDest(ins), aHi = cpu.hi;
  const count = shiftCount(cpu, ins);
  if (count === 0) { cpu.writeDest(ins, a, aHi); return; }
  if (size === 8) {
    let lo: number, hi: number, cf: number;
    if (count < 32) { lo = (a >>> count) | (aHi << (32 - count)); hi = aHi >>> count; cf = (a >>> (count - 1)) & 1; }
    else { lo = aHi >>> (count - 32); hi = 0; cf = count === 32 ? a >>> 31 : (aHi >>> (count - 33)) & 1; }
    cpu.writeDest(ins, lo | 0, hi | 0);
    setShiftFlags(cpu, 8, lo | 0, hi | 0, cf, aHi >>> 31);
    return;
  }
  const unsigned = size === 4 ? a >>> 0 : a;
  const r = truncate(count > 31 ? 0 : unsigned >>> count, size);
  const cf = count > size * 8 ? 0 : (unsigned >>> (count - 1)) & 1;
  cpu.writeDest(ins, r, 0);
  setShiftFlags(cpu, size, r, 0, cf, msb(a, size));
}

export function sar(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const a = cpu.readDest(ins), aHi = cpu.hi;
  const count = shiftCount(cpu, ins);
  if (count === 0) { cpu.writeDest(ins, a, aHi); return; }
  if (size === 8) {
    let lo: number, hi: number, cf: number;
    if (count < 32) { lo = (a >>> count) | (aHi << (32 - count)); hi = aHi >> count; cf = (a >>> (count - 1)) & 1; }
    else { lo = aHi >> (count - 32); hi = aHi >> 31; cf = count === 32 ? a >>> 31 : (aHi >> (count - 33)) & 1; }
    cpu.writeDest(ins, lo | 0, hi);
    setShiftFlags(cpu, 8, lo | 0, hi, cf, 0);
    return;
  }
  const shift = 32 - size * 8;
  const signed = (a << shift) >> shift;
  const r = truncate(signed >> count, size);
  const cf = (signed >> (count - 1)) & 1;
  cpu.writeDest(ins, r, 0);
  setShiftFlags(cpu, size, r, 0, cf, 0);
}

/**
 * ROL/ROR r, imm8 with a register destination and a masked count above 1 leave OF unchanged on
 * this CPU; every other form (the D0/D1 count-of-1 forms, the CL forms, memory destinations)
 * computes OF. The split follows the encoding, not the operand values: in the oracle fixtures
 * all 37 register/immediate cases where the two differ kept OF, and all others computed it.
 */
function rotateOF(ins: Instr, count: number, of: number): number {
  return count > 1 && ins.kind0 === OpKind.Reg && ins.kind1 === OpKind.Imm ? KEEP_OF : of;
}

export function rol(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const a = cpu.readDest(ins), aHi = cpu.hi;
  const count = shiftCount(cpu, ins);
  if (count === 0) { cpu.writeDest(ins, a, aHi); return; }
  if (size === 8) {
    let lo = a, hi = aHi;
    let c = count;
    if (c >= 32) { const t = lo; lo = hi; hi = t; c -= 32; }
    if (c > 0) { const nhi = (hi << c) | (lo >>> (32 - c)); lo = (lo << c) | (hi >>> (32 - c)); hi = nhi; }
    cpu.writeDest(ins, lo, hi);
    setRotateFlags(cpu, lo & 1, rotateOF(ins, count, ofLeft(aHi, 8)));
    return;
  }
  const bits = size * 8;
  const c = count % bits;
  const r = c === 0 ? a : truncate((a << c) | ((size === 4 ? a >>> 0 : a) >>> (bits - c)), size);
  cpu.writeDest(ins, r, 0);
  setRotateFlags(cpu, r & 1, rotateOF(ins, count, ofLeft(a, size)));
}

export function ror(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const a = cpu.readDest(ins), aHi = cpu.hi;
  const count = shiftCount(cpu, ins);
  if (count === 0) { cpu.writeDest(ins, a, aHi); return; }
  if (size === 8) {
    let lo = a, hi = aHi;
    let c = count;
    if (c >= 32) { const t = lo; lo = hi; hi = t; c -= 32; }
    if (c > 0) { const nlo = (lo >>> c) | (hi << (32 - c)); hi = (hi >>> c) | (lo << (32 - c)); lo = nlo; }
    cpu.writeDest(ins, lo | 0, hi | 0);
    setRotateFlags(cpu, hi >>> 31, rotateOF(ins, count, (aHi >>> 31) ^ (a & 1)));
    return;
  }
  const bits = size * 8;
  const c = count % bits;
  const unsigned = size === 4 ? a >>> 0 : a;
  const r = c === 0 ? a : truncate((unsigned >>> c) | (a << (bits - c)), size);
  cpu.writeDest(ins, r, 0);
  setRotateFlags(cpu, msb(r, size), rotateOF(ins, count, msb(a, size) ^ (a & 1)));
}

/** RCL/RCR rotate through CF: a (size*8 + 1)-bit rotation, done bit by bit (counts are small). */
export function rcl(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const a = cpu.readDest(ins), aHi = cpu.hi;
  let count = shiftCount(cpu, ins);
  if (size === 1) count %= 9;
  else if (size === 2) count %= 17;
  if (count === 0) { cpu.writeDest(ins, a, aHi); return; }
  let cf = getCF(cpu.s);
  let lo = a, hi = aHi;
  const bits = size * 8;
  for (let i = 0; i < count; i++) {
    if (size === 8) {
      const out = hi >>> 31;
      hi = (hi << 1) | (lo >>> 31);
      lo = (lo << 1) | cf;
      cf = out;
    } else {
      const out = (lo >>> (bits - 1)) & 1;
      lo = truncate((lo << 1) | cf, size);
      cf = out;
    }
  }
  cpu.writeDest(ins, lo, hi);
  setRotateFlags(cpu, cf, size === 8 ? ofLeft(aHi, 8) : ofLeft(a, size));
}

export function rcr(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const a = cpu.readDest(ins), aHi = cpu.hi;
  let count = shiftCount(cpu, ins);
  if (size === 1) count %= 9;
  else if (size === 2) count %= 17;
  if (count === 0) { cpu.writeDest(ins, a, aHi); return; }
  const cfIn = getCF(cpu.s);
  let cf = cfIn;
  let lo = size === 4 ? a >>> 0 : a, hi = aHi;
  const bits = size * 8;
  for (let i = 0; i < count; i++) {
    if (size === 8) {
      const out = lo & 1;
      lo = (lo >>> 1) | (hi << 31);
      hi = (hi >>> 1) | (cf << 31);
      cf = out;
    } else {
      const out = lo & 1;
      lo = ((lo >>> 1) | (cf << (bits - 1))) >>> 0;
      cf = out;
    }
  }
  lo = truncate(lo, size === 8 ? 4 : size);
  cpu.writeDest(ins, lo, hi | 0);
  setRotateFlags(cpu, cf, (size === 8 ? aHi >>> 31 : msb(a, size)) ^ cfIn);
}

/** (hi:lo << n) >> 32 for 0 <= n < 32: the high word of a left funnel shift. */
function funnelLeft(hi: number, lo: number, n: number): number {
  return n === 0 ? hi : (hi << n) | (lo >>> (32 - n));
}

/** (hi:lo >> n) & 0xffffffff for 0 <= n < 32: the low word of a right funnel shift. */
function funnelRight(hi: number, lo: number, n: number): number {
  return n === 0 ? lo : (lo >>> n) | (hi << (32 - n));
}

const TWO_16 = 0x1_0000, TWO_32 = 0x1_0000_0000;

/**
 * SHLD/SHRD (SDM Vol. 2). With a 16-bit operand and a count of 17..31 the SDM leaves result and
 * flags undefined; this CPU shifts the 48-bit value dest:src:dest (dest in the top and bottom
 * words) and takes the top (SHLD) or bottom (SHRD) 16 bits, CF being the last bit shifted out.
 * Measured with the oracle fixtures. The 48-bit value fits a double exactly, so it is shifted
 * with division instead of bit operators.
 */
function doubleShift(cpu: Cpu, ins: Instr, left: boolean): void {
  const size = ins.size0;
  const d = cpu.readDest(ins), dHi = cpu.hi;
  const src = cpu.getReg(ins.reg1, size), srcHi = cpu.hi;
  const rawCount = ins.kind2 === OpKind.Imm ? ins.immLo & 0xff : cpu.g8[8]!; // CL
  const count = rawCount & (size === 8 ? 0x3f : 0x1f);
  if (count === 0) { cpu.writeDest(ins, d, dHi); return; }
  let lo: number, hi = 0, cf: number;
  if (size === 2) {
    const wide = d * TWO_32 + src * TWO_16 + d;
    if (left) {
      lo = Math.floor(wide / 2 ** (32 - count)) & 0xffff;
      cf = Math.floor(wide / 2 ** (48 - count)) & 1;
    } else {
      lo = Math.floor(wide / 2 ** count) & 0xffff;
      cf = Math.floor(wide / 2 ** (count - 1)) & 1;
    }
  } else if (size === 4) {
    if (left) { lo = funnelLeft(d, src, count); cf = bit(d, 32 - count); }
    else { lo = funnelRight(src, d, count); cf = bit(d, count - 1); }
  } else if (left) {
    // 128-bit dest:src shifted left; the result is the top 64 bits.
    if (count < 32) { hi = funnelLeft(dHi, d, count); lo = funnelLeft(d, srcHi, count); cf = bit(dHi, 32 - count); }
    else {
      const n = count - 32;
      hi = funnelLeft(d, srcHi, n); lo = funnelLeft(srcHi, src, n); cf = n === 0 ? dHi & 1 : bit(d, 32 - n);
    }
  } else {
    // 128-bit src:dest shifted right; the result is the bottom 64 bits.
    if (count < 32) { lo = funnelRight(dHi, d, count); hi = funnelRight(src, dHi, count); cf = bit(d, count - 1); }
    else {
      const n = count - 32;
      lo = funnelRight(src, dHi, n); hi = funnelRight(srcHi, src, n); cf = n === 0 ? d >>> 31 : bit(dHi, n - 1);
    }
  }
  lo = size === 8 ? lo : truncate(lo, size);
  cpu.writeDest(ins, lo, hi);
  const top = size === 8 ? dHi : d;
  const of = left ? ofLeft(top, size) : msb(top, size === 8 ? 4 : size) ^ (src & 1);
  setShiftFlags(cpu, size, lo, hi, cf, of);
}

export const shld = (cpu: Cpu, ins: Instr): void => doubleShift(cpu, ins, true);
export const shrd = (cpu: Cpu, ins: Instr): void => doubleShift(cpu, ins, false);
