import type { Cpu } from '../cpu.js';
import { DecodeMode } from '../decode/decoder.js';
import { I_CPL, I_GDTR_BASE, I_GDTR_LIMIT, I_MODE, I_SEG_ATTR, I_SEG_BASE, I_SEG_LIMIT, I_SEG_SEL } from '../state/cpu-state.js';

const VEC_NP = 11, VEC_SS = 12, VEC_GP = 13;
const SEG_CS = 1, SEG_SS = 2, SEG_LDTR = 6;

/** A descriptor read from the GDT/LDT: the raw dwords and where it lives. */
export interface Descriptor {
  lo: number;
  hi: number;
  linear: number;
}

/** Packed cache attributes: descriptor bits 8..15 → attr bits 0..7, bits 20..23 → attr bits 12..15. */
export function descriptorAttr(hi: number): number {
  return (hi >>> 8) & 0xf0ff;
}

export function descriptorBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
}

/** Limit scaled by the granularity bit (SDM Vol. 3, 3.4.5). */
export function descriptorLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return (hi & 0x800000) !== 0 ? ((raw << 12) | 0xfff) >>> 0 : raw;
}

/** Read the 8-byte descriptor for `selector` from the GDT or LDT; #GP(selector) beyond the limit. */
export function readDescriptor(cpu: Cpu, selector: number): Descriptor {
  const s = cpu.s;
  const index = selector & 0xfff8;
  let base: number, limit: number;
  if ((selector & 4) !== 0) {
    if ((s[I_SEG_ATTR + SEG_LDTR]! & 0x80) === 0) cpu.raise(VEC_GP, selector & 0xfffc);
    base = (s[I_SEG_BASE + 2 * SEG_LDTR]! >>> 0) + s[I_SEG_BASE + 2 * SEG_LDTR + 1]! * 4294967296;
    limit = s[I_SEG_LIMIT + SEG_LDTR]! >>> 0;
  } else {
    base = (s[I_GDTR_BASE]! >>> 0) + s[I_GDTR_BASE + 1]! * 4294967296;
    limit = s[I_GDTR_LIMIT]! >>> 0;
  }
  if (index + 7 > limit) cpu.raise(VEC_GP, selector & 0xfffc);
  const linear = base + index;
  // Descriptor-table reads are implicit supervisor accesses (SDM Vol. 3, 4.6), whatever the CPL.
  const lo = cpu.supervisorRead(cpu.wrapLinear(linear), 4);
  const hi = cpu.supervisorRead(cpu.wrapLinear(linear + 4), 4);
  return { lo, hi, linear };
}

/** Load a descriptor cache entry directly. */
export function setSegmentCache(cpu: Cpu, seg: number, selector: number, base: number, limit: number, attr: number): void {
  const s = cpu.s;
  s[I_SEG_SEL + seg] = selector & 0xffff;
  s[I_SEG_BASE + 2 * seg] = base % 4294967296 | 0;
  s[I_SEG_BASE + 2 * seg + 1] = Math.floor(base / 4294967296) | 0;
  s[I_SEG_LIMIT + seg] = limit | 0;
  s[I_SEG_ATTR + seg] = attr;
  if (seg === SEG_CS || seg === SEG_SS) cpu.updateMode();
}

/** Set the accessed bit of a descriptor in memory (SDM Vol. 3, 3.4.5.1). */
function markAccessed(cpu: Cpu, desc: Descriptor): void {
  cpu.markAccessedDescriptor(desc);
}

/**
 * Load a data or stack segment register (MOV Sreg, POP Sreg, LDS/LES/LFS/LGS/LSS), with the checks of
 * SDM Vol. 3, 5.10 / Vol. 2 MOV "Protected Mode Exceptions". Real and virtual-8086 mode: base =
 * selector * 16, the cached limit and attributes are kept (which is what makes "unreal" mode work).
 */
export function loadDataSegment(cpu: Cpu, seg: number, selector: number): void {
  const s = cpu.s;
  const mode = s[I_MODE]!;
  selector &= 0xffff;
  if (mode === DecodeMode.Real || mode === DecodeMode.V86) {
    s[I_SEG_SEL + seg] = selector;
    s[I_SEG_BASE + 2 * seg] = selector << 4;
    s[I_SEG_BASE + 2 * seg + 1] = 0;
    if (mode === DecodeMode.V86) {
      s[I_SEG_LIMIT + seg] = 0xffff;
      s[I_SEG_ATTR + seg] = seg === SEG_CS ? 0xfb : 0xf3;
    }
    if (seg === SEG_SS) cpu.updateMode();
    return;
  }
  const cpl = s[I_CPL]!;
  const rpl = selector & 3;
  if ((selector & 0xfffc) === 0) {
    // A null selector: allowed for DS/ES/FS/GS (any use faults later); for SS only in 64-bit mode
    // at CPL < 3 with RPL = CPL (SDM Vol. 3, 5.4.1.1).
    if (seg === SEG_SS && !(mode === DecodeMode.Long64 && cpl !== 3 && rpl === cpl)) cpu.raise(VEC_GP, 0);
    setSegmentCache(cpu, seg, selector, 0, 0, seg === SEG_SS ? (cpl << 5) | 0x13 : 0);
    return;
  }
  const desc = readDescriptor(cpu, selector);
  const attr = descriptorAttr(desc.hi);
  const dpl = (attr >> 5) & 3;
  const isSystem = (attr & 0x10) === 0;
  const isCode = (attr & 0x08) !== 0;
  const error = selector & 0xfffc;
  if (seg === SEG_SS) {
    const writableData = !isSystem && !isCode && (attr & 0x02) !== 0;
    if (rpl !== cpl || dpl !== cpl || !writableData) cpu.raise(VEC_GP, error);
    if ((attr & 0x80) === 0) cpu.raise(VEC_SS, error);
  } else {
    const readable = !isSystem && (!isCode || (attr & 0x02) !== 0);
    const conforming = isCode && (attr & 0x04) !== 0;
    if (!readable) cpu.raise(VEC_GP, error);
    if (!conforming && dpl < Math.max(cpl, rpl)) cpu.raise(VEC_GP, error);
    if ((attr & 0x80) === 0) cpu.raise(VEC_NP, error);
  }
  markAccessed(cpu, desc);
  setSegmentCache(cpu, seg, selector, descriptorBase(desc.lo, desc.hi), descriptorLimit(desc.lo, desc.hi), descriptorAttr(desc.hi));
}

/**
 * Load CS for a far JMP/CALL/RET to a code segment at the same privilege level (conforming or
 * not). Gates and privilege changes belong to the system-architecture layer, which replaces
 * `farTransferHook` below.
 */
export function loadCodeSegment(cpu: Cpu, selector: number, forReturn: boolean): void {
  const s = cpu.s;
  const mode = s[I_MODE]!;
  selector &= 0xffff;
  if (mode === DecodeMode.Real || mode === DecodeMode.V86) {
    s[I_SEG_SEL + SEG_CS] = selector;
    s[I_SEG_BASE + 2 * SEG_CS] = selector << 4;
    s[I_SEG_BASE + 2 * SEG_CS + 1] = 0;
    cpu.updateMode();
    return;
  }
  const error = selector & 0xfffc;
  if (error === 0) cpu.raise(VEC_GP, 0);
  const desc = readDescriptor(cpu, selector);
  const attr = descriptorAttr(desc.hi);
  if ((attr & 0x18) !== 0x18) cpu.raise(VEC_GP, error); // not a code segment (gates: system layer)
  const cpl = s[I_CPL]!;
  const dpl = (attr >> 5) & 3;
  const rpl = selector & 3;
  const conforming = (attr & 0x04) !== 0;
  let newCpl = cpl;
  if (forReturn) {
    if (rpl < cpl) cpu.raise(VEC_GP, error);
    if (conforming ? dpl > rpl : dpl !== rpl) cpu.raise(VEC_GP, error);
    newCpl = rpl;
  } else if (conforming ? dpl > cpl : rpl > cpl || dpl !== cpl) {
    cpu.raise(VEC_GP, error);
  }
  if ((attr & 0x80) === 0) cpu.raise(VEC_NP, error);
  markAccessed(cpu, desc);
  s[I_CPL] = newCpl;
  setSegmentCache(cpu, SEG_CS, (selector & 0xfffc) | newCpl, descriptorBase(desc.lo, desc.hi), descriptorLimit(desc.lo, desc.hi), descriptorAttr(desc.hi));
}
