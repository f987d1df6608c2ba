import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortBus } from '../../src/bus/port-bus.js';
import { SIZE_1 } from '../../src/mem/io-handler.js';

describe('PortBus', () => {
  it('reads all ones from unclaimed ports and ignores writes to them', () => {
    const bus = new PortBus();
    assert.equal(bus.read(0x1234, 1), 0xff);
    assert.equal(bus.read(0x1234, 2), 0xffff);
    assert.equal(bus.read(0x1234, 4), 0xffffffff);
    bus.write(0x1234, 4, 0);
  });

  it('splits a wide access to a byte-only device into byte accesses', () => {
    const bus = new PortBus();
    const seen: string[] = [];
    bus.register('dev', 0x60, 4, {
      read: (offset) => 0x10 + offset,
      write: (offset, size, value) => { seen.push(`${offset}:${size}:${value.toString(16)}`); },
    }, SIZE_1);
    assert.equal(bus.read(0x60, 2), 0x1110);
    bus.write(0x61, 2, 0xabcd);
    assert.deepEqual(seen, ['1:1:cd', '2:1:ab']);
  });

  it('passes declared sizes through and rejects overlapping ranges', () => {
    const bus = new PortBus();
    bus.register('a', 0xcf8, 4, { read: (_o, size) => size, write: () => {} });
    assert.equal(bus.read(0xcf8, 4), 4);
    assert.throws(() => bus.register('b', 0xcfa, 2, { read: () => 0, write: () => {} }), /overlaps a/);
  });

  it('reads a byte beyond the claimed range of a wide access as open bus', () => {
    const bus = new PortBus();
    bus.register('one', 0x80, 1, { read: () => 0x12, write: () => {} });
    assert.equal(bus.read(0x80, 2), 0xff12);
  });
});
