/**
 * FXSAVE/FXRSTOR (SDM Vol. 1, 10.5.1, Tables 10-2/10-3, legacy and REX.W 64-bit formats) and
 * XSAVE/XSAVEOPT/XRSTOR/XGETBV/XSETBV for the x87 and SSE state components (SDM Vol. 1, 13).
 */
import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { PFX_REX } from '../decode/instr.js';
import { DecodeMode } from '../decode/decoder.js';
import { I_CR, I_XCR0 } from '../state/cpu-state.js';
import { I_FCW, I_FDP, I_FIP, I_FOP, I_FPR, I_FSW, I_FTW, I_MXCSR, I_XMM, SW_B, SW_ES } from './fpu-layout.js';
import { top } from './fpu-stack.js';

const VEC_UD = 6, VEC_NM = 7, VEC_GP = 13;
/** MXCSR bits that may be set (DAZ supported): also the MXCSR_MASK field of the image. */
export const MXCSR_MASK = 0xffff;
/** Supported XCR0 bits: x87 (0) and SSE (1). */
export const XCR0_SUPPORTED = 0x3;
/** XSAVE area size for x87 + SSE: legacy region + header. */
export const XSAVE_SIZE = 576;

function rexW(cpu: Cpu, ins: Instr): boolean {
  return cpu.mode === DecodeMode.Long64 && (ins.prefixes & PFX_REX) !== 0 && ins.opSize === 8;
}

function xmmCount(cpu: Cpu): number {
  return cpu.mode === DecodeMode.Long64 ? 16 : 8;
}

/** #NM/#UD checks shared by FXSAVE/FXRSTOR (SDM Vol. 2, FXSAVE "Protected Mode Exceptions"). */
function fxCheck(cpu: Cpu): void {
  const cr0 = cpu.s[I_CR]!;
  if ((cr0 & 0x4) !== 0) cpu.raise(VEC_UD);
  if ((cr0 & 0x8) !== 0) cpu.raise(VEC_NM);
}

function osfxsr(cpu: Cpu): boolean {
  return (cpu.s[I_CR + 8]! & (1 << 9)) !== 0;
}

/** Write the x87 part (bytes 0..23 and the registers at 32..159) of the legacy image. */
function saveX87(cpu: Cpu, at: (i: number) => number, wide: boolean): void {
  const s = cpu.s;
  cpu.write16(at(0), s[I_FCW]! & 0xffff);
  cpu.write16(at(2), s[I_FSW]! & 0xffff);
  cpu.write8(at(4), s[I_FTW]! & 0xff);
  cpu.write8(at(5), 0);
  cpu.write16(at(6), s[I_FOP]! & 0x7ff);
  if (wide) {
    cpu.write64(at(8), s[I_FIP]!, s[I_FIP + 1]!);
    cpu.write64(at(16), s[I_FDP]!, s[I_FDP + 1]!);
  } else {
    cpu.write32(at(8), s[I_FIP]!);
    cpu.write32(at(12), 0); // FCS (deprecated: 0)
    cpu.write32(at(16), s[I_FDP]!);
    cpu.write32(at(20), 0); // FDS
  }
  const t = top(cpu);
  for (let i = 0; i < 8; i++) {
    const r = I_FPR + 4 * ((t + i) & 7);
    const a = 32 + 16 * i;
    cpu.write32(at(a), s[r]!);
    cpu.write32(at(a + 4), s[r + 1]!);
    cpu.write32(at(a + 8), s[r + 2]! & 0xffff);
    cpu.write32(at(a + 12), 0);
  }
}

function saveSse(cpu: Cpu, at: (i: number) => number): void {
  const s = cpu.s;
  for (let i = 0; i < xmmCount(cpu); i++) {
    for (let w = 0; w < 4; w++) cpu.write32(at(160 + 16 * i + 4 * w), s[I_XMM + 4 * i + w]!);
  }
}

function saveMxcsr(cpu: Cpu, at: (i: number) => number): void {
  cpu.write32(at(24), cpu.s[I_MXCSR]!);
  cpu.write32(at(28), MXCSR_MASK);
}

/** Load the x87 part; values were validated by the caller. */
function loadX87(cpu: Cpu, at: (i: number) => number, wide: boolean): void {
  const s = cpu.s;
  const fcw = cpu.read16(at(0)), fsw = cpu.read16(at(2)), ftw = cpu.read8(at(4)), fop = cpu.read16(at(6));
  let fipLo: number, fipHi: number, fdpLo: number, fdpHi: number;
  if (wide) {
    fipLo = cpu.read64(at(8)); fipHi = cpu.hi;
    fdpLo = cpu.read64(at(16)); fdpHi = cpu.hi;
  } else {
    fipLo = cpu.read32(at(8)); fipHi = 0;
    fdpLo = cpu.read32(at(16)); fdpHi = 0;
  }
  const regs = REGS;
  for (let i = 0; i < 8; i++) {
    const a = 32 + 16 * i;
    regs[3 * i] = cpu.read32(at(a));
    regs[3 * i + 1] = cpu.read32(at(a + 4));
    regs[3 * i + 2] = cpu.read16(at(a + 8));
  }
  s[I_FCW] = (fcw & 0x1f7f) | 0x40;
  // ES and B are not state of their own: they follow the unmasked exception flags.
  s[I_FSW] = (fsw & ~(SW_ES | SW_B)) | ((fsw & ~fcw & 0x3f) !== 0 ? SW_ES | SW_B : 0);
  s[I_FTW] = ftw;
  s[I_FOP] = fop & 0x7ff;
  s[I_FIP] = fipLo; s[I_FIP + 1] = fipHi;
  s[I_FDP] = fdpLo; s[I_FDP + 1] = fdpHi;
  const t = top(cpu);
  for (let i = 0; i < 8; i++) {
    const r = I_FPR + 4 * ((t + i) & 7);
    s[r] = regs[3 * i]!; s[r + 1] = regs[3 * i + 1]!; s[r + 2] = regs[3 * i + 2]!; s[r + 3] = 0;
  }
}
const REGS = new Int32Array(24);

function loadSse(cpu: Cpu, at: (i: number) => number): void {
  const s = cpu.s;
  for (let i = 0; i < xmmCount(cpu); i++) {
    for (let w = 0; w < 4; w++) s[I_XMM + 4 * i + w] = cpu.read32(at(160 + 16 * i + 4 * w));
  }
}

function initX87(cpu: Cpu): void {
  const s = cpu.s;
  s[I_FCW] = 0x37f; s[I_FSW] = 0; s[I_FTW] = 0; s[I_FOP] = 0;
  s[I_FIP] = 0; s[I_FIP + 1] = 0; s[I_FDP] = 0; s[I_FDP + 1] = 0;
  for (let i = 0; i < 32; i++) s[I_FPR + i] = 0;
}

function initSse(cpu: Cpu): void {
  const s = cpu.s;
  for (let i = 0; i < 4 * xmmCount(cpu); i++) s[I_XMM + i] = 0;
}

function base(cpu: Cpu, ins: Instr, size: number, align: number): number {
  const linear = cpu.linear(ins, size);
  if (linear % align !== 0) cpu.raise(VEC_GP, 0);
  return linear;
}

export function fxsave(cpu: Cpu, ins: Instr): void {
  fxCheck(cpu);
  const linear = base(cpu, ins, 512, 16);
  cpu.probeWrite(linear, 512);
  const at = (i: number) => cpu.wrapLinear(linear + i);
  saveX87(cpu, at, rexW(cpu, ins));
  if (osfxsr(cpu)) {
    saveMxcsr(cpu, at);
    saveSse(cpu, at);
  }
}

export function fxrstor(cpu: Cpu, ins: Instr): void {
  fxCheck(cpu);
  const linear = base(cpu, ins, 512, 16);
  const at = (i: number) => cpu.wrapLinear(linear + i);
  const mxcsr = cpu.read32(at(24));
  if (osfxsr(cpu) && (mxcsr & ~MXCSR_MASK) !== 0) cpu.raise(VEC_GP, 0);
  cpu.read8(at(511)); // fault on the last byte before changing anything
  loadX87(cpu, at, rexW(cpu, ins));
  if (osfxsr(cpu)) {
    cpu.s[I_MXCSR] = mxcsr;
    loadSse(cpu, at);
  }
}

function xsaveCheck(cpu: Cpu): void {
  const s = cpu.s;
  if ((s[I_CR + 8]! & (1 << 18)) === 0) cpu.raise(VEC_UD);
  if ((s[I_CR]! & 0x8) !== 0) cpu.raise(VEC_NM);
}

function x87IsInit(cpu: Cpu): boolean {
  const s = cpu.s;
  if (s[I_FCW] !== 0x37f || s[I_FSW] !== 0 || s[I_FTW] !== 0 || s[I_FOP] !== 0) return false;
  if ((s[I_FIP]! | s[I_FIP + 1]! | s[I_FDP]! | s[I_FDP + 1]!) !== 0) return false;
  for (let i = 0; i < 32; i++) if (s[I_FPR + i] !== 0) return false;
  return true;
}

function sseIsInit(cpu: Cpu): boolean {
  const s = cpu.s;
  for (let i = 0; i < 4 * xmmCount(cpu); i++) if (s[I_XMM + i] !== 0) return false;
  return true;
}

/** XSAVE and XSAVEOPT (standard format; XSAVEOPT may skip unmodified state, we always write). */
export function xsave(cpu: Cpu, ins: Instr): void {
  xsaveCheck(cpu);
  const linear = base(cpu, ins, XSAVE_SIZE, 64);
  const at = (i: number) => cpu.wrapLinear(linear + i);
  cpu.probeWrite(linear, XSAVE_SIZE);
  const rfbm = cpu.s[I_XCR0]! & cpu.g32[0]! & XCR0_SUPPORTED;
  const wide = rexW(cpu, ins);
  const bvOld = cpu.read32(at(512));
  let bv = bvOld & ~rfbm;
  if ((rfbm & 1) !== 0) {
    saveX87(cpu, at, wide);
    if (!x87IsInit(cpu)) bv |= 1;
  }
  if ((rfbm & 2) !== 0) {
    saveSse(cpu, at);
    if (!sseIsInit(cpu) || cpu.s[I_MXCSR] !== 0x1f80) bv |= 2;
  }
  if ((rfbm & 2) !== 0) saveMxcsr(cpu, at);
  cpu.write32(at(512), bv);
}

export function xrstor(cpu: Cpu, ins: Instr): void {
  xsaveCheck(cpu);
  const linear = base(cpu, ins, XSAVE_SIZE, 64);
  const at = (i: number) => cpu.wrapLinear(linear + i);
  const s = cpu.s;
  const rfbm = s[I_XCR0]! & cpu.g32[0]! & XCR0_SUPPORTED;
  const bvLo = cpu.read32(at(512)), bvHi = cpu.read32(at(516));
  const compLo = cpu.read32(at(520)), compHi = cpu.read32(at(524));
  // Standard form only: XCOMP_BV must be 0, XSTATE_BV within XCR0, header bytes 16..63 zero.
  if ((compLo | compHi) !== 0) cpu.raise(VEC_GP, 0);
  if ((bvHi !== 0) || (bvLo & ~s[I_XCR0]!) !== 0) cpu.raise(VEC_GP, 0);
  for (let i = 16; i < 64; i += 4) if (cpu.read32(at(512 + i)) !== 0) cpu.raise(VEC_GP, 0);
  if ((rfbm & 2) !== 0) {
    const mxcsr = cpu.read32(at(24));
    if ((mxcsr & ~MXCSR_MASK) !== 0) cpu.raise(VEC_GP, 0);
  }
  if ((rfbm & 1) !== 0) {
    if ((bvLo & 1) !== 0) loadX87(cpu, at, rexW(cpu, ins));
    else initX87(cpu);
  }
  if ((rfbm & 2) !== 0) {
    s[I_MXCSR] = cpu.read32(at(24));
    if ((bvLo & 2) !== 0) loadSse(cpu, at);
    else initSse(cpu);
  }
}

export function xgetbv(cpu: Cpu): void {
  const s = cpu.s;
  if ((s[I_CR + 8]! & (1 << 18)) === 0) cpu.raise(VEC_UD);
  if (cpu.g32[2] !== 0) cpu.raise(VEC_GP, 0);
  cpu.setReg(0, 4, s[I_XCR0]!, 0);
  cpu.setReg(4, 4, s[I_XCR0 + 1]!, 0);
}

/** XSETBV: CPL 0 (row attribute), ECX = 0, bit 0 set, only supported bits (SDM Vol. 2, XSETBV). */
export function xsetbv(cpu: Cpu): void {
  const s = cpu.s;
  if ((s[I_CR + 8]! & (1 << 18)) === 0) cpu.raise(VEC_UD);
  const g = cpu.g32;
  if (g[2] !== 0) cpu.raise(VEC_GP, 0);
  const lo = g[0]!, hi = g[4]!;
  if (hi !== 0 || (lo & ~XCR0_SUPPORTED) !== 0 || (lo & 1) === 0) cpu.raise(VEC_GP, 0);
  s[I_XCR0] = lo;
  s[I_XCR0 + 1] = 0;
}
