import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AtaDisk } from '../../../src/devices/ide/ata-disk.js';
import { MemoryDiskBackend, type DiskBackend } from '../../../src/backends/disk/disk-backend.js';
import { makeHarness, readData, writeData, ata28, ata48, writePrd, pattern, BM_BASE, type Harness } from './harness.js';

const P = 0x1f0, CTL = 0x3f6;
const MiB = 1 << 20;

function diskHarness(size = 8 * MiB, backend: DiskBackend = new MemoryDiskBackend(pattern(size, 1))) {
  const disk = new AtaDisk(backend);
  const h = makeHarness([[disk, null], [null, null]]);
  return { h, disk, backend };
}

function words(bytes: Uint8Array): number[] {
  const w: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) w.push(bytes[i]! | (bytes[i + 1]! << 8));
  return w;
}

function ataString(w: number[], first: number, count: number): string {
  let s = '';
  for (let i = 0; i < count; i++) s += String.fromCharCode(w[first + i]! >> 8, w[first + i]! & 0xff);
  return s.trimEnd();
}

function identify(h: Harness): number[] {
  ata28(h, P, 0xec, 0, 0);
  return words(readData(h, P, 512));
}

describe('PIIX3 IDE function', () => {
  it('is 8086:7010, class 0101h/80h, BAR4 a 16-byte I/O BAR, no PCI interrupt pin', () => {
    const { h } = diskHarness();
    const ide = h.ide;
    assert.equal(ide.readConfig(0, 4), 0x70108086);
    assert.equal(ide.readConfig(0x08, 4) >>> 8, 0x010180);
    assert.equal(ide.readConfig(0x3d, 1), 0);
    ide.writeConfig(0x20, 4, 0xffffffff);
    assert.equal(ide.readConfig(0x20, 4) >>> 0, 0xfffffff1);
    for (const bar of [0x10, 0x14, 0x18, 0x1c, 0x24]) assert.equal(ide.readConfig(bar, 4), 0);
  });

  it('decodes the legacy ports only with I/O enable and the IDETIM decode bit', () => {
    const { h } = makeHarnessWithoutSetup();
    assert.equal(h.inb(P + 7), 0xff);
    h.ide.writeConfig(0x04, 2, 1);
    assert.equal(h.inb(P + 7), 0xff, 'IDETIM decode still off');
    h.ide.writeConfig(0x40, 2, 0x8000);
    assert.equal(h.inb(P + 7), 0x50);
    assert.equal(h.inb(0x177), 0xff, 'secondary channel not enabled');
  });
});

function makeHarnessWithoutSetup() {
  const disk = new AtaDisk(new MemoryDiskBackend(MiB));
  return { h: makeHarness([[disk, null], [null, null]], false), disk };
}

describe('ATA disk: reset, signature, device selection', () => {
  it('posts the ATA signature after SRST; an absent device 1 reads status 0 but latches registers', () => {
    const { h } = diskHarness();
    h.outb(CTL, 0x06); // SRST + nIEN
    assert.equal(h.inb(CTL) & 0x80, 0x80, 'BSY during reset');
    h.outb(CTL, 0x02);
    assert.deepEqual([h.inb(P + 2), h.inb(P + 3), h.inb(P + 4), h.inb(P + 5)], [1, 1, 0, 0]);
    assert.equal(h.inb(P + 1), 0x01, 'diagnostic code: no error');
    assert.equal(h.inb(P + 7), 0x50);
    h.outb(P + 6, 0xb0);
    assert.equal(h.inb(P + 7), 0, 'absent device 1: status 0');
    assert.equal(h.inb(CTL), 0);
    h.outb(P + 2, 0x55);
    h.outb(P + 3, 0xaa);
    assert.deepEqual([h.inb(P + 2), h.inb(P + 3), h.inb(P + 6)], [0x55, 0xaa, 0xb0]);
    h.outb(P + 7, 0xec); // ignored by nobody
    assert.equal(h.inb(P + 7), 0);
    h.outb(P + 6, 0xa0);
    assert.equal(h.inb(P + 7), 0x50, 'device 0 did not run the command');
  });

  it('an empty channel reads zero everywhere (no BSY to wait out)', () => {
    const { h } = diskHarness();
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((r) => h.inb(0x170 + r)), [0, 0, 0, 0, 0, 0, 0]);
    assert.equal(h.inb(0x376), 0);
  });

  it('EXECUTE DEVICE DIAGNOSTIC posts the signature, code 01h and interrupts', () => {
    const { h } = diskHarness();
    h.outb(P + 4, 0x12);
    h.outb(P + 7, 0x90);
    assert.equal(h.irq[0].level, true);
    assert.deepEqual([h.inb(P + 1), h.inb(P + 2), h.inb(P + 3), h.inb(P + 4)], [1, 1, 1, 0]);
    assert.equal(h.inb(P + 7), 0x50);
    assert.equal(h.irq[0].level, false, 'status read clears INTRQ');
  });
});

describe('ATA disk: IDENTIFY DEVICE', () => {
  it('reports geometry, LBA28/LBA48 capacity, strings, feature words and a valid checksum', () => {
    const size = 64 * MiB;
    const { h } = diskHarness(size, new MemoryDiskBackend(size));
    ata28(h, P, 0xec, 0, 0);
    assert.equal(h.irq[0].level, true);
    assert.equal(h.inb(CTL), 0x58, 'DRDY DSC DRQ');
    assert.equal(h.irq[0].level, true, 'alternate status does not clear INTRQ');
    const raw = readData(h, P, 512);
    assert.equal(h.inb(P + 7), 0x50);
    assert.equal(h.irq[0].level, false);
    const w = words(raw);
    const sectors = size / 512;
    assert.equal(w[0], 0x0040);
    assert.deepEqual([w[1], w[3], w[6]], [Math.floor(sectors / (16 * 63)), 16, 63]);
    assert.equal(ataString(w, 27, 20), 'X86VM HARDDISK');
    assert.match(ataString(w, 10, 10), /^XV\d+$/);
    assert.equal(w[47]! & 0xff, 16);
    assert.equal(w[49]! & 0x0300, 0x0300, 'LBA and DMA');
    assert.equal(w[60]! | (w[61]! << 16), sectors);
    assert.equal(w[100]! + w[101]! * 65536 + w[102]! * 2 ** 32, sectors);
    assert.equal(w[83]! & 0x3400, 0x3400, '48-bit, FLUSH CACHE, FLUSH CACHE EXT');
    assert.equal(w[86]! & 0x3400, 0x3400);
    assert.equal(w[80], 0x00f0);
    assert.equal(w[255]! & 0xff, 0xa5);
    assert.equal(raw.reduce((a, b) => a + b, 0) & 0xff, 0, 'integrity word checksum');
  });

  it('caps LBA28 capacity at 0FFFFFFFh and keeps the full size in words 100-103', () => {
    const sectors = 2 ** 32 + 5;
    const { h } = diskHarness(0, sparse(sectors * 512));
    const w = identify(h);
    assert.equal((w[60]! | (w[61]! << 16)) >>> 0, 0x0fffffff);
    assert.equal(w[100]! + w[101]! * 65536 + w[102]! * 2 ** 32 + w[103]! * 2 ** 48, sectors);
    assert.equal(w[1], 16383);
  });

  it('aborts IDENTIFY PACKET DEVICE and PACKET', () => {
    const { h } = diskHarness();
    for (const cmd of [0xa1, 0xa0]) {
      h.outb(P + 7, cmd);
      assert.equal(h.inb(P + 7), 0x41);
      assert.equal(h.inb(P + 1), 0x04);
    }
  });
});

/** A huge read-only-ish backend whose bytes are a function of their offset. */
function sparse(length: number) {
  const writes = new Map<number, Uint8Array>();
  return {
    sectorSize: 512, length, readOnly: false, writes,
    read(offset: number, buffer: Uint8Array) {
      for (let i = 0; i < buffer.length; i++) buffer[i] = Math.floor((offset + i) / 512) % 251;
    },
    write(offset: number, data: Uint8Array) { writes.set(offset, data.slice()); },
    flush() {},
    close() {},
  };
}

describe('ATA disk: PIO', () => {
  it('READ SECTORS: one DRQ block and one interrupt per sector, none after the last', () => {
    const { h, backend } = diskHarness();
    const data = (backend as MemoryDiskBackend).data;
    ata28(h, P, 0x20, 100, 3);
    for (let s = 0; s < 3; s++) {
      assert.equal(h.irq[0].level, true, `interrupt for block ${s}`);
      assert.equal(h.inb(P + 7), 0x58);
      assert.equal(h.irq[0].level, false);
      assert.deepEqual(readData(h, P, 512), data.subarray((100 + s) * 512, (101 + s) * 512));
    }
    assert.equal(h.irq[0].level, false);
    assert.equal(h.inb(P + 7), 0x50);
  });

  it('READ SECTORS with 32-bit data port accesses, count 0 = 256 sectors', () => {
    const { h, backend } = diskHarness();
    const data = (backend as MemoryDiskBackend).data;
    ata28(h, P, 0x20, 7, 0);
    const got = new Uint8Array(256 * 512);
    const v = new DataView(got.buffer);
    for (let i = 0; i < got.length; i += 4) v.setUint32(i, h.inl(P), true);
    assert.deepEqual(got, data.subarray(7 * 512, 263 * 512));
    assert.equal(h.inb(P + 7), 0x50);
  });

  it('CHS addressing goes through the current translation (INITIALIZE DEVICE PARAMETERS)', () => {
    const { h, backend } = diskHarness();
    const data = (backend as MemoryDiskBackend).data;
    const chs = (c: number, hd: number, s: number) => {
      h.outb(P + 6, 0xa0 | hd);
      h.outb(P + 2, 1);
      h.outb(P + 3, s);
      h.outb(P + 4, c & 0xff);
      h.outb(P + 5, c >> 8);
      h.outb(P + 7, 0x20);
      return readData(h, P, 512);
    };
    assert.deepEqual(chs(2, 3, 4), data.subarray(((2 * 16 + 3) * 63 + 3) * 512, ((2 * 16 + 3) * 63 + 4) * 512));
    h.outb(P + 6, 0xa0 | 7); // 8 heads
    h.outb(P + 2, 32); // 32 sectors per track
    h.outb(P + 7, 0x91);
    assert.equal(h.inb(P + 7), 0x50);
    const lba = (1 * 8 + 5) * 32 + 9;
    assert.deepEqual(chs(1, 5, 10), data.subarray(lba * 512, (lba + 1) * 512));
    const w = identify(h);
    assert.deepEqual([w[55], w[56]], [8, 32]);
    // Sector 0 does not exist in CHS addressing.
    h.outb(P + 6, 0xa0); h.outb(P + 2, 1); h.outb(P + 3, 0); h.outb(P + 7, 0x20);
    assert.equal(h.inb(P + 7), 0x41);
    assert.equal(h.inb(P + 1), 0x10, 'IDNF');
  });

  it('WRITE SECTORS: the first block without interrupt, then one per block, data reaches the backend', () => {
    const { h, backend } = diskHarness();
    const data = (backend as MemoryDiskBackend).data;
    const payload = pattern(3 * 512, 99);
    ata28(h, P, 0x30, 50, 3);
    assert.equal(h.irq[0].level, false, 'no interrupt before the first data-out block');
    assert.equal(h.inb(CTL), 0x58);
    for (let s = 0; s < 3; s++) {
      writeData(h, P, payload.subarray(s * 512, (s + 1) * 512));
      assert.equal(h.irq[0].level, true, `interrupt after block ${s}`);
      assert.equal(h.inb(P + 7), s < 2 ? 0x58 : 0x50);
    }
    assert.deepEqual(data.subarray(50 * 512, 53 * 512), payload);
  });

  it('SET MULTIPLE MODE, READ/WRITE MULTIPLE in blocks of that many sectors', () => {
    const { h, backend } = diskHarness();
    const data = (backend as MemoryDiskBackend).data;
    ata28(h, P, 0xc4, 0, 4);
    assert.equal(h.inb(P + 7), 0x41, 'READ MULTIPLE aborts while multiple mode is off');
    h.outb(P + 2, 3);
    h.outb(P + 7, 0xc6);
    assert.equal(h.inb(P + 7), 0x41, 'not a power of two');
    h.outb(P + 2, 4);
    h.outb(P + 7, 0xc6);
    assert.equal(h.inb(P + 7), 0x50);
    assert.equal(identify(h)[59], 0x0104);
    const edges = h.edges[0];
    ata28(h, P, 0xc4, 10, 6);
    assert.equal(h.inb(P + 7), 0x58);
    assert.deepEqual(readData(h, P, 4 * 512), data.subarray(10 * 512, 14 * 512));
    assert.equal(h.inb(P + 7), 0x58, 'second block pending');
    assert.deepEqual(readData(h, P, 2 * 512), data.subarray(14 * 512, 16 * 512));
    assert.equal(h.inb(P + 7), 0x50);
    assert.equal(h.edges[0] - edges, 2, 'one interrupt per block');
    const payload = pattern(5 * 512, 5);
    ata48(h, P, 0x39, 20, 5);
    writeData(h, P, payload.subarray(0, 2048));
    assert.equal(h.inb(P + 7), 0x58);
    writeData(h, P, payload.subarray(2048));
    assert.equal(h.inb(P + 7), 0x50);
    assert.deepEqual(data.subarray(20 * 512, 25 * 512), payload);
  });

  it('LBA48: READ SECTORS EXT above 2^32 sectors and the HOB register readback', () => {
    const backend = sparse((2 ** 33) * 512);
    const { h } = diskHarness(0, backend);
    const lba = 2 ** 32 + 1000;
    ata48(h, P, 0x24, lba, 2);
    const got = readData(h, P, 1024);
    assert.equal(got[0], lba % 251);
    assert.equal(got[512], (lba + 1) % 251);
    assert.equal(h.inb(P + 7), 0x50);
    // HOB=1 reads the previous content of the LBA registers.
    h.outb(CTL, 0x80);
    assert.deepEqual([h.inb(P + 2), h.inb(P + 3), h.inb(P + 4), h.inb(P + 5)], [0, 0, 1, 0]);
    h.outb(CTL, 0x00);
    assert.equal(h.inb(P + 4), (lba >>> 8) & 0xff);
    // Writing a command block register clears HOB.
    h.outb(CTL, 0x80);
    h.outb(P + 1, 0);
    assert.equal(h.inb(P + 4), (lba >>> 8) & 0xff);
  });

  it('out-of-range addresses end with IDNF and an interrupt; the CPU never sees an exception', () => {
    const { h } = diskHarness(MiB, new MemoryDiskBackend(MiB));
    ata28(h, P, 0x20, 2047, 2);
    assert.equal(h.irq[0].level, true);
    assert.equal(h.inb(P + 7), 0x41);
    assert.equal(h.inb(P + 1), 0x10);
    ata48(h, P, 0x34, 2 ** 40, 1);
    assert.equal(h.inb(P + 7), 0x41);
    ata28(h, P, 0xc8, 5000, 1);
    assert.equal(h.inb(P + 7), 0x41);
    ata28(h, P, 0x40, 2040, 9);
    assert.equal(h.inb(P + 7), 0x41);
  });

  it('host I/O errors become UNC (data) or ABRT (flush) errors', () => {
    const failing: DiskBackend = {
      sectorSize: 512, length: MiB, readOnly: false,
      read: () => { throw new Error('EIO'); },
      write: () => { throw new Error('EIO'); },
      flush: () => { throw new Error('EIO'); },
      close: () => {},
    };
    const { h } = diskHarness(MiB, failing);
    ata28(h, P, 0x20, 3, 1);
    assert.equal(h.inb(P + 7), 0x41);
    assert.equal(h.inb(P + 1), 0x40, 'UNC');
    assert.equal(h.inb(P + 3), 3, 'error location');
    ata28(h, P, 0x30, 3, 1);
    writeData(h, P, new Uint8Array(512));
    assert.equal(h.inb(P + 7), 0x41);
    h.outb(P + 7, 0xe7);
    assert.equal(h.inb(P + 7) & 0x01, 0x01);
    assert.equal(h.inb(P + 1), 0x04);
    ata28(h, P, 0x40, 0, 1);
    assert.equal(h.inb(P + 1), 0x40);
  });

  it('FLUSH CACHE (EXT) reaches the backend; a write-through cache flushes after each write', () => {
    const backend = new MemoryDiskBackend(MiB);
    const { h } = diskHarness(MiB, backend);
    h.outb(P + 7, 0xe7);
    assert.equal(h.irq[0].level, true);
    assert.equal(h.inb(P + 7), 0x50);
    h.outb(P + 7, 0xea);
    assert.equal(backend.flushCount, 2);
    ata28(h, P, 0xef, 0, 0, 0, 0x82); // disable write cache
    assert.equal(h.inb(P + 7), 0x50);
    assert.equal(identify(h)[85]! & 0x20, 0);
    const before = backend.flushCount;
    ata28(h, P, 0x30, 0, 1);
    writeData(h, P, new Uint8Array(512).fill(1));
    assert.equal(backend.flushCount, before + 1);
  });

  it('READ VERIFY, SET FEATURES, power commands, nIEN', () => {
    const { h } = diskHarness();
    ata28(h, P, 0x40, 10, 20);
    assert.equal(h.inb(P + 7), 0x50);
    ata28(h, P, 0xef, 0, 0x22, 0, 0x03); // MWDMA2
    assert.equal(h.inb(P + 7), 0x50);
    assert.equal(identify(h)[63]! & 0x0700, 0x0400);
    ata28(h, P, 0xef, 0, 0x45, 0, 0x03); // UDMA5
    assert.equal(h.inb(P + 7), 0x50);
    const w = identify(h);
    assert.equal(w[88]! & 0x3f00, 0x2000);
    assert.equal(w[63]! & 0x0700, 0);
    ata28(h, P, 0xef, 0, 0, 0, 0x77);
    assert.equal(h.inb(P + 7), 0x41, 'unknown subcommand aborts');
    h.outb(P + 7, 0xe5);
    assert.equal(h.inb(P + 2), 0xff, 'CHECK POWER MODE: active');
    h.outb(CTL, 0x02);
    h.outb(P + 7, 0xe1);
    assert.equal(h.irq[0].level, false, 'nIEN masks INTRQ');
    h.outb(CTL, 0x00);
    assert.equal(h.irq[0].level, true, 'pending INTRQ shows once nIEN clears');
    h.inb(P + 7);
    h.outb(P + 7, 0x00);
    assert.equal(h.inb(P + 1), 0x04, 'NOP aborts');
  });
});

describe('ATA disk: bus master DMA', () => {
  const BM = BM_BASE;
  it('READ DMA scatters through a PRD table, sets the interrupt bit and clears active at EOT', () => {
    const { h, backend } = diskHarness();
    const data = (backend as MemoryDiskBackend).data;
    writePrd(h, 0x1000, [[0x20000, 1024], [0x30000, 512]]);
    h.outl(BM + 4, 0x1000);
    assert.equal(h.inl(BM + 4), 0x1000);
    h.outb(BM + 2, 0x06); // clear interrupt and error
    h.outb(BM, 0x08); // direction: to memory
    ata28(h, P, 0xc8, 30, 3);
    assert.equal(h.irq[0].level, false, 'waits for the bus master');
    assert.equal(h.inb(CTL) & 0x08, 0x08, 'DRQ while the data phase is pending');
    h.outb(BM, 0x09);
    assert.equal(h.irq[0].level, true);
    assert.equal(h.inb(BM + 2) & 0x07, 0x04, 'interrupt, not active');
    assert.deepEqual(h.ram.subarray(0x20000, 0x20400), data.subarray(30 * 512, 32 * 512));
    assert.deepEqual(h.ram.subarray(0x30000, 0x30200), data.subarray(32 * 512, 33 * 512));
    h.outb(BM, 0x00);
    assert.equal(h.inb(P + 7), 0x50);
    h.outb(BM + 2, 0x04);
    assert.equal(h.inb(BM + 2) & 0x04, 0, 'interrupt bit is write-one-to-clear');
  });

  it('starting the engine before the command works too; WRITE DMA EXT gathers from memory', () => {
    const { h, backend } = diskHarness();
    const data = (backend as MemoryDiskBackend).data;
    const payload = pattern(2048, 42);
    h.ram.set(payload.subarray(0, 512), 0x40000);
    h.ram.set(payload.subarray(512), 0x50000);
    writePrd(h, 0x2000, [[0x40000, 512], [0x50000, 1536]]);
    h.outl(BM + 4, 0x2000);
    h.outb(BM, 0x01); // start, direction: from memory
    assert.equal(h.inb(BM + 2) & 1, 1, 'active while waiting');
    ata48(h, P, 0x35, 200, 4);
    assert.equal(h.irq[0].level, true);
    assert.equal(h.inb(BM + 2) & 0x07, 0x04);
    assert.deepEqual(data.subarray(200 * 512, 204 * 512), payload);
    h.outb(BM, 0);
  });

  it('a PRD table larger than the transfer leaves active set; a shorter one stops without interrupt', () => {
    const { h } = diskHarness();
    writePrd(h, 0x1000, [[0x20000, 0]]); // 0 = 64 KiB
    h.outl(BM + 4, 0x1000);
    h.outb(BM, 0x09);
    ata28(h, P, 0xc8, 0, 1);
    assert.equal(h.inb(BM + 2) & 0x05, 0x05, 'interrupt and still active');
    h.outb(BM, 0x08);
    assert.equal(h.inb(BM + 2) & 0x01, 0, 'stopping clears active');
    h.inb(P + 7);
    h.outb(BM + 2, 0x04);
    writePrd(h, 0x1000, [[0x20000, 512]]);
    h.outb(BM, 0x09);
    ata28(h, P, 0xc8, 0, 2);
    assert.equal(h.inb(BM + 2) & 0x05, 0x00, 'neither active nor interrupt');
    assert.equal(h.irq[0].level, false);
  });

  it('no transfer happens while PCI bus mastering is disabled', () => {
    const { h } = diskHarness();
    h.ide.writeConfig(0x04, 2, 0x0001);
    writePrd(h, 0x1000, [[0x20000, 512]]);
    h.outl(BM + 4, 0x1000);
    h.outb(BM, 0x09);
    ata28(h, P, 0xc8, 0, 1);
    assert.equal(h.irq[0].level, false);
    assert.equal(h.ram[0x20000], 0);
  });
});
