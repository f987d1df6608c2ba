import { ExitReason, type Cpu } from '../cpu/cpu.js';
import type { VirtualClock } from './clock.js';
import type { TimerQueue } from './timer-queue.js';

/** What one `step` of the scheduler ended with. */
export interface StepResult {
  /** Every vCPU is halted with no interrupt to wake it. */
  idle: boolean;
  /** When idle in real-time mode: guest ns until the next timer (Infinity: none; the host should wait for input). */
  sleepNs: number;
  /** A vCPU triple-faulted or its run ended for a reason the machine must handle. */
  exit: ExitReason | null;
}

/**
 * The seed of the machine's scheduler: round-robin over the vCPUs in quanta bounded by the next
 * timer deadline (so timers fire on time in deterministic mode without per-instruction polling),
 * firing expired timers between quanta. When every vCPU is halted, deterministic time jumps to the
 * next deadline; real-time mode reports how long the host may sleep (DESIGN "Time": no busy wait).
 */
export class Scheduler {
  /**
   * Instructions per vCPU turn. With several vCPUs a guest often spins on a flag another vCPU sets
   * (without PAUSE, which would end the turn): each handshake then costs up to one quantum, so
   * SMP machines use a shorter one (kvm-unit-tests apic's NMI ping-pong: ~10x faster at 10k).
   */
  quantum: number;

  constructor(readonly cpus: readonly Cpu[], readonly clock: VirtualClock, readonly timers: TimerQueue) {
    this.quantum = cpus.length > 1 ? 10_000 : 100_000;
    if (clock.deterministic) clock.setInstructionSource(() => {
      let n = 0;
      for (const c of cpus) n += c.instructionCount;
      return n;
    });
  }

  /** Run each vCPU for one quantum (ending at the next deadline or at `limitNs`, deterministic mode). */
  step(limitNs = Infinity): StepResult {
    const { clock, timers } = this;
    timers.runExpired();
    let halted = 0;
    for (const cpu of this.cpus) {
      const budget = clock.instructionsUntil(Math.min(timers.nextDeadline(), limitNs), this.quantum);
      const exit = cpu.run(budget);
      timers.runExpired();
      if (exit === ExitReason.Halted) halted++;
      else if (exit !== ExitReason.Budget) return { idle: false, sleepNs: 0, exit };
    }
    if (halted < this.cpus.length) return { idle: false, sleepNs: 0, exit: null };
    // A vCPU that halted before another one sent it an IPI (or raised an interrupt) is not idle.
    for (const cpu of this.cpus) if (cpu.wakeable()) return { idle: false, sleepNs: 0, exit: null };
    const deadline = timers.nextDeadline();
    if (clock.deterministic) {
      if (deadline === Infinity && limitNs === Infinity) return { idle: true, sleepNs: Infinity, exit: null };
      clock.advanceTo(Math.min(deadline, limitNs));
      timers.runExpired();
      // The timers that fired may have woken a vCPU (an interrupt, an IPI): then the machine is not idle.
      return { idle: !this.cpus.some((c) => c.wakeable()), sleepNs: 0, exit: null };
    }
    return { idle: true, sleepNs: Math.max(0, deadline - clock.now()), exit: null };
  }

  /**
   * Deterministic mode: run until guest time reaches `ns` (or `until()` holds, or every vCPU is
   * halted with no timer left). Returns the last step's result.
   */
  runUntil(ns: number, until: () => boolean = () => false): StepResult {
    let last: StepResult = { idle: false, sleepNs: 0, exit: null };
    while (this.clock.now() < ns && !until()) {
      last = this.step(ns);
      if (last.exit !== null || (last.idle && this.timers.nextDeadline() === Infinity)) break;
    }
    return last;
  }
}
