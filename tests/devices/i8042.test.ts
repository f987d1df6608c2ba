import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortBus } from '../../src/bus/port-bus.js';
import { IrqLine } from '../../src/bus/irq-line.js';
import { I8042 } from '../../src/devices/i8042.js';
import { MOUSE_LEFT } from '../../src/devices/ps2-mouse.js';

function setup() {
  const bus = new PortBus();
  const edges = { irq1: 0, irq12: 0 };
  const irq1 = new IrqLine((l) => { if (l) edges.irq1++; });
  const irq12 = new IrqLine((l) => { if (l) edges.irq12++; });
  const a20 = new IrqLine(() => {});
  let resets = 0;
  const kbc = new I8042({ irq1, irq12, a20, requestReset: () => resets++ });
  kbc.registerPorts(bus);
  const out = (port: number, value: number) => bus.write(port, 1, value);
  const inb = (port: number) => bus.read(port, 1);
  /** Read every byte the controller has, as the BIOS's flush loop does. */
  const drain = () => { const got: number[] = []; while (inb(0x64) & 1) got.push(inb(0x60)); return got; };
  const command = (cmd: number, data?: number) => { out(0x64, cmd); if (data !== undefined) out(0x60, data); };
  return { kbc, bus, out, inb, drain, command, edges, irq1, irq12, a20, resets: () => resets };
}

describe('i8042 keyboard controller', () => {
  it('passes the self-test and interface tests the BIOS runs', () => {
    const t = setup();
    assert.equal(t.inb(0x64) & 0x01, 0);
    t.command(0xaa);
    assert.equal(t.inb(0x64) & 0x05, 0x05, 'output full, system flag');
    assert.equal(t.inb(0x60), 0x55);
    t.command(0xab);
    assert.deepEqual(t.drain(), [0x00]);
    t.command(0xa9);
    assert.deepEqual(t.drain(), [0x00]);
    assert.equal(t.inb(0x64) & 0x08, 0x08, 'last write was a command');
  });

  it('reads and writes the command byte', () => {
    const t = setup();
    t.command(0x20);
    assert.deepEqual(t.drain(), [0x45]);
    t.command(0x60, 0x47); // + aux interrupt
    assert.equal(t.inb(0x64) & 0x08, 0, 'last write was data');
    t.command(0x20);
    assert.deepEqual(t.drain(), [0x47]);
  });

  it('resets the keyboard (ACK, BAT 0xAA) and identifies it through translation', () => {
    const t = setup();
    t.out(0x60, 0xff);
    assert.equal(t.irq1.level, true);
    assert.deepEqual(t.drain(), [0xfa, 0xaa]);
    assert.equal(t.edges.irq1, 2, 'one IRQ1 edge per byte');
    t.out(0x60, 0xf2);
    assert.deepEqual(t.drain(), [0xfa, 0xab, 0x41], 'MF2 ID 0x83 as the 8042 translates it');
    t.command(0x60, 0x05); // translation off
    t.out(0x60, 0xf2);
    assert.deepEqual(t.drain(), [0xfa, 0xab, 0x83]);
  });

  it('translates set 2 to set 1 and delivers untranslated sets 1, 2 and 3', () => {
    const t = setup();
    t.kbc.keyboard.keyDown('KeyA'); t.kbc.keyboard.keyUp('KeyA');
    t.kbc.keyboard.keyDown('ArrowUp'); t.kbc.keyboard.keyUp('ArrowUp');
    assert.deepEqual(t.drain(), [0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8]);
    t.out(0x60, 0xf0); t.out(0x60, 0x00);
    assert.deepEqual(t.drain(), [0xfa, 0xfa, 0x41], 'set 2, reported through translation');

    t.command(0x60, 0x05); // no translation
    t.kbc.keyboard.keyDown('KeyA'); t.kbc.keyboard.keyUp('KeyA');
    assert.deepEqual(t.drain(), [0x1c, 0xf0, 0x1c]);
    t.out(0x60, 0xf0); t.out(0x60, 0x01);
    t.kbc.keyboard.keyDown('Enter'); t.kbc.keyboard.keyUp('Enter');
    assert.deepEqual(t.drain(), [0xfa, 0xfa, 0x1c, 0x9c]);
    t.out(0x60, 0xf0); t.out(0x60, 0x03);
    t.kbc.keyboard.keyDown('KeyA'); t.kbc.keyboard.keyUp('KeyA');
    t.kbc.keyboard.keyDown('ShiftLeft'); t.kbc.keyboard.keyUp('ShiftLeft');
    assert.deepEqual(t.drain(), [0xfa, 0xfa, 0x1c, 0x12, 0xf0, 0x12], 'set 3: letters make-only by default, Shift make/break');
    t.out(0x60, 0xfa); // all keys make/break
    t.kbc.keyboard.keyDown('F1'); t.kbc.keyboard.keyUp('F1');
    assert.deepEqual(t.drain(), [0xfa, 0x07, 0xf0, 0x07]);
    t.out(0x60, 0xf0); t.out(0x60, 0x00);
    assert.deepEqual(t.drain(), [0xfa, 0xfa, 0x03]);
  });

  it('handles LEDs, typematic, enable/disable scanning, echo and unknown commands', () => {
    const t = setup();
    const leds: number[] = [];
    t.kbc.keyboard.onLeds = (l) => leds.push(l);
    t.out(0x60, 0xed); t.out(0x60, 0x07);
    t.out(0x60, 0xf3); t.out(0x60, 0x20);
    assert.deepEqual(t.drain(), [0xfa, 0xfa, 0xfa, 0xfa]);
    assert.deepEqual(leds, [7]);
    assert.equal(t.kbc.keyboard.typematic, 0x20);
    t.out(0x60, 0xf5);
    t.kbc.keyboard.keyDown('KeyB');
    assert.deepEqual(t.drain(), [0xfa], 'scanning disabled');
    t.out(0x60, 0xf4);
    t.kbc.keyboard.keyDown('KeyB');
    assert.deepEqual(t.drain(), [0xfa, 0x30]);
    t.out(0x60, 0xee);
    t.out(0x60, 0x42);
    assert.deepEqual(t.drain(), [0xee, 0xfe]);
  });

  it('holds keyboard data while the interface is disabled (0xAD/0xAE) and masks IRQ1 by the command byte', () => {
    const t = setup();
    t.command(0xad);
    t.kbc.keyboard.keyDown('KeyC');
    assert.equal(t.inb(0x64) & 1, 0);
    t.command(0xae);
    assert.deepEqual(t.drain(), [0x2e]);
    t.command(0x60, 0x44); // IRQ1 off
    const before = t.edges.irq1;
    t.kbc.keyboard.keyDown('KeyC');
    assert.equal(t.inb(0x64) & 1, 1);
    assert.equal(t.edges.irq1, before);
    t.drain();
  });

  it('drives A20 and reset through the output port and pulses reset with 0xFE', () => {
    const t = setup();
    assert.equal(t.a20.level, true);
    t.command(0xd0);
    const port = t.drain()[0]!;
    assert.equal(port & 0x03, 0x03);
    t.command(0xd1, port & ~0x02);
    assert.equal(t.a20.level, false);
    t.command(0xd1, port | 0x02);
    assert.equal(t.a20.level, true);
    assert.equal(t.resets(), 0);
    t.command(0xfe);
    assert.equal(t.resets(), 1);
    t.command(0xff);
    assert.equal(t.resets(), 1, '0xFF pulses nothing');
    t.command(0xd1, 0x00);
    assert.equal(t.resets(), 2);
  });

  it('writes the output buffer as the keyboard (0xD2) and the mouse (0xD3)', () => {
    const t = setup();
    t.command(0x60, 0x47);
    t.command(0xd2, 0x12);
    assert.equal(t.inb(0x64) & 0x21, 0x01);
    assert.equal(t.inb(0x60), 0x12);
    t.command(0xd3, 0x34);
    assert.equal(t.inb(0x64) & 0x21, 0x21);
    assert.equal(t.irq12.level, true);
    assert.equal(t.inb(0x60), 0x34);
    assert.equal(t.irq12.level, false);
  });

  it('talks to the mouse through 0xD4: reset, ID, IntelliMouse detection, stream packets on IRQ12', () => {
    const t = setup();
    t.command(0xa8);
    t.command(0x60, 0x47);
    const mouse = (b: number) => t.command(0xd4, b);
    mouse(0xff);
    assert.equal(t.inb(0x64) & 0x20, 0x20);
    assert.deepEqual(t.drain(), [0xfa, 0xaa, 0x00]);
    for (const rate of [200, 100, 80]) { mouse(0xf3); mouse(rate); }
    mouse(0xf2);
    assert.deepEqual(t.drain(), [0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x03], 'IntelliMouse');
    for (const rate of [200, 200, 80]) { mouse(0xf3); mouse(rate); }
    mouse(0xf2);
    assert.deepEqual(t.drain().slice(-1), [0x04], 'IntelliMouse Explorer');
    mouse(0xe8); mouse(0x03);
    mouse(0xe9);
    assert.deepEqual(t.drain(), [0xfa, 0xfa, 0xfa, 0x00, 0x03, 80]);
    t.kbc.mouse.move(5, -3);
    assert.deepEqual(t.drain(), [], 'stream reporting not enabled yet');
    const irqBefore = t.edges.irq12;
    mouse(0xf4);
    t.kbc.mouse.setButtons(MOUSE_LEFT);
    t.kbc.mouse.move(5, -3, 1);
    assert.deepEqual(t.drain(), [0xfa, 0x09, 0x00, 0x00, 0x00, 0x29, 0x05, 0xfd, 0x01]);
    assert.equal(t.edges.irq12 - irqBefore, 9);
    t.command(0xa7); // aux disabled: data waits
    t.kbc.mouse.move(1, 1);
    assert.equal(t.inb(0x64) & 1, 0);
    t.command(0xa8);
    assert.deepEqual(t.drain(), [0x09, 0x01, 0x01, 0x00]);
  });

  it('reads back the last byte when the output buffer is empty', () => {
    const t = setup();
    t.command(0xaa);
    assert.equal(t.inb(0x60), 0x55);
    assert.equal(t.inb(0x60), 0x55);
    assert.equal(t.inb(0x64) & 1, 0);
  });
});
