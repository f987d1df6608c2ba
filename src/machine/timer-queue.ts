import type { VirtualClock } from './clock.js';

/**
 * Timer events on the virtual clock (DESIGN "Time"). A device creates its `Timer`s once and arms
 * or cancels them as its registers change; the machine's scheduler asks for `nextDeadline()` to
 * bound how long a vCPU runs (deterministic mode) or how long to sleep when every vCPU is halted,
 * and calls `runExpired()` to fire what is due. Timers fire in deadline order; equal deadlines fire
 * in the order they were armed.
 */
export type TimerCallback = (now: number) => void;

export class Timer {
  /** Guest ns of the pending expiry, or -1 when not armed. */
  deadline = -1;
  /** Arm order, to fire equal deadlines first-armed first. */
  sequence = 0;

  constructor(private readonly queue: TimerQueue, readonly name: string, readonly callback: TimerCallback) {}

  get pending(): boolean {
    return this.deadline >= 0;
  }

  /** Fire at guest time `ns` (replacing an earlier arming). A time in the past fires at the next `runExpired`. */
  arm(ns: number): void {
    this.queue.arm(this, Math.max(0, ns));
  }

  /** Fire `deltaNs` from now. */
  armIn(deltaNs: number): void {
    this.arm(this.queue.clock.now() + deltaNs);
  }

  cancel(): void {
    this.queue.cancel(this);
  }
}

export class TimerQueue {
  /** Armed timers sorted by (deadline, sequence). Few timers exist, so a sorted array is enough. */
  private readonly armed: Timer[] = [];
  private sequence = 0;
  /** Called when a timer is armed earlier than the previous next deadline (wakes a sleeping scheduler). */
  onEarlierDeadline: ((deadline: number) => void) | null = null;

  constructor(readonly clock: VirtualClock) {}

  createTimer(name: string, callback: TimerCallback): Timer {
    return new Timer(this, name, callback);
  }

  /** A one-shot event: a new timer armed at `ns`. */
  schedule(ns: number, callback: TimerCallback, name = 'event'): Timer {
    const t = this.createTimer(name, callback);
    t.arm(ns);
    return t;
  }

  /** Guest ns of the earliest armed timer, or Infinity when none is armed. */
  nextDeadline(): number {
    return this.armed.length === 0 ? Infinity : this.armed[0]!.deadline;
  }

  get size(): number {
    return this.armed.length;
  }

  /** Fire every timer whose deadline is at or before `now`; returns how many fired. */
  runExpired(now = this.clock.now()): number {
    let fired = 0;
    // A callback may re-arm its timer (possibly already due again); bound the work per call.
    while (this.armed.length > 0 && this.armed[0]!.deadline <= now && fired < 100_000) {
      const t = this.armed.shift()!;
      t.deadline = -1;
      fired++;
      t.callback(now);
    }
    return fired;
  }

  arm(timer: Timer, ns: number): void {
    if (timer.deadline >= 0) this.remove(timer);
    const before = this.nextDeadline();
    timer.deadline = ns;
    timer.sequence = this.sequence++;
    let lo = 0, hi = this.armed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.armed[mid]!.deadline <= ns) lo = mid + 1;
      else hi = mid;
    }
    this.armed.splice(lo, 0, timer);
    if (ns < before) this.onEarlierDeadline?.(ns);
  }

  cancel(timer: Timer): void {
    if (timer.deadline < 0) return;
    this.remove(timer);
    timer.deadline = -1;
  }

  private remove(timer: Timer): void {
    const i = this.armed.indexOf(timer);
    if (i >= 0) this.armed.splice(i, 1);
  }
}
