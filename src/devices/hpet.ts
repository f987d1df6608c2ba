import { IrqLine } from '../bus/irq-line.js';
import type { IoHandler } from '../mem/io-handler.js';
import type { Timer, TimerQueue } from '../machine/timer-queue.js';

/**
 * High Precision Event Timer (IA-PC HPET specification 1.0a) as on QEMU's pc: 3 comparators, a
 * 64-bit main counter at 100 MHz (period 10 ns = 10^7 fs), legacy replacement routing (timer 0 →
 * IRQ0 / I/O APIC pin 2, timer 1 → IRQ8, the PIT and RTC outputs then disconnected), per-timer
 * periodic mode, 32-bit mode, edge or level interrupts with a status bit, and routing to GSIs
 * 2, 8 and 16-23 (QEMU's intcap 0xFF0104). Comparator matches are timer-queue events, no polling.
 */
export const HPET_DEFAULT_BASE = 0xfed00000;
export const HPET_PERIOD_FS = 10_000_000;
export const HPET_TICK_NS = HPET_PERIOD_FS / 1e6;
export const HPET_TIMERS = 3;
const INT_ROUTE_CAP = 0x00ff0104;

const CFG_ENABLE = 1, CFG_LEGACY = 2;
const TN_LEVEL = 1 << 1, TN_INT_ENB = 1 << 2, TN_PERIODIC = 1 << 3, TN_PER_CAP = 1 << 4, TN_SIZE_CAP = 1 << 5,
  TN_SETVAL = 1 << 6, TN_32BIT = 1 << 8, TN_ROUTE_SHIFT = 9;
const TN_WRITABLE = TN_LEVEL | TN_INT_ENB | TN_PERIODIC | TN_SETVAL | TN_32BIT | (0x1f << TN_ROUTE_SHIFT);
const MASK64 = (1n << 64n) - 1n, MASK32 = 0xffffffffn;

export interface HpetOptions {
  timers: TimerQueue;
  /** The interrupt line of GSI `n` (ISA IRQs 0-15 reach the 8259 and the I/O APIC; 0 is pin 2). */
  gsi: (n: number) => IrqLine;
}

class HpetTimer {
  config = TN_PER_CAP | TN_SIZE_CAP;
  cmp = MASK64;
  period = 0n;
  /** The line this timer drives now (to lower it when the route changes). */
  driven: IrqLine | null = null;
  event: Timer;
  constructor(readonly index: number, queue: TimerQueue, fire: (t: HpetTimer) => void) {
    this.event = queue.createTimer(`hpet${index}`, () => fire(this));
  }
}

/** One 32-bit half of a 64-bit register. */
function half(v: bigint, high: boolean): number {
  return Number(high ? (v >> 32n) & MASK32 : v & MASK32);
}

/** `old` with one 32-bit half replaced by `v`. */
function setHalf(old: bigint, high: boolean, v: bigint): bigint {
  return high ? (old & MASK32) | (v << 32n) : (old & ~MASK32 & MASK64) | v;
}

export class Hpet implements IoHandler {
  config = 0;
  isr = 0;
  /** Counter value at `counterAt` (ns); while disabled the counter holds `counterBase`. */
  private counterBase = 0n;
  private counterAt = 0;
  readonly timers: HpetTimer[] = [];
  /** The PIT's channel 0 output: reaches IRQ0 unless legacy replacement is on. */
  readonly pitInput: IrqLine;
  /** The RTC's interrupt output: reaches IRQ8 unless legacy replacement is on. */
  readonly rtcInput: IrqLine;

  constructor(private readonly options: HpetOptions) {
    for (let i = 0; i < HPET_TIMERS; i++) this.timers.push(new HpetTimer(i, options.timers, (t) => this.fire(t)));
    this.pitInput = new IrqLine((level) => { if (!this.legacy) options.gsi(0).set(level); }, 'hpet-pit-in');
    this.rtcInput = new IrqLine((level) => { if (!this.legacy) options.gsi(8).set(level); }, 'hpet-rtc-in');
  }

  reset(): void {
    this.setConfig(0);
    this.isr = 0;
    this.counterBase = 0n;
    for (const t of this.timers) {
      t.config = TN_PER_CAP | TN_SIZE_CAP;
      t.cmp = MASK64;
      t.period = 0n;
      t.event.cancel();
      this.drive(t, false);
    }
  }

  private get enabled(): boolean {
    return (this.config & CFG_ENABLE) !== 0;
  }

  private get legacy(): boolean {
    return (this.config & CFG_LEGACY) !== 0;
  }

  private now(): number {
    return this.options.timers.clock.now();
  }

  /** The main counter now. */
  counter(now = this.now()): bigint {
    if (!this.enabled) return this.counterBase;
    return (this.counterBase + BigInt(Math.floor((now - this.counterAt) / HPET_TICK_NS))) & MASK64;
  }

  private setConfig(value: number): void {
    const now = this.now();
    const wasEnabled = this.enabled, wasLegacy = this.legacy;
    const counter = this.counter(now);
    this.config = value & 3;
    if (wasEnabled !== this.enabled) {
      this.counterBase = counter;
      this.counterAt = now;
    }
    if (wasLegacy !== this.legacy) {
      // Hand IRQ0 and IRQ8 between the PIT/RTC and timers 0/1.
      for (const t of this.timers.slice(0, 2)) this.drive(t, false);
      if (!this.legacy) {
        this.options.gsi(0).set(this.pitInput.level);
        this.options.gsi(8).set(this.rtcInput.level);
      } else {
        this.options.gsi(0).set(false);
        this.options.gsi(8).set(false);
      }
    }
    for (const t of this.timers) this.arm(t);
  }

  /** The line a timer's interrupt goes to. */
  private route(t: HpetTimer): IrqLine {
    if (this.legacy && t.index < 2) return this.options.gsi(t.index === 0 ? 0 : 8);
    return this.options.gsi((t.config >> TN_ROUTE_SHIFT) & 0x1f);
  }

  private drive(t: HpetTimer, level: boolean): void {
    if (level) {
      const line = this.route(t);
      if (t.driven !== null && t.driven !== line) t.driven.set(false);
      t.driven = line;
      line.set(true);
    } else if (t.driven !== null) {
      t.driven.set(false);
      t.driven = null;
    }
  }

  /** Schedule the timer's next comparator match (only while the counter runs and the timer interrupts). */
  private arm(t: HpetTimer): void {
    if (!this.enabled || (t.config & TN_INT_ENB) === 0) {
      t.event.cancel();
      return;
    }
    const now = this.now();
    const current = this.counter(now);
    let diff: bigint;
    if ((t.config & TN_32BIT) !== 0) {
      diff = ((t.cmp & MASK32) - (current & MASK32)) & MASK32;
      if (diff === 0n || diff >= 0x80000000n) diff = diff === 0n ? 0n : 1n;
    } else {
      diff = (t.cmp - current) & MASK64;
      if (diff >= 1n << 63n) diff = 1n;
    }
    // The tick boundary at which the counter reaches cmp.
    const ticksDone = BigInt(Math.floor((now - this.counterAt) / HPET_TICK_NS));
    const at = this.counterAt + Number(ticksDone + diff) * HPET_TICK_NS;
    t.event.arm(Math.max(now, at));
  }

  private fire(t: HpetTimer): void {
    if (!this.enabled || (t.config & TN_INT_ENB) === 0) return;
    const current = this.counter();
    if ((t.config & TN_PERIODIC) !== 0 && t.period !== 0n) {
      // Advance the comparator past the counter by whole periods (missed periods coalesce).
      const width = (t.config & TN_32BIT) !== 0 ? MASK32 : MASK64;
      const behind = (current - t.cmp) & width;
      const periods = behind > (width >> 1n) ? 1n : behind / t.period + 1n;
      t.cmp = (t.cmp + periods * t.period) & width;
      this.arm(t);
    }
    if ((t.config & TN_LEVEL) !== 0) {
      this.isr |= 1 << t.index;
      this.drive(t, true);
    } else {
      this.route(t).pulse();
    }
  }

  // MMIO (32-bit halves; a 64-bit access arrives as two)

  read(offset: number, size: number): number {
    const dword = this.readDword(offset & ~3);
    const v = dword >>> ((offset & 3) * 8);
    return size === 4 ? v >>> 0 : v & ((1 << (size * 8)) - 1);
  }

  private readDword(offset: number): number {
    switch (offset) {
      case 0x000: return (0x8086 << 16) | (1 << 15) | (1 << 13) | ((HPET_TIMERS - 1) << 8) | 0x01;
      case 0x004: return HPET_PERIOD_FS;
      case 0x010: return this.config;
      case 0x014: return 0;
      case 0x020: return this.isr;
      case 0x024: return 0;
      case 0x0f0: return half(this.counter(), false);
      case 0x0f4: return half(this.counter(), true);
      default: break;
    }
    if (offset >= 0x100 && offset < 0x100 + 0x20 * HPET_TIMERS) {
      const t = this.timers[(offset - 0x100) >> 5]!;
      switch (offset & 0x1f) {
        case 0x00: return t.config;
        case 0x04: return INT_ROUTE_CAP;
        case 0x08: return half(t.cmp, false);
        case 0x0c: return half(t.cmp, true);
        default: return 0;
      }
    }
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    if (size !== 4) {
      // Merge a narrow write into its dword.
      const at = offset & ~3, shift = (offset & 3) * 8, mask = ((1 << (size * 8)) - 1) << shift;
      value = ((this.readDword(at) & ~mask) | ((value << shift) & mask)) >>> 0;
      offset = at;
    }
    this.writeDword(offset, value >>> 0);
  }

  private writeDword(offset: number, value: number): void {
    const v = BigInt(value >>> 0);
    switch (offset) {
      case 0x010: this.setConfig(value); return;
      case 0x020: {
        // Write 1 to clear a level-triggered timer's status (and drop its line).
        const clear = value & this.isr;
        this.isr &= ~clear;
        for (const t of this.timers) if ((clear & (1 << t.index)) !== 0) this.drive(t, false);
        return;
      }
      case 0x0f0: case 0x0f4:
        // The main counter is writable while halted (spec 2.3.7).
        if (!this.enabled) this.counterBase = setHalf(this.counterBase, offset === 0x0f4, v);
        return;
      default: break;
    }
    if (offset >= 0x100 && offset < 0x100 + 0x20 * HPET_TIMERS) {
      const t = this.timers[(offset - 0x100) >> 5]!;
      switch (offset & 0x1f) {
        case 0x00: {
          const oldRoute = t.config & (0x1f << TN_ROUTE_SHIFT), oldLevel = t.config & TN_LEVEL;
          t.config = (t.config & ~TN_WRITABLE) | (value & TN_WRITABLE);
          if ((t.config & TN_32BIT) !== 0) {
            t.cmp &= MASK32;
            t.period &= MASK32;
          }
          if (oldRoute !== (t.config & (0x1f << TN_ROUTE_SHIFT)) || (oldLevel !== 0 && (t.config & TN_LEVEL) === 0)) {
            this.drive(t, false);
            this.isr &= ~(1 << t.index);
          }
          this.arm(t);
          return;
        }
        case 0x08: case 0x0c: {
          const high = (offset & 0x1f) === 0x0c;
          if (high && (t.config & TN_32BIT) !== 0) return;
          const periodic = (t.config & TN_PERIODIC) !== 0;
          if (!periodic || (t.config & TN_SETVAL) !== 0) t.cmp = setHalf(t.cmp, high, v);
          if (periodic) t.period = setHalf(t.period, high, v);
          // VAL_SET applies to one comparator write (QEMU hpet_ram_write).
          t.config &= ~TN_SETVAL;
          this.arm(t);
          return;
        }
        default: return;
      }
    }
  }
}
