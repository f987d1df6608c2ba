import type { Cpu } from '../cpu.js';
import { MSR_TSC_DEADLINE, X2APIC_MSR_FIRST, X2APIC_MSR_LAST } from '../local-apic-port.js';
import {
  I_CR, I_EFER, I_MSR_APIC_BASE, I_MSR_CSTAR, I_MSR_FMASK, I_MSR_KERNEL_GS_BASE, I_MSR_LSTAR,
  I_MSR_MISC_ENABLE, I_MSR_MTRR_DEF_TYPE, I_MSR_MTRR_FIXED, I_MSR_MTRR_VAR, I_MSR_PAT, I_MSR_STAR,
  I_MSR_SYSENTER_CS, I_MSR_SYSENTER_EIP, I_MSR_SYSENTER_ESP, I_MSR_TSC_AUX, I_SEG_BASE, I_MSR_MCG, I_MSR_MC_BANKS,
} from '../state/cpu-state.js';

/**
 * RDMSR / WRMSR (SDM Vol. 2, RDMSR and WRMSR; the registers are in SDM Vol. 4, Table 2-2 and
 * Vol. 3, 12.11 (MTRRs), 13.12 (PAT)). The modelled MSRs are a table: each entry says how the value
 * is read and which values a write accepts. An index not in the table, or a write the entry rejects
 * (reserved bits, a non-canonical address, an invalid memory type, a read-only register), raises
 * #GP(0). Both instructions are CPL 0 only: their rows carry `cpl0`, which the run loop enforces.
 */

const VEC_GP = 13;
const MASK64 = (1n << 64n) - 1n;

/** EFER bits (SDM Vol. 3, 2.2.1, Figure 2-4). */
export const EFER_SCE = 1n << 0n, EFER_LME = 1n << 8n, EFER_LMA = 1n << 10n, EFER_NXE = 1n << 11n;

/** IA32_PAT power-up value: PA0..PA7 = WB, WT, UC-, UC, WB, WT, UC-, UC (SDM Vol. 3, 13.12.4). */
export const PAT_RESET = 0x0007040600070406n;
/** IA32_APIC_BASE: BSP flag (bit 8), APIC global enable (bit 11), base 0xFEE00000 (SDM Vol. 3, 11.4.4). */
const APIC_BASE_BSP = 1n << 8n, APIC_BASE_EXTD = 1n << 10n, APIC_BASE_ENABLE = 1n << 11n, APIC_BASE_DEFAULT = 0xfee00000n;
/** IA32_MISC_ENABLE: fast strings (0) on; BTS (11) and PEBS (12) unavailable, read-only (SDM Vol. 4, Table 2-2). */
const MISC_ENABLE_RESET = (1n << 0n) | (1n << 11n) | (1n << 12n);
const MISC_ENABLE_READ_ONLY = (1n << 7n) | (1n << 11n) | (1n << 12n);
/** Writable: fast strings, TCC, EIST, MONITOR FSM, limit CPUID maxval, xTPR disable, XD disable. */
const MISC_ENABLE_WRITABLE = (1n << 0n) | (1n << 3n) | (1n << 16n) | (1n << 18n) | (1n << 22n) | (1n << 23n) | (1n << 34n);
/** IA32_MTRRCAP: 8 variable ranges, fixed ranges and write-combining supported (SDM Vol. 3, 12.11.2.1). */
export const MTRRCAP_VALUE = 8n | (1n << 8n) | (1n << 10n);

/** MSR indices (SDM Vol. 4, Table 2-2). */
export const MSR = {
  TSC: 0x10, APIC_BASE: 0x1b, MTRRCAP: 0xfe, SYSENTER_CS: 0x174, SYSENTER_ESP: 0x175, SYSENTER_EIP: 0x176,
  MISC_ENABLE: 0x1a0, MTRR_PHYSBASE0: 0x200, MTRR_FIX64K_00000: 0x250, MTRR_FIX16K_80000: 0x258,
  MTRR_FIX16K_A0000: 0x259, MTRR_FIX4K_C0000: 0x268, PAT: 0x277, MTRR_DEF_TYPE: 0x2ff,
  EFER: 0xc0000080, STAR: 0xc0000081, LSTAR: 0xc0000082, CSTAR: 0xc0000083, FMASK: 0xc0000084,
  FS_BASE: 0xc0000100, GS_BASE: 0xc0000101, KERNEL_GS_BASE: 0xc0000102, TSC_AUX: 0xc0000103,
} as const;

/** One modelled MSR. `write` absent: read-only, a write raises #GP(0). */
interface MsrEntry {
  readonly name: string;
  readonly read: (cpu: Cpu) => bigint;
  readonly write?: (cpu: Cpu, value: bigint) => void;
  /** Value after RESET (absent: 0, or derived by `read`). */
  readonly reset?: (cpu: Cpu) => bigint;
  /** The state slot (int32 index of the low half) for storage MSRs. */
  readonly slot?: number;
}

const gp = (cpu: Cpu): never => cpu.raise(VEC_GP, 0);

/** Canonical for 48-bit linear addresses: bits 63:47 all equal (SDM Vol. 1, 3.3.7.1). */
export function isCanonical(value: bigint): boolean {
  const top = value >> 47n;
  return top === 0n || top === 0x1ffffn;
}

function maxPhysMask(cpu: Cpu): bigint {
  return (1n << BigInt(cpu.paging.maxPhysBits)) - 1n;
}

/** Memory types valid in MTRRs (SDM Vol. 3, Table 12-8) and, with UC- (7), in the PAT (Table 13-10). */
const MTRR_TYPES = new Set([0, 1, 4, 5, 6]);
const PAT_TYPES = new Set([0, 1, 4, 5, 6, 7]);

function allBytesValid(value: bigint, valid: Set<number>): boolean {
  for (let i = 0n; i < 64n; i += 8n) if (!valid.has(Number((value >> i) & 0xffn))) return false;
  return true;
}

/** A storage MSR in a state slot, with a write check. */
function storage(name: string, slot: number, check: (cpu: Cpu, value: bigint) => boolean = () => true, reset?: (cpu: Cpu) => bigint): MsrEntry {
  return {
    name, slot, reset,
    read: (cpu) => cpu.state.get64(slot),
    write: (cpu, value) => {
      if (!check(cpu, value)) gp(cpu);
      cpu.state.set64(slot, value);
    },
  };
}

const noReserved = (reserved: bigint) => (_cpu: Cpu, value: bigint): boolean => (value & reserved) === 0n;
const canonical = (_cpu: Cpu, value: bigint): boolean => isCanonical(value);

/** FS/GS base: the descriptor-cache base of the segment register (SDM Vol. 3, 3.4.4). */
function segmentBaseMsr(name: string, seg: number): MsrEntry {
  return {
    name,
    read: (cpu) => cpu.state.get64(I_SEG_BASE + 2 * seg),
    write: (cpu, value) => {
      if (!isCanonical(value)) gp(cpu);
      cpu.state.set64(I_SEG_BASE + 2 * seg, value);
    },
  };
}

/**
 * IA32_EFER (SDM Vol. 3, 2.2.1; 10.8.5). SCE, LME and NXE are writable; LMA is set and cleared by
 * the processor (CR0.PG with LME, see control-registers.ts) and writes to it are ignored. Changing
 * LME while paging is enabled raises #GP(0). Other bits are reserved.
 */
const EFER_ENTRY: MsrEntry = {
  name: 'IA32_EFER',
  read: (cpu) => cpu.state.get64(I_EFER),
  write: (cpu, value) => {
    if ((value & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) !== 0n) gp(cpu);
    const old = cpu.state.get64(I_EFER);
    if (cpu.s[I_CR]! < 0 && ((old ^ value) & EFER_LME) !== 0n) gp(cpu);
    cpu.state.set64(I_EFER, (value & ~EFER_LMA) | (old & EFER_LMA));
    cpu.updatePaging();
    cpu.updateMode();
  },
};

/**
 * IA32_APIC_BASE (SDM Vol. 3, 11.4.4 and 11.12.1): BSP is read-only (set on vCPU 0); EXTD (bit 10,
 * x2APIC mode) is writable only on a vCPU with a local APIC whose model reports x2APIC, and the
 * APIC rejects invalid mode transitions (x2APIC → xAPIC, disabled → x2APIC, EXTD without EN).
 */
const APIC_BASE_ENTRY: MsrEntry = {
  name: 'IA32_APIC_BASE',
  slot: I_MSR_APIC_BASE,
  reset: (cpu) => APIC_BASE_DEFAULT | APIC_BASE_ENABLE | (cpu.id === 0 ? APIC_BASE_BSP : 0n),
  read: (cpu) => cpu.state.get64(I_MSR_APIC_BASE),
  write: (cpu, value) => {
    const x2 = cpu.apic !== null && (cpu.features.leaves.find((l) => l.leaf === 1)!.ecx & (1 << 21)) !== 0;
    const writable = APIC_BASE_ENABLE | (x2 ? APIC_BASE_EXTD : 0n) | (maxPhysMask(cpu) & ~0xfffn);
    if ((value & ~(writable | APIC_BASE_BSP)) !== 0n) gp(cpu);
    const bsp = cpu.state.get64(I_MSR_APIC_BASE) & APIC_BASE_BSP;
    const next = (value & writable) | bsp;
    if (cpu.apic !== null && !cpu.apic.baseWriteValid(next)) gp(cpu);
    cpu.state.set64(I_MSR_APIC_BASE, next);
    cpu.apic?.baseChanged(next);
  },
};

/** x2APIC registers and IA32_TSC_DEADLINE: answered by the vCPU's local APIC (#GP without one). */
function isApicMsr(index: number): boolean {
  return (index >= X2APIC_MSR_FIRST && index <= X2APIC_MSR_LAST) || index === MSR_TSC_DEADLINE;
}

const MISC_ENABLE_ENTRY: MsrEntry = {
  name: 'IA32_MISC_ENABLE',
  slot: I_MSR_MISC_ENABLE,
  reset: () => MISC_ENABLE_RESET,
  read: (cpu) => cpu.state.get64(I_MSR_MISC_ENABLE),
  write: (cpu, value) => {
    if ((value & ~(MISC_ENABLE_WRITABLE | MISC_ENABLE_READ_ONLY)) !== 0n) gp(cpu);
    const readOnly = cpu.state.get64(I_MSR_MISC_ENABLE) & MISC_ENABLE_READ_ONLY;
    cpu.state.set64(I_MSR_MISC_ENABLE, (value & MISC_ENABLE_WRITABLE) | readOnly);
  },
};

/** Time-stamp counter: writes move the offset added to the instruction-derived count (SDM Vol. 3, 19.17). */
const TSC_ENTRY: MsrEntry = {
  name: 'IA32_TIME_STAMP_COUNTER',
  read: (cpu) => cpu.readTsc() & MASK64,
  write: (cpu, value) => {
    cpu.tscOffset = value - BigInt(cpu.instructionCount);
  },
};

/** The MTRR variable pair n: PHYSBASE (type in 7:0, 11:8 reserved) and PHYSMASK (10:0 reserved, V in 11). */
function variableMtrr(n: number, mask: boolean): MsrEntry {
  const slot = I_MSR_MTRR_VAR + 2 * (2 * n + (mask ? 1 : 0));
  return storage(`IA32_MTRR_PHYS${mask ? 'MASK' : 'BASE'}${n}`, slot, (cpu, value) => {
    const high = value & ~maxPhysMask(cpu);
    if (high !== 0n) return false;
    return mask ? (value & 0x7ffn) === 0n : (value & 0xf00n) === 0n && MTRR_TYPES.has(Number(value & 0xffn));
  });
}

function fixedMtrr(name: string, n: number): MsrEntry {
  return storage(name, I_MSR_MTRR_FIXED + 2 * n, (_cpu, value) => allBytesValid(value, MTRR_TYPES));
}

/**
 * Machine-check architecture (SDM Vol. 3, 16.3; advertised as CPUID.01H:EDX.MCE/MCA): MC_BANKS
 * error-reporting banks and the global registers. Nothing ever logs an error, so the banks read
 * what software last wrote. IA32_MCG_CAP: bank count in 7:0, MCG_CTL_P (bit 8) for IA32_MCG_CTL.
 * IA32_MCG_CTL and IA32_MCi_CTL accept all 0s or all 1s (the P6-family rule, 16.3.2.1: anything
 * else raises #GP); IA32_MCi_STATUS may only be cleared ("writing 1s causes a general-protection
 * exception", 16.3.2.2); IA32_MCi_ADDR / MISC hold any value. Banks past the count are #GP.
 */
export const MC_BANKS = 10;
const MCG_CAP_VALUE = BigInt(MC_BANKS) | (1n << 8n);
const zeroOrOnes = (_cpu: Cpu, value: bigint): boolean => value === 0n || value === MASK64;

function machineCheckEntries(): [number, MsrEntry][] {
  const entries: [number, MsrEntry][] = [
    [0x179, { name: 'IA32_MCG_CAP', read: () => MCG_CAP_VALUE }],
    // MCG_STATUS: RIPV, EIPV, MCIP (bits 2:0); the rest reserved.
    [0x17a, storage('IA32_MCG_STATUS', I_MSR_MCG, noReserved(~7n & MASK64))],
    [0x17b, storage('IA32_MCG_CTL', I_MSR_MCG + 2, zeroOrOnes)],
  ];
  const kinds = ['CTL', 'STATUS', 'ADDR', 'MISC'];
  for (let bank = 0; bank < MC_BANKS; bank++) {
    for (let k = 0; k < 4; k++) {
      const check = k === 0 ? zeroOrOnes : k === 1 ? (_cpu: Cpu, value: bigint) => value === 0n : undefined;
      entries.push([0x400 + 4 * bank + k, storage(`IA32_MC${bank}_${kinds[k]}`, I_MSR_MC_BANKS + 2 * (4 * bank + k), check)]);
    }
  }
  return entries;
}

function buildTable(): Map<number, MsrEntry> {
  const table = new Map<number, MsrEntry>([
    [MSR.TSC, TSC_ENTRY],
    // IA32_BIOS_SIGN_ID (8Bh): writes are accepted (they request the signature); reads return the
    // microcode revision in EDX, 0 here as no update is loaded (SDM Vol. 3, 11.11.7.1). Linux reads it.
    [0x8b, { name: 'IA32_BIOS_SIGN_ID', read: () => 0n, write: () => {} }],
    [MSR.APIC_BASE, APIC_BASE_ENTRY],
    [MSR.MTRRCAP, { name: 'IA32_MTRRCAP', read: () => MTRRCAP_VALUE }],
    [MSR.SYSENTER_CS, storage('IA32_SYSENTER_CS', I_MSR_SYSENTER_CS)],
    // WRMSR: #GP for a non-canonical SYSENTER_ESP/EIP, FS/GS/KERNEL_GS base, LSTAR (SDM Vol. 2, WRMSR).
    [MSR.SYSENTER_ESP, storage('IA32_SYSENTER_ESP', I_MSR_SYSENTER_ESP, canonical)],
    [MSR.SYSENTER_EIP, storage('IA32_SYSENTER_EIP', I_MSR_SYSENTER_EIP, canonical)],
    [MSR.MISC_ENABLE, MISC_ENABLE_ENTRY],
    [MSR.MTRR_FIX64K_00000, fixedMtrr('IA32_MTRR_FIX64K_00000', 0)],
    [MSR.MTRR_FIX16K_80000, fixedMtrr('IA32_MTRR_FIX16K_80000', 1)],
    [MSR.MTRR_FIX16K_A0000, fixedMtrr('IA32_MTRR_FIX16K_A0000', 2)],
    [MSR.PAT, storage('IA32_PAT', I_MSR_PAT, (_cpu, value) => allBytesValid(value, PAT_TYPES), () => PAT_RESET)],
    // DEF_TYPE: type in 7:0 (a valid MTRR type), FE (10), E (11); the rest reserved (SDM Vol. 3, 12.11.2.1).
    [MSR.MTRR_DEF_TYPE, storage('IA32_MTRR_DEF_TYPE', I_MSR_MTRR_DEF_TYPE, (_cpu, value) => (value & ~0xcffn) === 0n && MTRR_TYPES.has(Number(value & 0xffn)))],
    [MSR.EFER, EFER_ENTRY],
    [MSR.STAR, storage('IA32_STAR', I_MSR_STAR)],
    [MSR.LSTAR, storage('IA32_LSTAR', I_MSR_LSTAR, canonical)],
    [MSR.CSTAR, storage('IA32_CSTAR', I_MSR_CSTAR, canonical)],
    // FMASK: bits 63:32 reserved (SDM Vol. 4, Table 2-2).
    [MSR.FMASK, storage('IA32_FMASK', I_MSR_FMASK, noReserved(0xffffffff00000000n))],
    [MSR.FS_BASE, segmentBaseMsr('IA32_FS_BASE', 4)],
    [MSR.GS_BASE, segmentBaseMsr('IA32_GS_BASE', 5)],
    [MSR.KERNEL_GS_BASE, storage('IA32_KERNEL_GS_BASE', I_MSR_KERNEL_GS_BASE, canonical)],
    [MSR.TSC_AUX, storage('IA32_TSC_AUX', I_MSR_TSC_AUX, noReserved(0xffffffff00000000n))],
  ]);
  for (const [index, entry] of machineCheckEntries()) table.set(index, entry);
  for (let i = 0; i < 8; i++) table.set(MSR.MTRR_FIX4K_C0000 + i, fixedMtrr(`IA32_MTRR_FIX4K_${(0xc0000 + i * 0x8000).toString(16).toUpperCase()}`, 3 + i));
  for (let n = 0; n < 8; n++) {
    table.set(MSR.MTRR_PHYSBASE0 + 2 * n, variableMtrr(n, false));
    table.set(MSR.MTRR_PHYSBASE0 + 2 * n + 1, variableMtrr(n, true));
  }
  return table;
}

/** The modelled MSRs by index. */
export const MSR_TABLE: ReadonlyMap<number, MsrEntry> = buildTable();

/** Read an MSR; #GP(0) for an index not modelled. */
export function readMsr(cpu: Cpu, index: number): bigint {
  if (isApicMsr(index >>> 0)) {
    const value = cpu.apic?.readMsr(index >>> 0) ?? null;
    return value === null ? gp(cpu) : value & MASK64;
  }
  const entry = MSR_TABLE.get(index >>> 0);
  if (entry === undefined) return gp(cpu);
  return entry.read(cpu) & MASK64;
}

/** Write an MSR; #GP(0) for an index not modelled, a read-only MSR or a value it rejects. */
export function writeMsr(cpu: Cpu, index: number, value: bigint): void {
  if (isApicMsr(index >>> 0)) {
    if (cpu.apic === null || !cpu.apic.writeMsr(index >>> 0, value & MASK64)) gp(cpu);
    return;
  }
  const entry = MSR_TABLE.get(index >>> 0);
  if (entry === undefined || entry.write === undefined) return gp(cpu);
  entry.write(cpu, value & MASK64);
}

/** Power-on values of the storage MSRs (the state block was just zeroed by Cpu.reset). */
export function resetMsrs(cpu: Cpu): void {
  for (const entry of MSR_TABLE.values()) {
    if (entry.slot !== undefined && entry.reset !== undefined) cpu.state.set64(entry.slot, entry.reset(cpu));
  }
}

/** RDMSR: EDX:EAX := MSR[ECX] (upper halves of RAX/RDX cleared in 64-bit mode). */
export function rdmsr(cpu: Cpu): void {
  const value = readMsr(cpu, cpu.g32[2]!);
  cpu.setReg(0, 4, Number(value & 0xffffffffn) | 0, 0);
  cpu.setReg(4, 4, Number(value >> 32n) | 0, 0);
}

/** WRMSR: MSR[ECX] := EDX:EAX. */
export function wrmsr(cpu: Cpu): void {
  const g = cpu.g32;
  writeMsr(cpu, g[2]!, (BigInt(g[4]! >>> 0) << 32n) | BigInt(g[0]! >>> 0));
  cpu.blockBreak = true;
}
