/**
 * I/O APIC routing (edge and level, masking, Remote IRR cleared by the local APIC's EOI broadcast)
 * and the HPET (legacy replacement routing, periodic mode, level-triggered status), against the
 * deterministic clock.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apicMachine, LOG, NO_EOI } from './apic-machine.js';
import { IOAPIC_VERSION } from '../../../src/devices/apic/io-apic.js';
import { Hpet, HPET_DEFAULT_BASE } from '../../../src/devices/hpet.js';
import { IrqLine } from '../../../src/bus/irq-line.js';
import { VirtualClock } from '../../../src/machine/clock.js';
import { TimerQueue } from '../../../src/machine/timer-queue.js';

const IOAPIC = 0xfec00000;

function run(m: ReturnType<typeof apicMachine>, ns: number): void {
  const end = m.clock.now() + ns;
  while (m.clock.now() < end) m.scheduler.step(Math.min(end, m.clock.now() + 100));
}

function ioWrite(m: ReturnType<typeof apicMachine>, index: number, value: number): void {
  m.write32(IOAPIC, index);
  m.write32(IOAPIC + 0x10, value);
}

function ioRead(m: ReturnType<typeof apicMachine>, index: number): number {
  m.write32(IOAPIC, index);
  return m.read32(IOAPIC + 0x10);
}

describe('I/O APIC', () => {
  it('ID, version and a masked redirection table after reset', () => {
    const m = apicMachine('hlt', { cpus: 2 });
    assert.equal(ioRead(m, 0), 2 << 24, 'ID = number of vCPUs (QEMU)');
    assert.equal(ioRead(m, 1), IOAPIC_VERSION);
    assert.equal(IOAPIC_VERSION, 0x170011);
    assert.equal(ioRead(m, 0x10), 0x10000);
    ioWrite(m, 0x10 + 2 * 5, 0x1a060);
    assert.equal(ioRead(m, 0x10 + 2 * 5), 0x1a060);
  });

  it('edge-triggered pin to a physical destination; masked pins send nothing', () => {
    const m = apicMachine('', { cpus: 2 });
    for (const a of m.smp.lapics) a.mmioWrite(0xf0, 4, 0x1ff);
    ioWrite(m, 0x11 + 2 * 4, 0x01000000);
    ioWrite(m, 0x10 + 2 * 4, 0x00000061);
    const pin = m.smp.ioApic!.pin(4);
    pin.pulse();
    pin.pulse();
    run(m, 5000);
    assert.deepEqual(m.log(1), [0x61], 'both edges arrived before the AP ran: one IRR bit');
    pin.pulse();
    run(m, 5000);
    assert.deepEqual(m.log(1), [0x61, 0x61]);
    ioWrite(m, 0x10 + 2 * 4, 0x00010061);
    pin.pulse();
    run(m, 5000);
    assert.equal(m.log(1).length, 2);
  });

  it('level-triggered: Remote IRR holds further messages until the EOI broadcast', () => {
    const m = apicMachine('', { cpus: 2 });
    for (const a of m.smp.lapics) a.mmioWrite(0xf0, 4, 0x1ff);
    m.write32(LOG + 0x1000 + NO_EOI, 1); // the AP's handler does not write EOI
    ioWrite(m, 0x11 + 2 * 9, 0x01000000);
    ioWrite(m, 0x10 + 2 * 9, 0x00008070);
    const pin = m.smp.ioApic!.pin(9);
    pin.raise();
    run(m, 5000);
    assert.deepEqual(m.log(1), [0x70]);
    assert.notEqual(ioRead(m, 0x10 + 2 * 9) & (1 << 14), 0, 'Remote IRR set');
    assert.equal(m.smp.lapics[1]!.tmr[0x70 >> 5]! & (1 << (0x70 & 31)), 1 << (0x70 & 31), 'TMR set');
    run(m, 5000);
    assert.deepEqual(m.log(1), [0x70], 'no new message while Remote IRR is set');
    // EOI on the AP while the line is still asserted: Remote IRR clears and the pin fires again.
    m.smp.lapics[1]!.eoi();
    run(m, 5000);
    assert.deepEqual(m.log(1), [0x70, 0x70]);
    pin.lower();
    m.smp.lapics[1]!.eoi();
    assert.equal(ioRead(m, 0x10 + 2 * 9) & (1 << 14), 0, 'Remote IRR cleared by the EOI broadcast');
    run(m, 5000);
    assert.deepEqual(m.log(1), [0x70, 0x70]);
    assert.notEqual(m.smp.lapics[1]!.tmr[0x70 >> 5]! & (1 << (0x70 & 31)), 0, 'the EOI leaves the TMR bit set (SDM 11.8.4)');
    // The same vector arriving edge-triggered clears it on acceptance.
    ioWrite(m, 0x10 + 2 * 9, 0x00000070);
    pin.raise();
    run(m, 5000);
    assert.deepEqual(m.log(1), [0x70, 0x70, 0x70]);
    assert.equal(m.smp.lapics[1]!.tmr[0x70 >> 5]! & (1 << (0x70 & 31)), 0, 'an edge-triggered acceptance clears the TMR bit');
  });

  it('the PIC reaches the BSP through LINT0 (ExtINT, virtual wire) while the I/O APIC is masked', () => {
    const m = apicMachine(`
      mov al, 0x11
      out 0x20, al
      mov al, 0x30
      out 0x21, al
      mov al, 4
      out 0x21, al
      mov al, 1
      out 0x21, al
      mov al, 0xfe
      out 0x21, al
      sti
    .idle:
      hlt
      jmp .idle`, { cpus: 1 });
    m.smp.lapics[0]!.mmioWrite(0xf0, 4, 0x1ff);
    m.write32(LOG + NO_EOI, 1);
    run(m, 2000);
    m.pic.irq(0).pulse();
    run(m, 2000);
    assert.deepEqual(m.log(0), [0x30], 'vector from the 8259, not the APIC');
    assert.equal(m.smp.lapics[0]!.isr.some((w) => w !== 0), false, 'ExtINT does not use the APIC ISR');
  });
});

describe('HPET', () => {
  function hpet() {
    const clock = VirtualClock.deterministic();
    const timers = new TimerQueue(clock);
    const edges = new Map<number, number>();
    const lines = new Map<number, IrqLine>();
    const gsi = (n: number) => {
      let l = lines.get(n);
      if (!l) lines.set(n, (l = new IrqLine((level) => { if (level) edges.set(n, (edges.get(n) ?? 0) + 1); }, `gsi${n}`)));
      return l;
    };
    const h = new Hpet({ timers, gsi });
    const advance = (ns: number) => {
      const end = clock.now() + ns;
      while (timers.nextDeadline() <= end) { clock.advanceTo(timers.nextDeadline()); timers.runExpired(); }
      clock.advanceTo(end);
    };
    const w64 = (off: number, v: bigint) => { h.write(off, 4, Number(v & 0xffffffffn)); h.write(off + 4, 4, Number(v >> 32n)); };
    return { h, clock, edges, gsi, advance, w64 };
  }

  it('capabilities: 3 timers, 64-bit counter at 100 MHz, legacy capable', () => {
    const { h, advance } = hpet();
    assert.equal(h.read(0, 4) >>> 0, 0x8086a201);
    assert.equal(h.read(4, 4), 10_000_000);
    assert.equal(h.read(0xf0, 4), 0);
    h.write(0x10, 4, 1);
    advance(1000);
    assert.equal(h.read(0xf0, 4), 100, '1 us = 100 ticks');
    assert.equal((h.read(0x104, 4) >>> 0), 0x00ff0104, 'routes: GSI 2, 8, 16-23');
    assert.equal(HPET_DEFAULT_BASE, 0xfed00000);
  });

  it('legacy replacement: timer 0 periodic drives IRQ0 and cuts the PIT off; timer 1 drives IRQ8', () => {
    const { h, edges, advance, w64 } = hpet();
    h.pitInput.pulse();
    assert.equal(edges.get(0), 1, 'PIT passes through before legacy mode');
    // Timer 0: periodic, interrupts enabled, VAL_SET; comparator and period 1000 ticks (10 us).
    // (VAL_SET applies to one comparator write, as in QEMU: set it before each half.)
    const cfg0 = (1 << 2) | (1 << 3);
    h.write(0x100, 4, cfg0 | (1 << 6));
    h.write(0x108, 4, 1000);
    h.write(0x100, 4, cfg0 | (1 << 6));
    h.write(0x10c, 4, 0);
    w64(0x108, 1000n);
    // Timer 1: one-shot at 2500 ticks.
    h.write(0x120, 4, 1 << 2);
    w64(0x128, 2500n);
    h.write(0x10, 4, 3); // ENABLE_CNF | LEG_RT_CNF
    h.pitInput.pulse();
    assert.equal(edges.get(0), 1, 'PIT disconnected in legacy mode');
    advance(100_000); // 10 000 ticks
    assert.equal(edges.get(0), 1 + 10, 'ten periods of timer 0 on IRQ0');
    assert.equal(edges.get(8), 1, 'timer 1 fired once on IRQ8');
    assert.equal(edges.get(2), undefined);
  });

  it('level-triggered timer: status bit holds the line until written 1 to clear; route to GSI 20', () => {
    const { h, advance, gsi, w64 } = hpet();
    h.write(0x140, 4, (1 << 1) | (1 << 2) | (20 << 9));
    w64(0x148, 50n);
    h.write(0x10, 4, 1);
    advance(1000);
    assert.equal(h.read(0x20, 4), 4, 'timer 2 status');
    assert.equal(gsi(20).level, true);
    h.write(0x20, 4, 4);
    assert.equal(h.read(0x20, 4), 0);
    assert.equal(gsi(20).level, false);
  });
});
