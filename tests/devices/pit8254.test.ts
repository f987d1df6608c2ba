import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortBus } from '../../src/bus/port-bus.js';
import { IrqLine } from '../../src/bus/irq-line.js';
import { VirtualClock } from '../../src/machine/clock.js';
import { TimerQueue } from '../../src/machine/timer-queue.js';
import { Pit8254, PIT_HZ, pitNsAt, pitTicksAt } from '../../src/devices/pit8254.js';

function setup() {
  const clock = VirtualClock.deterministic(1);
  const timers = new TimerQueue(clock);
  const bus = new PortBus();
  let rising = 0;
  const levels: [number, boolean][] = [];
  const irq0 = new IrqLine((level) => { if (level) rising++; levels.push([clock.now(), level]); });
  const speaker: boolean[] = [];
  const pit = new Pit8254(timers, { irq0, onSpeaker: (on) => speaker.push(on) });
  pit.registerPorts(bus);
  const out = (port: number, value: number) => bus.write(port, 1, value);
  const inb = (port: number) => bus.read(port, 1);
  /** Let guest time pass to `ns`, firing timers on the way (what the scheduler does while the CPU is halted). */
  const runTo = (ns: number) => {
    while (timers.nextDeadline() <= ns) {
      clock.advanceTo(timers.nextDeadline());
      timers.runExpired();
    }
    clock.advanceTo(ns);
    timers.runExpired();
  };
  const advanceTicks = (ticks: number) => runTo(pitNsAt(pitTicksAt(clock.now()) + ticks));
  return { clock, timers, pit, out, inb, runTo, advanceTicks, rising: () => rising, levels, speaker, irq0 };
}

describe('i8254 PIT', () => {
  it('converts between guest ns and input clock ticks exactly', () => {
    for (const tick of [0, 1, 1193, PIT_HZ - 1, PIT_HZ, 123456789, 1e12 + 7]) {
      assert.equal(pitTicksAt(pitNsAt(tick)), tick);
      if (tick > 0) assert.equal(pitTicksAt(pitNsAt(tick) - 1), tick - 1);
    }
  });

  it('mode 2 on channel 0 interrupts at 1193182/N Hz against the deterministic clock, via timer events', () => {
    const t = setup();
    t.out(0x43, 0x34); // channel 0, lo/hi, mode 2, binary (Linux and SeaBIOS)
    t.out(0x40, 1193 & 0xff); t.out(0x40, 1193 >> 8);
    const before = t.rising();
    const startTick = pitTicksAt(t.clock.now());
    t.runTo(1e9);
    const ticks = pitTicksAt(1e9) - startTick;
    assert.equal(t.rising() - before, Math.floor(ticks / 1193));
    assert.equal(t.rising() - before, 1000);
    // Two events per period (OUT low for one clock, then high again), nothing in between.
    assert.ok(t.timers.size === 1);
  });

  it('mode 0 raises OUT once at terminal count; writing the LSB stops the count', () => {
    const t = setup();
    t.out(0x43, 0x30); // channel 0, lo/hi, mode 0
    assert.equal(t.irq0.level, false, 'OUT low after the control word');
    t.out(0x40, 100); t.out(0x40, 0);
    t.advanceTicks(60);
    t.out(0x43, 0x00); // latch
    assert.equal(t.inb(0x40) | (t.inb(0x40) << 8), 40);
    assert.equal(t.irq0.level, false);
    t.advanceTicks(40);
    assert.equal(t.irq0.level, true);
    t.advanceTicks(1000);
    assert.equal(t.irq0.level, true, 'stays high; the counter wraps on');
    t.out(0x43, 0x00);
    assert.equal(t.inb(0x40) | (t.inb(0x40) << 8), 0x10000 - 1000);
    // Rewriting: the LSB write stops counting and OUT goes low.
    t.out(0x40, 50);
    assert.equal(t.irq0.level, false);
    t.advanceTicks(500);
    t.out(0x40, 0);
    t.advanceTicks(49);
    assert.equal(t.irq0.level, false);
    t.advanceTicks(1);
    assert.equal(t.irq0.level, true);
  });

  it('keeps a latched count until both bytes are read, and ignores a second latch', () => {
    const t = setup();
    t.out(0x43, 0x34); t.out(0x40, 0x00); t.out(0x40, 0x10); // 4096
    t.advanceTicks(10);
    t.out(0x43, 0x00);
    t.advanceTicks(100);
    t.out(0x43, 0x00); // ignored: a count is latched already
    assert.equal(t.inb(0x40), (4096 - 10) & 0xff);
    t.advanceTicks(100);
    assert.equal(t.inb(0x40), (4096 - 10) >> 8);
    // Unlatched reads sample the live count.
    const lo = t.inb(0x40), hi = t.inb(0x40);
    assert.equal(lo | (hi << 8), 4096 - 210);
  });

  it('answers the read-back command with status then count, including NULL COUNT', () => {
    const t = setup();
    t.out(0x43, 0xb4); // channel 2, lo/hi, mode 2
    t.out(0x42, 0x00); t.out(0x42, 0x01);
    t.out(0x43, 0xe8); // read-back status of counter 2
    assert.equal(t.inb(0x42), 0x80 | 0x40 | 0x34, 'OUT high, null count (not yet loaded), lo/hi, mode 2');
    t.out(0x61, 0x01); // gate 2 on
    t.advanceTicks(5);
    t.out(0x43, 0xc8); // read-back count and status of counter 2
    assert.equal(t.inb(0x42), 0x80 | 0x34);
    assert.equal(t.inb(0x42) | (t.inb(0x42) << 8), 256 - 5);
  });

  it('counts in BCD and supports LSB-only and MSB-only access', () => {
    const t = setup();
    t.out(0x43, 0x35); // channel 0, lo/hi, mode 2, BCD
    t.out(0x40, 0x00); t.out(0x40, 0x10); // 1000 decimal
    t.advanceTicks(1);
    t.out(0x43, 0x00);
    assert.equal(t.inb(0x40) | (t.inb(0x40) << 8), 0x0999);
    const r = t.rising();
    t.advanceTicks(1000 * 5);
    assert.equal(t.rising() - r, 5);

    t.out(0x43, 0x10 | 0x04); // LSB only, mode 2
    t.out(0x40, 0x80);
    t.advanceTicks(3);
    assert.equal(t.inb(0x40), 0x80 - 3);
    t.out(0x43, 0x20 | 0x04); // MSB only, mode 2
    t.out(0x40, 0x02); // 512
    t.advanceTicks(256);
    assert.equal(t.inb(0x40), 0x01);
  });

  it('produces a square wave in mode 3 on channel 2, seen on port 0x61 bit 5, gated by bit 0', () => {
    const t = setup();
    t.out(0x61, 0x00);
    t.out(0x43, 0xb6); t.out(0x42, 100); t.out(0x42, 0);
    assert.equal(t.inb(0x61) & 0x21, 0x20, 'gate off: OUT high, not counting');
    t.out(0x61, 0x03); // gate on, speaker data on
    assert.deepEqual(t.speaker, [true]);
    t.advanceTicks(49);
    assert.equal(t.inb(0x61) & 0x20, 0x20);
    t.advanceTicks(1);
    assert.equal(t.inb(0x61) & 0x20, 0);
    t.out(0x43, 0x80); // latch counter 2: mode 3 counts down by two
    assert.equal(t.inb(0x42), 100);
    t.inb(0x42);
    t.advanceTicks(50);
    assert.equal(t.inb(0x61) & 0x20, 0x20);
    t.out(0x61, 0x02); // gate off: OUT forced high
    t.advanceTicks(70);
    assert.equal(t.inb(0x61) & 0x20, 0x20);
  });

  it('polls channel 2 in mode 0 the way Linux calibrates the TSC', () => {
    const t = setup();
    t.out(0x61, (t.inb(0x61) & ~0x02) | 0x01);
    t.out(0x43, 0xb0);
    const latch = Math.floor(PIT_HZ / 20); // 50 ms
    t.out(0x42, latch & 0xff); t.out(0x42, latch >> 8);
    let polls = 0;
    while ((t.inb(0x61) & 0x20) === 0) { t.advanceTicks(997); polls++; }
    assert.equal(polls, Math.ceil(latch / 997));
    assert.ok(Math.abs(t.clock.now() - 50e6) < 1e6);
  });

  it('triggers modes 1 and 5 on a rising gate, and strobes in mode 4', () => {
    const t = setup();
    t.out(0x61, 0x00);
    t.out(0x43, 0xb2); t.out(0x42, 20); t.out(0x42, 0); // mode 1
    t.advanceTicks(100);
    assert.equal(t.inb(0x61) & 0x20, 0x20, 'waits for the trigger');
    t.out(0x61, 0x01);
    assert.equal(t.inb(0x61) & 0x20, 0, 'one-shot running: OUT low');
    t.advanceTicks(10);
    t.out(0x61, 0x00); t.out(0x61, 0x01); // retrigger
    t.advanceTicks(19);
    assert.equal(t.inb(0x61) & 0x20, 0);
    t.advanceTicks(1);
    assert.equal(t.inb(0x61) & 0x20, 0x20);

    t.out(0x43, 0xba); t.out(0x42, 10); t.out(0x42, 0); // mode 5
    t.out(0x61, 0x00); t.out(0x61, 0x01);
    t.advanceTicks(10);
    assert.equal(t.inb(0x61) & 0x20, 0, 'strobe at terminal count');
    t.advanceTicks(1);
    assert.equal(t.inb(0x61) & 0x20, 0x20);

    t.out(0x43, 0x38); // channel 0 mode 4
    const r = t.rising();
    t.out(0x40, 30); t.out(0x40, 0);
    t.advanceTicks(30);
    assert.equal(t.irq0.level, false);
    t.advanceTicks(1);
    assert.equal(t.irq0.level, true);
    assert.equal(t.rising() - r, 1);
    t.advanceTicks(100000);
    assert.equal(t.rising() - r, 1, 'one strobe only');
  });

  it('loads a new mode 2 count at the end of the current period', () => {
    const t = setup();
    t.out(0x43, 0x34); t.out(0x40, 100); t.out(0x40, 0);
    t.advanceTicks(30);
    t.out(0x40, 50); t.out(0x40, 0);
    t.out(0x43, 0x00);
    assert.equal(t.inb(0x40), 70, 'the old period continues');
    t.inb(0x40);
    t.advanceTicks(70);
    const r = t.rising();
    t.advanceTicks(500);
    assert.equal(t.rising() - r, 10);
  });
});
