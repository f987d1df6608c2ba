/**
 * Character devices (serial ports, consoles): the device model is the frontend, a backend moves
 * bytes to and from the host (stdio, a socket, a browser terminal, a test buffer).
 *
 * Received bytes flow backend → frontend only as fast as the frontend has room (`canReceive`),
 * like a UART's receive FIFO filling; the frontend calls `frontendReady()` when the guest made room.
 */
export interface CharFrontend {
  /** How many bytes the frontend can take now. */
  canReceive(): number;
  receive(bytes: Uint8Array): void;
}

export interface CharBackend {
  /** Bytes the guest transmitted. */
  write(bytes: Uint8Array): void;
  /** Connect the device that receives this backend's input (null to disconnect). */
  attach(frontend: CharFrontend | null): void;
  /** The frontend has room again: deliver queued input. */
  frontendReady(): void;
}

/** A backend that records output and queues input in memory (tests, the CLI's capture mode). */
export class BufferCharBackend implements CharBackend {
  readonly output: number[] = [];
  private readonly input: number[] = [];
  private frontend: CharFrontend | null = null;
  /** Called after each write (e.g. to scan for a marker). */
  onWrite: ((bytes: Uint8Array) => void) | null = null;

  write(bytes: Uint8Array): void {
    for (const b of bytes) this.output.push(b);
    this.onWrite?.(bytes);
  }

  attach(frontend: CharFrontend | null): void {
    this.frontend = frontend;
    this.frontendReady();
  }

  /** Queue bytes (or a string, as Latin-1) to be received by the guest. */
  feed(data: Uint8Array | string): void {
    if (typeof data === 'string') for (let i = 0; i < data.length; i++) this.input.push(data.charCodeAt(i) & 0xff);
    else for (const b of data) this.input.push(b);
    this.frontendReady();
  }

  get pendingInput(): number {
    return this.input.length;
  }

  frontendReady(): void {
    const f = this.frontend;
    if (f === null || this.input.length === 0) return;
    const n = Math.min(f.canReceive(), this.input.length);
    if (n > 0) f.receive(Uint8Array.from(this.input.splice(0, n)));
  }

  /** Output so far as Latin-1 text. */
  text(): string {
    let s = '';
    for (let i = 0; i < this.output.length; i += 8192) s += String.fromCharCode(...this.output.slice(i, i + 8192));
    return s;
  }
}
