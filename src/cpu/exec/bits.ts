import type { Cpu } from '../cpu.js';
import { OpKind, type Instr } from '../decode/instr.js';
import { CF, getFlags, LazyOp, OF, SF, ZF, AF, PF } from './flags.js';
import { I_LAZY_OP, I_RFLAGS } from '../state/cpu-state.js';

/**
 * BT/BTS/BTR/BTC, BSF/BSR, POPCNT, LZCNT, TZCNT (SDM Vol. 2).
 * With a register bit offset and a memory operand, the offset is a signed bit index into a bit
 * string that may lie outside the operand (SDM Vol. 2, BT: "bit string" addressing).
 */

const enum BitOp { Test, Set, Reset, Complement }

function bitOp(cpu: Cpu, ins: Instr, op: BitOp): void {
  const s = cpu.s;
  const size = ins.size0;
  const bits = size * 8;
  let cf: number;
  if (ins.kind0 === OpKind.Reg) {
    const offset = (ins.kind1 === OpKind.Imm ? ins.immLo : cpu.getReg(ins.reg1, size)) & (bits - 1);
    const lo = cpu.getReg(ins.reg0, size), hi = cpu.hi;
    const inHigh = offset >= 32;
    const word = inHigh ? hi : lo;
    const mask = 1 << (offset & 31);
    cf = (word & mask) !== 0 ? 1 : 0;
    if (op !== BitOp.Test) {
      const next = op === BitOp.Set ? word | mask : op === BitOp.Reset ? word & ~mask : word ^ mask;
      if (size === 8) cpu.setReg(ins.reg0, 8, inHigh ? lo : next, inHigh ? next : hi);
      else cpu.setReg(ins.reg0, size, size === 2 ? next & 0xffff : next, 0);
    }
  } else {
    // Memory: an immediate offset is taken modulo the operand size; a register offset is a signed
    // index that moves the address by (offset >> 3) bytes (we access the containing byte).
    let byteDelta: number, bit: number;
    if (ins.kind1 === OpKind.Imm) {
      const offset = ins.immLo & (bits - 1);
      byteDelta = offset >> 3;
      bit = offset & 7;
    } else {
      let offset: number;
      if (size === 8) {
        const lo = cpu.getReg(ins.reg1, 8), hi = cpu.hi;
        offset = hi * 4294967296 + (lo >>> 0);
      } else {
        const raw = cpu.getReg(ins.reg1, size);
        offset = size === 2 ? (raw << 16) >> 16 : raw | 0;
      }
      byteDelta = Math.floor(offset / 8);
      bit = offset - byteDelta * 8;
    }
    const ea = cpu.effectiveAddress(ins);
    let linear: number;
    if (ins.addrSize === 8) {
      const sum = (cpu.eaLo >>> 0) + byteDelta;
      const carry = Math.floor(sum / 4294967296);
      linear = cpu.linear64(sum >>> 0, (cpu.eaHi + carry) | 0, ins.seg);
    } else {
      const offset = ins.addrSize === 2 ? (ea + byteDelta) & 0xffff : (ea + byteDelta) >>> 0;
      linear = cpu.segmentLinear(ins.seg, offset, 1, op !== BitOp.Test);
    }
    const byte = cpu.read8(linear);
    const mask = 1 << bit;
    cf = (byte & mask) !== 0 ? 1 : 0;
    if (op !== BitOp.Test) {
      cpu.write8(linear, op === BitOp.Set ? byte | mask : op === BitOp.Reset ? byte & ~mask : byte ^ mask);
    }
  }
  s[I_RFLAGS] = (getFlags(s) & ~CF) | cf;
  s[I_LAZY_OP] = LazyOp.None;
}

export const bt = (cpu: Cpu, ins: Instr): void => bitOp(cpu, ins, BitOp.Test);
export const bts = (cpu: Cpu, ins: Instr): void => bitOp(cpu, ins, BitOp.Set);
export const btr = (cpu: Cpu, ins: Instr): void => bitOp(cpu, ins, BitOp.Reset);
export const btc = (cpu: Cpu, ins: Instr): void => bitOp(cpu, ins, BitOp.Complement);

/** Index of the lowest (or highest) set bit of a value of `size` bytes, or -1 if zero. */
function scan(lo: number, hi: number, size: number, forward: boolean): number {
  if (size !== 8) hi = 0;
  if (size === 1) lo &= 0xff;
  else if (size === 2) lo &= 0xffff;
  if (lo === 0 && hi === 0) return -1;
  if (forward) return lo !== 0 ? 31 - Math.clz32(lo & -lo) : 63 - Math.clz32(hi & -hi);
  return hi !== 0 ? 63 - Math.clz32(hi) : 31 - Math.clz32(lo);
}

/** Flags after BSF/BSR: ZF from the source; this CPU clears CF, OF, SF, AF and sets PF from the result. */
function setScanFlags(cpu: Cpu, zero: boolean, result: number): void {
  const s = cpu.s;
  const flags = getFlags(s) & ~(CF | OF | SF | ZF | AF | PF);
  let parity = result & 0xff;
  parity ^= parity >> 4; parity ^= parity >> 2; parity ^= parity >> 1;
  s[I_RFLAGS] = flags | (zero ? ZF : 0) | ((parity & 1) === 0 ? PF : 0);
}

function bitScan(cpu: Cpu, ins: Instr, forward: boolean): void {
  const size = ins.size0;
  const lo = cpu.readSource(ins, ins.kind1, ins.reg1, size), hi = cpu.hi;
  const index = scan(lo, hi, size, forward);
  // A zero source leaves the destination unchanged (all 64 bits) on this CPU.
  if (index >= 0) cpu.setReg(ins.reg0, size, index, 0);
  setScanFlags(cpu, index < 0, index < 0 ? 0 : index);
}

export const bsf = (cpu: Cpu, ins: Instr): void => bitScan(cpu, ins, true);
export const bsr = (cpu: Cpu, ins: Instr): void => bitScan(cpu, ins, false);

function popcount32(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** POPCNT: ZF = (source == 0), other arithmetic flags cleared. */
export function popcnt(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  let lo = cpu.readSource(ins, ins.kind1, ins.reg1, size), hi = cpu.hi;
  if (size !== 8) hi = 0;
  if (size === 2) lo &= 0xffff;
  const count = popcount32(lo) + popcount32(hi);
  cpu.setReg(ins.reg0, size, count, 0);
  const s = cpu.s;
  s[I_RFLAGS] = (getFlags(s) & ~(CF | OF | SF | ZF | AF | PF)) | (count === 0 ? ZF : 0);
}

/** LZCNT/TZCNT: CF = (source == 0), ZF = (result == 0) (SDM Vol. 2, LZCNT, TZCNT). */
function countZeros(cpu: Cpu, ins: Instr, leading: boolean): void {
  const size = ins.size0;
  const lo = cpu.readSource(ins, ins.kind1, ins.reg1, size), hi = cpu.hi;
  const index = scan(lo, hi, size, !leading);
  const bits = size * 8;
  const count = index < 0 ? bits : leading ? bits - 1 - index : index;
  cpu.setReg(ins.reg0, size, count, 0);
  const s = cpu.s;
  // OF, SF, AF, PF are undefined in the SDM; this CPU clears them.
  s[I_RFLAGS] = (getFlags(s) & ~(CF | OF | SF | ZF | AF | PF)) | (index < 0 ? CF : 0) | (count === 0 ? ZF : 0);
}

export const lzcnt = (cpu: Cpu, ins: Instr): void => countZeros(cpu, ins, true);
export const tzcnt = (cpu: Cpu, ins: Instr): void => countZeros(cpu, ins, false);
