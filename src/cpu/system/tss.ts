import type { Cpu } from '../cpu.js';
import { I_SEG_ATTR, I_SEG_BASE, I_SEG_LIMIT, I_SEG_SEL } from '../state/cpu-state.js';

const SEG_TR = 7, VEC_TS = 10;

/** TSS types in the descriptor type field (SDM Vol. 3, Table 3-2). */
export const TSS16_AVAILABLE = 1, TSS16_BUSY = 3, TSS32_AVAILABLE = 9, TSS32_BUSY = 11;

export function trBase(cpu: Cpu): number {
  const s = cpu.s;
  return (s[I_SEG_BASE + 2 * SEG_TR]! >>> 0) + s[I_SEG_BASE + 2 * SEG_TR + 1]! * 4294967296;
}

/** Read `size` bytes at `offset` in the current TSS (supervisor access; #TS if beyond its limit). */
export function readTss(cpu: Cpu, offset: number, size: number): number {
  const s = cpu.s;
  const limit = s[I_SEG_LIMIT + SEG_TR]! >>> 0;
  if ((s[I_SEG_ATTR + SEG_TR]! & 0x80) === 0 || offset + size - 1 > limit) cpu.raise(VEC_TS, s[I_SEG_SEL + SEG_TR]! & 0xfffc);
  const linear = cpu.wrapLinear(trBase(cpu) + offset);
  return cpu.supervisorRead(linear, size);
}

/** Whether TR holds a 16-bit TSS (types 1/3). */
export function tssIs16(cpu: Cpu): boolean {
  const type = cpu.s[I_SEG_ATTR + SEG_TR]! & 0xf;
  return type === TSS16_AVAILABLE || type === TSS16_BUSY;
}

/** Stack for privilege level `dpl` from a 16/32-bit TSS (SDM Vol. 3, 7.2.1, Figure 7-2). */
export function legacyStackFor(cpu: Cpu, dpl: number): { ss: number; sp: number } {
  if (tssIs16(cpu)) return { sp: readTss(cpu, 2 + 4 * dpl, 2), ss: readTss(cpu, 4 + 4 * dpl, 2) };
  return { sp: readTss(cpu, 4 + 8 * dpl, 4) >>> 0, ss: readTss(cpu, 8 + 8 * dpl, 2) };
}

/** RSPn (n = 0..2) or ISTn (n = 1..7) from the 64-bit TSS (SDM Vol. 3, 8.7, Figure 8-11). */
export function longStack(cpu: Cpu, offset: number): [number, number] {
  const lo = readTss(cpu, offset, 4);
  const hi = readTss(cpu, offset + 4, 4);
  return [lo | 0, hi | 0];
}

export const tss64RspOffset = (dpl: number): number => 4 + 8 * dpl;
export const tss64IstOffset = (ist: number): number => 36 + 8 * (ist - 1);
