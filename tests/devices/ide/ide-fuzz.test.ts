/**
 * Garbage from the guest on every IDE port, the bus master block and the configuration space never
 * throws into the host, and the drives keep answering afterwards. The board wiring (00:01.1,
 * drive options) is checked through the PCI configuration ports.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AtaDisk } from '../../../src/devices/ide/ata-disk.js';
import { AtapiCdrom } from '../../../src/devices/ide/atapi-cdrom.js';
import { ideDevices } from '../../../src/devices/ide/piix-ide.js';
import { MemoryDiskBackend } from '../../../src/backends/disk/disk-backend.js';
import { makeHarness, readData, BM_BASE } from './harness.js';

const PORTS = [...Array.from({ length: 8 }, (_, i) => 0x1f0 + i), 0x3f6, ...Array.from({ length: 8 }, (_, i) => 0x170 + i), 0x376,
  ...Array.from({ length: 16 }, (_, i) => BM_BASE + i)];

describe('IDE robustness', () => {
  it('random port traffic never throws, and a reset brings the drives back', () => {
    fc.assert(fc.property(
      fc.array(fc.record({
        port: fc.constantFrom(...PORTS),
        size: fc.constantFrom(1, 2, 4),
        write: fc.boolean(),
        value: fc.integer({ min: 0, max: 0xffffffff }),
      }), { maxLength: 400 }),
      (ops) => {
        const disk = new AtaDisk(new MemoryDiskBackend(1 << 20));
        const cd = new AtapiCdrom(new MemoryDiskBackend(40 * 2048, 2048, true));
        const h = makeHarness([[disk, cd], [new AtapiCdrom(null), null]]);
        for (const op of ops) {
          // Keep PRD tables and DMA inside the test RAM.
          let value = op.value;
          if (op.port >= BM_BASE + 4 && op.port < BM_BASE + 8 || op.port >= BM_BASE + 12) value &= 0x000ffff8;
          if (op.write) h.ports.write(op.port, op.size, value);
          else h.ports.read(op.port, op.size);
        }
        h.outb(0x3f6, 0x04);
        h.outb(0x3f6, 0x00);
        h.outb(0x1f6, 0xa0);
        h.outb(0x1f7, 0xec);
        assert.equal(h.inb(0x1f7), 0x58);
        const id = readData(h, 0x1f0, 512);
        assert.equal(id[0], 0x40);
      },
    ), { numRuns: 150, seed: 1234 });
  });

  it('a DMA memory fault ends the command with an error instead of reaching the host', () => {
    const disk = new AtaDisk(new MemoryDiskBackend(1 << 20));
    const h = makeHarness([[disk, null], [null, null]]);
    const v = new DataView(h.ram.buffer);
    v.setUint32(0x1000, 0xfffff000, true);
    v.setUint32(0x1004, 0x80001000, true);
    h.outl(BM_BASE + 4, 0x1000);
    h.outb(BM_BASE, 0x09);
    h.outb(0x1f6, 0xe0);
    h.outb(0x1f2, 1);
    h.outb(0x1f7, 0xc8);
    // The harness's DmaMemory throws for addresses outside its 1 MiB: the device reports an error.
    assert.equal(h.irq[0].level, true);
    assert.equal(h.inb(0x1f7) & 0x01, 0x01);
    assert.equal(h.irq[0].level, false);
  });
});

describe('drive options', () => {
  it('build disks and CD-ROMs at their positions and reject clashes', () => {
    const devices = ideDevices([
      { channel: 0, position: 0, kind: 'disk', backend: new MemoryDiskBackend(1 << 20) },
      { channel: 1, position: 1, kind: 'cdrom', backend: null },
    ]);
    assert.ok(devices[0][0] instanceof AtaDisk);
    assert.equal(devices[0][1], null);
    assert.ok(devices[1][1] instanceof AtapiCdrom);
    assert.throws(() => ideDevices([
      { channel: 0, position: 1, kind: 'cdrom', backend: null },
      { channel: 0, position: 1, kind: 'disk', backend: new MemoryDiskBackend(512) },
    ]), /two drives at ide0-slave/);
    assert.throws(() => ideDevices([{ channel: 1, position: 0, kind: 'disk', backend: null }]), /has no image/);
  });
});
