import type { Cpu } from '../cpu.js';
import type { CpuFeatures } from '../cpuid.js';
import { I_CR, I_EFER, I_SEG_ATTR } from '../state/cpu-state.js';

/**
 * MOV to CR0/CR2/CR3/CR4/CR8 with the architectural checks (SDM Vol. 2, MOV—Move to/from Control
 * Registers; Vol. 3, 2.5) and IA-32e mode activation (SDM Vol. 3, 10.8.5): setting CR0.PG while
 * EFER.LME = 1 sets EFER.LMA, clearing it clears LMA. Everything is checked before anything changes.
 */

const VEC_GP = 13;

const CR0_PE = 1 << 0, CR0_ET = 1 << 4, CR0_NW = 1 << 29, CR0_CD = 1 << 30, CR0_PG = 1 << 31;
const CR4_PAE = 1 << 5, CR4_LA57 = 1 << 12, CR4_PCIDE = 1 << 17;
const EFER_LME = 1 << 8, EFER_LMA = 1 << 10;
/** CS.L in the packed attributes (exec/segment.ts descriptorAttr). */
const ATTR_L = 1 << 13;

/**
 * CR4 bits and the CPUID feature flag that makes each of them writable: a bit of a feature the CPU
 * model does not report is reserved and setting it raises #GP(0) (SDM Vol. 3, 2.5 "CR4"; Vol. 2, MOV CR:
 * "#GP(0) if an attempt is made to write a 1 to any reserved bit in CR4"). `leaf: 0` marks bits this emulator implements whatever CPUID says (the MMU and the
 * core handle them; CPUID should report the matching features, see the system-layer notes).
 */
const CR4_BITS: readonly { bit: number; name: string; leaf: number; reg: 'ecx' | 'edx' | 'ebx'; flag: number }[] = [
  { bit: 0, name: 'VME', leaf: 1, reg: 'edx', flag: 1 },
  { bit: 1, name: 'PVI', leaf: 1, reg: 'edx', flag: 1 },
  { bit: 2, name: 'TSD', leaf: 0, reg: 'edx', flag: 4 },
  { bit: 3, name: 'DE', leaf: 0, reg: 'edx', flag: 2 },
  { bit: 4, name: 'PSE', leaf: 0, reg: 'edx', flag: 3 },
  { bit: 5, name: 'PAE', leaf: 0, reg: 'edx', flag: 6 },
  { bit: 6, name: 'MCE', leaf: 0, reg: 'edx', flag: 7 },
  { bit: 7, name: 'PGE', leaf: 0, reg: 'edx', flag: 13 },
  { bit: 8, name: 'PCE', leaf: 0, reg: 'edx', flag: 0 },
  { bit: 9, name: 'OSFXSR', leaf: 1, reg: 'edx', flag: 24 },
  { bit: 10, name: 'OSXMMEXCPT', leaf: 1, reg: 'edx', flag: 25 },
  { bit: 11, name: 'UMIP', leaf: 7, reg: 'ecx', flag: 2 },
  { bit: 12, name: 'LA57', leaf: 7, reg: 'ecx', flag: 16 },
  { bit: 13, name: 'VMXE', leaf: 1, reg: 'ecx', flag: 5 },
  { bit: 14, name: 'SMXE', leaf: 1, reg: 'ecx', flag: 6 },
  { bit: 16, name: 'FSGSBASE', leaf: 7, reg: 'ebx', flag: 0 },
  { bit: 17, name: 'PCIDE', leaf: 1, reg: 'ecx', flag: 17 },
  { bit: 18, name: 'OSXSAVE', leaf: 1, reg: 'ecx', flag: 26 },
  { bit: 20, name: 'SMEP', leaf: 7, reg: 'ebx', flag: 7 },
  { bit: 21, name: 'SMAP', leaf: 7, reg: 'ebx', flag: 20 },
  { bit: 22, name: 'PKE', leaf: 7, reg: 'ecx', flag: 3 },
];

const cr4MaskCache = new WeakMap<CpuFeatures, number>();

/** CR4 bits the CPU model accepts. */
export function cr4ValidMask(features: CpuFeatures): number {
  let mask = cr4MaskCache.get(features);
  if (mask !== undefined) return mask;
  mask = 0;
  for (const b of CR4_BITS) {
    if (b.leaf === 0) { mask |= 1 << b.bit; continue; }
    // Look the leaf up directly: cpuidLookup answers a missing leaf with the highest basic one.
    const leaf = features.leaves.find((l) => l.leaf === b.leaf && (l.subleaf === undefined || l.subleaf === 0));
    if (leaf !== undefined && (leaf[b.reg] & (1 << b.flag)) !== 0) mask |= 1 << b.bit;
  }
  cr4MaskCache.set(features, mask);
  return mask;
}

export function writeControlRegister(cpu: Cpu, n: number, lo: number, hi: number): void {
  const s = cpu.s;
  const efer = s[I_EFER]!;
  const lma = (efer & EFER_LMA) !== 0;
  let newEfer = efer;
  switch (n) {
    case 0: {
      // Bits 63:32 are reserved (#GP); ET is hard-wired to 1; PG needs PE; NW needs CD.
      if (hi !== 0) cpu.raise(VEC_GP, 0);
      lo = (lo | CR0_ET) | 0;
      if ((lo & CR0_PG) !== 0 && (lo & CR0_PE) === 0) cpu.raise(VEC_GP, 0);
      if ((lo & CR0_CD) === 0 && (lo & CR0_NW) !== 0) cpu.raise(VEC_GP, 0);
      const oldPg = s[I_CR]! < 0, newPg = lo < 0;
      if (!oldPg && newPg && (efer & EFER_LME) !== 0) {
        // Activating IA-32e mode (SDM Vol. 3, 10.8.5): needs CR4.PAE, and CS.L = 0 (the switch
        // happens in compatibility mode).
        if ((s[I_CR + 8]! & CR4_PAE) === 0) cpu.raise(VEC_GP, 0);
        if ((s[I_SEG_ATTR + 1]! & ATTR_L) !== 0) cpu.raise(VEC_GP, 0);
        newEfer = efer | EFER_LMA;
      } else if (oldPg && !newPg && lma) {
        // Leaving IA-32e mode is only possible from compatibility mode; PCIDE must be clear.
        if ((s[I_SEG_ATTR + 1]! & ATTR_L) !== 0) cpu.raise(VEC_GP, 0);
        if ((s[I_CR + 8]! & CR4_PCIDE) !== 0) cpu.raise(VEC_GP, 0);
        newEfer = efer & ~EFER_LMA;
      }
      break;
    }
    case 4: {
      if (hi !== 0 || (lo & ~cr4ValidMask(cpu.features)) !== 0) cpu.raise(VEC_GP, 0);
      const old = s[I_CR + 8]!;
      // In IA-32e mode PAE cannot be cleared and LA57 cannot change (SDM Vol. 2, MOV CR).
      if (lma && (lo & CR4_PAE) === 0) cpu.raise(VEC_GP, 0);
      if (lma && ((lo ^ old) & CR4_LA57) !== 0) cpu.raise(VEC_GP, 0);
      // PCIDE can be set only in IA-32e mode with CR3[11:0] = 0.
      if ((lo & CR4_PCIDE) !== 0 && (old & CR4_PCIDE) === 0 && (!lma || (s[I_CR + 6]! & 0xfff) !== 0)) cpu.raise(VEC_GP, 0);
      break;
    }
    case 8:
      // CR8 is the task-priority register: bits 3:0 (TPR[7:4]); the rest reserved (SDM Vol. 3, 2.5 "CR8" and 11.8.6).
      if (hi !== 0 || (lo & ~0xf) !== 0) cpu.raise(VEC_GP, 0);
      // With a local APIC, CR8 is a view of its TPR (SDM Vol. 3, 11.8.6.1): TPR[7:4] = CR8[3:0], TPR[3:0] = 0.
      cpu.apic?.writeTpr(lo << 4);
      break;
    default:
      break;
  }
  s[I_CR + 2 * n] = lo;
  s[I_CR + 2 * n + 1] = hi;
  s[I_EFER] = newEfer;
  if (n === 0 || n === 3 || n === 4) cpu.updatePaging();
  if (n === 0 || n === 4) cpu.updateMode();
  cpu.blockBreak = true;
}
