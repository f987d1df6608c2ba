import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortBus } from '../../src/bus/port-bus.js';
import { IrqLine } from '../../src/bus/irq-line.js';
import { SystemControlPortA } from '../../src/devices/system-control-port.js';
import { PostPort } from '../../src/devices/post-port.js';
import { IsaDebugExit } from '../../src/devices/isa-debug-exit.js';

describe('port 0x92 (system control port A)', () => {
  it('drives A20 from bit 1 and resets on a rising bit 0', () => {
    const bus = new PortBus();
    const a20 = new IrqLine(() => {});
    let resets = 0;
    new SystemControlPortA(a20, () => resets++).registerPorts(bus);
    bus.write(0x92, 1, bus.read(0x92, 1) | 0x02); // the usual "fast A20" sequence
    assert.equal(a20.level, true);
    assert.equal(bus.read(0x92, 1), 0x02);
    bus.write(0x92, 1, 0x03);
    assert.equal(resets, 1);
    assert.equal(bus.read(0x92, 1), 0x02, 'bit 0 reads back clear after the reset');
    bus.write(0x92, 1, 0x00);
    assert.equal(a20.level, false);
    assert.equal(resets, 1);
  });
});

describe('POST port 0x80', () => {
  it('latches codes and reports them', () => {
    const bus = new PortBus();
    const post = new PostPort();
    const seen: number[] = [];
    post.onCode = (c) => seen.push(c);
    post.registerPorts(bus);
    bus.write(0x80, 1, 0x55);
    bus.write(0x80, 1, 0xaa);
    assert.equal(bus.read(0x80, 1), 0xaa);
    assert.deepEqual(seen, [0x55, 0xaa]);
  });
});

describe('isa-debug-exit (port 0xF4)', () => {
  it('reports (value << 1) | 1 for byte, word and dword writes', () => {
    const bus = new PortBus();
    const codes: number[] = [];
    new IsaDebugExit((c) => codes.push(c)).registerPorts(bus);
    bus.write(0xf4, 1, 0x00);
    bus.write(0xf4, 1, 0x10);
    bus.write(0xf4, 2, 0x1234);
    bus.write(0xf4, 4, 0x80000001);
    assert.deepEqual(codes, [1, 0x21, 0x2469, 3]);
  });
});

describe('isa-debug-exit with iosize=1', () => {
  it('a dword OUT reaches the device as its low byte only (the other bytes fall on unclaimed ports)', () => {
    const bus = new PortBus();
    const codes: number[] = [];
    new IsaDebugExit((c) => codes.push(c)).registerPorts(bus, 0xf4, 1);
    bus.write(0xf4, 4, 0x00000103);
    bus.write(0xf3, 2, 0x0500);
    assert.deepEqual(codes, [7, 11]);
  });
});
