import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { AF, CF, getFlags, LazyOp, OF, setLazy } from './flags.js';
import { I_RFLAGS } from '../state/cpu-state.js';

/**
 * Decimal adjust instructions (SDM Vol. 2: DAA, DAS, AAA, AAS, AAM, AAD), outside 64-bit mode.
 * The SDM leaves OF undefined for all six, SF/ZF/PF for AAA/AAS and CF/AF for AAM/AAD. This
 * machine's CPU, measured through the native oracle (tests/fixtures/oracle/bcd.json):
 *
 *   instruction   OF                 SF ZF PF                  AF          CF
 *   DAA, DAS      0                  from AL                   (SDM)       (SDM)
 *   AAA, AAS      0                  from AL (after AND 0Fh),  (SDM)       (SDM)
 *                                    so SF is always 0
 *   AAM           0                  from AL                   0           0
 *   AAD           as the 8-bit ADD AL + AH*imm8 (all six flags)
 *
 * AAA/AAS adjust AX as a 16-bit value (AX +/- 106h), which is what the CPU does: a borrow out
 * of AL in AAS propagates into AH.
 */

function setResult(cpu: Cpu, al: number, cf: number, af: number, of: number): void {
  const s = cpu.s;
  s[I_RFLAGS] = (s[I_RFLAGS]! & ~(CF | AF | OF)) | (cf ? CF : 0) | (af ? AF : 0) | (of ? OF : 0);
  setLazy(s, LazyOp.Result, 1, al, 0, 0);
}

export function daa(cpu: Cpu): void {
  const flags = getFlags(cpu.s);
  const oldAl = cpu.g8[0]!;
  const oldCf = flags & CF;
  let al = oldAl, cf = 0, af = 0;
  if ((al & 0xf) > 9 || (flags & AF) !== 0) { al = (al + 6) & 0xff; af = 1; }
  if (oldAl > 0x99 || oldCf !== 0) { al = (al + 0x60) & 0xff; cf = 1; }
  cpu.g8[0] = al;
  setResult(cpu, al, cf, af, 0);
}

export function das(cpu: Cpu): void {
  const flags = getFlags(cpu.s);
  const oldAl = cpu.g8[0]!;
  const oldCf = flags & CF;
  let al = oldAl, cf = 0, af = 0;
  if ((al & 0xf) > 9 || (flags & AF) !== 0) { al = (al - 6) & 0xff; af = 1; cf = oldCf || oldAl < 6 ? 1 : 0; }
  if (oldAl > 0x99 || oldCf !== 0) { al = (al - 0x60) & 0xff; cf = 1; }
  cpu.g8[0] = al;
  setResult(cpu, al, cf, af, 0);
}

export function aaa(cpu: Cpu): void {
  const flags = getFlags(cpu.s);
  let ax = cpu.g16[0]!;
  const adjust = (ax & 0xf) > 9 || (flags & AF) !== 0;
  if (adjust) ax = (ax + 0x106) & 0xffff;
  ax &= 0xff0f;
  cpu.g16[0] = ax;
  setResult(cpu, ax & 0xff, adjust ? 1 : 0, adjust ? 1 : 0, 0);
}

export function aas(cpu: Cpu): void {
  const flags = getFlags(cpu.s);
  let ax = cpu.g16[0]!;
  const adjust = (ax & 0xf) > 9 || (flags & AF) !== 0;
  if (adjust) ax = (ax - 6 - 0x100) & 0xffff;
  ax &= 0xff0f;
  cpu.g16[0] = ax;
  setResult(cpu, ax & 0xff, adjust ? 1 : 0, adjust ? 1 : 0, 0);
}

/** AAM imm8: AH = AL / imm8, AL = AL % imm8; #DE for 0. */
export function aam(cpu: Cpu, ins: Instr): void {
  const base = ins.immLo & 0xff;
  if (base === 0) cpu.raise(0);
  const al = cpu.g8[0]!;
  cpu.g8[1] = Math.floor(al / base);
  cpu.g8[0] = al % base;
  setResult(cpu, cpu.g8[0]!, 0, 0, 0);
}

/** AAD imm8: AL = AH * imm8 + AL, AH = 0; flags as an 8-bit ADD of AL and AH*imm8. */
export function aad(cpu: Cpu, ins: Instr): void {
  const base = ins.immLo & 0xff;
  const a = cpu.g8[0]!, b = (cpu.g8[1]! * base) & 0xff;
  const r = (a + b) & 0xff;
  cpu.g16[0] = r;
  setLazy(cpu.s, LazyOp.Add, 1, r, a, b);
}
