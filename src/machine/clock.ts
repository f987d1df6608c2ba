/**
 * The machine's virtual clock (DESIGN "Time"): one per machine, in nanoseconds of guest time.
 *
 * - Real-time mode: guest time follows the host's monotonic clock (stopped while paused).
 * - Deterministic mode: guest time is derived from the instructions the vCPUs executed
 *   (`nsPerInstruction` each), plus idle time skipped with `advanceTo` when every vCPU is halted.
 *   Two runs of the same guest see the same times, so tests and record/replay are reproducible.
 *
 * The clock also carries the wall-clock epoch the guest's RTC starts from (host time in real-time
 * mode, a fixed date in deterministic mode).
 */
export type ClockMode = 'realtime' | 'deterministic';

export interface ClockOptions {
  mode: ClockMode;
  /** Deterministic mode: guest nanoseconds per executed instruction (default 1: a guest running at one instruction per ns). */
  nsPerInstruction?: number;
  /** Wall-clock time (ms since the Unix epoch, UTC) at guest time 0. Default: host time (real-time), 2000-01-01 (deterministic). */
  epochMs?: number;
  /** Host monotonic time in ns (tests replace it); default `performance.now()`. */
  hostNs?: () => number;
}

/** 2000-01-01T00:00:00Z: the deterministic RTC epoch. */
export const DETERMINISTIC_EPOCH_MS = Date.UTC(2000, 0, 1);

export class VirtualClock {
  readonly mode: ClockMode;
  readonly nsPerInstruction: number;
  readonly epochMs: number;
  private readonly hostNs: () => number;
  private instructionSource: () => number = () => 0;
  /** Deterministic: idle time skipped. Real-time: host time at guest time 0 (moved forward by pauses). */
  private offsetNs: number;
  private pausedAt: number | null = null;
  private last = 0;

  constructor(options: ClockOptions) {
    this.mode = options.mode;
    this.nsPerInstruction = options.nsPerInstruction ?? 1;
    if (!(this.nsPerInstruction > 0)) throw new Error('nsPerInstruction must be positive');
    this.hostNs = options.hostNs ?? (() => performance.now() * 1e6);
    this.epochMs = options.epochMs ?? (this.mode === 'realtime' ? Date.now() : DETERMINISTIC_EPOCH_MS);
    this.offsetNs = this.mode === 'realtime' ? this.hostNs() : 0;
  }

  static deterministic(nsPerInstruction = 1, epochMs = DETERMINISTIC_EPOCH_MS): VirtualClock {
    return new VirtualClock({ mode: 'deterministic', nsPerInstruction, epochMs });
  }

  static realtime(): VirtualClock {
    return new VirtualClock({ mode: 'realtime' });
  }

  get deterministic(): boolean {
    return this.mode === 'deterministic';
  }

  /** Deterministic mode: where executed-instruction counts come from (the machine's vCPUs). */
  setInstructionSource(source: () => number): void {
    const before = this.now();
    this.instructionSource = source;
    // Keep time continuous across the switch.
    if (this.mode === 'deterministic') this.offsetNs += before - this.now();
  }

  /** Guest time in ns; never goes backwards. */
  now(): number {
    let t: number;
    if (this.mode === 'deterministic') t = this.offsetNs + Math.floor(this.instructionSource() * this.nsPerInstruction);
    else t = Math.floor((this.pausedAt ?? this.hostNs()) - this.offsetNs);
    if (t < this.last) t = this.last;
    this.last = t;
    return t;
  }

  /** Guest wall-clock time in ms since the Unix epoch (what the RTC shows at guest time `ns`). */
  wallClockMs(ns = this.now()): number {
    return this.epochMs + ns / 1e6;
  }

  /**
   * Deterministic mode: skip forward to `ns` (every vCPU is halted, nothing happens until the next
   * timer deadline). Real-time mode: no effect — the host's time passes by itself.
   */
  advanceTo(ns: number): void {
    if (this.mode !== 'deterministic' || !Number.isFinite(ns)) return;
    const now = this.now();
    if (ns > now) {
      this.offsetNs += ns - now;
      this.last = ns;
    }
  }

  /**
   * How many instructions a vCPU may run before guest time reaches `ns` (at least 1). In real-time
   * mode there is no fixed relation: the answer is `fallback` (the scheduler's quantum).
   */
  instructionsUntil(ns: number, fallback: number): number {
    if (this.mode !== 'deterministic' || !Number.isFinite(ns)) return fallback;
    const remaining = ns - this.now();
    if (remaining <= 0) return 1;
    return Math.max(1, Math.min(fallback, Math.ceil(remaining / this.nsPerInstruction)));
  }

  /** Real-time mode: stop guest time (the VM is paused); deterministic time stops by itself. */
  pause(): void {
    if (this.mode === 'realtime' && this.pausedAt === null) this.pausedAt = this.hostNs();
  }

  resume(): void {
    if (this.pausedAt === null) return;
    this.offsetNs += this.hostNs() - this.pausedAt;
    this.pausedAt = null;
  }
}
