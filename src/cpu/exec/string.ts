import type { Cpu } from '../cpu.js';
import { PFX_REP, PFX_REPNE, type Instr } from '../decode/instr.js';
import { DF, getZF, LazyOp, setLazy, setLazy64 } from './flags.js';
import { I_MODE, I_RFLAGS, I_RIP } from '../state/cpu-state.js';
import { DecodeMode } from '../decode/decoder.js';
import { truncate } from './alu.js';

/**
 * String instructions (SDM Vol. 1, 7.3.9; Vol. 2 MOVS/CMPS/SCAS/LODS/STOS/INS/OUTS, REP).
 * rSI/rDI/rCX are used at the address size. The source segment may be overridden; ES:rDI never.
 * A REP run is interruptible: after a batch of iterations the instruction is restarted (RIP is
 * rewound) so that interrupts and the scheduler get a chance, as on real hardware.
 */

const SEG_ES = 0;
const REP_BATCH = 4096;
const RSI = 6, RDI = 7, RCX = 1;

/** Read index register n (as an offset at the address size). */
function indexReg(cpu: Cpu, n: number, addrSize: number): number {
  if (addrSize === 2) return cpu.g16[n * 4]!;
  if (addrSize === 4) return cpu.g32[n * 2]! >>> 0;
  return cpu.g32[n * 2 + 1]! * 4294967296 + (cpu.g32[n * 2]! >>> 0);
}

function advanceReg(cpu: Cpu, n: number, addrSize: number, delta: number): void {
  const g = cpu.g32;
  if (addrSize === 2) cpu.g16[n * 4] = (cpu.g16[n * 4]! + delta) & 0xffff;
  else if (addrSize === 4) { g[n * 2] = (g[n * 2]! + delta) | 0; if (cpu.s[I_MODE] === DecodeMode.Long64) g[n * 2 + 1] = 0; }
  else {
    const sum = (g[n * 2]! >>> 0) + delta;
    g[n * 2 + 1] = (g[n * 2 + 1]! + Math.floor(sum / 4294967296)) | 0;
    g[n * 2] = sum | 0;
  }
}

function linearOf(cpu: Cpu, seg: number, offset: number, addrSize: number, size: number, write = false): number {
  if (addrSize === 8) {
    // indexReg gives the signed 64-bit value (exact for canonical addresses).
    return cpu.segmentLinear(seg, offset, size, write);
  }
  return cpu.segmentLinear(seg, offset, size, write);
}

function countReg(cpu: Cpu, addrSize: number): number {
  return indexReg(cpu, RCX, addrSize);
}

function step(cpu: Cpu, size: number): number {
  return (cpu.s[I_RFLAGS]! & DF) !== 0 ? -size : size;
}

/** Run `body` once, or under REP while rCX != 0, restarting after a batch. */
const USES_SI = 1, USES_DI = 2;

function repeat(cpu: Cpu, ins: Instr, conditional: boolean, body: (cpu: Cpu, ins: Instr) => void, uses: number): void {
  const addrSize = ins.addrSize;
  if ((ins.prefixes & (PFX_REP | PFX_REPNE)) === 0) {
    body(cpu, ins);
    return;
  }
  if (addrSize === 4 && cpu.s[I_MODE] === DecodeMode.Long64) {
    // With a 32-bit address size in 64-bit mode the CPU writes ECX (and, for the unconditional
    // forms, ESI/EDI) even when the count is already 0, which clears bits 63:32 (measured on this
    // CPU, tests/fixtures/oracle/string.json). With a non-zero count the loop writes them anyway.
    const g = cpu.g32;
    g[RCX * 2 + 1] = 0;
    if (!conditional && (uses & USES_SI) !== 0) g[RSI * 2 + 1] = 0;
    if (!conditional && (uses & USES_DI) !== 0) g[RDI * 2 + 1] = 0;
  }
  const wantZero = (ins.prefixes & PFX_REP) !== 0;
  for (let i = 0; i < REP_BATCH; i++) {
    if (countReg(cpu, addrSize) === 0) return;
    body(cpu, ins);
    advanceReg(cpu, RCX, addrSize, -1);
    if (conditional && getZF(cpu.s) !== wantZero) return;
  }
  if (countReg(cpu, addrSize) !== 0) {
    // Not finished: execute this instruction again (the run loop checks for interrupts first).
    cpu.s[I_RIP] = cpu.insRipLo;
    cpu.s[I_RIP + 1] = cpu.insRipHi;
    cpu.blockBreak = true;
  }
}

function movsOnce(cpu: Cpu, ins: Instr): void {
  const size = ins.size0, addrSize = ins.addrSize;
  const src = linearOf(cpu, ins.seg, indexReg(cpu, RSI, addrSize), addrSize, size);
  const dst = linearOf(cpu, SEG_ES, indexReg(cpu, RDI, addrSize), addrSize, size, true);
  const value = cpu.readMem(src, size);
  cpu.writeMem(dst, size, value, cpu.hi);
  const delta = step(cpu, size);
  advanceReg(cpu, RSI, addrSize, delta);
  advanceReg(cpu, RDI, addrSize, delta);
}

export function movs(cpu: Cpu, ins: Instr): void {
  repeat(cpu, ins, false, movsOnce, USES_SI | USES_DI);
}

function stosOnce(cpu: Cpu, ins: Instr): void {
  const size = ins.size0, addrSize = ins.addrSize;
  const dst = linearOf(cpu, SEG_ES, indexReg(cpu, RDI, addrSize), addrSize, size, true);
  const value = cpu.getReg(0, size);
  cpu.writeMem(dst, size, value, cpu.hi);
  advanceReg(cpu, RDI, addrSize, step(cpu, size));
}

export function stos(cpu: Cpu, ins: Instr): void {
  repeat(cpu, ins, false, stosOnce, USES_DI);
}

function lodsOnce(cpu: Cpu, ins: Instr): void {
  const size = ins.size1, addrSize = ins.addrSize;
  const src = linearOf(cpu, ins.seg, indexReg(cpu, RSI, addrSize), addrSize, size);
  const value = cpu.readMem(src, size);
  cpu.setReg(0, size, value, cpu.hi);
  advanceReg(cpu, RSI, addrSize, step(cpu, size));
}

export function lods(cpu: Cpu, ins: Instr): void {
  repeat(cpu, ins, false, lodsOnce, USES_SI);
}

function compare(cpu: Cpu, size: number, a: number, aHi: number, b: number, bHi: number): void {
  if (size === 8) {
    const diff = (a >>> 0) - (b >>> 0);
    setLazy64(cpu.s, LazyOp.Sub, diff | 0, (aHi - bHi - (diff < 0 ? 1 : 0)) | 0, a, aHi, b, bHi);
  } else {
    setLazy(cpu.s, LazyOp.Sub, size, truncate(a - b, size), a, b);
  }
}

/** CMPS: compares [seg:rSI] - [ES:rDI]. */
function cmpsOnce(cpu: Cpu, ins: Instr): void {
  const size = ins.size0, addrSize = ins.addrSize;
  const src = linearOf(cpu, ins.seg, indexReg(cpu, RSI, addrSize), addrSize, size);
  const dst = linearOf(cpu, SEG_ES, indexReg(cpu, RDI, addrSize), addrSize, size);
  const a = cpu.readMem(src, size), aHi = cpu.hi;
  const b = cpu.readMem(dst, size), bHi = cpu.hi;
  compare(cpu, size, a, aHi, b, bHi);
  const delta = step(cpu, size);
  advanceReg(cpu, RSI, addrSize, delta);
  advanceReg(cpu, RDI, addrSize, delta);
}

export function cmps(cpu: Cpu, ins: Instr): void {
  repeat(cpu, ins, true, cmpsOnce, USES_SI | USES_DI);
}

/** SCAS: compares the accumulator - [ES:rDI]. */
function scasOnce(cpu: Cpu, ins: Instr): void {
  const size = ins.size1, addrSize = ins.addrSize;
  const dst = linearOf(cpu, SEG_ES, indexReg(cpu, RDI, addrSize), addrSize, size);
  const a = cpu.getReg(0, size), aHi = cpu.hi;
  const b = cpu.readMem(dst, size), bHi = cpu.hi;
  compare(cpu, size, a, aHi, b, bHi);
  advanceReg(cpu, RDI, addrSize, step(cpu, size));
}

export function scas(cpu: Cpu, ins: Instr): void {
  repeat(cpu, ins, true, scasOnce, USES_DI);
}

/** INS: port DX → ES:rDI (the destination is always ES:rDI, with or without REP). */
function insOnce(cpu: Cpu, ins: Instr): void {
  const size = ins.size0, addrSize = ins.addrSize;
  const port = cpu.g16[2 * 4]!;
  const dst = linearOf(cpu, SEG_ES, indexReg(cpu, RDI, addrSize), addrSize, size, true);
  cpu.probeWrite(dst, size);
  const value = cpu.io.read(port, size);
  cpu.writeMem(dst, size, value | 0, 0);
  advanceReg(cpu, RDI, addrSize, step(cpu, size));
}

export function ins(cpu: Cpu, ins: Instr): void {
  cpu.checkIoPermission(cpu.g16[2 * 4]!, ins.size0);
  repeat(cpu, ins, false, insOnce, USES_DI);
}

/** OUTS: [seg:rSI] → port DX (the segment override applies to the source). */
function outsOnce(cpu: Cpu, ins: Instr): void {
  const size = ins.size1, addrSize = ins.addrSize;
  const port = cpu.g16[2 * 4]!;
  const src = linearOf(cpu, ins.seg, indexReg(cpu, RSI, addrSize), addrSize, size);
  const value = cpu.readMem(src, size);
  cpu.io.write(port, size, value >>> 0);
  advanceReg(cpu, RSI, addrSize, step(cpu, size));
}

export function outs(cpu: Cpu, ins: Instr): void {
  cpu.checkIoPermission(cpu.g16[2 * 4]!, ins.size1);
  repeat(cpu, ins, false, outsOnce, USES_SI);
}

