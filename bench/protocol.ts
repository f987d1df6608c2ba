/**
 * What the benchmark's child processes (bench/guest-run.ts for x86vm, bench/v86-run.ts for v86)
 * and the harness (bench/guests.ts) share: the JSON lines a child prints on stdout, the watcher
 * that finds the markers in a guest's console output, and the tiny firmware-only guest.
 */
import { BENCH_MARKERS } from '../src/machine/boot/initramfs.js';

/** One JSON line on a child's stdout. Figures are cumulative since the child process started. */
export interface Sample {
  /** Wall milliseconds since the child process started (performance.now()). */
  wallMs: number;
  /** Host CPU milliseconds (user + system, all threads) of the child. */
  cpuMs: number;
  /** Peak resident set size of the child, KiB. */
  maxRssKb: number;
  /** Guest instructions executed so far (all vCPUs), when the system can count them. */
  instructions: number | null;
}

export type ChildLine =
  | ({ type: 'marker'; name: string; line: string } & Sample)
  | ({ type: 'exit'; status: 'ok' | 'poweroff' | 'stopped' | 'idle' | 'timeout' | 'error'; message?: string } & Sample)
  | ({ type: 'idle'; seconds: number; cpuSeconds: number; ticks: number } & Sample);

export function sample(instructions: number | null): Sample {
  const cpu = process.cpuUsage();
  return {
    wallMs: performance.now(),
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssKb: process.resourceUsage().maxRSS,
    instructions,
  };
}

export function emit(line: ChildLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** `name=text` pairs (the `--marker` option of the children) into [name, text]. */
export function parseMarkers(specs: readonly string[]): [string, string][] {
  return specs.map((spec) => {
    const at = spec.indexOf('=');
    if (at <= 0) throw new Error(`--marker ${spec}: expected name=text`);
    return [spec.slice(0, at), spec.slice(at + 1)];
  });
}

/**
 * Finds marker texts, in order, in console output fed chunk by chunk. `feed` returns the markers
 * that appeared in this chunk (the moment a marker's text is complete is the moment it counts); the
 * line of a marker is what follows it up to the end of its line, as far as it has arrived. `done`
 * waits for the end of the last marker's line too, so that what the guest printed after it (a
 * result, the CPU count) is in the output.
 */
export class MarkerWatcher {
  private text = '';
  private next = 0;
  private searchFrom = 0;
  /** The console output so far (the last 64 KiB), for diagnostics. */
  get output(): string {
    return this.text;
  }

  constructor(readonly markers: readonly [string, string][]) {}

  /** Every marker was seen, and the line of the last one is complete. */
  get done(): boolean {
    return this.next >= this.markers.length && this.lastLineComplete;
  }

  private lastLineComplete = false;
  private lastAt = -1;

  /** The marker text awaited next, or null when all were seen. */
  get waitingFor(): string | null {
    return this.markers[this.next]?.[1] ?? null;
  }

  feed(chunk: string): { name: string; line: string }[] {
    this.text += chunk;
    if (this.text.length > 1 << 17) {
      const drop = this.text.length - (1 << 16);
      this.text = this.text.slice(drop);
      this.searchFrom = Math.max(0, this.searchFrom - drop);
      this.lastAt = Math.max(0, this.lastAt - drop);
    }
    const found: { name: string; line: string }[] = [];
    while (this.next < this.markers.length) {
      const [name, marker] = this.markers[this.next]!;
      const at = this.text.indexOf(marker, this.searchFrom);
      if (at < 0) {
        this.searchFrom = Math.max(this.searchFrom, this.text.length - marker.length);
        break;
      }
      const eol = this.text.indexOf('\n', at);
      found.push({ name, line: this.text.slice(at, eol < 0 ? undefined : eol).trimEnd() });
      this.searchFrom = at + marker.length;
      this.lastAt = at;
      this.next++;
    }
    if (this.next >= this.markers.length && !this.lastLineComplete) this.lastLineComplete = this.markers.length === 0 || this.text.indexOf('\n', this.lastAt) >= 0;
    return found;
  }
}

/**
 * A 64 KiB firmware image that needs no BIOS and no Linux: in real mode it writes the booted and
 * start markers to COM1, counts ECX down from `loops` (two instructions per loop), writes the end
 * and done markers and halts. Runs on x86vm (as the pc board's firmware), QEMU (-bios) and v86.
 */
export function tinyRom(loops = 1_000_000, markers: Record<'booted' | 'start' | 'end' | 'done', string> = BENCH_MARKERS): Uint8Array {
  const rom = new Uint8Array(0x10000).fill(0xff);
  rom.set([0xea, 0x00, 0xe0, 0x00, 0xf0], 0xfff0); // jmp f000:e000
  const msg1 = `${markers.booted}\r\n${markers.start}\r\n`;
  const msg2 = `${markers.end}\r\n${markers.done}\r\n`;
  const msg1At = 0xe02a, msg2At = msg1At + msg1.length + 1;
  const lo = (v: number) => v & 0xff, hi = (v: number) => (v >> 8) & 0xff;
  rom.set([
    0xfa, // e000 cli
    0x8c, 0xc8, 0x8e, 0xd8, // e001 mov ax,cs; mov ds,ax
    0xba, 0xf8, 0x03, // e005 mov dx,3f8h
    0xbe, lo(msg1At), hi(msg1At), // e008 mov si,msg1
    0xe8, 0x13, 0x00, // e00b call e021
    0x66, 0xb9, loops & 0xff, (loops >>> 8) & 0xff, (loops >>> 16) & 0xff, (loops >>> 24) & 0xff, // e00e mov ecx,loops
    0x66, 0x49, // e014 dec ecx
    0x75, 0xfc, // e016 jnz e014
    0xbe, lo(msg2At), hi(msg2At), // e018 mov si,msg2
    0xe8, 0x03, 0x00, // e01b call e021
    0xf4, 0xeb, 0xfd, // e01e hlt; jmp e01e
    0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8, 0xc3, // e021 print: lodsb; test al,al; jz ret; out dx,al; jmp print; ret
  ], 0xe000);
  rom.set(new TextEncoder().encode(`${msg1}\0${msg2}\0`), msg1At);
  return rom;
}
