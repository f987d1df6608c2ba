import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { CF, getCF, LazyOp, setLazy, setLazy64 } from './flags.js';
import { I_RFLAGS } from '../state/cpu-state.js';

/** Truncate to the operand size: unsigned for 1 and 2 bytes, int32 for 4 (and the low half of 8). */
export function truncate(value: number, size: number): number {
  return size === 1 ? value & 0xff : size === 2 ? value & 0xffff : value | 0;
}

/** ADD/ADC (carry = 0 or 1). SDM Vol. 2, ADD, ADC. */
function addCore(cpu: Cpu, ins: Instr, carry: number, write: boolean): void {
  const size = ins.size0;
  const a = cpu.readDest(ins), aHi = cpu.hi;
  const b = cpu.readSource(ins, ins.kind1, ins.reg1, size), bHi = cpu.hi;
  const op = carry ? LazyOp.Adc : LazyOp.Add;
  if (size === 8) {
    const sum = (a >>> 0) + (b >>> 0) + carry;
    const lo = sum | 0, hi = (aHi + bHi + (sum > 0xffffffff ? 1 : 0)) | 0;
    if (write) cpu.writeDest(ins, lo, hi);
    setLazy64(cpu.s, op, lo, hi, a, aHi, b, bHi);
    return;
  }
  const r = truncate(a + b + carry, size);
  if (write) cpu.writeDest(ins, r, 0);
  setLazy(cpu.s, op, size, r, a, b);
}

/** SUB/SBB/CMP (borrow = 0 or 1). */
function subCore(cpu: Cpu, ins: Instr, borrow: number, write: boolean): void {
  const size = ins.size0;
  const a = write ? cpu.readDest(ins) : cpu.readSource(ins, ins.kind0, ins.reg0, size), aHi = cpu.hi;
  const b = cpu.readSource(ins, ins.kind1, ins.reg1, size), bHi = cpu.hi;
  const op = borrow ? LazyOp.Sbb : LazyOp.Sub;
  if (size === 8) {
    const diff = (a >>> 0) - (b >>> 0) - borrow;
    const lo = diff | 0, hi = (aHi - bHi - (diff < 0 ? 1 : 0)) | 0;
    if (write) cpu.writeDest(ins, lo, hi);
    setLazy64(cpu.s, op, lo, hi, a, aHi, b, bHi);
    return;
  }
  const r = truncate(a - b - borrow, size);
  if (write) cpu.writeDest(ins, r, 0);
  setLazy(cpu.s, op, size, r, a, b);
}

const enum Logic { And, Or, Xor }

function logicCore(cpu: Cpu, ins: Instr, kind: Logic, write: boolean): void {
  const size = ins.size0;
  const a = write ? cpu.readDest(ins) : cpu.readSource(ins, ins.kind0, ins.reg0, size), aHi = cpu.hi;
  const b = cpu.readSource(ins, ins.kind1, ins.reg1, size), bHi = cpu.hi;
  let r: number, rHi = 0;
  if (kind === Logic.And) { r = a & b; rHi = aHi & bHi; }
  else if (kind === Logic.Or) { r = a | b; rHi = aHi | bHi; }
  else { r = a ^ b; rHi = aHi ^ bHi; }
  if (size === 8) {
    if (write) cpu.writeDest(ins, r, rHi);
    setLazy64(cpu.s, LazyOp.Logic, r, rHi, 0, 0, 0, 0);
    return;
  }
  if (write) cpu.writeDest(ins, r, 0);
  setLazy(cpu.s, LazyOp.Logic, size, r, 0, 0);
}

export const add = (cpu: Cpu, ins: Instr): void => addCore(cpu, ins, 0, true);
export const adc = (cpu: Cpu, ins: Instr): void => addCore(cpu, ins, getCF(cpu.s), true);
export const sub = (cpu: Cpu, ins: Instr): void => subCore(cpu, ins, 0, true);
export const sbb = (cpu: Cpu, ins: Instr): void => subCore(cpu, ins, getCF(cpu.s), true);
export const cmp = (cpu: Cpu, ins: Instr): void => subCore(cpu, ins, 0, false);
export const and = (cpu: Cpu, ins: Instr): void => logicCore(cpu, ins, Logic.And, true);
export const or = (cpu: Cpu, ins: Instr): void => logicCore(cpu, ins, Logic.Or, true);
export const xor = (cpu: Cpu, ins: Instr): void => logicCore(cpu, ins, Logic.Xor, true);
export const test = (cpu: Cpu, ins: Instr): void => logicCore(cpu, ins, Logic.And, false);

/** INC/DEC keep CF (SDM Vol. 2, INC): materialise it into RFLAGS before recording the new op. */
function incDec(cpu: Cpu, ins: Instr, delta: number): void {
  const s = cpu.s;
  const cf = getCF(s);
  const size = ins.size0;
  const a = cpu.readDest(ins), aHi = cpu.hi;
  const op = delta > 0 ? LazyOp.Inc : LazyOp.Dec;
  if (size === 8) {
    const sum = (a >>> 0) + delta;
    const lo = sum | 0, hi = (aHi + (sum > 0xffffffff ? 1 : sum < 0 ? -1 : 0)) | 0;
    cpu.writeDest(ins, lo, hi);
    s[I_RFLAGS] = (s[I_RFLAGS]! & ~CF) | cf;
    setLazy64(s, op, lo, hi, a, aHi, delta, delta >> 31);
    return;
  }
  const r = truncate(a + delta, size);
  cpu.writeDest(ins, r, 0);
  s[I_RFLAGS] = (s[I_RFLAGS]! & ~CF) | cf;
  setLazy(s, op, size, r, a, delta);
}

export const inc = (cpu: Cpu, ins: Instr): void => incDec(cpu, ins, 1);
export const dec = (cpu: Cpu, ins: Instr): void => incDec(cpu, ins, -1);

/** NEG: 0 - x, CF = (x != 0). */
export function neg(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const b = cpu.readDest(ins), bHi = cpu.hi;
  if (size === 8) {
    const lo = (-b) | 0, hi = (~bHi + (b === 0 ? 1 : 0)) | 0;
    cpu.writeDest(ins, lo, hi);
    setLazy64(cpu.s, LazyOp.Sub, lo, hi, 0, 0, b, bHi);
    return;
  }
  const r = truncate(-b, size);
  cpu.writeDest(ins, r, 0);
  setLazy(cpu.s, LazyOp.Sub, size, r, 0, b);
}

/** NOT: no flags. */
export function not(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const a = cpu.readDest(ins), aHi = cpu.hi;
  cpu.writeDest(ins, truncate(~a, size), ~aHi);
}
