/**
 * virtio disks on the pc board (PcOptions.drives.virtio): PCI slots 4, 5, ..., BAR0 decoded where
 * the guest puts it, DMA into board RAM, and INTA reaching the interrupt controllers through the
 * PIIX3 PIRQ link of the slot (slot + pin - 1) mod 4, shared wired-OR with other functions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PcMachine } from '../../../src/machine/pc.js';
import { MemoryDiskBackend } from '../../../src/backends/disk/disk-backend.js';
import {
  LEGACY_DEVICE_FEATURES, LEGACY_DRIVER_FEATURES, LEGACY_ISR, LEGACY_QUEUE_NOTIFY, LEGACY_QUEUE_PFN, LEGACY_STATUS,
} from '../../../src/devices/virtio/virtio-pci.js';
import { VIRTIO_BLK_QUEUE_SIZE, VIRTIO_BLK_T_IN } from '../../../src/devices/virtio/virtio-blk.js';

const N = VIRTIO_BLK_QUEUE_SIZE;

function config(pc: PcMachine, slot: number, offset: number, size: 1 | 2 | 4, value?: number): number {
  pc.ports.write(0xcf8, 4, (0x80000000 | (slot << 11) | (offset & 0xfc)) >>> 0);
  const port = 0xcfc + (offset & 3);
  if (value === undefined) return pc.ports.read(port, size);
  pc.ports.write(port, size, value);
  return 0;
}

/** Set up device `slot` through its legacy BAR at `io` with its queue at `queue`; returns a read-request function. */
function driver(pc: PcMachine, slot: number, io: number, queue: number) {
  config(pc, slot, 0x10, 4, io);
  config(pc, slot, 0x04, 2, 0x05);
  pc.ports.write(io + LEGACY_STATUS, 1, 0);
  pc.ports.write(io + LEGACY_STATUS, 1, 3);
  // Everything but VIRTIO_F_EVENT_IDX: this driver wants an interrupt for every completion.
  pc.ports.write(io + LEGACY_DRIVER_FEATURES, 4, (pc.ports.read(io + LEGACY_DEVICE_FEATURES, 4) & ~(1 << 29)) >>> 0);
  pc.ports.write(io + LEGACY_QUEUE_PFN, 4, queue >>> 12);
  pc.ports.write(io + LEGACY_STATUS, 1, 7);
  const avail = queue + 16 * N, used = Math.ceil((avail + 6 + 2 * N) / 4096) * 4096;
  let idx = 0;
  const ram = pc.ramView(0, 16 << 20);
  const view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  return {
    used,
    read(sector: number, data: number): number {
      const hdr = queue + 0x8000, status = hdr + 16;
      view.setUint32(hdr, VIRTIO_BLK_T_IN, true);
      view.setUint32(hdr + 8, sector, true);
      const d = (i: number, addr: number, len: number, flags: number) => {
        view.setUint32(queue + 16 * i, addr, true);
        view.setUint32(queue + 16 * i + 4, 0, true);
        view.setUint32(queue + 16 * i + 8, len, true);
        view.setUint16(queue + 16 * i + 12, flags, true);
        view.setUint16(queue + 16 * i + 14, i + 1, true);
      };
      d(0, hdr, 16, 1);
      d(1, data, 512, 3);
      d(2, status, 1, 2);
      view.setUint16(avail + 4 + 2 * (idx % N), 0, true);
      idx++;
      view.setUint16(avail + 2, idx, true);
      ram[status] = 0xff;
      pc.ports.write(io + LEGACY_QUEUE_NOTIFY, 2, 0);
      return ram[status]!;
    },
    isr: () => pc.ports.read(io + LEGACY_ISR, 1),
  };
}

describe('virtio-blk on the pc board', () => {
  it('puts the disks on slots 4, 5, ... with INTA, reads into board RAM, interrupts through PIRQD → IRQ 11', () => {
    const disk = new MemoryDiskBackend(1 << 20);
    disk.data.fill(0x3c, 512 * 9, 512 * 10);
    const pc = new PcMachine({ ramSize: 16 << 20, drives: { ide: [], virtio: [{ backend: disk }, { backend: new MemoryDiskBackend(1 << 20) }] } });
    for (const slot of [4, 5]) {
      assert.equal(config(pc, slot, 0x00, 4), 0x10011af4);
      assert.equal(config(pc, slot, 0x3d, 1), 1, 'INTA');
    }
    assert.equal(config(pc, 6, 0x00, 4), 0xffffffff, 'nothing on slot 6');
    // PIRQD (slot 4, INTA) → IRQ 11, as SeaBIOS routes it; level-triggered in the ELCR.
    config(pc, 1, 0x63, 1, 11);
    const dev = driver(pc, 4, 0xc000, 0x100000);
    assert.equal(dev.read(9, 0x200000), 0);
    assert.ok(pc.ramView(0x200000, 512).every((b) => b === 0x3c));
    assert.equal(pc.gsi(11).level, true, 'IRQ 11 asserted');
    assert.equal(dev.isr(), 1);
    assert.equal(pc.gsi(11).level, false, 'and released by the ISR read');
    // Routing the link elsewhere moves the interrupt.
    config(pc, 1, 0x63, 1, 10);
    assert.equal(dev.read(9, 0x200000), 0, String(pc.virtioBlk[0]!.lastError));
    assert.equal(pc.gsi(10).level, true);
    assert.equal(pc.gsi(11).level, false);
    dev.isr();
    assert.equal(pc.gsi(10).level, false);
  });

  it('shares a PIRQ line wired-OR: slot 8 INTA and slot 4 INTA are both PIRQD', () => {
    const disks = Array.from({ length: 5 }, () => ({ backend: new MemoryDiskBackend(1 << 20) }));
    const pc = new PcMachine({ ramSize: 16 << 20, drives: { ide: [], virtio: disks } });
    config(pc, 1, 0x63, 1, 11);
    const a = driver(pc, 4, 0xc000, 0x100000), b = driver(pc, 8, 0xc100, 0x180000);
    a.read(1, 0x200000);
    b.read(1, 0x201000);
    assert.equal(pc.gsi(11).level, true);
    a.isr();
    assert.equal(pc.gsi(11).level, true, 'slot 8 still asserts');
    b.isr();
    assert.equal(pc.gsi(11).level, false);
  });

  it('DMA into the BIOS ROM is dropped; into RAM it lands', () => {
    const disk = new MemoryDiskBackend(1 << 20);
    disk.data.fill(0x99, 0, 512);
    const pc = new PcMachine({ ramSize: 16 << 20, drives: { ide: [], virtio: [{ backend: disk }] } });
    const dev = driver(pc, 4, 0xc000, 0x100000);
    const resetVector = () => [0, 1, 2, 3].map((i) => pc.physical.read(0xfffffff0 + i, 1));
    const before = resetVector();
    assert.equal(dev.read(0, 0xfffffe00), 0, 'the request completes');
    assert.deepEqual(resetVector(), before, 'the ROM is unchanged');
    assert.equal(dev.read(0, 0x300000), 0);
    assert.ok(pc.ramView(0x300000, 512).every((b) => b === 0x99));
  });

  it('a BAR placed over another device decodes nothing; a board reset unassigns the BARs', () => {
    const pc = new PcMachine({ ramSize: 16 << 20, drives: { ide: [], virtio: [{ backend: new MemoryDiskBackend(1 << 20) }] } });
    config(pc, 4, 0x10, 4, 0x3f8); // over COM1 (0x3F8 is not 64-byte aligned: the BAR keeps 0x3C0)
    config(pc, 4, 0x04, 2, 0x01);
    assert.equal(pc.ports.read(0x3c0, 1), 0xff, 'the range overlapping COM1 did not map');
    config(pc, 4, 0x10, 4, 0xc000);
    assert.notEqual(pc.ports.read(0xc000 + LEGACY_DEVICE_FEATURES, 4), 0xffffffff);
    pc.reset();
    assert.equal(config(pc, 4, 0x10, 4), 1);
    assert.equal(pc.ports.read(0xc000, 4), 0xffffffff);
  });
});
