import type { Cpu } from '../cpu.js';
import type { CpuFeatures } from '../cpuid.js';
import type { Instr } from '../decode/instr.js';
import { DecodeMode } from '../decode/decoder.js';
import { getFlags, IF, RF, VM } from '../exec/flags.js';
import { setSegmentCache } from '../exec/segment.js';
import {
  I_CPL, I_CR, I_EFER, I_GPR, I_LAZY_OP, I_MODE, I_MSR_CSTAR, I_MSR_FMASK, I_MSR_KERNEL_GS_BASE,
  I_MSR_LSTAR, I_MSR_STAR, I_MSR_SYSENTER_CS, I_MSR_SYSENTER_EIP, I_MSR_SYSENTER_ESP, I_MSR_TSC_AUX,
  I_RFLAGS, I_RIP, I_SEG_BASE, I_SEG_SEL,
} from '../state/cpu-state.js';

/**
 * Fast system calls and the small instructions around them: SYSCALL/SYSRET (SDM Vol. 2, SYSCALL,
 * SYSRET; AMD APM Vol. 3 for the legacy and compatibility-mode forms, which only AMD CPUs have),
 * SYSENTER/SYSEXIT (SDM Vol. 2; Vol. 3, 5.8.7), SWAPGS, RDTSCP, RDPID and RDFSBASE/RDGSBASE/
 * WRFSBASE/WRGSBASE. The segment caches these load are fixed flat descriptors given by the
 * pseudocode, not read from the GDT.
 */

const VEC_UD = 6, VEC_GP = 13;
const SEG_CS = 1, SEG_SS = 2, SEG_FS = 4, SEG_GS = 5;
const EFER_SCE = 1 << 0, EFER_LMA = 1 << 10;
const CR4_TSD = 1 << 2, CR4_FSGSBASE = 1 << 16;
const FLAT_LIMIT = 0xffffffff;

/**
 * Flat cache attributes (exec/segment.ts descriptorAttr): P, S, type and DPL in bits 0-7; L (13),
 * D/B (14) and G (15). Code: type 11 (execute/read, accessed); stack: type 3 (read/write, accessed).
 */
const CODE64 = 0xa09b, CODE32 = 0xc09b, STACK = 0xc093, DPL3 = 0x60;

/** Whether the CPU model reports itself as AMD (CPUID leaf 0 "AuthenticAMD"). */
const amdCache = new WeakMap<CpuFeatures, boolean>();
export function isAmd(cpu: Cpu): boolean {
  let amd = amdCache.get(cpu.features);
  if (amd === undefined) {
    amd = cpu.features.leaves.find((l) => l.leaf === 0)?.ebx === 0x68747541; // "Auth"
    amdCache.set(cpu.features, amd);
  }
  return amd;
}

function in64BitMode(cpu: Cpu): boolean {
  return cpu.s[I_MODE] === DecodeMode.Long64;
}

function lma(cpu: Cpu): boolean {
  return (cpu.s[I_EFER]! & EFER_LMA) !== 0;
}

/** Set RIP from halves; `hi` must already be canonical-checked by the caller where needed. */
function setRip(cpu: Cpu, lo: number, hi: number): void {
  cpu.s[I_RIP] = lo;
  cpu.s[I_RIP + 1] = hi;
}

function setRsp(cpu: Cpu, lo: number, hi: number): void {
  cpu.s[I_GPR + 8] = lo;
  cpu.s[I_GPR + 9] = hi;
}

/** Load CS and SS with the fixed flat caches at a new privilege level (CPL first: updateMode uses it). */
function loadFlat(cpu: Cpu, cpl: number, cs: number, csAttr: number, ss: number, ssAttr: number | null): void {
  cpu.s[I_CPL] = cpl;
  const dpl = cpl === 3 ? DPL3 : 0;
  setSegmentCache(cpu, SEG_CS, cs, 0, FLAT_LIMIT, csAttr | dpl);
  if (ssAttr === null) cpu.s[I_SEG_SEL + SEG_SS] = ss & 0xffff; // AMD SYSRET: selector only
  else setSegmentCache(cpu, SEG_SS, ss, 0, FLAT_LIMIT, ssAttr | dpl);
  cpu.blockBreak = true;
}

/** Whether a 64-bit value with this high half is canonical (bits 63:47 equal, 48-bit addresses). */
function canonicalHigh(hi: number): boolean {
  const top = hi >> 15;
  return top === 0 || top === -1;
}

/**
 * SYSCALL. Intel: 64-bit mode only (#UD otherwise) with EFER.SCE; RCX := RIP, R11 := RFLAGS,
 * RIP := LSTAR, RFLAGS &= ~FMASK, CS := STAR[47:32] & FFFCh (64-bit code, DPL 0), SS := STAR[47:32]
 * + 8, CPL := 0. AMD also allows it in compatibility mode (RIP := CSTAR) and in legacy mode
 * (ECX := EIP, EIP := STAR[31:0], IF/VM/RF cleared, 32-bit flat CS).
 */
export function syscall(cpu: Cpu): void {
  const s = cpu.s;
  const amd = isAmd(cpu);
  if ((s[I_EFER]! & EFER_SCE) === 0) cpu.raise(VEC_UD);
  const long = lma(cpu);
  if (!amd && !in64BitMode(cpu)) cpu.raise(VEC_UD);
  const csSel = s[I_MSR_STAR + 1]! & 0xffff;
  const flags = getFlags(s);
  if (long) {
    s[I_GPR + 2] = s[I_RIP]!;
    s[I_GPR + 3] = s[I_RIP + 1]!;
    // Intel: R11 := RFLAGS; AMD stores it with RF cleared.
    s[I_GPR + 22] = amd ? flags & ~RF : flags;
    s[I_GPR + 23] = 0;
    const target = in64BitMode(cpu) ? I_MSR_LSTAR : I_MSR_CSTAR;
    s[I_RFLAGS] = flags & ~s[I_MSR_FMASK]! & ~RF;
    s[I_LAZY_OP] = 0;
    setRip(cpu, s[target]!, s[target + 1]!);
    loadFlat(cpu, 0, csSel & 0xfffc, CODE64, (csSel + 8) & 0xffff, STACK);
    return;
  }
  // AMD legacy mode.
  s[I_GPR + 2] = s[I_RIP]!;
  s[I_GPR + 3] = 0;
  s[I_RFLAGS] = flags & ~(IF | VM | RF);
  s[I_LAZY_OP] = 0;
  setRip(cpu, s[I_MSR_STAR]!, 0);
  loadFlat(cpu, 0, csSel & 0xfffc, CODE32, (csSel + 8) & 0xffff, STACK);
}

/**
 * SYSRET. Intel: 64-bit mode only with EFER.SCE (#UD), CPL 0 (#GP, the row's cpl0). With REX.W it
 * returns to 64-bit mode (RIP := RCX, which must be canonical: #GP(0) raised at CPL 0, SDM Vol. 2
 * SYSRET), else to compatibility mode (RIP := ECX). RFLAGS := (R11 & 3C7FD7h) | 2; CS := STAR[63:48]
 * (+16 for 64-bit) | 3; SS := (STAR[63:48] + 8) | 3; CPL := 3. AMD: no canonical check, SS keeps
 * its cached attributes (only the selector changes), and a legacy-mode form sets IF.
 */
export function sysret(cpu: Cpu, ins: Instr): void {
  const s = cpu.s;
  const amd = isAmd(cpu);
  if ((s[I_EFER]! & EFER_SCE) === 0) cpu.raise(VEC_UD);
  if (!amd && !in64BitMode(cpu)) cpu.raise(VEC_UD);
  const retSel = s[I_MSR_STAR + 1]! >>> 16;
  if (!lma(cpu)) {
    // AMD legacy mode.
    s[I_RFLAGS] = getFlags(s) | IF;
    s[I_LAZY_OP] = 0;
    setRip(cpu, s[I_GPR + 2]!, 0);
    loadFlat(cpu, 3, retSel | 3, CODE32, ((retSel + 8) & 0xffff) | 3, null);
    return;
  }
  const to64 = ins.opSize === 8;
  const rcxLo = s[I_GPR + 2]!, rcxHi = s[I_GPR + 3]!;
  if (to64 && !amd && !canonicalHigh(rcxHi)) cpu.raise(VEC_GP, 0);
  s[I_RFLAGS] = (s[I_GPR + 22]! & 0x3c7fd7) | 2;
  s[I_LAZY_OP] = 0;
  setRip(cpu, rcxLo, to64 ? rcxHi : 0);
  const cs = ((to64 ? retSel + 16 : retSel) & 0xffff) | 3;
  const ss = ((retSel + 8) & 0xffff) | 3;
  loadFlat(cpu, 3, cs, to64 ? CODE64 : CODE32, ss, amd ? null : STACK);
}

/**
 * SYSENTER (SDM Vol. 2, SYSENTER): #GP(0) in real mode or when SYSENTER_CS[15:2] is 0; clears
 * VM, IF and RF; CS := SYSENTER_CS & FFFCh, SS := CS + 8, flat at DPL 0. In IA-32e mode it enters
 * 64-bit mode with RSP/RIP := SYSENTER_ESP/EIP; otherwise 32-bit protected mode with their low
 * halves. AMD CPUs raise #UD for it in long mode.
 */
export function sysenter(cpu: Cpu): void {
  const s = cpu.s;
  const long = lma(cpu);
  if (long && isAmd(cpu)) cpu.raise(VEC_UD);
  if ((s[I_CR]! & 1) === 0) cpu.raise(VEC_GP, 0);
  const csSel = s[I_MSR_SYSENTER_CS]! & 0xfffc;
  if (csSel === 0) cpu.raise(VEC_GP, 0);
  s[I_RFLAGS] = getFlags(s) & ~(VM | IF | RF);
  s[I_LAZY_OP] = 0;
  setRsp(cpu, s[I_MSR_SYSENTER_ESP]!, long ? s[I_MSR_SYSENTER_ESP + 1]! : 0);
  setRip(cpu, s[I_MSR_SYSENTER_EIP]!, long ? s[I_MSR_SYSENTER_EIP + 1]! : 0);
  loadFlat(cpu, 0, csSel, long ? CODE64 : CODE32, csSel + 8, STACK);
}

/**
 * SYSEXIT (SDM Vol. 2, SYSEXIT): CPL 0 and protected mode (the row's attributes), #GP(0) when
 * SYSENTER_CS[15:2] is 0. With REX.W it returns to 64-bit mode: RSP := RCX, RIP := RDX (both must
 * be canonical, #GP(0)), CS := SYSENTER_CS + 32; otherwise RSP := ECX, RIP := EDX, CS :=
 * SYSENTER_CS + 16 (32-bit code). CS RPL and CPL become 3; SS := CS + 8.
 */
export function sysexit(cpu: Cpu, ins: Instr): void {
  const s = cpu.s;
  if (lma(cpu) && isAmd(cpu)) cpu.raise(VEC_UD);
  const base = s[I_MSR_SYSENTER_CS]! & 0xffff;
  if ((base & 0xfffc) === 0) cpu.raise(VEC_GP, 0);
  const to64 = ins.opSize === 8;
  const rcxLo = s[I_GPR + 2]!, rcxHi = s[I_GPR + 3]!, rdxLo = s[I_GPR + 4]!, rdxHi = s[I_GPR + 5]!;
  if (to64 && (!canonicalHigh(rcxHi) || !canonicalHigh(rdxHi))) cpu.raise(VEC_GP, 0);
  const cs = ((base + (to64 ? 32 : 16)) & 0xffff) | 3;
  setRsp(cpu, rcxLo, to64 ? rcxHi : 0);
  setRip(cpu, rdxLo, to64 ? rdxHi : 0);
  loadFlat(cpu, 3, cs, to64 ? CODE64 : CODE32, (cs + 8) & 0xffff, STACK);
}

/** SWAPGS (64-bit mode, CPL 0: the row's o64 and cpl0): exchange the GS base with IA32_KERNEL_GS_BASE. */
export function swapgs(cpu: Cpu): void {
  const s = cpu.s;
  const at = I_SEG_BASE + 2 * SEG_GS;
  const lo = s[at]!, hi = s[at + 1]!;
  s[at] = s[I_MSR_KERNEL_GS_BASE]!;
  s[at + 1] = s[I_MSR_KERNEL_GS_BASE + 1]!;
  s[I_MSR_KERNEL_GS_BASE] = lo;
  s[I_MSR_KERNEL_GS_BASE + 1] = hi;
}

/** RDTSCP: EDX:EAX := TSC, ECX := IA32_TSC_AUX[31:0]; #GP(0) with CR4.TSD at CPL > 0 (SDM Vol. 2, RDTSCP). */
export function rdtscp(cpu: Cpu): void {
  const s = cpu.s;
  if ((s[I_CR + 8]! & CR4_TSD) !== 0 && s[I_CPL] !== 0) cpu.raise(VEC_GP, 0);
  const tsc = cpu.readTsc();
  cpu.setReg(0, 4, Number(tsc & 0xffffffffn) | 0, 0);
  cpu.setReg(4, 4, Number((tsc >> 32n) & 0xffffffffn) | 0, 0);
  cpu.setReg(2, 4, s[I_MSR_TSC_AUX]!, 0);
}

/** RDPID r32/r64: IA32_TSC_AUX, zero-extended to 64 bits in 64-bit mode (SDM Vol. 2, RDPID). */
export function rdpid(cpu: Cpu, ins: Instr): void {
  cpu.setReg(ins.reg0, in64BitMode(cpu) ? 8 : 4, cpu.s[I_MSR_TSC_AUX]!, 0);
}

/** RD/WR FS/GS BASE: #UD unless CR4.FSGSBASE (SDM Vol. 2, RDFSBASE/WRFSBASE); 64-bit mode only (o64). */
function checkFsgsbase(cpu: Cpu): void {
  if ((cpu.s[I_CR + 8]! & CR4_FSGSBASE) === 0) cpu.raise(VEC_UD);
}

function readBase(cpu: Cpu, ins: Instr, seg: number): void {
  checkFsgsbase(cpu);
  const at = I_SEG_BASE + 2 * seg;
  cpu.setReg(ins.reg0, ins.size0 === 8 ? 8 : 4, cpu.s[at]!, cpu.s[at + 1]!);
}

/** WRFSBASE/WRGSBASE: a 64-bit source must be canonical (#GP(0)); a 32-bit one is zero-extended. */
function writeBase(cpu: Cpu, ins: Instr, seg: number): void {
  checkFsgsbase(cpu);
  const lo = cpu.g32[ins.reg0]!;
  const hi = ins.size0 === 8 ? cpu.g32[ins.reg0 + 1]! : 0;
  if (!canonicalHigh(hi)) cpu.raise(VEC_GP, 0);
  const at = I_SEG_BASE + 2 * seg;
  cpu.s[at] = lo;
  cpu.s[at + 1] = hi;
}

export const rdfsbase = (cpu: Cpu, ins: Instr): void => readBase(cpu, ins, SEG_FS);
export const rdgsbase = (cpu: Cpu, ins: Instr): void => readBase(cpu, ins, SEG_GS);
export const wrfsbase = (cpu: Cpu, ins: Instr): void => writeBase(cpu, ins, SEG_FS);
export const wrgsbase = (cpu: Cpu, ins: Instr): void => writeBase(cpu, ins, SEG_GS);
