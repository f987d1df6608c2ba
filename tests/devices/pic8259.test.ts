import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortBus } from '../../src/bus/port-bus.js';
import { Pic8259 } from '../../src/devices/pic8259.js';

function setup() {
  const bus = new PortBus();
  const pic = new Pic8259();
  pic.registerPorts(bus);
  const out = (port: number, value: number) => bus.write(port, 1, value);
  const inb = (port: number) => bus.read(port, 1);
  return { bus, pic, out, inb };
}

/** SeaBIOS's pic_setup(): vectors 0x08 and 0x70, cascade on IR2, 8086 mode, all masked but the cascade. */
function seabiosInit(out: (p: number, v: number) => void) {
  out(0x20, 0x11); out(0xa0, 0x11);
  out(0x21, 0x08); out(0xa1, 0x70);
  out(0x21, 0x04); out(0xa1, 0x02);
  out(0x21, 0x01); out(0xa1, 0x01);
  out(0x21, 0xfb); out(0xa1, 0xff);
}

/** Linux's init_8259A(): mask all, ICW1-4 for both chips (vectors 0x30/0x38), then unmask. */
function linuxInit(out: (p: number, v: number) => void, autoEoi = false) {
  out(0x21, 0xff); out(0xa1, 0xff);
  out(0x20, 0x11); out(0x21, 0x30); out(0x21, 0x04); out(0x21, autoEoi ? 0x03 : 0x01);
  out(0xa0, 0x11); out(0xa1, 0x38); out(0xa1, 0x02); out(0xa1, 0x01);
  out(0x21, 0x00); out(0xa1, 0x00);
}

const readIsr = (out: (p: number, v: number) => void, inb: (p: number) => number, port: number) => { out(port, 0x0b); return inb(port); };
const readIrr = (out: (p: number, v: number) => void, inb: (p: number) => number, port: number) => { out(port, 0x0a); return inb(port); };

describe('i8259 PIC pair', () => {
  it('delivers IRQ0 after the SeaBIOS initialisation and clears it with a non-specific EOI', () => {
    const { pic, out, inb } = setup();
    seabiosInit(out);
    assert.equal(inb(0x21), 0xfb);
    assert.equal(pic.hasInterrupt(), false);
    out(0x21, 0xfa); // unmask IRQ0
    pic.irq(0).raise();
    assert.equal(pic.hasInterrupt(), true);
    assert.equal(readIrr(out, inb, 0x20), 0x01);
    assert.equal(pic.acknowledge(), 0x08);
    assert.equal(pic.hasInterrupt(), false);
    assert.equal(readIsr(out, inb, 0x20), 0x01);
    assert.equal(readIrr(out, inb, 0x20), 0x00, 'edge request consumed by INTA');
    out(0x20, 0x20);
    assert.equal(inb(0x20), 0x00, 'ISR still selected for reading, now empty');
  });

  it('resolves priorities and nests a higher-priority request inside a lower one', () => {
    const { pic, out } = setup();
    linuxInit(out);
    pic.irq(3).raise();
    pic.irq(1).raise();
    assert.equal(pic.acknowledge(), 0x31);
    assert.equal(pic.hasInterrupt(), false, 'IRQ3 waits: IRQ1 in service');
    pic.irq(0).raise();
    assert.equal(pic.hasInterrupt(), true, 'IRQ0 has a higher priority than IRQ1');
    assert.equal(pic.acknowledge(), 0x30);
    out(0x20, 0x20); // EOI IRQ0 (highest in service)
    assert.equal(pic.hasInterrupt(), false);
    out(0x20, 0x20); // EOI IRQ1
    assert.equal(pic.acknowledge(), 0x33);
  });

  it('routes the slave through IR2 and gives the slave vector', () => {
    const { pic, out, inb } = setup();
    seabiosInit(out);
    out(0xa1, 0xfe); // unmask IRQ8
    pic.irq(8).raise();
    assert.equal(pic.hasInterrupt(), true);
    assert.equal(pic.acknowledge(), 0x70);
    assert.equal(readIsr(out, inb, 0x20), 0x04);
    assert.equal(readIsr(out, inb, 0xa0), 0x01);
    out(0xa0, 0x20); out(0x20, 0x20);
    assert.equal(readIsr(out, inb, 0x20), 0);
    assert.equal(readIsr(out, inb, 0xa0), 0);
  });

  it('masks with OCW1 and keeps the request pending until unmasked', () => {
    const { pic, out } = setup();
    linuxInit(out);
    out(0x21, 0x10);
    pic.irq(4).pulse();
    assert.equal(pic.hasInterrupt(), false);
    out(0x21, 0x00);
    assert.equal(pic.hasInterrupt(), true);
    assert.equal(pic.acknowledge(), 0x34);
  });

  it('latches an edge but follows a level input selected in the ELCR', () => {
    const { pic, out, inb } = setup();
    linuxInit(out);
    pic.irq(5).pulse();
    assert.equal(pic.hasInterrupt(), true, 'edge latched after the line went low again');
    assert.equal(pic.acknowledge(), 0x35);
    out(0x20, 0x20);
    // Level-triggered IRQ10 (a PCI interrupt): ELCR2 bit 2.
    out(0x4d1, 0x04);
    assert.equal(inb(0x4d1), 0x04);
    out(0x4d0, 0xff);
    assert.equal(inb(0x4d0), 0xf8, 'IRQ0-2 cannot be level-triggered');
    out(0x4d1, 0xff);
    assert.equal(inb(0x4d1), 0xde, 'IRQ8 and IRQ13 cannot be level-triggered');
    out(0x4d1, 0x04);
    pic.irq(10).raise();
    assert.equal(pic.acknowledge(), 0x3a);
    out(0xa0, 0x20); out(0x20, 0x20);
    assert.equal(pic.hasInterrupt(), true, 'still high after EOI: requests again');
    assert.equal(pic.acknowledge(), 0x3a);
    pic.irq(10).lower();
    out(0xa0, 0x20); out(0x20, 0x20);
    assert.equal(pic.hasInterrupt(), false);
  });

  it('answers a vanished level request with spurious IRQ7 (no ISR bit) and IRQ15 (master IR2 in service)', () => {
    const { pic, out, inb } = setup();
    linuxInit(out);
    out(0x4d0, 0x20); // IRQ5 level
    pic.irq(5).raise();
    assert.equal(pic.hasInterrupt(), true);
    pic.irq(5).lower();
    assert.equal(pic.hasInterrupt(), false);
    // The CPU sampled INTR before the line dropped: the INTA finds nothing.
    assert.equal(pic.acknowledge(), 0x37);
    assert.equal(readIsr(out, inb, 0x20), 0, 'spurious IRQ7 sets no in-service bit');

    out(0x4d1, 0x08); // IRQ11 level
    pic.irq(11).raise();
    pic.irq(11).lower();
    // The master latched the slave's rising output on its edge-triggered IR2.
    assert.equal(pic.hasInterrupt(), true);
    assert.equal(pic.acknowledge(), 0x3f);
    assert.equal(readIsr(out, inb, 0xa0), 0);
    assert.equal(readIsr(out, inb, 0x20), 0x04, 'the master needs its EOI after a spurious IRQ15');
  });

  it('does not set ISR in automatic EOI mode', () => {
    const { pic, out, inb } = setup();
    linuxInit(out, true);
    pic.irq(1).raise();
    assert.equal(pic.acknowledge(), 0x31);
    assert.equal(readIsr(out, inb, 0x20), 0);
    pic.irq(1).lower();
    pic.irq(3).pulse();
    assert.equal(pic.acknowledge(), 0x33, 'nothing in service blocks the next request');
  });

  it('rotates priorities on EOI, on AEOI and with the set-priority command', () => {
    const { pic, out } = setup();
    linuxInit(out);
    pic.irq(0).pulse();
    assert.equal(pic.acknowledge(), 0x30);
    out(0x20, 0xa0); // rotate on non-specific EOI: IR0 becomes the lowest priority
    pic.irq(0).pulse(); pic.irq(1).pulse();
    assert.equal(pic.acknowledge(), 0x31);
    out(0x20, 0x61); // specific EOI for IR1
    assert.equal(pic.acknowledge(), 0x30);
    out(0x20, 0xe0); // rotate on specific EOI for IR0: IR1 highest again
    pic.irq(6).pulse(); pic.irq(2 + 1).pulse();
    out(0x20, 0xc4); // set priority: IR4 lowest, IR5 highest
    assert.equal(pic.acknowledge(), 0x36);
    out(0x20, 0x20);
    assert.equal(pic.acknowledge(), 0x33);
    out(0x20, 0x20);

    // Rotate in AEOI mode: each acknowledged IR becomes the lowest.
    linuxInit(out, true);
    out(0x20, 0x80);
    pic.irq(0).pulse();
    assert.equal(pic.acknowledge(), 0x30);
    pic.irq(0).pulse(); pic.irq(7).pulse();
    assert.equal(pic.acknowledge(), 0x37);
    assert.equal(pic.acknowledge(), 0x30);
    out(0x20, 0x00); // clear rotate in AEOI
    pic.irq(0).pulse(); pic.irq(1).pulse();
    assert.equal(pic.acknowledge(), 0x31, 'priority order stays where the last rotation left it');
  });

  it('answers a poll with the highest request and acknowledges it', () => {
    const { pic, out, inb } = setup();
    linuxInit(out);
    out(0x21, 0x80); // masked levels are not polled
    pic.irq(7).pulse();
    pic.irq(6).pulse();
    out(0x20, 0x0c); // OCW3 poll
    assert.equal(inb(0x20), 0x86);
    assert.equal(readIsr(out, inb, 0x20), 0x40);
    out(0x20, 0x0c);
    assert.equal(inb(0x20), 0x00, 'nothing left to poll');
    assert.equal(inb(0x21), 0x80, 'the poll is over: the mask reads back');
  });

  it('lets lower priorities through in special mask mode', () => {
    const { pic, out, inb } = setup();
    linuxInit(out);
    pic.irq(1).pulse();
    assert.equal(pic.acknowledge(), 0x31);
    pic.irq(4).pulse();
    assert.equal(pic.hasInterrupt(), false);
    out(0x21, 0x02); // mask the level in service
    out(0x20, 0x68); // set special mask mode
    assert.equal(pic.hasInterrupt(), true);
    assert.equal(pic.acknowledge(), 0x34);
    out(0x20, 0x64); // specific EOI IR4
    out(0x20, 0x48); // reset special mask mode
    out(0x21, 0x00);
    assert.equal(readIsr(out, inb, 0x20), 0x02);
  });

  it('lets further slave requests through a slave in service in special fully nested mode', () => {
    const { pic, out } = setup();
    out(0x20, 0x11); out(0x21, 0x30); out(0x21, 0x04); out(0x21, 0x11); // ICW4 SFNM
    out(0xa0, 0x11); out(0xa1, 0x38); out(0xa1, 0x02); out(0xa1, 0x01);
    pic.irq(12).pulse();
    assert.equal(pic.acknowledge(), 0x3c);
    pic.irq(9).pulse();
    assert.equal(pic.hasInterrupt(), true);
    assert.equal(pic.acknowledge(), 0x39);
    pic.irq(3).pulse();
    assert.equal(pic.hasInterrupt(), false, 'a lower master IR still waits for the slave');
  });

  it('resets the mask, ISR and edge sense on ICW1', () => {
    const { pic, out, inb } = setup();
    linuxInit(out);
    pic.irq(1).raise();
    assert.equal(pic.acknowledge(), 0x31);
    out(0x21, 0x55);
    out(0x20, 0x11); out(0x21, 0x40); out(0x21, 0x04); out(0x21, 0x01);
    assert.equal(inb(0x21), 0x00);
    assert.equal(readIsr(out, inb, 0x20), 0);
    assert.equal(pic.hasInterrupt(), false, 'IRQ1 is still high but needs a new rising edge');
    pic.irq(1).lower(); pic.irq(1).raise();
    assert.equal(pic.acknowledge(), 0x41);
  });
});
