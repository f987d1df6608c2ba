import { openSync, writeSync, closeSync } from 'node:fs';
import { BareMachine } from '../../machine/bare-machine.js';
import { DebugConsole } from '../../devices/debug-console.js';
import { ExitReason } from '../../cpu/cpu.js';
import { I_RIP, I_SEG_BASE, I_SEG_SEL } from '../../cpu/state/cpu-state.js';
import type { Cpu } from '../../cpu/cpu.js';
import { disassemble } from '../../cpu/decode/disassembler.js';
import { loadDataSegment } from '../../cpu/exec/segment.js';
import { DEMO_IMAGE_HEX, DEMO_LOAD_ADDRESS } from './demo-image.js';

export interface DemoOptions {
  write: (text: string) => void;
  traceFile?: string;
  maxInstructions: number;
}

export interface DemoResult {
  ok: boolean;
  summary: string;
  output: string;
}

/** Boot the demo image like a BIOS would hand over a boot sector: real mode, CS:IP = 0000:7C00. */
export function runDemo(options: DemoOptions): DemoResult {
  const machine = new BareMachine({ ramSize: 1 << 20 });
  const cpu = machine.cpu;
  let output = '';
  machine.ports.register('debugcon', 0xe9, 1, new DebugConsole((byte) => {
    const ch = String.fromCharCode(byte);
    output += ch;
    options.write(ch);
  }));
  machine.physical.load(DEMO_LOAD_ADDRESS, Buffer.from(DEMO_IMAGE_HEX, 'hex'));
  for (const seg of [0, 1, 2, 3]) loadDataSegment(cpu, seg, 0);
  cpu.loadRealSegment(1, 0);
  cpu.s[I_RIP] = DEMO_LOAD_ADDRESS;
  const trace = options.traceFile ? openSync(options.traceFile, 'w') : -1;
  const started = process.hrtime.bigint();
  let exit: ExitReason = ExitReason.Budget;
  try {
    if (trace >= 0) {
      cpu.singleStep = true;
      // Tracing: one instruction at a time, disassembled before it runs.
      while (cpu.instructionCount < options.maxInstructions) {
        writeSync(trace, `${cpu.s[I_SEG_SEL + 1]!.toString(16).padStart(4, '0')}:${(cpu.s[I_RIP]! >>> 0).toString(16).padStart(8, '0')}  ${describeNext(cpu)}\n`);
        exit = cpu.run(1);
        if (exit !== ExitReason.Budget) break;
      }
    } else {
      while (cpu.instructionCount < options.maxInstructions) {
        exit = cpu.run(Math.min(1_000_000, options.maxInstructions - cpu.instructionCount));
        if (exit !== ExitReason.Budget) break;
      }
    }
  } finally {
    if (trace >= 0) closeSync(trace);
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const ok = exit === ExitReason.Halted;
  const how = ok ? 'halted' : exit === ExitReason.TripleFault ? 'triple fault' : exit === ExitReason.Budget ? 'instruction limit reached' : `stopped (${exit})`;
  return { ok, output, summary: `demo ${how} after ${cpu.instructionCount} instructions in ${ms.toFixed(1)} ms` };
}

/** The next instruction's bytes and mnemonic, for the trace file. */
function describeNext(cpu: Cpu): string {
  const linear = ((cpu.s[I_RIP]! >>> 0) + (cpu.s[I_SEG_BASE + 2]! >>> 0)) >>> 0;
  try {
    const ins = cpu.decodeAt(linear);
    const bytes: string[] = [];
    for (let i = 0; i < ins.len; i++) bytes.push(cpu.memory.read(linear + i, 1).toString(16).padStart(2, '0'));
    return `${bytes.join(' ').padEnd(30)} ${disassemble(ins, cpu.s[I_RIP]! >>> 0)}`;
  } catch {
    return '(fetch fault)';
  }
}
