/**
 * Interpreter micro-benchmarks: guest MIPS on fixed workloads (bench/workloads/*.asm), each run in
 * flat 32-bit protected mode and in 64-bit mode at CPL 0 until its final HLT.
 */
import { BareMachine } from '../src/machine/bare-machine.js';
import { enterFlatMode } from '../src/machine/flat-setup.js';
import { ExitReason } from '../src/cpu/cpu.js';
import { I_RIP } from '../src/cpu/state/cpu-state.js';
import { WORKLOAD_CODE } from './workloads/generated.js';

export interface MicroResult {
  workload: string;
  mode: 32 | 64;
  instructions: number;
  seconds: number;
  /** Host CPU seconds (user + system) of this process during the run: steadier on a busy machine. */
  cpuSeconds: number;
  mips: number;
  /** MIPS by host CPU time. */
  cpuMips: number;
}

const CODE_AT = 0x10000;

/** Run a workload to its final HLT, or for `limit` instructions (a smaller figure, for smoke tests). */
export function runMicro(workload: string, mode: 32 | 64, limit = Infinity): MicroResult {
  const entry = WORKLOAD_CODE[workload];
  if (!entry) throw new Error(`unknown workload ${workload}`);
  const machine = new BareMachine({ ramSize: 8 << 20 });
  const cpu = machine.cpu;
  machine.physical.load(CODE_AT, Buffer.from(mode === 32 ? entry.code32 : entry.code64, 'hex'));
  enterFlatMode(cpu, { mode, cpl: 0, identityMap: [[0, 0x400000]], pageTablesAt: 0x600000 });
  cpu.s[I_RIP] = CODE_AT;
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let exit: ExitReason;
  do exit = cpu.run(Math.min(10_000_000, limit - cpu.instructionCount)); while (exit === ExitReason.Budget && cpu.instructionCount < limit);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpuStart);
  const cpuSeconds = (used.user + used.system) / 1e6;
  if (exit !== ExitReason.Halted && !(exit === ExitReason.Budget && cpu.instructionCount >= limit)) throw new Error(`${workload}/${mode}: stopped with exit reason ${exit} (vector ${cpu.faultVector})`);
  return { workload, mode, instructions: cpu.instructionCount, seconds, cpuSeconds, mips: cpu.instructionCount / seconds / 1e6, cpuMips: cpu.instructionCount / cpuSeconds / 1e6 };
}

export const MICRO_WORKLOADS = Object.keys(WORKLOAD_CODE);
