import type { Cpu } from '../cpu.js';
import { OpKind, type Instr } from '../decode/instr.js';
import { getFlags, ZF } from '../exec/flags.js';
import { descriptorAttr, descriptorLimit, readDescriptor, setSegmentCache } from '../exec/segment.js';
import {
  I_CPL, I_CR, I_EFER, I_GDTR_BASE, I_GDTR_LIMIT, I_LAZY_OP, I_RFLAGS, I_SEG_ATTR, I_SEG_BASE,
  I_SEG_LIMIT, I_SEG_SEL,
} from '../state/cpu-state.js';
import { loadLdt, systemDescriptorBase } from './task-switch.js';

/**
 * Descriptor-table instructions of group 6 and friends (SDM Vol. 2): SLDT, STR, LLDT, LTR, LAR,
 * LSL, VERR, VERW and ARPL. LLDT/LTR load the system registers with their faults; LAR, LSL, VERR
 * and VERW never fault on a bad selector: they report the result in ZF (a page fault reading the
 * table is still a fault). Their rows carry `pm` (#UD in real and virtual-8086 mode) and, for
 * LLDT/LTR, `cpl0`.
 */

const VEC_NP = 11, VEC_GP = 13;
const SEG_LDTR = 6, SEG_TR = 7;
const CR4_UMIP = 1 << 11;
const TSS_AVAILABLE_16 = 1, TSS_AVAILABLE_32 = 9;

function longModeActive(cpu: Cpu): boolean {
  return (cpu.s[I_EFER]! & (1 << 10)) !== 0;
}

/**
 * The 16-bit selector operand (slot 0 or 1): from memory 16 bits are read; a register operand may
 * be decoded at the operand size (LAR/LSL r32, r32), of which the low 16 bits count.
 */
function selectorOperand(cpu: Cpu, ins: Instr, slot: 0 | 1): number {
  return (slot === 0 ? cpu.readSource(ins, ins.kind0, ins.reg0, ins.size0) : cpu.readSource(ins, ins.kind1, ins.reg1, ins.size1)) & 0xffff;
}

function setZf(cpu: Cpu, on: boolean): void {
  const s = cpu.s;
  const flags = getFlags(s);
  s[I_RFLAGS] = on ? flags | ZF : flags & ~ZF;
  s[I_LAZY_OP] = 0;
}

// ---------------------------------------------------------------------------------------------
// SLDT / STR

/**
 * Store a system selector: to memory always 16 bits; to a register at the operand size, zero-
 * extended (SDM Vol. 2, SLDT/STR). With CR4.UMIP, CPL > 0 raises #GP(0) (SDM Vol. 3, 2.5).
 */
function storeSelector(cpu: Cpu, ins: Instr, seg: number): void {
  const s = cpu.s;
  if ((s[I_CR + 8]! & CR4_UMIP) !== 0 && s[I_CPL] !== 0) cpu.raise(VEC_GP, 0);
  const selector = s[I_SEG_SEL + seg]! & 0xffff;
  if (ins.kind0 === OpKind.Reg) cpu.setReg(ins.reg0, ins.size0, selector, 0);
  else cpu.write16(cpu.linear(ins, 2), selector);
}

export const sldt = (cpu: Cpu, ins: Instr): void => storeSelector(cpu, ins, SEG_LDTR);
export const str = (cpu: Cpu, ins: Instr): void => storeSelector(cpu, ins, SEG_TR);

// ---------------------------------------------------------------------------------------------
// LLDT / LTR

/** LLDT (SDM Vol. 2, LLDT): an LDT descriptor in the GDT, or null (LDTR unusable); faults #GP/#NP. */
export function lldt(cpu: Cpu, ins: Instr): void {
  const selector = selectorOperand(cpu, ins, 0);
  loadLdt(cpu, selector, 0, VEC_GP);
  cpu.blockBreak = true;
}

/**
 * LTR (SDM Vol. 2, LTR; Vol. 3, 7.2.4): #GP(0) for a null selector; #GP(selector) unless the
 * selector names an available TSS in the GDT (16- or 32-bit outside IA-32e mode, the 64-bit TSS,
 * type 9, in IA-32e mode); #NP(selector) if not present. Marks the descriptor busy in memory
 * (so a second LTR of the same selector faults) and loads TR.
 */
export function ltr(cpu: Cpu, ins: Instr): void {
  const s = cpu.s;
  const selector = selectorOperand(cpu, ins, 0);
  const error = selector & 0xfffc;
  if (error === 0) cpu.raise(VEC_GP, 0);
  if ((selector & 4) !== 0) cpu.raise(VEC_GP, error);
  const desc = cpu.withSupervisor(() => readDescriptor(cpu, selector));
  const attr = descriptorAttr(desc.hi);
  const type = attr & 0x1f; // S (bit 4) must be 0: a system descriptor
  const ok = longModeActive(cpu) ? type === TSS_AVAILABLE_32 : type === TSS_AVAILABLE_16 || type === TSS_AVAILABLE_32;
  if (!ok) cpu.raise(VEC_GP, error);
  if ((attr & 0x80) === 0) cpu.raise(VEC_NP, error);
  const [lo, hi] = systemDescriptorBase(cpu, desc, selector, VEC_GP);
  const busyHi = desc.hi | 0x200;
  cpu.supervisorWrite(cpu.wrapLinear(desc.linear + 4), 4, busyHi);
  setSegmentCache(cpu, SEG_TR, selector, 0, descriptorLimit(desc.lo, desc.hi), attr | 0x02);
  s[I_SEG_BASE + 2 * SEG_TR] = lo;
  s[I_SEG_BASE + 2 * SEG_TR + 1] = hi;
}

// ---------------------------------------------------------------------------------------------
// LAR / LSL / VERR / VERW: descriptor probes that report through ZF

/** A descriptor read for a probe: raw dwords and decoded fields. */
interface Probe {
  lo: number;
  hi: number;
  attr: number;
  dpl: number;
  system: boolean;
  type: number;
}

/**
 * Read the descriptor named by `selector` without faulting on the selector: null, an LDT selector
 * with LDTR unusable, or an entry beyond the table limit give null. In IA-32e mode a system
 * descriptor is 16 bytes: all of it must be within the limit and the upper type field must be 0.
 */
function probeDescriptor(cpu: Cpu, selector: number): Probe | null {
  const s = cpu.s;
  if ((selector & 0xfffc) === 0) return null;
  let base: number, limit: number;
  if ((selector & 4) !== 0) {
    if ((s[I_SEG_ATTR + SEG_LDTR]! & 0x80) === 0 || (s[I_SEG_SEL + SEG_LDTR]! & 0xfffc) === 0) return null;
    base = (s[I_SEG_BASE + 2 * SEG_LDTR]! >>> 0) + s[I_SEG_BASE + 2 * SEG_LDTR + 1]! * 4294967296;
    limit = s[I_SEG_LIMIT + SEG_LDTR]! >>> 0;
  } else {
    base = (s[I_GDTR_BASE]! >>> 0) + s[I_GDTR_BASE + 1]! * 4294967296;
    limit = s[I_GDTR_LIMIT]! >>> 0;
  }
  const index = selector & 0xfff8;
  if (index + 7 > limit) return null;
  const linear = base + index;
  const lo = cpu.supervisorRead(cpu.wrapLinear(linear), 4);
  const hi = cpu.supervisorRead(cpu.wrapLinear(linear + 4), 4);
  const attr = descriptorAttr(hi);
  const system = (attr & 0x10) === 0;
  if (system && longModeActive(cpu)) {
    if (index + 15 > limit) return null;
    if ((cpu.supervisorRead(cpu.wrapLinear(linear + 12), 4) & 0x1f00) !== 0) return null;
  }
  return { lo, hi, attr, dpl: (attr >> 5) & 3, system, type: attr & 0xf };
}

/**
 * System descriptor types LAR and LSL accept (SDM Vol. 2, LAR and LSL, "Segment and Gate
 * Types" tables): outside IA-32e
 * mode LAR takes TSSs (1, 3, 9, 11), the LDT (2), call gates (4, 12) and task gates (5); LSL only
 * the TSSs and the LDT. In IA-32e mode only the LDT, the 64-bit TSS (9, 11) and, for LAR, the
 * 64-bit call gate (12) are valid.
 */
const LAR_TYPES_LEGACY = new Set([1, 2, 3, 4, 5, 9, 11, 12]);
const LAR_TYPES_LONG = new Set([2, 9, 11, 12]);
const LSL_TYPES_LEGACY = new Set([1, 2, 3, 9, 11]);
const LSL_TYPES_LONG = new Set([2, 9, 11]);

/**
 * The common LAR/LSL check: the type is valid for the instruction and, unless it is a conforming
 * code segment, DPL >= CPL and DPL >= RPL.
 */
function probeForLarLsl(cpu: Cpu, ins: Instr, legacy: Set<number>, long: Set<number>): Probe | null {
  const selector = selectorOperand(cpu, ins, 1);
  const d = probeDescriptor(cpu, selector);
  if (d === null) return null;
  if (d.system) {
    if (!(longModeActive(cpu) ? long : legacy).has(d.type)) return null;
  }
  const conformingCode = !d.system && (d.type & 0x0c) === 0x0c;
  if (!conformingCode && (d.dpl < cpu.s[I_CPL]! || d.dpl < (selector & 3))) return null;
  return d;
}

/**
 * LAR (SDM Vol. 2, LAR): the access rights of the second descriptor dword, masked with 00FxFF00h
 * (this model keeps bits 19:16 as in the descriptor, masking with 00FFFF00h as the AMD APM
 * documents) for 32/64-bit operands and with FF00h for 16-bit ones. ZF = 1 on success; otherwise
 * ZF = 0 and the destination is unchanged.
 */
export function lar(cpu: Cpu, ins: Instr): void {
  const d = probeForLarLsl(cpu, ins, LAR_TYPES_LEGACY, LAR_TYPES_LONG);
  if (d !== null) {
    const rights = ins.size0 === 2 ? d.hi & 0xff00 : d.hi & 0x00ffff00;
    cpu.setReg(ins.reg0, ins.size0, rights, 0);
  }
  setZf(cpu, d !== null);
}

/** LSL (SDM Vol. 2, LSL): the segment limit scaled by G (truncated to 16 bits for a 16-bit operand). */
export function lsl(cpu: Cpu, ins: Instr): void {
  const d = probeForLarLsl(cpu, ins, LSL_TYPES_LEGACY, LSL_TYPES_LONG);
  if (d !== null) {
    const limit = descriptorLimit(d.lo, d.hi);
    cpu.setReg(ins.reg0, ins.size0, ins.size0 === 2 ? limit & 0xffff : limit | 0, 0);
  }
  setZf(cpu, d !== null);
}

/**
 * VERR/VERW (SDM Vol. 2, VERR/VERW): ZF = 1 if the segment is readable (VERR: data, or readable
 * code) or writable (VERW: writable data) from CPL with the selector's RPL. System descriptors
 * never pass; conforming code segments skip the privilege check (VERR only, since code is never
 * writable). The present bit is not checked.
 */
function verify(cpu: Cpu, ins: Instr, write: boolean): void {
  const selector = selectorOperand(cpu, ins, 0);
  const d = probeDescriptor(cpu, selector);
  let ok = false;
  if (d !== null && !d.system) {
    const code = (d.type & 0x08) !== 0;
    const conforming = code && (d.type & 0x04) !== 0;
    const access = write ? !code && (d.type & 0x02) !== 0 : !code || (d.type & 0x02) !== 0;
    const privileged = conforming || (d.dpl >= cpu.s[I_CPL]! && d.dpl >= (selector & 3));
    ok = access && privileged;
  }
  setZf(cpu, ok);
}

export const verr = (cpu: Cpu, ins: Instr): void => verify(cpu, ins, false);
export const verw = (cpu: Cpu, ins: Instr): void => verify(cpu, ins, true);

// ---------------------------------------------------------------------------------------------
// ARPL

/**
 * ARPL r/m16, r16 (SDM Vol. 2, ARPL; protected mode only, not encodable in 64-bit mode): if the
 * destination selector's RPL is below the source's, raise it to the source's and set ZF; else
 * clear ZF and leave the destination unchanged.
 */
export function arpl(cpu: Cpu, ins: Instr): void {
  const dest = cpu.readDest(ins) & 0xffff;
  const src = cpu.getReg(ins.reg1, ins.size1);
  const raise = (dest & 3) < (src & 3);
  if (raise) cpu.writeDest(ins, (dest & ~3) | (src & 3), 0);
  setZf(cpu, raise);
}

