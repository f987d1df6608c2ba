/**
 * x87 control instructions (SDM Vol. 1, 8.3.10-8.3.12, 8.1.10): FNINIT, FNCLEX, FLDCW, FNSTCW,
 * FNSTSW, FNSTENV/FLDENV and FNSAVE/FRSTOR in the 16- and 32-bit, real and protected formats
 * (Figures 8-9 to 8-12), FWAIT. FCS and FDS are deprecated on the modelled CPU and stored as 0.
 */
import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { DecodeMode } from '../decode/decoder.js';
import { I_CR } from '../state/cpu-state.js';
import * as E from './extended.js';
import { I_FCW, I_FDP, I_FIP, I_FOP, I_FPR, I_FSW, I_FTW, SW_B, SW_ES } from './fpu-layout.js';
import { begin, top } from './fpu-stack.js';
import { reportPendingX87 } from './fpu-exceptions.js';

/** FNINIT state (SDM Vol. 1, Table 8-1... "FINIT/FNINIT"). */
export function initFpu(cpu: Cpu): void {
  const s = cpu.s;
  s[I_FCW] = 0x37f;
  s[I_FSW] = 0;
  s[I_FTW] = 0;
  s[I_FOP] = 0;
  s[I_FIP] = 0; s[I_FIP + 1] = 0;
  s[I_FDP] = 0; s[I_FDP + 1] = 0;
}

export function fninit(cpu: Cpu): void {
  begin(cpu, false);
  initFpu(cpu);
}

export function fnclex(cpu: Cpu): void {
  begin(cpu, false);
  cpu.s[I_FSW] = cpu.s[I_FSW]! & 0x7f00;
}

/** ES/B follow the exception flags against the (new) masks. */
export function updateSummary(cpu: Cpu): void {
  const s = cpu.s;
  const fsw = s[I_FSW]!;
  s[I_FSW] = (fsw & ~0x3f & ~(SW_ES | SW_B) | (fsw & 0x3f)) | ((fsw & ~s[I_FCW]! & 0x3f) !== 0 ? SW_ES | SW_B : 0);
}

export function fldcw(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  cpu.s[I_FCW] = (cpu.read16(cpu.linear(ins, 2)) & 0x1f7f) | 0x40;
  updateSummary(cpu);
}

export function fnstcw(cpu: Cpu, ins: Instr): void {
  begin(cpu, false);
  cpu.write16(cpu.linear(ins, 2), cpu.s[I_FCW]! & 0xffff);
}

export function fnstsw(cpu: Cpu, ins: Instr): void {
  begin(cpu, false);
  const fsw = cpu.s[I_FSW]! & 0xffff;
  if (ins.kind0 === 1 /* OpKind.Reg: AX */) cpu.g16[0] = fsw;
  else cpu.write16(cpu.linear(ins, 2), fsw);
}

export function fwait(cpu: Cpu): void {
  const s = cpu.s;
  if ((s[I_CR]! & 0xa) === 0xa) cpu.raise(7);
  if ((s[I_FSW]! & SW_ES) !== 0) reportPendingX87(cpu);
}

/** The full tag word computed from the registers (SDM Vol. 1, 8.1.7): 0 valid, 1 zero, 2 special, 3 empty. */
export function fullTagWord(cpu: Cpu): number {
  const s = cpu.s;
  const ftw = s[I_FTW]!;
  let tw = 0;
  for (let p = 0; p < 8; p++) {
    let t: number;
    if (((ftw >> p) & 1) === 0) t = 3;
    else {
      const at = I_FPR + 4 * p;
      const se = s[at + 2]!, hi = s[at + 1]! >>> 0, lo = s[at]! >>> 0;
      const exp = se & 0x7fff;
      if (exp === 0x7fff) t = 2;
      else if (exp === 0) t = hi === 0 && lo === 0 ? 1 : 2;
      else t = (hi & 0x80000000) !== 0 ? 0 : 2;
    }
    tw |= t << (2 * p);
  }
  return tw;
}

/** Abridged tag from a full tag word: empty (3) → 0, anything else → 1. */
function abridge(tw: number): number {
  let ftw = 0;
  for (let p = 0; p < 8; p++) if (((tw >> (2 * p)) & 3) !== 3) ftw |= 1 << p;
  return ftw;
}

function isRealFormat(cpu: Cpu): boolean {
  const m = cpu.s[4 * 0] !== undefined ? cpu.mode : cpu.mode;
  return m === DecodeMode.Real || m === DecodeMode.V86;
}

/** Write the 14/28-byte environment at `linear` (opSize 2 or 4+). */
function storeEnv(cpu: Cpu, linear: number, opSize: number): void {
  const s = cpu.s;
  const fcw = s[I_FCW]! & 0xffff, fsw = s[I_FSW]! & 0xffff, ftw = fullTagWord(cpu);
  const fip = s[I_FIP]! >>> 0, fdp = s[I_FDP]! >>> 0, fop = s[I_FOP]! & 0x7ff;
  const at = (i: number) => cpu.wrapLinear(linear + i);
  if (opSize === 2) {
    cpu.probeWrite(linear, 14);
    cpu.write16(at(0), fcw); cpu.write16(at(2), fsw); cpu.write16(at(4), ftw);
    if (isRealFormat(cpu)) {
      cpu.write16(at(6), fip & 0xffff);
      cpu.write16(at(8), ((fip >>> 4) & 0xf000) | fop);
      cpu.write16(at(10), fdp & 0xffff);
      cpu.write16(at(12), (fdp >>> 4) & 0xf000);
    } else {
      cpu.write16(at(6), fip & 0xffff); cpu.write16(at(8), 0);
      cpu.write16(at(10), fdp & 0xffff); cpu.write16(at(12), 0);
    }
    return;
  }
  cpu.probeWrite(linear, 28);
  cpu.write32(at(0), fcw | 0xffff0000); cpu.write32(at(4), fsw | 0xffff0000); cpu.write32(at(8), ftw | 0xffff0000);
  if (isRealFormat(cpu)) {
    cpu.write32(at(12), (fip & 0xffff) | 0xffff0000);
    cpu.write32(at(16), ((fip >>> 4) & 0x0ffff000) | fop);
    cpu.write32(at(20), (fdp & 0xffff) | 0xffff0000);
    cpu.write32(at(24), (fdp >>> 4) & 0x0ffff000);
  } else {
    cpu.write32(at(12), fip | 0);
    cpu.write32(at(16), fop << 16);
    cpu.write32(at(20), fdp | 0);
    cpu.write32(at(24), 0xffff0000 | 0);
  }
}

function loadEnv(cpu: Cpu, linear: number, opSize: number): void {
  const s = cpu.s;
  const at = (i: number) => cpu.wrapLinear(linear + i);
  let fcw: number, fsw: number, tw: number, fip: number, fdp: number, fop: number;
  if (opSize === 2) {
    fcw = cpu.read16(at(0)); fsw = cpu.read16(at(2)); tw = cpu.read16(at(4));
    if (isRealFormat(cpu)) {
      const w8 = cpu.read16(at(8));
      fip = cpu.read16(at(6)) | ((w8 & 0xf000) << 4); fop = w8 & 0x7ff;
      fdp = cpu.read16(at(10)) | ((cpu.read16(at(12)) & 0xf000) << 4);
    } else {
      fip = cpu.read16(at(6)); fop = 0; fdp = cpu.read16(at(10));
    }
  } else {
    fcw = cpu.read16(at(0)); fsw = cpu.read16(at(4)); tw = cpu.read16(at(8));
    if (isRealFormat(cpu)) {
      const d16 = cpu.read32(at(16));
      fip = (cpu.read16(at(12)) | ((d16 & 0x0ffff000) << 4)) >>> 0; fop = d16 & 0x7ff;
      fdp = (cpu.read16(at(20)) | ((cpu.read32(at(24)) & 0x0ffff000) << 4)) >>> 0;
    } else {
      fip = cpu.read32(at(12)); fop = (cpu.read32(at(16)) >>> 16) & 0x7ff; fdp = cpu.read32(at(20));
    }
  }
  s[I_FCW] = (fcw & 0x1f7f) | 0x40;
  s[I_FSW] = fsw & 0xffff;
  s[I_FTW] = abridge(tw);
  s[I_FIP] = fip | 0; s[I_FIP + 1] = 0;
  s[I_FDP] = fdp | 0; s[I_FDP + 1] = 0;
  s[I_FOP] = fop;
  updateSummary(cpu);
}

export function fnstenv(cpu: Cpu, ins: Instr): void {
  begin(cpu, false);
  const size = ins.opSize === 2 ? 14 : 28;
  storeEnv(cpu, cpu.linear(ins, size), ins.opSize);
  // FNSTENV masks all exceptions after saving (SDM Vol. 2, FSTENV).
  cpu.s[I_FCW] = cpu.s[I_FCW]! | 0x3f;
  updateSummary(cpu);
}

export function fldenv(cpu: Cpu, ins: Instr): void {
  begin(cpu, false);
  loadEnv(cpu, cpu.linear(ins, ins.opSize === 2 ? 14 : 28), ins.opSize);
}

export function fnsave(cpu: Cpu, ins: Instr): void {
  begin(cpu, false);
  const env = ins.opSize === 2 ? 14 : 28;
  const linear = cpu.linear(ins, env + 80);
  cpu.probeWrite(linear, env + 80);
  storeEnv(cpu, linear, ins.opSize);
  const s = cpu.s;
  const t = top(cpu);
  for (let i = 0; i < 8; i++) {
    const at = I_FPR + 4 * ((t + i) & 7);
    const a = cpu.wrapLinear(linear + env + 10 * i);
    cpu.write32(a, s[at]!);
    cpu.write32(cpu.wrapLinear(a + 4), s[at + 1]!);
    cpu.write16(cpu.wrapLinear(a + 8), s[at + 2]! & 0xffff);
  }
  initFpu(cpu);
}

export function frstor(cpu: Cpu, ins: Instr): void {
  begin(cpu, false);
  const env = ins.opSize === 2 ? 14 : 28;
  const linear = cpu.linear(ins, env + 80);
  // Read everything before changing state (a fault leaves the FPU unchanged).
  const regs = new Int32Array(24);
  for (let i = 0; i < 8; i++) {
    const a = cpu.wrapLinear(linear + env + 10 * i);
    regs[3 * i] = cpu.read32(a);
    regs[3 * i + 1] = cpu.read32(cpu.wrapLinear(a + 4));
    regs[3 * i + 2] = cpu.read16(cpu.wrapLinear(a + 8));
  }
  loadEnv(cpu, linear, ins.opSize);
  const s = cpu.s;
  const t = top(cpu);
  for (let i = 0; i < 8; i++) {
    const at = I_FPR + 4 * ((t + i) & 7);
    s[at] = regs[3 * i]!; s[at + 1] = regs[3 * i + 1]!; s[at + 2] = regs[3 * i + 2]!;
  }
}

void E;
