/** A machine with one or more vCPUs in flat 32-bit or 64-bit mode at CPL 0, for guest-code tests. */
import { BareMachine } from '../../src/machine/bare-machine.js';
import { enterFlatMode } from '../../src/machine/flat-setup.js';
import { ExitReason, type Cpu } from '../../src/cpu/cpu.js';
import { I_RIP } from '../../src/cpu/state/cpu-state.js';
import { assemble } from './nasm.js';

export const CODE_BASE = 0x10000;

export interface FlatMachine {
  machine: BareMachine;
  cpu: Cpu;
  /** Run until HLT (or an exception when exitOnException is set); fails on anything else. */
  runToHalt(cpu?: Cpu, budget?: number): ExitReason;
}

export function flatMachine(source: string, bits: 32 | 64, options: { cpus?: number; ramSize?: number } = {}): FlatMachine {
  const machine = new BareMachine({ ramSize: options.ramSize ?? 4 << 20, cpus: options.cpus ?? 1 });
  const code = assemble(source, bits, CODE_BASE);
  machine.physical.load(CODE_BASE, code);
  for (const cpu of machine.cpus) {
    enterFlatMode(cpu, { mode: bits, cpl: 0, identityMap: [[0, 0x200000], [0xfee00000, 0x1000], [0xcffff000, 0x3000]], pageTablesAt: 0x300000 });
    cpu.s[I_RIP] = CODE_BASE;
  }
  return {
    machine,
    cpu: machine.cpu,
    runToHalt(cpu = machine.cpu, budget = 1_000_000) {
      const exit = cpu.run(budget);
      return exit;
    },
  };
}
