/**
 * MXCSR: LDMXCSR/STMXCSR and the SIMD floating-point exception reporting of every SSE arithmetic
 * instruction (SDM Vol. 1, 10.2.3 and 11.5; Vol. 3, 6.15 "#XM").
 */
import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { I_CR } from '../state/cpu-state.js';
import { fpBegin, flags, IE, DE, ZE } from './float-core.js';
import { I_MXCSR, VEC_GP, VEC_UD, VEC_XM, memAddress, sseCheck } from './state.js';

/** Writable MXCSR bits: flags, DAZ, masks, RC, FTZ (MXCSR_MASK 0xFFFF; SDM Vol. 1, 11.6.6). */
export const MXCSR_WRITABLE = 0xffff;
export const MXCSR_RESET = 0x1f80;

/** Start a floating-point instruction: load the MXCSR controls, clear the per-instruction flags. */
export function fpStart(cpu: Cpu): void {
  fpBegin(cpu.s[I_MXCSR]!);
}

/**
 * End a floating-point instruction before its destination is written: merge the flags into MXCSR;
 * an unmasked exception raises #XM (CR4.OSXMMEXCPT = 1) or #UD, leaving the destination unchanged.
 * When a pre-computation exception (IE, DE, ZE) is unmasked, the post-computation flags (OE, UE,
 * PE) are not reported (SDM Vol. 1, 11.5.2).
 */
export function fpFinish(cpu: Cpu): void {
  const f = flags;
  if (f === 0) return;
  const s = cpu.s;
  const mx = s[I_MXCSR]!;
  const unmasked = f & ~(mx >> 7) & 0x3f;
  if (unmasked !== 0) {
    const pre = f & (IE | DE | ZE);
    s[I_MXCSR] = mx | ((pre & ~(mx >> 7)) !== 0 ? pre : f);
    cpu.raise((s[I_CR + 8]! & 0x400) !== 0 ? VEC_XM : VEC_UD);
  }
  s[I_MXCSR] = mx | f;
}

/** LDMXCSR m32: reserved bits set → #GP(0) (SDM Vol. 2, LDMXCSR). */
export function ldmxcsr(cpu: Cpu, ins: Instr): void {
  sseCheck(cpu);
  const value = cpu.read32(memAddress(cpu, ins, 4, false));
  if ((value & ~MXCSR_WRITABLE) !== 0) cpu.raise(VEC_GP, 0);
  cpu.s[I_MXCSR] = value;
}

export function stmxcsr(cpu: Cpu, ins: Instr): void {
  sseCheck(cpu);
  cpu.write32(memAddress(cpu, ins, 4, false), cpu.s[I_MXCSR]!);
}
