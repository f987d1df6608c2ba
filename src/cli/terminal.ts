/**
 * The host terminal: raw mode while the guest owns stdin (restored on every way out: normal exit,
 * process.exit, uncaught errors, signals), and QEMU's Ctrl-A escapes on the multiplexed console.
 */

/** The parts of a TTY read stream this module uses (process.stdin, or a fake in tests). */
export interface TtyInput {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** The parts of `process` used to restore the terminal on the way out. */
export interface ProcessLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
  exit(code?: number): never | void;
}

const SIGNALS: readonly [string, number][] = [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1], ['SIGQUIT', 3]];

/**
 * Puts a TTY in raw mode and guarantees it is put back. `restore()` is idempotent; it also runs on
 * the process's 'exit' event, and a terminating signal restores, reports and exits with 128+n.
 */
export class TerminalGuard {
  private active = false;
  private wasRaw = false;
  private readonly listeners: [string, (...args: unknown[]) => void][] = [];

  constructor(
    private readonly input: TtyInput,
    private readonly proc: ProcessLike,
    private readonly onSignal: (signal: string) => void = () => {},
  ) {}

  /**
   * Enter raw mode if `raw` is asked for and the input is a TTY; returns whether it did. Installs
   * the restore and signal hooks either way.
   */
  enter(raw = true): boolean {
    if (this.listeners.length === 0) {
      const onExit = () => this.restore();
      this.listen('exit', onExit);
      for (const [signal, number] of SIGNALS) {
        this.listen(signal, () => {
          this.restore();
          this.onSignal(signal);
          this.proc.exit(128 + number);
        });
      }
    }
    if (this.active || !raw || !this.input.isTTY || typeof this.input.setRawMode !== 'function') return this.active;
    this.wasRaw = this.input.isRaw === true;
    this.input.setRawMode(true);
    this.active = true;
    return true;
  }

  get raw(): boolean {
    return this.active;
  }

  /** Put the terminal back as it was and remove the hooks. Safe to call more than once. */
  restore(): void {
    if (this.active) {
      this.active = false;
      try {
        this.input.setRawMode?.(this.wasRaw);
      } catch {
        // The terminal is gone (hang-up): nothing to restore.
      }
    }
    for (const [event, listener] of this.listeners.splice(0)) this.proc.removeListener(event, listener);
  }

  private listen(event: string, listener: (...args: unknown[]) => void): void {
    this.listeners.push([event, listener]);
    this.proc.on(event, listener);
  }
}

export type EscapeAction =
  | { kind: 'data'; bytes: Uint8Array }
  | { kind: 'quit' }
  | { kind: 'help' }
  | { kind: 'monitor' };

const CTRL_A = 0x01;

export const ESCAPE_HELP = [
  'C-a h    print this help',
  'C-a x    exit emulator',
  'C-a c    switch between console and monitor',
  'C-a a    sends C-a (also C-a C-a)',
].join('\r\n') + '\r\n';

/**
 * QEMU's mux escapes on stdin: Ctrl-A followed by a command key. Other bytes pass through as data;
 * Ctrl-A followed by an unknown key is dropped (as QEMU does). The state carries across chunks.
 */
export class EscapeDecoder {
  private pending = false;

  feed(chunk: Uint8Array): EscapeAction[] {
    const actions: EscapeAction[] = [];
    let start = 0;
    const flush = (end: number) => {
      if (end > start) actions.push({ kind: 'data', bytes: chunk.slice(start, end) });
    };
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.pending) {
        this.pending = false;
        start = i + 1;
        if (b === 0x78 || b === 0x58) actions.push({ kind: 'quit' });
        else if (b === 0x68 || b === 0x48 || b === 0x3f) actions.push({ kind: 'help' });
        else if (b === 0x63 || b === 0x43) actions.push({ kind: 'monitor' });
        else if (b === 0x61 || b === CTRL_A) actions.push({ kind: 'data', bytes: Uint8Array.of(CTRL_A) });
        continue;
      }
      if (b === CTRL_A) {
        flush(i);
        this.pending = true;
        start = i + 1;
      }
    }
    if (!this.pending) flush(chunk.length);
    return mergeData(actions);
  }
}

function mergeData(actions: EscapeAction[]): EscapeAction[] {
  const out: EscapeAction[] = [];
  for (const a of actions) {
    const prev = out[out.length - 1];
    if (a.kind === 'data' && prev?.kind === 'data') {
      const joined = new Uint8Array(prev.bytes.length + a.bytes.length);
      joined.set(prev.bytes);
      joined.set(a.bytes, prev.bytes.length);
      out[out.length - 1] = { kind: 'data', bytes: joined };
    } else out.push(a);
  }
  return out;
}
