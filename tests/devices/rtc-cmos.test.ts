import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortBus } from '../../src/bus/port-bus.js';
import { IrqLine } from '../../src/bus/irq-line.js';
import { VirtualClock } from '../../src/machine/clock.js';
import { TimerQueue } from '../../src/machine/timer-queue.js';
import { RtcCmos } from '../../src/devices/rtc-cmos.js';

function setup(epochMs = Date.UTC(2000, 0, 1)) {
  const clock = VirtualClock.deterministic(1, epochMs);
  const timers = new TimerQueue(clock);
  const bus = new PortBus();
  let rising = 0;
  const irq = new IrqLine((level) => { if (level) rising++; });
  const rtc = new RtcCmos(timers, { irq });
  rtc.registerPorts(bus);
  const read = (reg: number) => { bus.write(0x70, 1, reg); return bus.read(0x71, 1); };
  const write = (reg: number, value: number) => { bus.write(0x70, 1, reg); bus.write(0x71, 1, value); };
  /** Let guest time pass, firing timers; `onIrq` runs like an interrupt handler at each rising IRQ8. */
  const runTo = (ns: number, onIrq?: () => void) => {
    let seen = rising;
    while (timers.nextDeadline() <= ns) {
      clock.advanceTo(timers.nextDeadline());
      timers.runExpired();
      if (onIrq && rising !== seen) { onIrq(); seen = rising; }
    }
    clock.advanceTo(ns);
    timers.runExpired();
  };
  return { clock, timers, bus, rtc, read, write, runTo, rising: () => rising, irq };
}

describe('MC146818 RTC/CMOS', () => {
  it('starts from the clock epoch in BCD 24-hour format with the century byte', () => {
    const t = setup(Date.UTC(2024, 1, 29, 13, 45, 30, 0));
    assert.equal(t.read(0x00), 0x30);
    assert.equal(t.read(0x02), 0x45);
    assert.equal(t.read(0x04), 0x13);
    assert.equal(t.read(0x06), 0x05, '2024-02-29 is a Thursday (Sunday = 1)');
    assert.equal(t.read(0x07), 0x29);
    assert.equal(t.read(0x08), 0x02);
    assert.equal(t.read(0x09), 0x24);
    assert.equal(t.read(0x32), 0x20);
    assert.equal(t.read(0x0a), 0x26);
    assert.equal(t.read(0x0b), 0x02);
    assert.equal(t.read(0x0d), 0x80, 'valid RAM and time');
  });

  it('advances each second, with UIP set just before the update', () => {
    const t = setup(Date.UTC(2023, 11, 31, 23, 59, 59));
    t.runTo(1e9 - 2_300_000);
    assert.equal(t.read(0x0a) & 0x80, 0);
    t.runTo(1e9 - 2_000_000);
    assert.equal(t.read(0x0a) & 0x80, 0x80, 'update in progress');
    assert.equal(t.read(0x00), 0x59);
    // The usual guest loop: wait for UIP to clear, then read.
    let polls = 0;
    while (t.read(0x0a) & 0x80) { t.runTo(t.clock.now() + 100_000); polls++; }
    assert.equal(polls, 20);
    assert.deepEqual([t.read(0x00), t.read(0x02), t.read(0x04), t.read(0x07), t.read(0x08), t.read(0x09), t.read(0x32)],
      [0x00, 0x00, 0x00, 0x01, 0x01, 0x24, 0x20]);
  });

  it('shows binary and 12-hour formats as register B selects', () => {
    const t = setup(Date.UTC(2001, 6, 4, 13, 5, 9));
    t.write(0x0b, 0x06); // binary, 24h
    assert.deepEqual([t.read(0x04), t.read(0x02), t.read(0x00), t.read(0x09)], [13, 5, 9, 1]);
    t.write(0x0b, 0x04); // binary, 12h
    assert.equal(t.read(0x04), 0x81, '1 PM');
    t.write(0x0b, 0x00); // BCD, 12h
    assert.equal(t.read(0x04), 0x81);
    t.write(0x04, 0x12); // 12 AM = midnight
    t.write(0x0b, 0x02);
    assert.equal(t.read(0x04), 0x00);
  });

  it('sets the time under SET and counts on from it when SET clears', () => {
    const t = setup();
    t.runTo(300_000_000);
    t.write(0x0b, 0x82); // SET, 24h, BCD
    assert.equal(t.read(0x0b) & 0x10, 0);
    // Linux's order: year first, then month, day, hours, minutes, seconds.
    t.write(0x09, 0x25); t.write(0x08, 0x02); t.write(0x07, 0x28); t.write(0x04, 0x23); t.write(0x02, 0x59); t.write(0x00, 0x58);
    t.runTo(3e9);
    assert.equal(t.read(0x00), 0x58, 'no updates while SET');
    t.write(0x0b, 0x02);
    t.runTo(5e9 + 10_000_000);
    assert.deepEqual([t.read(0x00), t.read(0x02), t.read(0x04), t.read(0x07), t.read(0x08), t.read(0x09)],
      [0x00, 0x00, 0x00, 0x01, 0x03, 0x25]);
  });

  it('interrupts at the periodic rate while the handler reads register C', () => {
    const t = setup();
    t.write(0x0a, 0x26); // 1024 Hz
    t.write(0x0b, 0x42); // PIE
    let handled = 0;
    t.runTo(1e9, () => { const c = t.read(0x0c); assert.equal(c & 0xc0, 0xc0); handled++; });
    assert.equal(handled, 1024);
    t.write(0x0a, 0x2f); // 2 Hz
    handled = 0;
    t.runTo(3e9, () => { t.read(0x0c); handled++; });
    assert.equal(handled, 4);
    // Without reading C the flag stays set and IRQ8 stays high: one interrupt only.
    const r = t.rising();
    t.runTo(6e9);
    assert.equal(t.rising() - r, 1);
    assert.equal(t.irq.level, true);
    assert.equal(t.read(0x0c), 0xc0 | 0x10);
    assert.equal(t.irq.level, false);
    assert.equal(t.read(0x0c), 0x00);
  });

  it('sets PF without PIE and raises no interrupt for it', () => {
    const t = setup();
    t.write(0x0a, 0x23); // 8192 Hz
    t.runTo(1_000_000);
    assert.equal(t.read(0x0c) & 0x40, 0x40);
    assert.equal(t.rising(), 0);
  });

  it('raises update-ended interrupts once a second and an alarm at the alarm time', () => {
    const t = setup(Date.UTC(2010, 4, 5, 6, 7, 8, 500));
    t.write(0x0b, 0x12); // UIE
    let updates = 0;
    t.runTo(3e9, () => { const c = t.read(0x0c); if (c & 0x10) updates++; });
    assert.equal(updates, 3);
    t.write(0x0b, 0x22); // AIE only
    t.read(0x0c);
    t.write(0x01, 0x15); t.write(0x03, 0x07); t.write(0x05, 0x06); // 06:07:15
    const alarms: number[] = [];
    t.runTo(20e9, () => { if (t.read(0x0c) & 0x20) alarms.push(t.read(0x00)); });
    assert.deepEqual(alarms, [0x15]);
    t.write(0x01, 0xc0); t.write(0x03, 0xc0); t.write(0x05, 0xc0); // every second
    alarms.length = 0;
    t.runTo(23e9, () => { if (t.read(0x0c) & 0x20) alarms.push(t.read(0x00)); });
    assert.deepEqual(alarms, [0x29, 0x30, 0x31]);
  });

  it('stops the clock while the divider is in reset and starts the first update 500 ms after', () => {
    const t = setup();
    t.write(0x0a, 0x70);
    t.runTo(5e9);
    assert.equal(t.read(0x00), 0x00);
    t.write(0x0a, 0x26);
    t.runTo(5e9 + 490e6);
    assert.equal(t.read(0x00), 0x00);
    t.runTo(5e9 + 510e6);
    assert.equal(t.read(0x00), 0x01);
  });

  it('keeps 2 x 128 bytes of NVRAM and the NMI-disable bit of the index', () => {
    const t = setup();
    t.write(0x40, 0x5a);
    t.bus.write(0x70, 1, 0x80 | 0x41);
    assert.equal(t.rtc.nmiDisabled, true);
    t.bus.write(0x71, 1, 0xa5);
    assert.equal(t.read(0x40), 0x5a);
    assert.equal(t.read(0x41), 0xa5);
    assert.equal(t.rtc.nmiDisabled, false);
    t.bus.write(0x72, 1, 0x40); t.bus.write(0x73, 1, 0x11);
    t.bus.write(0x72, 1, 0x00);
    assert.equal(t.bus.read(0x73, 1), 0x00, 'bank 1 byte 0 is plain RAM');
    t.bus.write(0x72, 1, 0x40);
    assert.equal(t.bus.read(0x73, 1), 0x11);
    assert.equal(t.read(0x40), 0x5a);
    t.write(0x0d, 0x00);
    assert.equal(t.read(0x0d), 0x80);
  });

  it('holds the memory size, CPU count and boot order fields SeaBIOS reads, with the checksum', () => {
    const t = setup();
    t.rtc.setMemoryLayout({ belowFourG: 0xc0000000, aboveFourG: 0x40000000, cpus: 4 });
    assert.equal(t.read(0x15) | (t.read(0x16) << 8), 640);
    assert.equal(t.read(0x17) | (t.read(0x18) << 8), 65535);
    assert.equal(t.read(0x30) | (t.read(0x31) << 8), 65535);
    assert.equal(t.read(0x34) | (t.read(0x35) << 8), (0xc0000000 - (16 << 20)) / 65536);
    assert.equal(t.read(0x5b) | (t.read(0x5c) << 8) | (t.read(0x5d) << 16), 0x4000);
    assert.equal(t.read(0x5f), 3);
    t.rtc.setMemoryLayout({ belowFourG: 32 << 20 });
    assert.equal(t.read(0x17) | (t.read(0x18) << 8), 31 * 1024);
    assert.equal(t.read(0x34) | (t.read(0x35) << 8), (16 << 20) / 65536);
    assert.equal(t.read(0x5f), 0);
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += t.read(i);
    assert.equal((t.read(0x2e) << 8) | t.read(0x2f), sum);
    t.rtc.setBootOrder(['cdrom', 'disk', 'floppy'], false);
    assert.equal(t.read(0x3d), 0x23);
    assert.equal(t.read(0x38), 0x11);
  });
});
