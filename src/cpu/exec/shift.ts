import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { AF, CF, getCF, getFlags, LazyOp, OF, setLazy, setLazy64 } from './flags.js';
import { I_LAZY_OP, I_RFLAGS } from '../state/cpu-state.js';
import { truncate } from './alu.js';

/**
 * Shifts and rotates (SDM Vol. 2, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD). The count is
 * masked to 5 bits (6 with a 64-bit operand). A masked count of 0 changes no flag.
 * Where the SDM leaves a flag undefined (OF for counts > 1, AF), we follow this machine's CPU, as
 * recorded in tests/fixtures/oracle.
 */

function shiftCount(cpu: Cpu, ins: Instr): number {
  const raw = cpu.readSource(ins, ins.kind1, ins.reg1, 1);
  return raw & (ins.size0 === 8 ? 0x3f : 0x1f);
}

/** Record a shift result: CF and OF explicitly, ZF/SF/PF from the result, AF cleared. */
function setShiftFlags(cpu: Cpu, size: number, lo: number, hi: number, cf: number, of: boolean): void {
  const s = cpu.s;
  s[I_RFLAGS] = (s[I_RFLAGS]! & ~(CF | OF | AF)) | cf | (of ? OF : 0);
  if (size === 8) setLazy64(s, LazyOp.Result, lo, hi, 0, 0, 0, 0);
  else setLazy(s, LazyOp.Result, size, lo, 0, 0);
}

/** Only CF and OF change (rotates). */
function setRotateFlags(cpu: Cpu, cf: number, of: boolean): void {
  const s = cpu.s;
  const flags = getFlags(s);
  s[I_RFLAGS] = (flags & ~(CF | OF)) | cf | (of ? OF : 0);
  s[I_LAZY_OP] = LazyOp.None;
}

function msb(value: number, size: number): number {
  return (value >>> (size * 8 - 1)) & 1;
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
    setShiftFlags(cpu, 8, lo, hi, cf, ((hi >>> 31) ^ cf) === 1);
    return;
  }
  const bits = size * 8;
  const r = truncate(a << count, size);
  const cf = count > bits ? 0 : (a >>> (bits - count)) & 1;
  cpu.writeDest(ins, r, 0);
  setShiftFlags(cpu, size, r, 0, cf, (msb(r, size) ^ cf) === 1);
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
    setShiftFlags(cpu, 8, lo | 0, hi | 0, cf, (aHi >>> 31) === 1);
    return;
  }
  const unsigned = size === 4 ? a >>> 0 : a;
  const r = truncate(count > 31 ? 0 : unsigned >>> count, size);
  const cf = count > size * 8 ? 0 : (unsigned >>> (count - 1)) & 1;
  cpu.writeDest(ins, r, 0);
  setShiftFlags(cpu, size, r, 0, cf, msb(a, size) === 1);
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
    setShiftFlags(cpu, 8, lo | 0, hi, cf, false);
    return;
  }
  const shift = 32 - size * 8;
  const signed = (a << shift) >> shift;
  const r = truncate(signed >> count, size);
  const cf = (signed >> (count - 1)) & 1;
  cpu.writeDest(ins, r, 0);
  setShiftFlags(cpu, size, r, 0, cf, false);
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
    const cf = lo & 1;
    setRotateFlags(cpu, cf, ((hi >>> 31) ^ cf) === 1);
    return;
  }
  const bits = size * 8;
  const c = count % bits;
  const r = c === 0 ? a : truncate((a << c) | ((size === 4 ? a >>> 0 : a) >>> (bits - c)), size);
  cpu.writeDest(ins, r, 0);
  const cf = r & 1;
  setRotateFlags(cpu, cf, (msb(r, size) ^ cf) === 1);
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
    setRotateFlags(cpu, hi >>> 31, ((hi >>> 31) ^ ((hi >>> 30) & 1)) === 1);
    return;
  }
  const bits = size * 8;
  const c = count % bits;
  const unsigned = size === 4 ? a >>> 0 : a;
  const r = c === 0 ? a : truncate((unsigned >>> c) | (a << (bits - c)), size);
  cpu.writeDest(ins, r, 0);
  const top = msb(r, size);
  setRotateFlags(cpu, top, (top ^ ((r >>> (bits - 2)) & 1)) === 1);
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
  const top = size === 8 ? hi >>> 31 : msb(lo, size);
  setRotateFlags(cpu, cf, (top ^ cf) === 1);
}

export function rcr(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const a = cpu.readDest(ins), aHi = cpu.hi;
  let count = shiftCount(cpu, ins);
  if (size === 1) count %= 9;
  else if (size === 2) count %= 17;
  if (count === 0) { cpu.writeDest(ins, a, aHi); return; }
  let cf = getCF(cpu.s);
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
  const r = size === 8 ? hi : lo;
  const b = size === 8 ? 32 : bits;
  const top = (r >>> (b - 1)) & 1, next = (r >>> (b - 2)) & 1;
  setRotateFlags(cpu, cf, (top ^ next) === 1);
}

/** SHLD/SHRD on 64-bit operands and the odd 16-bit counts use BigInt: they are rare. */
function doubleShift(cpu: Cpu, ins: Instr, left: boolean): void {
  const size = ins.size0;
  const bits = size * 8;
  const d = cpu.readDest(ins), dHi = cpu.hi;
  const src = cpu.getReg(ins.reg1, size), srcHi = cpu.hi;
  const rawCount = ins.kind2 === 3 /* Imm */ ? ins.immLo & 0xff : cpu.g8[8]!;
  const count = rawCount & (size === 8 ? 0x3f : 0x1f);
  if (count === 0) { cpu.writeDest(ins, d, dHi); return; }
  const mask = (1n << BigInt(bits)) - 1n;
  const big = (lo: number, hi: number) => size === 8 ? (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0) : BigInt(lo >>> 0) & mask;
  const dv = big(d, dHi), sv = big(src, srcHi);
  let result: bigint, cf: bigint;
  const n = BigInt(count);
  if (left) {
    // For 16-bit operands with counts above 16 the CPU shifts the 48-bit value dest:src:dest.
    const wide = size === 2 ? (dv << 32n) | (sv << 16n) | dv : (dv << BigInt(bits)) | sv;
    const total = size === 2 ? 48n : BigInt(bits * 2);
    const shifted = wide << n;
    result = (shifted >> (total - BigInt(bits))) & mask;
    cf = (shifted >> total) & 1n;
  } else {
    const wide = size === 2 ? (dv << 32n) | (sv << 16n) | dv : (sv << BigInt(bits)) | dv;
    const wide2 = size === 2 ? (dv << 32n) | (dv << 16n) | sv : wide;
    const source = size === 2 ? ((sv << 32n) | (dv << 16n) | sv) ^ 0n : wide;
    void wide2;
    result = (source >> n) & mask;
    cf = (source >> (n - 1n)) & 1n;
  }
  const lo = Number(result & 0xffffffffn) | 0;
  const hi = Number(result >> 32n) | 0;
  cpu.writeDest(ins, size === 8 ? lo : truncate(lo, size), hi);
  const signBefore = (dv >> BigInt(bits - 1)) & 1n, signAfter = (result >> BigInt(bits - 1)) & 1n;
  setShiftFlags(cpu, size, size === 8 ? lo : truncate(lo, size), hi, Number(cf), signBefore !== signAfter);
}

export const shld = (cpu: Cpu, ins: Instr): void => doubleShift(cpu, ins, true);
export const shrd = (cpu: Cpu, ins: Instr): void => doubleShift(cpu, ins, false);
