import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { I_CR, I_DR } from '../state/cpu-state.js';
import { DecodeMode } from '../decode/decoder.js';

/**
 * MOV to and from DR0-DR7 (SDM Vol. 3, 18.2). DR4/DR5 alias DR6/DR7 unless CR4.DE is set (then
 * #UD). DR6 and DR7 have fixed bits: DR6 reads 1 in bits 4-11 and 16-31 (bit 12 clear, RTM bit 16
 * set when RTM is absent), DR7 bit 10 reads 1. A 64-bit write with non-zero upper bits to DR6/DR7
 * is #GP(0). Breakpoint matching is not modelled: addresses are stored only.
 */

const VEC_UD = 6, VEC_GP = 13;
const DR6_FIXED = 0xffff0ff0 | 0;
const DR7_FIXED = 0x00000400;

function resolve(cpu: Cpu, n: number): number {
  if (n > 7) cpu.raise(VEC_UD);
  if (n === 4 || n === 5) {
    if ((cpu.s[I_CR + 8]! & (1 << 3)) !== 0) cpu.raise(VEC_UD); // CR4.DE
    return n + 2;
  }
  return n;
}

export function mov_from_dr(cpu: Cpu, ins: Instr): void {
  const n = resolve(cpu, ins.reg1);
  let lo = cpu.s[I_DR + 2 * n]!, hi = cpu.s[I_DR + 2 * n + 1]!;
  if (n === 6) { lo = (lo & ~0x1000) | DR6_FIXED; hi = 0; }
  else if (n === 7) { lo = (lo | DR7_FIXED) & ~0xd800; hi = 0; }
  cpu.setReg(ins.reg0, ins.size0, lo, ins.size0 === 8 ? hi : 0);
}

export function mov_to_dr(cpu: Cpu, ins: Instr): void {
  const n = resolve(cpu, ins.reg0);
  const lo = cpu.getReg(ins.reg1, ins.size1), hi = ins.size1 === 8 ? cpu.hi : 0;
  if ((n === 6 || n === 7) && hi !== 0) cpu.raise(VEC_GP, 0);
  if (n < 4 && cpu.mode === DecodeMode.Long64 && (hi >> 15) !== 0 && (hi >> 15) !== -1) {
    // Breakpoint addresses are linear addresses: a non-canonical one is #GP(0) in 64-bit mode.
    cpu.raise(VEC_GP, 0);
  }
  cpu.s[I_DR + 2 * n] = n === 6 ? (lo & ~0x1000) | DR6_FIXED : n === 7 ? (lo | DR7_FIXED) & ~0xd800 : lo;
  cpu.s[I_DR + 2 * n + 1] = n < 4 ? hi : 0;
}
