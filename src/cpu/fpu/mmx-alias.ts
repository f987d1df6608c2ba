/**
 * MMX register aliasing onto the x87 register file (SDM Vol. 1, 9.5 "Compatibility with x87 FPU
 * Architecture"). Shared by the x87 engine (src/cpu/fpu) and the MMX executors (src/cpu/sse):
 *
 * - MMn is the 64-bit significand field of the physical x87 register Rn (not ST(n)).
 * - Every MMX instruction except EMMS sets TOP to 0 and marks all eight tags valid (abridged tag
 *   0xFF), whether it reads or writes MMX registers: call `mmxEnter` once per instruction, after
 *   `mmxCheck`.
 * - Writing MMn also sets the sign/exponent field of Rn to all ones (0xFFFF), so x87 code sees
 *   a NaN or an unnormal there.
 * - EMMS marks all registers empty (`emms`).
 * - CR0.EM = 1 makes MMX instructions #UD; CR0.TS = 1 makes them #NM; a pending unmasked x87
 *   exception (FSW.ES) is reported as #MF before the instruction executes (SDM Vol. 3, 12.5).
 *
 * Values are returned as two int32 halves: `mmxRead` returns the low half and leaves the high
 * half in `mmxHi` (exported live binding; also `cpu.hi`).
 */
import type { Cpu } from '../cpu.js';
import { I_CR } from '../state/cpu-state.js';
import { I_FPR, I_FSW, I_FTW, SW_ES, SW_TOP_MASK } from './fpu-layout.js';
import { reportPendingX87 } from './fpu-exceptions.js';

/** Check CR0.EM/TS and a pending x87 exception for an MMX instruction (not EMMS-specific). */
export function mmxCheck(cpu: Cpu): void {
  const cr0 = cpu.s[I_CR]!;
  if ((cr0 & 0x4) !== 0) cpu.raise(6);
  if ((cr0 & 0x8) !== 0) cpu.raise(7);
  if ((cpu.s[I_FSW]! & SW_ES) !== 0) reportPendingX87(cpu);
}

/** The x87 side effects of any MMX instruction but EMMS: TOP = 0, all tags valid. */
export function mmxEnter(cpu: Cpu): void {
  const s = cpu.s;
  s[I_FSW] = s[I_FSW]! & ~SW_TOP_MASK;
  s[I_FTW] = 0xff;
}

/** Read MMn: returns bits 31..0; bits 63..32 are left in `cpu.hi`. */
export function mmxRead(cpu: Cpu, n: number): number {
  const at = I_FPR + 4 * n;
  cpu.hi = cpu.s[at + 1]!;
  return cpu.s[at]!;
}

/** Write MMn (64 bits as halves); the exponent field of Rn becomes all ones. */
export function mmxWrite(cpu: Cpu, n: number, lo: number, hi: number): void {
  const s = cpu.s;
  const at = I_FPR + 4 * n;
  s[at] = lo;
  s[at + 1] = hi;
  s[at + 2] = 0xffff;
}

/** EMMS: mark every x87 register empty (SDM Vol. 2, EMMS). Checks as for other MMX instructions. */
export function emms(cpu: Cpu): void {
  mmxCheck(cpu);
  cpu.s[I_FTW] = 0;
}
