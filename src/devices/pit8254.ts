import type { IrqLine } from '../bus/irq-line.js';
import type { PortBus } from '../bus/port-bus.js';
import { SIZE_1, type IoHandler } from '../mem/io-handler.js';
import type { Timer, TimerQueue } from '../machine/timer-queue.js';

/**
 * Intel 8254 programmable interval timer (ports 0x40-0x43) and the PC's port 0x61 (system control
 * port B: channel 2 gate, speaker data, refresh toggle, channel 2 output). Reference: Intel 8254
 * datasheet (231164); QEMU's hw/timer/i8254*.c and pcspk.c for the PC wiring.
 *
 * Counters are not stepped: each channel remembers the clock tick at which its count started, and
 * computes count and OUT from the ticks elapsed since. A channel whose OUT drives an IRQ line arms
 * a timer for its next OUT transition only.
 */
export const PIT_HZ = 1_193_182;

/** Input clock ticks elapsed at guest time `ns` (exact: no product exceeds 2^53). */
export function pitTicksAt(ns: number): number {
  const sec = Math.floor(ns / 1e9);
  return sec * PIT_HZ + Math.floor(((ns - sec * 1e9) * PIT_HZ) / 1e9);
}

/** The first guest ns at which `tick` has elapsed. */
export function pitNsAt(tick: number): number {
  const sec = Math.floor(tick / PIT_HZ);
  return sec * 1e9 + Math.ceil(((tick - sec * PIT_HZ) * 1e9) / PIT_HZ);
}

const fromBcd = (v: number) => ((v >> 12) & 15) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15);
const toBcd = (v: number) => (Math.floor(v / 1000) % 10) * 0x1000 + (Math.floor(v / 100) % 10) * 0x100 + (Math.floor(v / 10) % 10) * 0x10 + (v % 10);

const RW_LATCH = 0, RW_LSB = 1, RW_MSB = 2, RW_WORD = 3;

export class PitChannel {
  /** Programmed mode bits 3:1 as written (6 and 7 act as 2 and 3). */
  modeBits = 3;
  rw = RW_WORD;
  bcd = false;
  /** Initial count N in counting units (1..65536 binary, 1..10000 BCD). */
  count = 0x10000;
  gate: boolean;
  /** The count is in the counting element and counting (or paused by GATE). */
  counting = false;
  /** GATE low has suspended counting. */
  paused = false;
  /** Tick at which the current count started (elapsed = now - start). */
  start = 0;
  /** Elapsed ticks while paused or not counting. */
  frozen = 0;
  /** The counting element's value while not counting. */
  held = 0;
  /** OUT while no count is counting (after a control word). */
  idleOut = true;
  /** Modes 2/3: a count written while counting, loaded at the end of the period at `pendingAt`. */
  pendingCount = -1;
  pendingAt = 0;
  /** Modes 1/5: a count is waiting for its gate trigger. */
  armed = false;
  /** Tick until which the status byte's NULL COUNT bit reads 1. */
  nullCountUntil = Infinity;
  private lsbWritten = -1;
  private readMsbNext = false;
  private latched: number[] = [];
  private status = -1;

  constructor(readonly index: number) {
    this.gate = index !== 2;
  }

  get mode(): number {
    return this.modeBits >= 6 ? this.modeBits - 4 : this.modeBits;
  }

  private get modulus(): number {
    return this.bcd ? 10000 : 0x10000;
  }

  /** Apply a pending count whose period boundary has passed. */
  sync(tick: number): void {
    while (this.pendingCount >= 0 && tick >= this.pendingAt && this.counting && !this.paused) {
      this.start = this.pendingAt;
      this.count = this.pendingCount;
      this.pendingCount = -1;
    }
  }

  elapsed(tick: number): number {
    this.sync(tick);
    return this.counting && !this.paused ? tick - this.start : this.frozen;
  }

  /** OUT at `tick` (datasheet "Mode definitions"). */
  out(tick: number): boolean {
    if (!this.counting) return this.idleOut;
    const mode = this.mode;
    if (this.paused && (mode === 2 || mode === 3)) return true;
    const d = this.elapsed(tick), n = this.count;
    switch (mode) {
      case 0: case 1: return d >= n;
      case 2: return n < 2 || d % n !== n - 1;
      case 3: return d % n < Math.ceil(n / 2);
      default: return d !== n; // 4, 5: one clock low at terminal count
    }
  }

  /** The counting element's value at `tick`. */
  value(tick: number): number {
    const m = this.modulus;
    if (!this.counting) return this.held;
    const d = this.elapsed(tick), n = this.count;
    let v: number;
    switch (this.mode) {
      case 2: v = n - (d % n); break;
      case 3: {
        const half = Math.ceil(n / 2), p = d % n;
        v = (n - 2 * (p < half ? p : p - half)) & ~1;
        break;
      }
      default: v = n - d; break;
    }
    return ((v % m) + m) % m;
  }

  /** Elapsed-tick value of the next OUT transition after `d`, or -1. */
  private nextTransition(d: number): number {
    const n = this.count;
    switch (this.mode) {
      case 0: case 1: return d < n ? n : -1;
      case 2: {
        if (n < 2) return -1;
        const p = d % n;
        return p < n - 1 ? d - p + n - 1 : d + 1;
      }
      case 3: {
        if (n < 2) return -1;
        const half = Math.ceil(n / 2), p = d % n;
        return p < half ? d - p + half : d - p + n;
      }
      default: return d < n ? n : d === n ? n + 1 : -1;
    }
  }

  /** Absolute tick of the next OUT change (or pending count load), or -1 when OUT is steady. */
  nextEventTick(tick: number): number {
    if (!this.counting || this.paused) return -1;
    const d = this.elapsed(tick);
    const next = this.nextTransition(d);
    let at = next < 0 ? -1 : this.start + next;
    if (this.pendingCount >= 0 && (at < 0 || this.pendingAt < at)) at = this.pendingAt;
    return at;
  }

  control(value: number, tick: number): void {
    const rw = (value >> 4) & 3;
    if (rw === RW_LATCH) {
      this.latchCount(tick);
      return;
    }
    this.held = this.value(tick);
    this.rw = rw;
    this.modeBits = (value >> 1) & 7;
    this.bcd = (value & 1) !== 0;
    // "When a Control Word is written to a Counter, all Control Logic is immediately reset and OUT
    // goes to a known initial state": low in mode 0, high otherwise.
    this.counting = false;
    this.paused = false;
    this.armed = false;
    this.pendingCount = -1;
    this.frozen = 0;
    this.idleOut = this.mode !== 0;
    this.lsbWritten = -1;
    this.readMsbNext = false;
    this.nullCountUntil = Infinity;
  }

  latchCount(tick: number): void {
    if (this.latched.length > 0) return; // a latched count stays until read
    const v = this.bcd ? toBcd(this.value(tick)) : this.value(tick);
    if (this.rw === RW_LSB) this.latched = [v & 0xff];
    else if (this.rw === RW_MSB) this.latched = [v >> 8];
    else this.latched = [v & 0xff, v >> 8];
    this.readMsbNext = false;
  }

  latchStatus(tick: number): void {
    if (this.status >= 0) return;
    this.status = (this.out(tick) ? 0x80 : 0) | (tick < this.nullCountUntil ? 0x40 : 0) | (this.rw << 4) | (this.modeBits << 1) | (this.bcd ? 1 : 0);
  }

  read(tick: number): number {
    if (this.status >= 0) {
      const s = this.status;
      this.status = -1;
      return s;
    }
    if (this.latched.length > 0) return this.latched.shift()!;
    const raw = this.value(tick);
    const v = this.bcd ? toBcd(raw) : raw;
    switch (this.rw) {
      case RW_LSB: return v & 0xff;
      case RW_MSB: return v >> 8;
      default: {
        const msb = this.readMsbNext;
        this.readMsbNext = !msb;
        return msb ? v >> 8 : v & 0xff;
      }
    }
  }

  write(value: number, tick: number): void {
    let raw: number;
    if (this.rw === RW_LSB) raw = value;
    else if (this.rw === RW_MSB) raw = value << 8;
    else if (this.lsbWritten < 0) {
      this.lsbWritten = value;
      // Mode 0: writing the first byte stops the count (and OUT is low until the new count ends).
      if (this.mode === 0) {
        this.held = this.value(tick);
        this.counting = false;
        this.idleOut = false;
      }
      return;
    } else {
      raw = this.lsbWritten | (value << 8);
      this.lsbWritten = -1;
    }
    let n = this.bcd ? fromBcd(raw) : raw;
    if (n === 0) n = this.modulus;
    this.load(n, tick);
  }

  private load(n: number, tick: number): void {
    const mode = this.mode;
    this.nullCountUntil = tick + 1;
    switch (mode) {
      case 1: case 5:
        // Hardware-triggered: the count waits for the next rising edge of GATE.
        this.count = this.counting ? this.count : n;
        if (this.counting) this.pendingTriggerCount = n;
        this.armed = true;
        this.nullCountUntil = Infinity;
        break;
      case 2: case 3:
        if (this.counting && !this.paused) {
          // A new count takes effect at the end of the current period.
          const d = this.elapsed(tick);
          this.pendingCount = n;
          this.pendingAt = this.start + (Math.floor(d / this.count) + 1) * this.count;
          break;
        }
        this.count = n;
        this.counting = true;
        this.start = tick;
        this.paused = !this.gate;
        this.frozen = 0;
        break;
      default: // 0, 4: counting restarts with the new count
        this.count = n;
        this.counting = true;
        this.start = tick;
        this.paused = !this.gate;
        this.frozen = 0;
        break;
    }
  }

  /** Modes 1/5: a count written while counting, used at the next trigger. */
  private pendingTriggerCount = -1;

  setGate(level: boolean, tick: number): void {
    if (level === this.gate) return;
    this.gate = level;
    const mode = this.mode;
    if (level) {
      if (mode === 1 || mode === 5) {
        if (this.armed || this.counting) {
          if (this.pendingTriggerCount >= 0) { this.count = this.pendingTriggerCount; this.pendingTriggerCount = -1; }
          this.counting = true;
          this.paused = false;
          this.start = tick;
          this.nullCountUntil = tick + 1;
        }
      } else if (this.counting) {
        if (mode === 2 || mode === 3) this.start = tick; // rising GATE reloads the count
        else this.start = tick - this.frozen; // 0, 4: counting resumes
        this.paused = false;
      }
    } else if (this.counting && (mode === 0 || mode === 4 || mode === 2 || mode === 3)) {
      this.frozen = this.elapsed(tick);
      this.paused = true;
    }
  }

  /** Power-on state as QEMU's pc machine has it: mode 3 counting 65536 (channel 2 gated off). */
  reset(tick: number): void {
    this.control(0x36 | (this.index << 6), tick);
    this.load(0x10000, tick);
  }
}

export interface Pit8254Options {
  /** Channel 0 OUT (IRQ0 on the PC). */
  irq0?: IrqLine;
  /** Speaker output (channel 2 OUT AND port 0x61 bit 1) changed. */
  onSpeaker?: (on: boolean) => void;
}

export class Pit8254 {
  readonly channels: PitChannel[];
  /** Port 0x61 bits 0-3 as written (bit 0 gate 2, bit 1 speaker data, 2/3 parity/IOCHK check enables). */
  portB = 0;
  private readonly timer: Timer;
  private readonly irq0: IrqLine | null;

  constructor(readonly timers: TimerQueue, private readonly options: Pit8254Options = {}) {
    this.channels = [0, 1, 2].map((i) => new PitChannel(i));
    this.irq0 = options.irq0 ?? null;
    this.timer = timers.createTimer('pit-ch0', () => this.channel0Changed(true));
    const tick = this.tick();
    for (const c of this.channels) c.reset(tick);
    this.channel0Changed();
  }

  tick(): number {
    return pitTicksAt(this.timers.clock.now());
  }

  /** Drive IRQ0 from channel 0's OUT and arm the timer for its next transition. */
  /** The tick the channel 0 timer was armed for. */
  private armedTick = -1;

  private channel0Changed(fromTimer = false): void {
    if (this.irq0 === null) return;
    const tick = this.tick();
    const c = this.channels[0]!;
    // A timer that fires late (real-time mode) first shows the transition it was armed for, so a
    // one-tick low pulse (mode 2) still makes its rising edge.
    if (fromTimer && this.armedTick >= 0 && this.armedTick < tick) this.irq0.set(c.out(this.armedTick));
    this.irq0.set(c.out(tick));
    const next = c.nextEventTick(tick);
    this.armedTick = next;
    if (next < 0) this.timer.cancel();
    else this.timer.arm(pitNsAt(next));
  }

  private speakerBefore = false;
  private speakerChanged(): void {
    if (!this.options.onSpeaker) return;
    const on = this.speakerOn();
    if (on !== this.speakerBefore) {
      this.speakerBefore = on;
      this.options.onSpeaker(on);
    }
  }

  /** Whether the speaker is driven now (for audio back ends sampling it). */
  speakerOn(): boolean {
    return (this.portB & 2) !== 0 && this.channels[2]!.out(this.tick());
  }

  readonly ports: IoHandler = {
    read: (offset) => (offset === 3 ? 0xff : this.channels[offset]!.read(this.tick())),
    write: (offset, _size, value) => {
      const tick = this.tick();
      if (offset < 3) this.channels[offset]!.write(value, tick);
      else if ((value & 0xc0) === 0xc0) {
        // Read-back command: bit 5 = 0 latches counts, bit 4 = 0 latches status, bits 3:1 select counters.
        for (let i = 0; i < 3; i++) {
          if ((value & (2 << i)) === 0) continue;
          const c = this.channels[i]!;
          if ((value & 0x20) === 0) c.latchCount(tick);
          if ((value & 0x10) === 0) c.latchStatus(tick);
        }
      } else this.channels[value >> 6]!.control(value, tick);
      if (offset === 0 || offset === 3) this.channel0Changed();
      this.speakerChanged();
    },
  };

  /** Port 0x61 (system control port B). Bit 4 toggles every 15.085 us (DRAM refresh request). */
  readonly portBHandler: IoHandler = {
    read: () => {
      const now = this.timers.clock.now();
      const refresh = Math.floor(now / 15085) & 1;
      return (this.portB & 0x0f) | (refresh << 4) | (this.channels[2]!.out(pitTicksAt(now)) ? 0x20 : 0);
    },
    write: (_offset, _size, value) => {
      this.portB = value & 0x0f;
      this.channels[2]!.setGate((value & 1) !== 0, this.tick());
      this.speakerChanged();
    },
  };

  registerPorts(bus: PortBus): void {
    bus.register('pit', 0x40, 4, this.ports, SIZE_1);
    bus.register('port61', 0x61, 1, this.portBHandler, SIZE_1);
  }
}
