/**
 * QEMU-style -d logging: executed instructions (disassembled), their addresses, the registers
 * before each instruction, and interrupts/exceptions, written to the -D file (or stderr).
 * Instruction items switch the vCPUs to single-stepping, which is slow; `int` alone is not.
 */
import { closeSync, writeSync } from 'node:fs';
import type { Cpu } from '../cpu/cpu.js';
import { DecodeMode } from '../cpu/decode/decoder.js';
import { I_CPL, I_CR, I_GPR, I_SEG_BASE, I_SEG_SEL } from '../cpu/state/cpu-state.js';
import { codeLinear, disassembleAt, formatPc, formatRegisters, hexLinear } from './report.js';

export const TRACE_ITEMS: Readonly<Record<string, string>> = {
  in_asm: 'each executed guest instruction, disassembled (runs one instruction at a time: slow)',
  exec: 'the address of each executed instruction (slow)',
  cpu: 'the registers before each executed instruction (very slow, very large)',
  int: 'interrupts and exceptions as they are delivered',
};

/** A buffered log on a file descriptor (written synchronously in 64 KiB chunks). */
export class LogSink {
  private chunks: string[] = [];
  private size = 0;
  /** The last lines written, for a fatal error report. */
  readonly tail: string[] = [];

  constructor(private readonly fd: number, private readonly ownsFd: boolean) {}

  line(text: string): void {
    this.chunks.push(text, '\n');
    this.size += text.length + 1;
    this.tail.push(text);
    if (this.tail.length > 32) this.tail.shift();
    if (this.size >= 65536) this.flush();
  }

  flush(): void {
    if (this.chunks.length === 0) return;
    const text = this.chunks.join('');
    this.chunks = [];
    this.size = 0;
    writeSync(this.fd, text);
  }

  close(): void {
    this.flush();
    if (this.ownsFd) closeSync(this.fd);
  }
}

const hex = (v: number, digits: number) => (v >>> 0).toString(16).padStart(digits, '0');

/** Install the hooks for `items` on every vCPU. */
export function attachTracer(cpus: readonly Cpu[], items: ReadonlySet<string>, sink: LogSink): void {
  const inAsm = items.has('in_asm'), exec = items.has('exec'), regs = items.has('cpu');
  for (const cpu of cpus) {
    if (inAsm || exec || regs) {
      cpu.singleStep = true;
      cpu.onInstruction = (c) => {
        if (regs) sink.line(formatRegisters(c).trimEnd());
        const linear = codeLinear(c);
        if (exec) sink.line(`Trace cpu${c.id}: ${hexLinear(linear)} [${formatPc(c)}] icount=${c.instructionCount}`);
        if (inAsm) sink.line(`cpu${c.id} ${formatPc(c)}  ${disassembleAt(c, linear, ripOf(c, linear)).line}`);
      };
    }
    if (items.has('int')) {
      cpu.onEvent = (vector, errorCode, software, external) => {
        const s = cpu.s;
        const kind = external ? 'hw' : software ? 'int' : 'exc';
        const code = errorCode >= 0 ? hex(errorCode, 4) : '----';
        sink.line(`cpu${cpu.id}: v=${hex(vector, 2)} e=${code} ${kind.padEnd(3)} cpl=${s[I_CPL]} IP=${formatPc(cpu)} ` +
          `SP=${hex(s[I_SEG_SEL + 2]!, 4)}:${hex(s[I_GPR + 8]!, 8)} EAX=${hex(s[I_GPR]!, 8)}` +
          (vector === 14 && !software && !external ? ` CR2=${hex(s[I_CR + 5]!, 8)}${hex(s[I_CR + 4]!, 8)}` : ''));
      };
    }
  }
}

/** The current RIP as a number (for relative branch targets in the disassembly). */
function ripOf(cpu: Cpu, linear: number): number {
  return cpu.mode === DecodeMode.Long64 ? linear : (linear - (cpu.s[I_SEG_BASE + 2]! >>> 0)) >>> 0;
}
