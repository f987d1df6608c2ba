/**
 * virtio-blk-pci driven as a driver would: PCI identity and capabilities, legacy and modern
 * feature negotiation and queue setup, read/write/flush/get-id requests with multi-descriptor,
 * merged and indirect chains, notification suppression, ISR and INTx, and every error path.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, IO_BASE, MMIO_BASE, QUEUE_SIZE, DESC, AVAIL, USED, type Buf } from './harness.js';
import { MemoryDiskBackend } from '../../../src/backends/disk/disk-backend.js';
import {
  LEGACY_CONFIG, LEGACY_DEVICE_FEATURES, LEGACY_DRIVER_FEATURES, LEGACY_QUEUE_PFN, LEGACY_QUEUE_SELECT, LEGACY_QUEUE_SIZE,
  LEGACY_STATUS, LEGACY_QUEUE_NOTIFY, COMMON_DFSELECT, COMMON_DF, COMMON_GFSELECT, COMMON_GF, COMMON_STATUS, COMMON_NUMQ,
  COMMON_Q_SELECT, COMMON_Q_SIZE, COMMON_Q_ENABLE, COMMON_Q_NOFF, COMMON_Q_DESCLO, COMMON_Q_DESCHI, COMMON_Q_AVAILLO,
  COMMON_Q_USEDLO, COMMON_MSIX, COMMON_Q_MSIX, MODERN_ISR, MODERN_DEVICE, MODERN_NOTIFY, NOTIFY_OFF_MULTIPLIER,
} from '../../../src/devices/virtio/virtio-pci.js';
import {
  VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_F_SIZE_MAX, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_GEOMETRY, VIRTIO_BLK_F_BLK_SIZE,
  VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_RO, VIRTIO_BLK_SEG_MAX, VIRTIO_BLK_SIZE_MAX,
} from '../../../src/devices/virtio/virtio-blk.js';
import {
  VIRTIO_F_ANY_LAYOUT, VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_STATUS_ACKNOWLEDGE, VIRTIO_STATUS_DRIVER,
  VIRTIO_STATUS_DRIVER_OK, VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_DEVICE_NEEDS_RESET,
} from '../../../src/devices/virtio/virtio.js';
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../../src/devices/virtio/virtqueue.js';

const HDR = 0x20000, DATA = 0x21000, STATUS = 0x30000, INDIRECT = 0x31000;
const NEEDS_RESET = VIRTIO_STATUS_DEVICE_NEEDS_RESET;

/** A disk whose sector n is filled with bytes (n * 7 + i) & 0xff. */
function patternDisk(sectors = 2048, readOnly = false): MemoryDiskBackend {
  const data = new Uint8Array(sectors * 512);
  for (let i = 0; i < data.length; i++) data[i] = ((i >> 9) * 7 + (i & 511)) & 0xff;
  return new MemoryDiskBackend(data, 512, readOnly);
}

function expectSector(h: Harness, addr: number, sector: number): void {
  for (let i = 0; i < 512; i++) {
    if (h.ram[addr + i] !== ((sector * 7 + i) & 0xff)) assert.fail(`byte ${i} of sector ${sector} at 0x${addr.toString(16)}: ${h.ram[addr + i]}`);
  }
}

/** Submit one request through the legacy notify register; returns the used element. */
function submit(h: Harness, bufs: Buf[], indirect: number | null = null): { id: number; len: number } {
  const head = h.chain(bufs, 0, indirect);
  h.makeAvailable(head);
  h.notifyLegacy();
  const used = h.takeUsed();
  assert.equal(used.length, 1, `one completion (device error: ${h.dev.lastError})`);
  return used[0]!;
}

function readRequest(sector: number, sectors: number, dataAddr = DATA): Buf[] {
  return [{ addr: HDR, len: 16 }, { addr: dataAddr, len: 512 * sectors, write: true }, { addr: STATUS, len: 1, write: true }];
}

describe('virtio-blk-pci: PCI function', () => {
  it('is a transitional virtio block device: 1AF4:1001 rev 0, subsystem 1AF4:0002, mass storage, INTA', () => {
    const h = new Harness();
    const d = h.dev;
    assert.equal(d.readConfig(0x00, 2), 0x1af4);
    assert.equal(d.readConfig(0x02, 2), 0x1001);
    assert.equal(d.readConfig(0x08, 1), 0);
    assert.equal(d.readConfig(0x09, 1), 0x00);
    assert.equal(d.readConfig(0x0a, 2), 0x0100);
    assert.equal(d.readConfig(0x2c, 2), 0x1af4);
    assert.equal(d.readConfig(0x2e, 2), 2);
    assert.equal(d.readConfig(0x3d, 1), 1);
    // BAR sizing: BAR0 is a 64-byte I/O BAR, BAR4 a 16 KiB 32-bit memory BAR.
    d.writeConfig(0x10, 4, 0xffffffff);
    assert.equal(d.readConfig(0x10, 4), 0xffffffc1);
    d.writeConfig(0x20, 4, 0xffffffff);
    assert.equal(d.readConfig(0x20, 4), 0xffffc000);
  });

  it('lists the modern capabilities (common, ISR, device, notify with multiplier 4, PCI config access)', () => {
    const h = new Harness();
    const d = h.dev;
    assert.ok((d.readConfig(0x06, 2) & 0x10) !== 0, 'capabilities list bit');
    const seen: Record<number, { bar: number; offset: number; length: number; at: number }> = {};
    let ptr = d.readConfig(0x34, 1), guard = 0;
    while (ptr !== 0 && guard++ < 48) {
      assert.equal(d.readConfig(ptr, 1), 0x09, 'vendor-specific capability');
      seen[d.readConfig(ptr + 3, 1)] = { bar: d.readConfig(ptr + 4, 1), offset: d.readConfig(ptr + 8, 4), length: d.readConfig(ptr + 12, 4), at: ptr };
      ptr = d.readConfig(ptr + 1, 1);
    }
    assert.deepEqual(Object.keys(seen).map(Number).sort(), [1, 2, 3, 4, 5]);
    for (const type of [1, 2, 3, 4]) assert.equal(seen[type]!.bar, 4);
    assert.equal(seen[1]!.offset, 0);
    assert.equal(seen[3]!.offset, MODERN_ISR);
    assert.equal(seen[4]!.offset, MODERN_DEVICE);
    assert.equal(seen[2]!.offset, MODERN_NOTIFY);
    assert.equal(d.readConfig(seen[2]!.at + 16, 4), NOTIFY_OFF_MULTIPLIER);
    // Without the modern interface there is no capability list and no BAR4.
    const legacy = new Harness(undefined, { modern: false });
    assert.equal(legacy.dev.readConfig(0x06, 2) & 0x10, 0);
    legacy.dev.writeConfig(0x20, 4, 0xffffffff);
    assert.equal(legacy.dev.readConfig(0x20, 4), 0);
  });

  it('maps BAR0 only with I/O decoding enabled and unmaps it on reset', () => {
    const h = new Harness();
    // (functions: the assertions must not narrow the fields the device changes behind them)
    const io = () => h.io?.base ?? null, mmio = () => h.mmio?.base ?? null;
    h.dev.writeConfig(0x10, 4, IO_BASE);
    assert.equal(io(), null);
    h.dev.writeConfig(0x04, 2, 1);
    assert.equal(io(), IO_BASE);
    h.dev.writeConfig(0x20, 4, MMIO_BASE);
    h.dev.writeConfig(0x04, 2, 3);
    assert.equal(mmio(), MMIO_BASE);
    h.dev.reset();
    assert.equal(io(), null);
    assert.equal(mmio(), null);
    assert.equal(h.dev.readConfig(0x10, 4), 1);
  });
});

describe('virtio-blk-pci: legacy interface', () => {
  it('offers the block and ring features and takes only offered ones from the driver', () => {
    const h = new Harness(patternDisk());
    h.pciSetup();
    const f = h.inl(LEGACY_DEVICE_FEATURES);
    for (const b of [VIRTIO_BLK_F_SIZE_MAX, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_GEOMETRY, VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH,
      VIRTIO_F_ANY_LAYOUT, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX]) {
      assert.ok((f & (1 << b)) !== 0, `feature bit ${b}`);
    }
    assert.equal(f & (1 << VIRTIO_BLK_F_RO), 0);
    h.outl(LEGACY_DRIVER_FEATURES, 0xffffffff);
    assert.equal(h.inl(LEGACY_DRIVER_FEATURES), f, 'unoffered bits are dropped');
    const ro = new Harness(patternDisk(16, true));
    ro.pciSetup();
    assert.ok((ro.inl(LEGACY_DEVICE_FEATURES) & (1 << VIRTIO_BLK_F_RO)) !== 0, 'read-only media offer RO');
  });

  it('exposes the block configuration after the registers (capacity, size_max, seg_max, geometry, blk_size)', () => {
    const h = new Harness(patternDisk(100000));
    h.pciSetup();
    assert.equal(h.inl(LEGACY_CONFIG + 0), 100000);
    assert.equal(h.inl(LEGACY_CONFIG + 4), 0);
    assert.equal(h.inl(LEGACY_CONFIG + 8), VIRTIO_BLK_SIZE_MAX);
    assert.equal(h.inl(LEGACY_CONFIG + 12), VIRTIO_BLK_SEG_MAX);
    assert.equal(h.inw(LEGACY_CONFIG + 16), Math.floor(100000 / (16 * 63)));
    assert.equal(h.inb(LEGACY_CONFIG + 18), 16);
    assert.equal(h.inb(LEGACY_CONFIG + 19), 63);
    assert.equal(h.inl(LEGACY_CONFIG + 20), 512);
    // Byte reads compose the same little-endian field; writes to a read-only field change nothing.
    assert.equal(h.inb(LEGACY_CONFIG + 1), (100000 >> 8) & 0xff);
    h.outl(LEGACY_CONFIG, 5);
    assert.equal(h.inl(LEGACY_CONFIG), 100000);
    assert.equal(h.inb(63), 0xff, 'past the configuration space');
  });

  it('sets up the queue through select, size and PFN; other queues do not exist', () => {
    const h = new Harness();
    h.pciSetup();
    h.outw(LEGACY_QUEUE_SELECT, 0);
    assert.equal(h.inw(LEGACY_QUEUE_SIZE), QUEUE_SIZE);
    assert.equal(h.inl(LEGACY_QUEUE_PFN), 0);
    h.outl(LEGACY_QUEUE_PFN, 0x10);
    assert.equal(h.inl(LEGACY_QUEUE_PFN), 0x10);
    h.outw(LEGACY_QUEUE_SELECT, 1);
    assert.equal(h.inw(LEGACY_QUEUE_SIZE), 0);
    h.outl(LEGACY_QUEUE_PFN, 0x20); // ignored: no such queue
    assert.equal(h.inl(LEGACY_QUEUE_PFN), 0);
    h.outw(LEGACY_QUEUE_SELECT, 0);
    h.outl(LEGACY_QUEUE_PFN, 0);
    assert.equal(h.inl(LEGACY_QUEUE_PFN), 0, 'a zero PFN takes the queue out of use');
  });

  it('reads sectors through a header / data / status chain, then signals through ISR and INTA', () => {
    const h = new Harness(patternDisk());
    h.legacyInit();
    h.header(HDR, VIRTIO_BLK_T_IN, 5);
    h.ram[STATUS] = 0xaa;
    const used = submit(h, readRequest(5, 2));
    assert.equal(h.ram[STATUS], VIRTIO_BLK_S_OK);
    assert.deepEqual(used, { id: 0, len: 1025 });
    expectSector(h, DATA, 5);
    expectSector(h, DATA + 512, 6);
    assert.equal(h.irqLevel, true);
    assert.equal(h.dev.readConfig(0x06, 1) & 0x08, 0x08, 'PCI status: interrupt pending');
    assert.equal(h.readIsr(), 1, 'ISR: queue interrupt');
    assert.equal(h.irqLevel, false, 'reading the ISR deasserts INTA');
    assert.equal(h.dev.readConfig(0x06, 1) & 0x08, 0);
    assert.equal(h.readIsr(), 0, 'and clears it');
  });

  it('reads into many data buffers of odd sizes and places used entries for each request in turn', () => {
    const h = new Harness(patternDisk());
    h.legacyInit();
    for (let round = 0; round < 3; round++) {
      h.header(HDR, VIRTIO_BLK_T_IN, 10 + round);
      const bufs: Buf[] = [{ addr: HDR, len: 16 }, { addr: DATA, len: 100, write: true }, { addr: DATA + 0x1000, len: 300, write: true },
        { addr: DATA + 0x2000, len: 112, write: true }, { addr: STATUS, len: 1, write: true }];
      const head = h.chain(bufs, round * 5);
      h.makeAvailable(head);
      h.notifyLegacy();
      const used = h.takeUsed();
      assert.deepEqual(used, [{ id: round * 5, len: 513 }]);
      const got = Uint8Array.of(...h.ram.subarray(DATA, DATA + 100), ...h.ram.subarray(DATA + 0x1000, DATA + 0x1000 + 300), ...h.ram.subarray(DATA + 0x2000, DATA + 0x2000 + 112));
      for (let i = 0; i < 512; i++) assert.equal(got[i], ((10 + round) * 7 + i) & 0xff);
    }
  });

  it('writes sectors from split buffers; without FLUSH negotiated every write is flushed (write-through)', () => {
    const disk = patternDisk();
    const h = new Harness(disk);
    h.legacyInit(~(1 << VIRTIO_BLK_F_FLUSH));
    for (let i = 0; i < 1024; i++) h.ram[DATA + i] = (i * 3 + 1) & 0xff;
    h.header(HDR, VIRTIO_BLK_T_OUT, 100);
    const before = disk.flushCount;
    const used = submit(h, [{ addr: HDR, len: 16 }, { addr: DATA, len: 100 }, { addr: DATA + 100, len: 412 }, { addr: DATA + 512, len: 512 },
      { addr: STATUS, len: 1, write: true }]);
    assert.equal(h.ram[STATUS], VIRTIO_BLK_S_OK);
    assert.equal(used.len, 1);
    for (let i = 0; i < 1024; i++) assert.equal(disk.data[100 * 512 + i], (i * 3 + 1) & 0xff);
    assert.equal(disk.data[99 * 512 + 511], (99 * 7 + 511) & 0xff, 'the sector before is untouched');
    assert.equal(disk.data[102 * 512], (102 * 7) & 0xff, 'the sector after is untouched');
    assert.equal(disk.flushCount, before + 1);
  });

  it('with FLUSH negotiated, writes stay in the write-back cache until a FLUSH request', () => {
    const disk = patternDisk();
    const h = new Harness(disk);
    h.legacyInit();
    assert.equal(h.inb(LEGACY_CONFIG + 32), 1, 'writeback shows the cache mode');
    h.header(HDR, VIRTIO_BLK_T_OUT, 1);
    const before = disk.flushCount;
    submit(h, [{ addr: HDR, len: 16 }, { addr: DATA, len: 512 }, { addr: STATUS, len: 1, write: true }]);
    assert.equal(disk.flushCount, before);
    h.header(HDR, VIRTIO_BLK_T_FLUSH, 0);
    h.ram[STATUS] = 0xaa;
    submit(h, [{ addr: HDR, len: 16 }, { addr: STATUS, len: 1, write: true }]);
    assert.equal(h.ram[STATUS], VIRTIO_BLK_S_OK);
    assert.equal(disk.flushCount, before + 1);
  });

  it('accepts any framing: header and data in one buffer, data and status in one buffer', () => {
    const disk = patternDisk();
    const h = new Harness(disk);
    h.legacyInit();
    h.header(HDR, VIRTIO_BLK_T_OUT, 7);
    for (let i = 0; i < 512; i++) h.ram[HDR + 16 + i] = 0x5a ^ i;
    submit(h, [{ addr: HDR, len: 16 + 512 }, { addr: STATUS, len: 1, write: true }]);
    for (let i = 0; i < 512; i++) assert.equal(disk.data[7 * 512 + i], (0x5a ^ i) & 0xff);
    h.header(HDR, VIRTIO_BLK_T_IN, 3);
    h.ram[DATA + 512] = 0xaa;
    const used = submit(h, [{ addr: HDR, len: 8 }, { addr: HDR + 8, len: 8 }, { addr: DATA, len: 513, write: true }]);
    assert.equal(used.len, 513);
    expectSector(h, DATA, 3);
    assert.equal(h.ram[DATA + 512], VIRTIO_BLK_S_OK);
  });

  it('answers GET_ID with the serial, NUL-padded to 20 bytes', () => {
    const h = new Harness(patternDisk(), { serial: 'X86VM-VD0' });
    h.legacyInit();
    h.ram.fill(0xee, DATA, DATA + 32);
    h.header(HDR, VIRTIO_BLK_T_GET_ID, 0);
    submit(h, [{ addr: HDR, len: 16 }, { addr: DATA, len: 20, write: true }, { addr: STATUS, len: 1, write: true }]);
    assert.equal(h.ram[STATUS], VIRTIO_BLK_S_OK);
    assert.equal(Buffer.from(h.ram.subarray(DATA, DATA + 9)).toString('latin1'), 'X86VM-VD0');
    assert.deepEqual([...h.ram.subarray(DATA + 9, DATA + 20)], new Array(11).fill(0));
    assert.equal(h.ram[DATA + 20], 0xee, 'nothing past the buffer');
  });

  it('follows indirect descriptor tables', () => {
    const h = new Harness(patternDisk());
    h.legacyInit();
    h.header(HDR, VIRTIO_BLK_T_IN, 40);
    const used = submit(h, [{ addr: HDR, len: 16 }, { addr: DATA, len: 256, write: true }, { addr: DATA + 0x800, len: 768, write: true },
      { addr: STATUS, len: 1, write: true }], INDIRECT);
    assert.equal(h.ram[STATUS], VIRTIO_BLK_S_OK);
    assert.equal(used.len, 1025);
    const got = Uint8Array.of(...h.ram.subarray(DATA, DATA + 256), ...h.ram.subarray(DATA + 0x800, DATA + 0x800 + 768));
    for (let i = 0; i < 1024; i++) assert.equal(got[i], ((40 + (i >> 9)) * 7 + (i & 511)) & 0xff);
  });

  it('accepts chained descriptors ending in an indirect table', () => {
    const h = new Harness(patternDisk());
    h.legacyInit();
    h.header(HDR, VIRTIO_BLK_T_IN, 9);
    h.desc(DESC, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    h.desc(DESC, 1, INDIRECT, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
    h.desc(INDIRECT, 0, DATA, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    h.desc(INDIRECT, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    h.makeAvailable(0);
    h.notifyLegacy();
    assert.deepEqual(h.takeUsed(), [{ id: 0, len: 513 }]);
    expectSector(h, DATA, 9);
  });

  it('completes several available requests in one notification', () => {
    const h = new Harness(patternDisk());
    h.legacyInit();
    for (let r = 0; r < 4; r++) {
      h.header(HDR + 16 * r, VIRTIO_BLK_T_IN, 20 + r);
      h.chain([{ addr: HDR + 16 * r, len: 16 }, { addr: DATA + 512 * r, len: 512, write: true }, { addr: STATUS + r, len: 1, write: true }], 3 * r);
      h.makeAvailable(3 * r);
    }
    h.notifyLegacy();
    assert.deepEqual(h.takeUsed().map((u) => u.id), [0, 3, 6, 9]);
    for (let r = 0; r < 4; r++) expectSector(h, DATA + 512 * r, 20 + r);
    assert.equal(h.irqEdges, 1, 'one interrupt for the batch');
  });

  it('ignores notifications before DRIVER_OK and while bus mastering is off; ACK|DRIVER enables bus mastering as QEMU does', () => {
    const h = new Harness(patternDisk());
    h.pciSetup(false);
    h.outb(LEGACY_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    h.outb(LEGACY_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    assert.equal(h.dev.readConfig(0x04, 2) & 4, 4, 'bus master set by the legacy status write');
    h.outl(LEGACY_QUEUE_PFN, DESC >>> 12);
    h.header(HDR, VIRTIO_BLK_T_IN, 1);
    h.chain(readRequest(1, 1));
    h.makeAvailable(0);
    h.notifyLegacy();
    assert.equal(h.u16(USED + 2), 0, 'not DRIVER_OK yet');
    h.outb(LEGACY_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
    h.dev.writeConfig(0x04, 2, 0x01);
    h.notifyLegacy();
    assert.equal(h.u16(USED + 2), 0, 'no bus mastering, no DMA');
    h.dev.writeConfig(0x04, 2, 0x05);
    h.notifyLegacy();
    assert.equal(h.u16(USED + 2), 1);
    expectSector(h, DATA, 1);
  });

  it('honours the Interrupt Disable bit while keeping the ISR and the PCI status bit', () => {
    const h = new Harness(patternDisk());
    h.legacyInit();
    h.dev.writeConfig(0x04, 2, 0x0405);
    h.header(HDR, VIRTIO_BLK_T_IN, 1);
    submit(h, readRequest(1, 1));
    assert.equal(h.irqLevel, false);
    assert.equal(h.dev.readConfig(0x06, 1) & 0x08, 0x08);
    h.dev.writeConfig(0x04, 2, 0x0005);
    assert.equal(h.irqLevel, true, 'the pending interrupt asserts once enabled');
    h.readIsr();
    assert.equal(h.irqLevel, false);
  });

  it('suppresses interrupts when the driver sets VIRTQ_AVAIL_F_NO_INTERRUPT', () => {
    const h = new Harness(patternDisk());
    h.legacyInit(~(1 << VIRTIO_F_EVENT_IDX));
    h.setU16(AVAIL, 1);
    h.header(HDR, VIRTIO_BLK_T_IN, 1);
    submit(h, readRequest(1, 1));
    assert.equal(h.irqLevel, false);
    assert.equal(h.readIsr(), 0);
    h.setU16(AVAIL, 0);
    submit(h, readRequest(1, 1));
    assert.equal(h.irqLevel, true);
  });

  it('with VIRTIO_F_EVENT_IDX, interrupts only when used idx passes used_event and publishes avail_event', () => {
    const h = new Harness(patternDisk());
    h.legacyInit();
    assert.ok((h.inl(LEGACY_DRIVER_FEATURES) & (1 << VIRTIO_F_EVENT_IDX)) !== 0);
    const usedEvent = AVAIL + 4 + 2 * QUEUE_SIZE, availEvent = USED + 4 + 8 * QUEUE_SIZE;
    h.setU16(AVAIL, 1); // the flag is ignored with EVENT_IDX
    h.setU16(usedEvent, 2); // interrupt when the third completion is placed (idx 2 → 3)
    for (let r = 0; r < 3; r++) {
      h.header(HDR, VIRTIO_BLK_T_IN, r);
      submit(h, readRequest(r, 1));
      assert.equal(h.u16(availEvent), r + 1, 'avail_event = next available entry');
      assert.equal(h.irqLevel, r === 2, `request ${r}`);
    }
  });

  it('resets on a status write of 0: features, queue, ISR and INTA', () => {
    const h = new Harness(patternDisk());
    h.legacyInit();
    h.header(HDR, VIRTIO_BLK_T_IN, 1);
    submit(h, readRequest(1, 1));
    assert.equal(h.irqLevel, true);
    h.outb(LEGACY_STATUS, 0);
    assert.equal(h.irqLevel, false);
    assert.equal(h.inb(LEGACY_STATUS), 0);
    assert.equal(h.inl(LEGACY_DRIVER_FEATURES), 0);
    assert.equal(h.inl(LEGACY_QUEUE_PFN), 0);
    assert.equal(h.readIsr(), 0);
    // Set up again from scratch: the device starts at avail/used index 0.
    h.ram.fill(0, DESC, USED + 4096);
    h.legacyInit();
    h.header(HDR, VIRTIO_BLK_T_IN, 2);
    submit(h, readRequest(2, 1));
    expectSector(h, DATA, 2);
  });
});

describe('virtio-blk: failed requests', () => {
  function status(h: Harness, bufs: Buf[]): number {
    h.ram[STATUS] = 0xaa;
    submit(h, bufs);
    return h.ram[STATUS]!;
  }

  it('IOERR for sectors beyond the capacity, partial blocks and huge lengths; no data moves', () => {
    const disk = patternDisk(64);
    const h = new Harness(disk);
    h.legacyInit();
    h.ram.fill(0xcc, DATA, DATA + 1024);
    h.header(HDR, VIRTIO_BLK_T_IN, 64);
    assert.equal(status(h, readRequest(64, 1)), VIRTIO_BLK_S_IOERR);
    h.header(HDR, VIRTIO_BLK_T_IN, 63);
    assert.equal(status(h, readRequest(63, 2)), VIRTIO_BLK_S_IOERR, 'runs past the end');
    h.header(HDR, VIRTIO_BLK_T_IN, 2 ** 40);
    assert.equal(status(h, readRequest(0, 1)), VIRTIO_BLK_S_IOERR);
    h.header(HDR, VIRTIO_BLK_T_IN, 0xffffffff * 2 ** 32);
    assert.equal(status(h, readRequest(0, 1)), VIRTIO_BLK_S_IOERR);
    assert.deepEqual([...h.ram.subarray(DATA, DATA + 1024)], new Array(1024).fill(0xcc));
    h.header(HDR, VIRTIO_BLK_T_IN, 0);
    assert.equal(status(h, [{ addr: HDR, len: 16 }, { addr: DATA, len: 300, write: true }, { addr: STATUS, len: 1, write: true }]), VIRTIO_BLK_S_IOERR, 'not whole sectors');
    h.header(HDR, VIRTIO_BLK_T_IN, 0);
    assert.equal(status(h, [{ addr: HDR, len: 16 }, { addr: DATA, len: 0xfffffe00, write: true }, { addr: STATUS, len: 1, write: true }]), VIRTIO_BLK_S_IOERR, '4 GiB request');
    h.header(HDR, VIRTIO_BLK_T_OUT, 64);
    const image = disk.data.slice();
    assert.equal(status(h, [{ addr: HDR, len: 16 }, { addr: DATA, len: 512 }, { addr: STATUS, len: 1, write: true }]), VIRTIO_BLK_S_IOERR);
    assert.deepEqual(disk.data, image);
    assert.equal(h.dev.deviceStatus & NEEDS_RESET, 0, 'the device keeps working');
  });

  it('IOERR for writes to read-only media and when the backend fails', () => {
    const ro = new Harness(patternDisk(16, true));
    ro.legacyInit();
    ro.header(HDR, VIRTIO_BLK_T_OUT, 0);
    assert.equal(status(ro, [{ addr: HDR, len: 16 }, { addr: DATA, len: 512 }, { addr: STATUS, len: 1, write: true }]), VIRTIO_BLK_S_IOERR);
    const failing = patternDisk(16);
    failing.read = () => { throw new Error('EIO'); };
    failing.flush = () => { throw new Error('EIO'); };
    const h = new Harness(failing);
    h.legacyInit();
    h.header(HDR, VIRTIO_BLK_T_IN, 0);
    assert.equal(status(h, readRequest(0, 1)), VIRTIO_BLK_S_IOERR);
    h.header(HDR, VIRTIO_BLK_T_FLUSH, 0);
    assert.equal(status(h, [{ addr: HDR, len: 16 }, { addr: STATUS, len: 1, write: true }]), VIRTIO_BLK_S_IOERR);
  });

  it('UNSUPP for request types the device does not have', () => {
    const h = new Harness(patternDisk(16));
    h.legacyInit();
    for (const type of [2, 11, 13, 0x12345]) {
      h.header(HDR, type, 0);
      assert.equal(status(h, [{ addr: HDR, len: 16 }, { addr: DATA, len: 512, write: true }, { addr: STATUS, len: 1, write: true }]), VIRTIO_BLK_S_UNSUPP, `type ${type}`);
    }
  });
});

describe('virtio: broken descriptor chains set DEVICE_NEEDS_RESET', () => {
  /** Set up, let `corrupt` build a bad request, notify; the device must flag itself and stay quiet. */
  function broken(corrupt: (h: Harness) => void, pattern: RegExp): void {
    const h = new Harness(patternDisk(16));
    h.legacyInit();
    h.header(HDR, VIRTIO_BLK_T_IN, 0);
    corrupt(h);
    h.notifyLegacy();
    assert.ok((h.inb(LEGACY_STATUS) & NEEDS_RESET) !== 0, 'DEVICE_NEEDS_RESET');
    assert.match(h.dev.lastError ?? '', pattern);
    assert.equal(h.readIsr() & 2, 2, 'configuration change interrupt');
    // Until reset, further notifications do nothing.
    const usedIdx = h.u16(USED + 2);
    h.chain(readRequest(0, 1), 10);
    h.makeAvailable(10);
    h.notifyLegacy();
    assert.equal(h.u16(USED + 2), usedIdx);
    // A reset and a fresh set-up bring it back.
    h.ram.fill(0, DESC, USED + 8192);
    h.legacyInit();
    assert.equal(h.inb(LEGACY_STATUS) & NEEDS_RESET, 0);
    h.header(HDR, VIRTIO_BLK_T_IN, 1);
    submit(h, readRequest(1, 1));
    expectSector(h, DATA, 1);
  }

  it('a head index outside the table', () => broken((h) => h.makeAvailable(QUEUE_SIZE + 3), /outside|names descriptor/));
  it('a next index outside the table', () => broken((h) => {
    h.desc(DESC, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 999);
    h.makeAvailable(0);
  }, /outside/));
  it('a descriptor loop (bounded by the queue size)', () => broken((h) => {
    h.desc(DESC, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    h.desc(DESC, 1, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    h.desc(DESC, 2, DATA, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    h.makeAvailable(0);
  }, /longer than the queue/));
  it('a loop inside an indirect table', () => broken((h) => {
    h.desc(DESC, 0, INDIRECT, 32, VIRTQ_DESC_F_INDIRECT, 0);
    h.desc(INDIRECT, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
    h.desc(INDIRECT, 1, DATA, 16, VIRTQ_DESC_F_NEXT, 0);
    h.makeAvailable(0);
  }, /longer than the queue/));
  it('an indirect table inside an indirect table', () => broken((h) => {
    h.desc(DESC, 0, INDIRECT, 16, VIRTQ_DESC_F_INDIRECT, 0);
    h.desc(INDIRECT, 0, INDIRECT, 16, VIRTQ_DESC_F_INDIRECT, 0);
    h.makeAvailable(0);
  }, /indirect table names another/));
  it('an indirect table that is not a whole number of descriptors, or larger than the queue', () => {
    broken((h) => {
      h.desc(DESC, 0, INDIRECT, 24, VIRTQ_DESC_F_INDIRECT, 0);
      h.makeAvailable(0);
    }, /whole number/);
    broken((h) => {
      h.desc(DESC, 0, INDIRECT, 0xfffffff0, VIRTQ_DESC_F_INDIRECT, 0);
      h.makeAvailable(0);
    }, /longer than the queue/);
  });
  it('a readable buffer after a writable one', () => broken((h) => {
    h.chain([{ addr: HDR, len: 16 }, { addr: DATA, len: 512, write: true }, { addr: STATUS, len: 1 }]);
    h.makeAvailable(0);
  }, /follows a writable/));
  it('no status byte, or a header shorter than 16 bytes', () => {
    broken((h) => {
      h.chain([{ addr: HDR, len: 16 }, { addr: DATA, len: 512 }]);
      h.makeAvailable(0);
    }, /status/);
    broken((h) => {
      h.chain([{ addr: HDR, len: 8 }, { addr: STATUS, len: 1, write: true }]);
      h.makeAvailable(0);
    }, /header/);
  });
  it('an address beyond the physical address space', () => broken((h) => {
    h.desc(DESC, 0, 0xffffffff * 2 ** 32, 16, VIRTQ_DESC_F_NEXT, 1);
    h.desc(DESC, 1, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
    h.makeAvailable(0);
  }, /physical address space/));
  it('an available index moved further than the queue size', () => broken((h) => {
    h.chain(readRequest(0, 1));
    h.setU16(AVAIL + 2, QUEUE_SIZE + 5);
  }, /ahead/));
  it('a request that makes its own data land on the available ring cannot keep the device busy', () => {
    const h = new Harness(patternDisk(16));
    h.legacyInit();
    // Each read writes sector data over avail.idx, pushing it forward: at most a queue's worth
    // is handled per notification, and the device flags the impossible index on the next one.
    h.header(HDR, VIRTIO_BLK_T_IN, 0);
    h.chain([{ addr: HDR, len: 16 }, { addr: AVAIL, len: 512, write: true }, { addr: STATUS, len: 1, write: true }]);
    h.makeAvailable(0);
    h.notifyLegacy();
    h.notifyLegacy();
    assert.ok(h.u16(USED + 2) <= 2 * QUEUE_SIZE);
  });
});

describe('virtio-blk-pci: modern interface (BAR4)', () => {
  /** 3.1.1 through the common configuration structure; returns the driver-visible status. */
  function modernInit(h: Harness, features: bigint, queueSize = QUEUE_SIZE): number {
    h.pciSetup();
    h.mwrite(COMMON_STATUS, 1, 0);
    h.mwrite(COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    h.mwrite(COMMON_GFSELECT, 4, 0);
    h.mwrite(COMMON_GF, 4, Number(features & 0xffffffffn));
    h.mwrite(COMMON_GFSELECT, 4, 1);
    h.mwrite(COMMON_GF, 4, Number(features >> 32n));
    h.mwrite(COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    const st = h.mread(COMMON_STATUS, 1);
    if ((st & VIRTIO_STATUS_FEATURES_OK) === 0) return st;
    h.mwrite(COMMON_Q_SELECT, 2, 0);
    h.mwrite(COMMON_Q_SIZE, 2, queueSize);
    h.mwrite(COMMON_Q_DESCLO, 4, 0x40000);
    h.mwrite(COMMON_Q_DESCHI, 4, 0);
    h.mwrite(COMMON_Q_AVAILLO, 4, 0x48000);
    h.mwrite(COMMON_Q_USEDLO, 4, 0x49000);
    h.mwrite(COMMON_Q_ENABLE, 2, 1);
    h.mwrite(COMMON_STATUS, 1, st | VIRTIO_STATUS_DRIVER_OK);
    return h.mread(COMMON_STATUS, 1);
  }

  function offered(h: Harness): bigint {
    h.mwrite(COMMON_DFSELECT, 4, 0);
    const lo = BigInt(h.mread(COMMON_DF, 4));
    h.mwrite(COMMON_DFSELECT, 4, 1);
    return (BigInt(h.mread(COMMON_DF, 4)) << 32n) | lo;
  }

  it('offers VERSION_1 and refuses FEATURES_OK to a driver that does not accept it', () => {
    const h = new Harness(patternDisk());
    h.pciSetup();
    const f = offered(h);
    assert.ok((f & (1n << 32n)) !== 0n, 'VERSION_1');
    assert.equal(h.mread(COMMON_NUMQ, 2), 1);
    assert.equal(h.mread(COMMON_MSIX, 2), 0xffff, 'no MSI-X vector');
    assert.equal(h.mread(COMMON_Q_MSIX, 2), 0xffff);
    const st = modernInit(h, f & 0xffffffffn);
    assert.equal(st & VIRTIO_STATUS_FEATURES_OK, 0);
    assert.ok((modernInit(new Harness(patternDisk()), f) & VIRTIO_STATUS_DRIVER_OK) !== 0);
  });

  it('runs requests on a queue placed by three addresses, notified at queue_notify_off × multiplier', () => {
    const h = new Harness(patternDisk());
    h.pciSetup();
    const f = offered(h);
    modernInit(h, f, 64);
    assert.equal(h.mread(COMMON_Q_SIZE, 2), 64);
    assert.equal(h.mread(COMMON_Q_ENABLE, 2), 1);
    const noff = h.mread(COMMON_Q_NOFF, 2);
    // Device configuration through BAR4 and through the PCI configuration access capability.
    assert.equal(h.mread(MODERN_DEVICE, 4), 2048);
    h.dev.writeConfig(0x84 + 4, 1, 4);
    h.dev.writeConfig(0x84 + 8, 4, MODERN_DEVICE + 20);
    h.dev.writeConfig(0x84 + 12, 4, 4);
    assert.equal(h.dev.readConfig(0x84 + 16, 4), 512, 'blk_size through pci_cfg_data');
    const desc = 0x40000, avail = 0x48000, used = 0x49000;
    h.header(HDR, VIRTIO_BLK_T_IN, 77);
    h.chain(readRequest(77, 1), 0, null, desc);
    h.setU16(avail + 4, 0);
    h.setU16(avail + 2, 1);
    h.mwrite(MODERN_NOTIFY + noff * NOTIFY_OFF_MULTIPLIER, 2, 0);
    assert.equal(h.u16(used + 2), 1);
    assert.equal(h.u32(used + 8), 513);
    expectSector(h, DATA, 77);
    assert.equal(h.irqLevel, true);
    assert.equal(h.mread(MODERN_ISR, 1), 1);
    assert.equal(h.irqLevel, false);
    // A notification through pci_cfg_data reaches the device too.
    h.header(HDR, VIRTIO_BLK_T_IN, 78);
    h.setU16(avail + 6, 0);
    h.setU16(avail + 2, 2);
    h.dev.writeConfig(0x84 + 8, 4, MODERN_NOTIFY + noff * NOTIFY_OFF_MULTIPLIER);
    h.dev.writeConfig(0x84 + 12, 4, 2);
    h.dev.writeConfig(0x84 + 16, 2, 0);
    assert.equal(h.u16(used + 2), 2);
    expectSector(h, DATA, 78);
  });

  it('ignores sizes that are not a power of two and flags a misaligned ring at queue_enable', () => {
    const h = new Harness(patternDisk());
    h.pciSetup();
    h.mwrite(COMMON_Q_SELECT, 2, 0);
    h.mwrite(COMMON_Q_SIZE, 2, 100);
    assert.equal(h.mread(COMMON_Q_SIZE, 2), QUEUE_SIZE);
    h.mwrite(COMMON_Q_SIZE, 2, 1024);
    assert.equal(h.mread(COMMON_Q_SIZE, 2), QUEUE_SIZE);
    h.mwrite(COMMON_Q_SELECT, 2, 3);
    assert.equal(h.mread(COMMON_Q_SIZE, 2), 0, 'no queue 3');
    h.mwrite(COMMON_Q_SELECT, 2, 0);
    h.mwrite(COMMON_Q_DESCLO, 4, 0x40001);
    h.mwrite(COMMON_Q_ENABLE, 2, 1);
    assert.ok((h.mread(COMMON_STATUS, 1) & NEEDS_RESET) !== 0);
    h.mwrite(COMMON_STATUS, 1, 0);
    h.mwrite(COMMON_Q_DESCHI, 4, 0xffffffff);
    h.mwrite(COMMON_Q_DESCLO, 4, 0x40000);
    h.mwrite(COMMON_Q_ENABLE, 2, 1);
    assert.ok((h.mread(COMMON_STATUS, 1) & NEEDS_RESET) !== 0, 'beyond the physical address space');
  });
});

describe('virtio legacy notify register', () => {
  it('ignores notifications of queues that do not exist', () => {
    const h = new Harness(patternDisk());
    h.legacyInit();
    h.outw(LEGACY_QUEUE_NOTIFY, 7);
    h.outw(LEGACY_QUEUE_NOTIFY, 0xffff);
    assert.equal(h.inb(LEGACY_STATUS) & NEEDS_RESET, 0);
    assert.equal(h.u16(USED + 2), 0);
  });
});
