/**
 * Character backends of the command line: a host sink (stdout or a file) with batched writes and
 * an input queue fed from the terminal, delivered as fast as the UART has room.
 */
import type { CharBackend, CharFrontend } from '../backends/char.js';

export class HostCharBackend implements CharBackend {
  private frontend: CharFrontend | null = null;
  private input: number[] = [];
  private output: Uint8Array[] = [];
  private flushQueued = false;

  /** `sink` receives the guest's bytes in batches (at the end of each host event-loop turn). */
  constructor(private readonly sink: (bytes: Uint8Array) => void) {}

  write(bytes: Uint8Array): void {
    this.output.push(bytes.slice());
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
  }

  /** Hand everything the guest wrote so far to the sink. */
  flush(): void {
    this.flushQueued = false;
    if (this.output.length === 0) return;
    const chunks = this.output;
    this.output = [];
    this.sink(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  }

  attach(frontend: CharFrontend | null): void {
    this.frontend = frontend;
    this.frontendReady();
  }

  /** Bytes typed on the host for the guest. */
  feed(bytes: Uint8Array): void {
    for (const b of bytes) this.input.push(b);
    this.frontendReady();
  }

  frontendReady(): void {
    const f = this.frontend;
    if (f === null || this.input.length === 0) return;
    const n = Math.min(f.canReceive(), this.input.length);
    if (n > 0) f.receive(Uint8Array.from(this.input.splice(0, n)));
  }
}
