/**
 * A minimal QEMU-style monitor on the console (Ctrl-A c): line editing in raw mode and a few
 * commands. It talks to the run loop through `MonitorHost`.
 */
import { formatRegisters } from './report.js';
import type { Cpu } from '../cpu/cpu.js';

export interface MonitorHost {
  cpus: readonly Cpu[];
  write(text: string): void;
  quit(): void;
  stop(): void;
  cont(): void;
  reset(): void;
  running(): boolean;
}

const HELP = [
  'info registers [-a]  show the registers of the selected vCPU (-a: all vCPUs)',
  'info cpus            list the vCPUs',
  'info status          running or paused',
  'cpu N                select vCPU N',
  'stop / cont          pause / resume the guest',
  'system_reset         reset the machine',
  'quit | q             exit x86vm',
  'help                 this list',
];

export class Monitor {
  private line = '';
  private selected = 0;
  /** `quit` was given: no further prompt. */
  private closed = false;

  constructor(private readonly host: MonitorHost) {}

  prompt(): void {
    this.host.write('(x86vm) ');
  }

  /** Keystrokes from the terminal (raw mode: echo and editing are ours). */
  input(bytes: Uint8Array): void {
    for (const b of bytes) {
      if (b === 0x0d || b === 0x0a) {
        this.host.write('\r\n');
        const command = this.line.trim();
        this.line = '';
        if (command !== '') this.execute(command);
        if (this.closed) return;
        this.prompt();
      } else if (b === 0x7f || b === 0x08) {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.host.write('\b \b');
        }
      } else if (b === 0x15) {
        this.host.write('\b \b'.repeat(this.line.length));
        this.line = '';
      } else if (b >= 0x20 && b < 0x7f) {
        this.line += String.fromCharCode(b);
        this.host.write(String.fromCharCode(b));
      }
    }
  }

  execute(command: string): void {
    const words = command.split(/\s+/);
    const out = (text: string) => this.host.write(text.replace(/\r?\n/g, '\r\n'));
    switch (words[0]) {
      case 'help': case 'h': case '?':
        out(HELP.join('\n') + '\n');
        return;
      case 'quit': case 'q':
        this.closed = true;
        this.host.quit();
        return;
      case 'stop':
        this.host.stop();
        return;
      case 'cont': case 'c':
        this.host.cont();
        return;
      case 'system_reset':
        this.host.reset();
        return;
      case 'cpu': {
        const n = Number(words[1]);
        if (!Number.isInteger(n) || n < 0 || n >= this.host.cpus.length) out(`no vCPU '${words[1] ?? ''}' (0 to ${this.host.cpus.length - 1})\n`);
        else this.selected = n;
        return;
      }
      case 'info':
        if (words[1] === 'registers' || words[1] === 'r') {
          const list = words[2] === '-a' ? this.host.cpus : [this.host.cpus[this.selected]!];
          for (const cpu of list) out(`CPU#${cpu.id}\n${formatRegisters(cpu)}`);
          return;
        }
        if (words[1] === 'cpus') {
          out(this.host.cpus.map((c) => `${c.id === this.selected ? '*' : ' '} CPU #${c.id}: instructions=${c.instructionCount}`).join('\n') + '\n');
          return;
        }
        if (words[1] === 'status') {
          out(`VM status: ${this.host.running() ? 'running' : 'paused'}\n`);
          return;
        }
        out('info registers | info cpus | info status\n');
        return;
      default:
        out(`unknown command: '${words[0]}' (help lists the commands)\n`);
    }
  }
}
