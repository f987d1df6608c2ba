/**
 * Moving a `VcpuState` snapshot in and out of an x86vm `Cpu`. The assist uses it for its private
 * vCPU; tests and embedders can use it to treat an x86vm vCPU as "the hardware" of a VMM loop.
 */
import type { Cpu } from '../cpu/cpu.js';
import { getFlags, LazyOp } from '../cpu/exec/flags.js';
import {
  I_CPL, I_CR, I_EFER, I_GDTR_BASE, I_GDTR_LIMIT, I_HALTED, I_IDTR_BASE, I_IDTR_LIMIT, I_LAZY_OP, I_RFLAGS, I_RIP,
  I_SEG_ATTR, I_SEG_BASE, I_SEG_LIMIT, I_SEG_SEL, I_SHADOW,
} from '../cpu/state/cpu-state.js';
import type { SegmentCache, SegmentRegisters, VcpuField, VcpuState } from './types.js';

const M64 = (1n << 64n) - 1n;
export const SEGMENT_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

function set64(s: Int32Array, at: number, value: bigint): void {
  const v = value & M64;
  s[at] = Number(v & 0xffffffffn) | 0;
  s[at + 1] = Number(v >> 32n) | 0;
}

function get64(s: Int32Array, at: number): bigint {
  return (BigInt(s[at + 1]! >>> 0) << 32n) | BigInt(s[at]! >>> 0);
}

function loadSegment(s: Int32Array, seg: number, cache: SegmentCache): void {
  s[I_SEG_SEL + seg] = cache.selector & 0xffff;
  set64(s, I_SEG_BASE + 2 * seg, cache.base);
  s[I_SEG_LIMIT + seg] = cache.limit | 0;
  // VMX "unusable" (bit 16): behave as a segment that is not present.
  const attr = cache.attributes & 0xf0ff;
  s[I_SEG_ATTR + seg] = (cache.attributes & 0x10000) !== 0 ? attr & ~0x80 : attr;
}

function saveSegment(s: Int32Array, seg: number): SegmentCache {
  return {
    selector: s[I_SEG_SEL + seg]! & 0xffff,
    base: get64(s, I_SEG_BASE + 2 * seg),
    limit: s[I_SEG_LIMIT + seg]! >>> 0,
    attributes: s[I_SEG_ATTR + seg]! & 0xf0ff,
  };
}

/** Check the shape of a snapshot; returns a message for the first problem, or null. */
export function validateVcpuState(state: VcpuState): string | null {
  if (!state || typeof state !== 'object') return 'state is not an object';
  if (!Array.isArray(state.gprs) || state.gprs.length !== 16) return 'gprs must hold 16 registers';
  for (const [i, v] of state.gprs.entries()) if (typeof v !== 'bigint') return `gprs[${i}] is not a bigint`;
  for (const k of ['rip', 'rflags', 'cr0', 'cr2', 'cr3', 'cr4', 'efer'] as const) {
    if (typeof state[k] !== 'bigint') return `${k} is not a bigint`;
  }
  if (!state.segments) return 'segments are missing';
  for (const name of SEGMENT_NAMES) {
    const seg = state.segments[name];
    if (!seg || typeof seg.base !== 'bigint' || typeof seg.selector !== 'number' || typeof seg.limit !== 'number' || typeof seg.attributes !== 'number') {
      return `segment ${name} is missing or malformed`;
    }
  }
  if (!Number.isInteger(state.cpl) || state.cpl < 0 || state.cpl > 3) return 'cpl must be 0..3';
  if (state.pdptes && state.pdptes.length !== 4) return 'pdptes must hold 4 entries';
  return null;
}

/**
 * Load a snapshot into a vCPU: registers, flags (no lazy state), segment caches, control registers,
 * EFER, CPL; then recompute the decode mode and the paging configuration (PAE PDPTEs from
 * `state.pdptes` when given, else from memory at CR3).
 */
export function loadVcpuState(cpu: Cpu, state: VcpuState): void {
  const s = cpu.s;
  for (let i = 0; i < 16; i++) cpu.state.setGpr(i, state.gprs[i]! & M64);
  set64(s, I_RIP, state.rip);
  set64(s, I_RFLAGS, (state.rflags & M64) | 2n);
  s[I_LAZY_OP] = LazyOp.None;
  SEGMENT_NAMES.forEach((name, seg) => loadSegment(s, seg, state.segments[name]));
  if (state.segments.ldtr) loadSegment(s, 6, state.segments.ldtr);
  if (state.segments.tr) loadSegment(s, 7, state.segments.tr);
  if (state.gdtr) { set64(s, I_GDTR_BASE, state.gdtr.base); s[I_GDTR_LIMIT] = state.gdtr.limit; }
  if (state.idtr) { set64(s, I_IDTR_BASE, state.idtr.base); s[I_IDTR_LIMIT] = state.idtr.limit; }
  set64(s, I_CR, state.cr0);
  set64(s, I_CR + 4, state.cr2);
  set64(s, I_CR + 6, state.cr3);
  set64(s, I_CR + 8, state.cr4);
  set64(s, I_EFER, state.efer);
  s[I_CPL] = state.cpl;
  s[I_HALTED] = 0;
  s[I_SHADOW] = 0;
  cpu.updateMode();
  cpu.updatePaging();
  if (state.pdptes && cpu.paging.kind === 1) {
    for (let i = 0; i < 4; i++) {
      const v = state.pdptes[i]! & M64;
      cpu.paging.pdpte[2 * i] = Number(v & 0xffffffffn) | 0;
      cpu.paging.pdpte[2 * i + 1] = Number(v >> 32n) | 0;
    }
  }
}

/** Read a vCPU back into a snapshot (`template` supplies the fields a Cpu does not change here). */
export function saveVcpuState(cpu: Cpu, template?: VcpuState): VcpuState {
  const s = cpu.s;
  const gprs: bigint[] = [];
  for (let i = 0; i < 16; i++) gprs.push(cpu.state.getGpr(i));
  const flagsLo = getFlags(s) >>> 0;
  const segments = {} as SegmentRegisters;
  SEGMENT_NAMES.forEach((name, seg) => { segments[name] = saveSegment(s, seg); });
  if (!template || template.segments.ldtr) segments.ldtr = saveSegment(s, 6);
  if (!template || template.segments.tr) segments.tr = saveSegment(s, 7);
  const state: VcpuState = {
    gprs,
    rip: get64(s, I_RIP),
    rflags: (BigInt(s[I_RFLAGS + 1]! >>> 0) << 32n) | BigInt(flagsLo),
    segments,
    cr0: get64(s, I_CR),
    cr2: get64(s, I_CR + 4),
    cr3: get64(s, I_CR + 6),
    cr4: get64(s, I_CR + 8),
    efer: get64(s, I_EFER),
    cpl: s[I_CPL]!,
  };
  if (!template || template.gdtr) state.gdtr = { base: get64(s, I_GDTR_BASE), limit: s[I_GDTR_LIMIT]! >>> 0 };
  if (!template || template.idtr) state.idtr = { base: get64(s, I_IDTR_BASE), limit: s[I_IDTR_LIMIT]! >>> 0 };
  if (template?.pdptes) state.pdptes = template.pdptes.slice();
  return state;
}

function sameSegment(a: SegmentCache, b: SegmentCache): boolean {
  return (a.selector & 0xffff) === b.selector && (a.base & M64) === b.base && (a.limit >>> 0) === b.limit && (a.attributes & 0xf0ff) === b.attributes;
}

/** Fields of `after` that differ from `before`. */
export function changedFields(before: VcpuState, after: VcpuState): VcpuField[] {
  const out: VcpuField[] = [];
  for (let i = 0; i < 16; i++) if ((before.gprs[i]! & M64) !== after.gprs[i]) out.push(`gpr${i}`);
  if ((before.rip & M64) !== after.rip) out.push('rip');
  if (((before.rflags & M64) | 2n) !== after.rflags) out.push('rflags');
  if ((before.cr2 & M64) !== after.cr2) out.push('cr2');
  for (const name of SEGMENT_NAMES) if (!sameSegment(before.segments[name], after.segments[name])) out.push(name);
  return out;
}
