/**
 * Reporting of unmasked x87 exceptions (SDM Vol. 1, 8.7 "Handling x87 FPU Exceptions in Software";
 * Vol. 3, 6.15 #MF). An unmasked exception sets FSW.ES (and B); it is reported when the next
 * waiting x87 instruction (or FWAIT, or an MMX instruction) starts:
 * - CR0.NE = 1: #MF (vector 16), a fault on that instruction.
 * - CR0.NE = 0 (MS-DOS compatibility): the FERR# pin goes active and the board routes it to IRQ13.
 *   The CPU calls `cpu.onFerr` (the machine wires it to the PIC) and the instruction proceeds, as
 *   Bochs and QEMU do; the handler clears the exception with FNCLEX and the IGNNE# latch (port F0h).
 */
import type { Cpu } from '../cpu.js';
import { I_CR } from '../state/cpu-state.js';

export const VEC_MF = 16;

export function reportPendingX87(cpu: Cpu): void {
  if ((cpu.s[I_CR]! & 0x20) !== 0) cpu.raise(VEC_MF);
  cpu.onFerr?.();
}
