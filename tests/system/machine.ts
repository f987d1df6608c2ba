/**
 * A flat machine with a real GDT in guest memory, for the system-instruction tests: the vCPU starts
 * in flat 32-bit protected mode, 64-bit mode or compatibility mode at CPL 0 or 3 (identity-mapped
 * user pages in IA-32e mode), with GDTR pointing at a table whose standard entries are listed in
 * SEL below. Guest code is assembled at CODE_BASE; results are stored at DATA.
 */
import { BareMachine } from '../../src/machine/bare-machine.js';
import { buildIdentityPageTables, enterFlatMode } from '../../src/machine/flat-setup.js';
import { ExitReason, type Cpu } from '../../src/cpu/cpu.js';
import { DEFAULT_FEATURES, type CpuFeatures } from '../../src/cpu/cpuid.js';
import { I_GDTR_BASE, I_GDTR_LIMIT, I_GPR, I_RIP } from '../../src/cpu/state/cpu-state.js';
import { assemble } from '../support/nasm.js';

export const CODE_BASE = 0x10000;
export const DATA = 0x8000;
export const GDT_BASE = 0x1000;
export const STACK_TOP = 0x9000;

/** Selectors of the standard GDT entries. */
export const SEL = {
  KCODE64: 0x08, KDATA: 0x10, UCODE32: 0x18, UDATA: 0x20, UCODE64: 0x28, KCODE32: 0x30,
  /** Free for the tests from here on (0x40 .. 0xf8). */
  FREE: 0x40,
} as const;

/** Encode an 8-byte segment descriptor: access byte (P DPL S type) and flags nibble (G D/B L AVL). */
export function descriptor(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((limit & 0xffff) | ((base & 0xffff) << 16)) >>> 0;
  const hi = (((base >>> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags << 20) | (base & 0xff000000)) >>> 0;
  return [lo, hi];
}

export interface SystemMachine {
  machine: BareMachine;
  cpu: Cpu;
  /** Write GDT entry at `selector` (8 bytes; `upper` adds the second half of a 16-byte entry). */
  setGdt(selector: number, desc: [number, number], upper?: [number, number]): void;
  read32(physical: number): number;
  read64(physical: number): bigint;
  /** Run with exitOnException; returns the exit reason. */
  run(budget?: number): ExitReason;
}

export interface SystemMachineOptions {
  mode: 32 | 64 | 'compat32';
  cpl?: 0 | 3;
  features?: CpuFeatures;
  cpus?: number;
}

export function systemMachine(source: string, options: SystemMachineOptions): SystemMachine {
  const bits = options.mode === 64 ? 64 : 32;
  const machine = new BareMachine({ ramSize: 4 << 20, cpus: options.cpus ?? 1, features: options.features ?? DEFAULT_FEATURES });
  machine.physical.load(CODE_BASE, assemble(source, bits, CODE_BASE));
  const cpu = machine.cpu;
  const mem = machine.physical;
  const setGdt = (selector: number, desc: [number, number], upper?: [number, number]): void => {
    const at = GDT_BASE + (selector & 0xfff8);
    mem.write(at, 4, desc[0]);
    mem.write(at + 4, 4, desc[1]);
    if (upper) {
      mem.write(at + 8, 4, upper[0]);
      mem.write(at + 12, 4, upper[1]);
    }
  };
  setGdt(SEL.KCODE64, descriptor(0, 0xfffff, 0x9b, 0xa));
  setGdt(SEL.KDATA, descriptor(0, 0xfffff, 0x93, 0xc));
  setGdt(SEL.UCODE32, descriptor(0, 0xfffff, 0xfb, 0xc));
  setGdt(SEL.UDATA, descriptor(0, 0xfffff, 0xf3, 0xc));
  setGdt(SEL.UCODE64, descriptor(0, 0xfffff, 0xfb, 0xa));
  setGdt(SEL.KCODE32, descriptor(0, 0xfffff, 0x9b, 0xc));
  for (const c of machine.cpus) {
    enterFlatMode(c, { mode: options.mode, cpl: options.cpl ?? 0, identityMap: [[0, 0x200000]], pageTablesAt: 0x300000 });
    c.s[I_GDTR_BASE] = GDT_BASE;
    c.s[I_GDTR_LIMIT] = 0xff;
    c.s[I_RIP] = CODE_BASE;
    c.s[I_GPR + 8] = STACK_TOP;
    c.exitOnException = true;
  }
  return {
    machine, cpu, setGdt,
    read32: (p) => mem.read(p, 4) >>> 0,
    read64: (p) => (BigInt(mem.read(p + 4, 4) >>> 0) << 32n) | BigInt(mem.read(p, 4) >>> 0),
    run: (budget = 100_000) => cpu.run(budget),
  };
}

/** Identity page tables for IA-32e mode built by the test (returns CR3). */
export function pageTables(sm: SystemMachine, at = 0x380000): number {
  return buildIdentityPageTables(sm.cpu, at, [[0, 0x200000]]);
}

/** A CPU model that reports itself as AMD ("AuthenticAMD"). */
export function amdFeatures(base: CpuFeatures = DEFAULT_FEATURES): CpuFeatures {
  return {
    ...base,
    name: `${base.name}-amd`,
    leaves: base.leaves.map((l) => (l.leaf === 0 ? { ...l, ebx: 0x68747541, edx: 0x69746e65, ecx: 0x444d4163 } : l)),
  };
}

/** The default model with extra decoder features (rows gated by CPUID features). */
export function withDecoderFeatures(names: string[], base: CpuFeatures = DEFAULT_FEATURES): CpuFeatures {
  return { ...base, name: `${base.name}+${names.join('+')}`, decoderFeatures: new Set([...base.decoderFeatures, ...names]) };
}
