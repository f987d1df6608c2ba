import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AtapiCdrom } from '../../../src/devices/ide/atapi-cdrom.js';
import { AtaDisk } from '../../../src/devices/ide/ata-disk.js';
import { MemoryDiskBackend, type DiskBackend } from '../../../src/backends/disk/disk-backend.js';
import { edc, eccCodewords, syndromes } from '../../../src/devices/ide/cd-sector.js';
import { makeHarness, readData, writeData, writePrd, pattern, BM_BASE, type Harness } from './harness.js';

const S = 0x170, CTL = 0x376;
const SECTORS = 100;

function cdHarness(medium: MemoryDiskBackend | null = new MemoryDiskBackend(pattern(SECTORS * 2048, 3), 2048, true)) {
  const cd = new AtapiCdrom(medium);
  const disk = new AtaDisk(new MemoryDiskBackend(1 << 20));
  const h = makeHarness([[disk, null], [cd, null]]);
  return { h, cd, medium };
}

interface Reply { status: number; error: number; data: Uint8Array; phases: number[]; irqs: number }

/**
 * Issue PACKET with a byte-count limit, check the command phase (C/D=1, DRQ, no interrupt with
 * accelerated DRQ), send the CDB, then follow the data phases (I/O=1 C/D=0, byte count in the
 * cylinder registers) to the status phase (I/O=1 C/D=1).
 */
function packet(h: Harness, cdb: number[], limit = 0xfffe, dma = false): Reply {
  h.outb(S + 6, 0xa0);
  h.outb(S + 1, dma ? 1 : 0);
  h.outb(S + 4, limit & 0xff);
  h.outb(S + 5, limit >> 8);
  const edges0 = h.edges[1];
  h.outb(S + 7, 0xa0);
  assert.equal(h.inb(CTL) & 0x88, 0x08, 'DRQ for the command packet');
  assert.equal(h.inb(S + 2) & 3, 1, 'interrupt reason C/D=1 I/O=0');
  assert.equal(h.edges[1], edges0, 'no interrupt before the packet (accelerated DRQ)');
  const bytes = new Uint8Array(12);
  bytes.set(cdb);
  writeData(h, S, bytes);
  const chunks: Uint8Array[] = [];
  const phases: number[] = [];
  for (let guard = 0; guard < 10000; guard++) {
    assert.equal(h.irq[1].level, true, 'each phase interrupts');
    const status = h.inb(S + 7);
    const reason = h.inb(S + 2) & 3;
    if ((status & 0x08) === 0) {
      assert.equal(reason, 3, 'status phase: I/O=1 C/D=1');
      const n = chunks.reduce((a, c) => a + c.length, 0);
      const data = new Uint8Array(n);
      let at = 0;
      for (const c of chunks) { data.set(c, at); at += c.length; }
      return { status, error: h.inb(S + 1), data, phases, irqs: h.edges[1] - edges0 };
    }
    assert.equal(reason, 2, 'data-in phase: I/O=1 C/D=0');
    const count = h.inb(S + 4) | (h.inb(S + 5) << 8);
    phases.push(count);
    chunks.push(readData(h, S, count));
  }
  throw new Error('no status phase');
}

function requestSense(h: Harness): [number, number, number] {
  const r = packet(h, [0x03, 0, 0, 0, 18, 0]);
  assert.equal(r.data.length, 18);
  assert.equal(r.data[0], 0x70);
  return [r.data[2]! & 0xf, r.data[12]!, r.data[13]!];
}

describe('ATAPI CD-ROM: identification', () => {
  it('posts the packet signature (EB14h) after reset with DRDY clear; IDENTIFY DEVICE aborts with the signature', () => {
    const { h } = cdHarness();
    h.outb(CTL, 0x04);
    h.outb(CTL, 0x00);
    assert.deepEqual([h.inb(S + 2), h.inb(S + 3), h.inb(S + 4), h.inb(S + 5)], [1, 1, 0x14, 0xeb]);
    assert.equal(h.inb(S + 7), 0x00);
    h.outb(S + 4, 0);
    h.outb(S + 7, 0xec);
    assert.equal(h.inb(S + 7) & 0x01, 1);
    assert.equal(h.inb(S + 1), 0x04);
    assert.deepEqual([h.inb(S + 4), h.inb(S + 5)], [0x14, 0xeb]);
  });

  it('IDENTIFY PACKET DEVICE: ATAPI CD-ROM, removable, 12-byte packets, model string', () => {
    const { h } = cdHarness();
    h.outb(S + 7, 0xa1);
    assert.equal(h.irq[1].level, true);
    assert.equal(h.inb(S + 7), 0x58);
    const raw = readData(h, S, 512);
    const w = (i: number) => raw[2 * i]! | (raw[2 * i + 1]! << 8);
    assert.equal(w(0), 0x85c0);
    assert.equal(w(49) & 0x0300, 0x0300);
    assert.equal(w(80), 0x1e);
    let model = '';
    for (let i = 27; i < 47; i++) model += String.fromCharCode(w(i) >> 8, w(i) & 0xff);
    assert.equal(model.trimEnd(), 'X86VM DVD-ROM');
    assert.equal(h.inb(S + 7), 0x50);
  });

  it('DEVICE RESET restores the signature without an interrupt', () => {
    const { h } = cdHarness();
    h.inb(S + 7);
    h.outb(S + 4, 0x55);
    h.outb(S + 7, 0x08);
    assert.equal(h.irq[1].level, false);
    assert.deepEqual([h.inb(S + 4), h.inb(S + 5), h.inb(S + 1)], [0x14, 0xeb, 0x01]);
  });
});

describe('ATAPI CD-ROM: packet commands', () => {
  it('TEST UNIT READY succeeds with a medium: status phase only', () => {
    const { h } = cdHarness();
    const r = packet(h, [0x00]);
    assert.equal(r.status, 0x50);
    assert.equal(r.data.length, 0);
    assert.equal(r.irqs, 1);
  });

  it('INQUIRY: a data-in phase with the byte count, then the status phase', () => {
    const { h } = cdHarness();
    const r = packet(h, [0x12, 0, 0, 0, 96, 0]);
    assert.deepEqual(r.phases, [36]);
    assert.equal(r.irqs, 2);
    assert.equal(r.data[0], 0x05);
    assert.equal(r.data[1], 0x80);
    assert.equal(Buffer.from(r.data.subarray(8, 16)).toString(), 'X86VM   ');
    assert.equal(Buffer.from(r.data.subarray(16, 32)).toString().trimEnd(), 'DVD-ROM');
    assert.deepEqual(packet(h, [0x12, 0, 0, 0, 5, 0]).phases, [5], 'allocation length truncates');
  });

  it('READ(10) splits into DRQ blocks no larger than the byte-count limit', () => {
    const { h, medium } = cdHarness();
    let r = packet(h, [0x28, 0, 0, 0, 0, 10, 0, 0, 3, 0], 2048);
    assert.deepEqual(r.phases, [2048, 2048, 2048]);
    assert.deepEqual(r.data, medium!.data.subarray(10 * 2048, 13 * 2048));
    assert.equal(r.status, 0x50);
    r = packet(h, [0x28, 0, 0, 0, 0, 10, 0, 0, 2, 0], 1001);
    assert.deepEqual(r.phases, [1000, 1000, 1000, 1000, 96], 'odd limit rounds down to even');
    assert.deepEqual(r.data, medium!.data.subarray(10 * 2048, 12 * 2048));
    r = packet(h, [0x28, 0, 0, 0, 0, 0, 0, 0, 40, 0]);
    assert.deepEqual(r.phases, [0xfffe, 40 * 2048 - 0xfffe]);
    r = packet(h, [0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(r.phases, [], 'zero sectors: no data');
  });

  it('READ(12), READ CAPACITY and LBA out of range', () => {
    const { h, medium } = cdHarness();
    let r = packet(h, [0xa8, 0, 0, 0, 0, 99, 0, 0, 0, 1, 0, 0]);
    assert.deepEqual(r.data, medium!.data.subarray(99 * 2048));
    r = packet(h, [0x25]);
    assert.deepEqual([...r.data], [0, 0, 0, SECTORS - 1, 0, 0, 8, 0]);
    r = packet(h, [0x28, 0, 0, 0, 0, 99, 0, 0, 2, 0]);
    assert.equal(r.status, 0x41);
    assert.equal(r.error, 0x50, 'sense key ILLEGAL REQUEST in the error register');
    assert.deepEqual(requestSense(h), [5, 0x21, 0]);
    assert.deepEqual(requestSense(h), [0, 0, 0], 'sense cleared after being reported');
  });

  it('NOT READY / MEDIUM NOT PRESENT without a medium; INQUIRY still works', () => {
    const { h } = cdHarness(null);
    for (const cdb of [[0x00], [0x25], [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0], [0x43, 0, 0, 0, 0, 0, 0, 0, 12, 0]]) {
      const r = packet(h, cdb);
      assert.equal(r.status, 0x41);
      assert.equal(r.error, 0x20);
      assert.deepEqual(requestSense(h), [2, 0x3a, 0]);
    }
    assert.equal(packet(h, [0x12, 0, 0, 0, 36, 0]).status, 0x50);
  });

  it('unknown operation codes: ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE', () => {
    const { h } = cdHarness();
    const r = packet(h, [0xff]);
    assert.equal(r.error, 0x50);
    assert.deepEqual(requestSense(h), [5, 0x20, 0]);
  });

  it('a medium change raises UNIT ATTENTION once, and a media event', () => {
    const { h, cd } = cdHarness(null);
    cd.changeMedium(new MemoryDiskBackend(2048 * 10, 2048, true));
    assert.equal(packet(h, [0x12, 0, 0, 0, 36, 0]).status, 0x50, 'INQUIRY bypasses unit attention');
    let r = packet(h, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0]);
    assert.deepEqual([...r.data], [0, 6, 4, 0x10, 2, 2, 0, 0], 'new media, present');
    r = packet(h, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0]);
    assert.equal(r.data[4], 0, 'event reported once');
    r = packet(h, [0x00]);
    assert.equal(r.error, 0x60);
    assert.equal(packet(h, [0x00]).status, 0x50);
  });

  it('MODE SENSE(10) page 2Ah and MODE SENSE(6) all pages; saved values are not supported', () => {
    const { h } = cdHarness();
    let r = packet(h, [0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64, 0]);
    assert.equal((r.data[0]! << 8) | r.data[1]!, r.data.length - 2);
    assert.equal(r.data[8], 0x2a);
    assert.equal(r.data[9], 20);
    assert.equal(r.data.length, 8 + 22);
    assert.equal(r.data[8 + 6]! & 0x09, 0x09, 'lock and eject supported');
    packet(h, [0x1e, 0, 0, 0, 1, 0]);
    r = packet(h, [0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64, 0]);
    assert.equal(r.data[8 + 6]! & 0x02, 0x02, 'lock state');
    r = packet(h, [0x1a, 0, 0x3f, 0, 255, 0]);
    assert.equal(r.data[0], r.data.length - 1);
    assert.equal(r.data[4], 0x01);
    assert.equal(r.data[12], 0x0e, 'CD audio control page after error recovery');
    assert.equal(r.data[28], 0x2a, 'then the capabilities page');
    r = packet(h, [0x5a, 0, 0x0e, 0, 0, 0, 0, 0, 64, 0]);
    assert.deepEqual([...r.data.subarray(8, 12)], [0x0e, 0x0e, 0x04, 0]);
    assert.deepEqual([...r.data.subarray(16, 20)], [0x01, 0xff, 0x02, 0xff], 'ports 0/1: channels 0/1 at full volume');
    r = packet(h, [0x5a, 0, 0xea, 0, 0, 0, 0, 0, 64, 0]);
    assert.equal(r.error, 0x50);
    assert.deepEqual(requestSense(h), [5, 0x39, 0]);
    r = packet(h, [0x5a, 0, 0x05, 0, 0, 0, 0, 0, 64, 0]);
    assert.deepEqual(requestSense(h), [5, 0x24, 0]);
  });

  it('READ TOC formats 0 (LBA and MSF), 1 and 2', () => {
    const { h } = cdHarness();
    let r = packet(h, [0x43, 0, 0, 0, 0, 0, 0, 0, 100, 0]);
    assert.deepEqual([...r.data], [0, 18, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0, 0, 0x16, 0xaa, 0, 0, 0, 0, SECTORS]);
    r = packet(h, [0x43, 2, 0, 0, 0, 0, 0, 0, 100, 0]);
    assert.deepEqual([...r.data.subarray(8, 12)], [0, 0, 2, 0], 'track 1 at 00:02:00');
    assert.deepEqual([...r.data.subarray(16, 20)], [0, 0, 3, 25], 'lead-out at LBA 100 + 150 frames');
    r = packet(h, [0x43, 0, 0, 0, 0, 0, 0xaa, 0, 100, 0]);
    assert.equal(r.data.length, 12, 'lead-out only');
    r = packet(h, [0x43, 0, 1, 0, 0, 0, 0, 0, 100, 0]);
    assert.deepEqual([...r.data], [0, 10, 1, 1, 0, 0x14, 1, 0, 0, 0, 0, 0]);
    r = packet(h, [0x43, 0, 2, 0, 0, 0, 0, 0, 100, 0]);
    assert.equal(r.data.length, 4 + 4 * 11);
    assert.equal(r.data[4 + 3], 0xa0);
    assert.deepEqual([...r.data.subarray(4 + 22 + 8, 4 + 22 + 11)], [0, 3, 25], 'A2: lead-out MSF');
    r = packet(h, [0x43, 0, 0, 0, 0, 0, 5, 0, 100, 0]);
    assert.equal(r.error, 0x50, 'no track 5');
    r = packet(h, [0x43, 0, 0, 0, 0, 0, 0, 0, 4, 0]);
    assert.deepEqual([...r.data], [0, 18, 1, 1], 'allocation length');
  });

  it('GET CONFIGURATION: current profile CD-ROM, feature list filtered by RT', () => {
    const { h } = cdHarness();
    let r = packet(h, [0x46, 0, 0, 0, 0, 0, 0, 0x01, 0, 0]);
    const v = new DataView(r.data.buffer, r.data.byteOffset);
    assert.equal(v.getUint32(0), r.data.length - 4);
    assert.equal(v.getUint16(6), 0x0008);
    assert.equal(v.getUint16(8), 0x0000, 'profile list first');
    r = packet(h, [0x46, 2, 0, 1, 0, 0, 0, 0, 0xff, 0]);
    assert.equal(r.data.length, 8 + 12);
    assert.equal(r.data[9], 0x01, 'core feature only');
    r = packet(h, [0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0]);
    assert.equal(r.data.length, 8);
    const empty = cdHarness(null);
    r = packet(empty.h, [0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0]);
    assert.equal((r.data[6]! << 8) | r.data[7]!, 0, 'no medium: no current profile');
  });

  it('START STOP UNIT ejects unless PREVENT ALLOW MEDIUM REMOVAL locked the tray', () => {
    const { h } = cdHarness();
    packet(h, [0x1e, 0, 0, 0, 1, 0]);
    let r = packet(h, [0x1b, 0, 0, 0, 2, 0]);
    assert.equal(r.error, 0x50);
    assert.deepEqual(requestSense(h), [5, 0x53, 2]);
    packet(h, [0x1e, 0, 0, 0, 0, 0]);
    assert.equal(packet(h, [0x1b, 0, 0, 0, 2, 0]).status, 0x50);
    assert.equal(packet(h, [0x00]).error, 0x20, 'tray open: not ready');
    r = packet(h, [0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]);
    assert.equal(r.data[1]! & 0x10, 0x10, 'MECHANISM STATUS: door open');
    packet(h, [0x1b, 0, 0, 0, 3, 0]);
    assert.equal(packet(h, [0x00]).status, 0x50);
  });

  it('READ DISC INFORMATION and GET EVENT STATUS NOTIFICATION', () => {
    const { h } = cdHarness();
    let r = packet(h, [0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0]);
    assert.equal(r.data.length, 34);
    assert.deepEqual([...r.data.subarray(0, 8)], [0, 32, 0x0e, 1, 1, 1, 1, 0x20]);
    r = packet(h, [0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0]);
    assert.deepEqual([...r.data], [0, 6, 4, 0x10, 0, 2, 0, 0]);
    r = packet(h, [0x4a, 0, 0, 0, 0x10, 0, 0, 0, 8, 0]);
    assert.equal(r.error, 0x50, 'asynchronous mode is not supported');
  });

  it('PACKET with the DMA bit moves data through the bus master', () => {
    const { h, medium } = cdHarness();
    const BM = BM_BASE + 8;
    writePrd(h, 0x3000, [[0x60000, 4096]]);
    h.outl(BM + 4, 0x3000);
    h.outb(BM, 0x09);
    h.outb(S + 6, 0xa0);
    h.outb(S + 1, 1);
    h.outb(S + 7, 0xa0);
    writeData(h, S, Uint8Array.of(0x28, 0, 0, 0, 0, 5, 0, 0, 2, 0, 0, 0));
    assert.equal(h.irq[1].level, true);
    assert.equal(h.inb(BM + 2) & 0x05, 0x04);
    assert.equal(h.inb(S + 7), 0x50);
    assert.equal(h.inb(S + 2) & 3, 3);
    assert.deepEqual(h.ram.subarray(0x60000, 0x61000), medium!.data.subarray(5 * 2048, 7 * 2048));
  });

  it('REQUEST SENSE reports a pending UNIT ATTENTION and clears it', () => {
    const { h, cd } = cdHarness();
    cd.changeMedium(new MemoryDiskBackend(2048 * 4, 2048, true));
    assert.deepEqual(requestSense(h), [6, 0x28, 0]);
    assert.equal(packet(h, [0x00]).status, 0x50);
  });
});

describe('ATAPI CD-ROM as device 1 next to a disk', () => {
  it('answers only when selected; the disk keeps the ATA signature', () => {
    const disk = new AtaDisk(new MemoryDiskBackend(1 << 20));
    const cd = new AtapiCdrom(new MemoryDiskBackend(pattern(8 * 2048, 9), 2048, true));
    const h = makeHarness([[disk, cd], [null, null]]);
    const P = 0x1f0;
    h.outb(0x3f6, 0x04);
    h.outb(0x3f6, 0x00);
    assert.deepEqual([h.inb(P + 4), h.inb(P + 5), h.inb(P + 7)], [0, 0, 0x50]);
    h.outb(P + 6, 0xb0);
    assert.deepEqual([h.inb(P + 4), h.inb(P + 5), h.inb(P + 7)], [0x14, 0xeb, 0x00]);
    h.outb(P + 7, 0xa1);
    assert.equal(h.irq[0].level, true);
    assert.equal(h.inb(P + 7), 0x58);
    const id = readData(h, P, 512);
    assert.equal(id[1], 0x85);
    // 32-bit data port reads during a packet data phase.
    h.outb(P + 4, 0x00);
    h.outb(P + 5, 0x08);
    h.outb(P + 7, 0xa0);
    for (const w of [0x0028, 0, 0x0300, 0, 0x0001, 0]) h.outw(P, w); // READ(10) LBA 3, 1 sector
    assert.equal(h.inb(P + 7), 0x58);
    assert.equal(h.inb(P + 4) | (h.inb(P + 5) << 8), 2048);
    const got = new Uint8Array(2048);
    const v = new DataView(got.buffer);
    for (let i = 0; i < 2048; i += 4) v.setUint32(i, h.inl(P), true);
    assert.deepEqual(got, pattern(8 * 2048, 9).subarray(3 * 2048, 4 * 2048));
    assert.equal(h.inb(P + 7), 0x50);
    assert.equal(h.inb(P + 2), 3);
    h.outb(P + 6, 0xa0);
    assert.equal(h.inb(P + 7), 0x50, 'the disk was idle all along');
  });
});

/** A DVD-sized read-only medium whose sectors read as zero (no 700 MB buffer in the test). */
function dvdMedium(sectors: number): DiskBackend {
  return {
    sectorSize: 2048, length: sectors * 2048, readOnly: true,
    read: (_offset, buffer) => buffer.fill(0),
    write: () => { throw new Error('read-only'); },
    flush: () => {}, close: () => {},
  };
}

const bcd = (n: number) => ((n / 10) << 4) | (n % 10);

describe('ATAPI CD-ROM: the rest of the MMC read commands (Linux sr, cdrom_id, GRUB)', () => {
  it('READ CD with user data only returns what READ(10) returns', () => {
    const { h, medium } = cdHarness();
    const r = packet(h, [0xbe, 0, 0, 0, 0, 4, 0, 0, 3, 0x10, 0, 0]);
    assert.equal(r.status, 0x50);
    assert.deepEqual(r.data, medium!.data.subarray(4 * 2048, 7 * 2048));
  });

  it('READ CD of whole raw sectors: sync, BCD header, user data, a valid EDC and valid P/Q parity', () => {
    const { h, medium } = cdHarness();
    const r = packet(h, [0xbe, 0x08 /* Mode 1 */, 0, 0, 0, 98, 0, 0, 2, 0xf8, 0, 0], 0x8000);
    assert.equal(r.data.length, 2 * 2352);
    for (let n = 0; n < 2; n++) {
      const raw = r.data.subarray(n * 2352, (n + 1) * 2352);
      assert.deepEqual([...raw.subarray(0, 12)], [0, ...new Array(10).fill(0xff), 0]);
      // LBA 98 + 150 = 248 frames = 00:03:23, mode 1.
      assert.deepEqual([...raw.subarray(12, 16)], [0, 3, bcd(23 + n), 1]);
      assert.deepEqual(raw.subarray(16, 2064), medium!.data.subarray((98 + n) * 2048, (99 + n) * 2048));
      const stored = (raw[2064]! | (raw[2065]! << 8) | (raw[2066]! << 16) | (raw[2067]! << 24)) >>> 0;
      assert.equal(stored, edc(raw.subarray(0, 2064)));
      assert.equal(edc(raw.subarray(0, 2068)), 0, 'data followed by its EDC divides by the polynomial');
      assert.deepEqual([...raw.subarray(2068, 2076)], new Array(8).fill(0));
      const { p, q } = eccCodewords(raw);
      assert.equal(p.length, 86);
      assert.equal(q.length, 52);
      for (const v of [...p, ...q]) assert.deepEqual(syndromes(v), [0, 0]);
    }
  });

  it('READ CD header + user data, C2 pointers and the formatted Q sub-channel', () => {
    const { h, medium } = cdHarness();
    const r = packet(h, [0xbe, 0, 0, 0, 0, 10, 0, 0, 1, 0x30 | 0x02, 0x02, 0]);
    assert.equal(r.data.length, 4 + 2048 + 294 + 16);
    assert.deepEqual([...r.data.subarray(0, 4)], [0, 2, bcd(10), 1]);
    assert.deepEqual(r.data.subarray(4, 2052), medium!.data.subarray(10 * 2048, 11 * 2048));
    assert.ok(r.data.subarray(2052, 2052 + 294).every((b) => b === 0), 'no C2 errors');
    // Q: control 4 (data) / ADR 1, track 1, index 1, relative 00:00:10, 0, absolute 00:02:10.
    assert.deepEqual([...r.data.subarray(2346, 2356)], [0x41, 1, 1, 0, 0, 0x10, 0, 0, 2, 0x10]);
  });

  it('READ CD refuses audio and Mode 2 sector types on the data track, gaps in the field selection and reads past the end', () => {
    const { h } = cdHarness();
    for (const type of [1, 3, 4, 5]) {
      assert.equal(packet(h, [0xbe, type << 2, 0, 0, 0, 0, 0, 0, 1, 0x10, 0, 0]).error, 0x50);
      assert.deepEqual(requestSense(h), [5, 0x64, 0], `sector type ${type}`);
    }
    assert.equal(packet(h, [0xbe, 0, 0, 0, 0, 0, 0, 0, 1, 0x90, 0, 0]).error, 0x50, 'sync + user data without the header');
    assert.deepEqual(requestSense(h), [5, 0x24, 0]);
    assert.equal(packet(h, [0xbe, 0, 0, 0, 0, 99, 0, 0, 2, 0x10, 0, 0]).error, 0x50);
    assert.deepEqual(requestSense(h), [5, 0x21, 0]);
    const none = packet(h, [0xbe, 0, 0, 0, 0, 0, 0, 0, 5, 0x00, 0, 0]);
    assert.equal(none.status, 0x50);
    assert.equal(none.data.length, 0, 'nothing selected: no data');
  });

  it('READ CD MSF reads from the starting address up to the ending one', () => {
    const { h, medium } = cdHarness();
    // 00:02:05 .. 00:02:07 = LBA 5 and 6.
    let r = packet(h, [0xb9, 0, 0, 0, 2, 5, 0, 2, 7, 0x10, 0, 0]);
    assert.deepEqual(r.data, medium!.data.subarray(5 * 2048, 7 * 2048));
    r = packet(h, [0xb9, 0, 0, 0, 2, 7, 0, 2, 5, 0x10, 0, 0]);
    assert.equal(r.error, 0x50);
    assert.deepEqual(requestSense(h), [5, 0x24, 0]);
  });

  it('READ SUB-CHANNEL: current position of the last read block, MCN and ISRC not valid', () => {
    const { h } = cdHarness();
    packet(h, [0x28, 0, 0, 0, 0, 6, 0, 0, 2, 0]); // READ(10) LBA 6-7
    let r = packet(h, [0x42, 0, 0x40, 1, 0, 0, 0, 0, 16, 0]);
    assert.deepEqual([...r.data], [0, 0x15, 0, 12, 1, 0x14, 1, 1, 0, 0, 0, 7, 0, 0, 0, 7]);
    r = packet(h, [0x42, 2, 0x40, 1, 0, 0, 0, 0, 16, 0]);
    assert.deepEqual([...r.data.subarray(8)], [0, 0, 2, 7, 0, 0, 0, 7], 'MSF: absolute 00:02:07, relative 00:00:07');
    r = packet(h, [0x42, 0, 0x00, 1, 0, 0, 0, 0, 16, 0]);
    assert.deepEqual([...r.data], [0, 0x15, 0, 0], 'SubQ clear: header only');
    r = packet(h, [0x42, 0, 0x40, 2, 0, 0, 0, 0, 24, 0]);
    assert.equal(r.data.length, 24);
    assert.equal(r.data[4], 2);
    assert.equal(r.data[8]! & 0x80, 0, 'MCVAL clear');
    r = packet(h, [0x42, 0, 0x40, 3, 0, 0, 1, 0, 24, 0]);
    assert.deepEqual([r.data[4], r.data[6], r.data[8]! & 0x80], [3, 1, 0]);
    assert.equal(packet(h, [0x42, 0, 0x40, 3, 0, 0, 2, 0, 24, 0]).error, 0x50, 'no track 2');
    assert.deepEqual(requestSense(h), [5, 0x24, 0]);
    const empty = cdHarness(null);
    assert.equal(packet(empty.h, [0x42, 0, 0x40, 1, 0, 0, 0, 0, 16, 0]).error, 0x20, 'no medium: NOT READY');
  });

  it('READ DVD STRUCTURE: physical format and copyright of a DVD; a CD has none', () => {
    const { h } = cdHarness();
    assert.equal(packet(h, [0xad, 0, 0, 0, 0, 0, 0, 0x00, 0x08, 0x04, 0, 0]).error, 0x50);
    assert.deepEqual(requestSense(h), [5, 0x30, 2]);
    const sectors = 400000;
    const cd = new AtapiCdrom(dvdMedium(sectors));
    const dvd = makeHarness([[null, null], [cd, null]]);
    let r = packet(dvd, [0xad, 0, 0, 0, 0, 0, 0, 0x00, 0x08, 0x04, 0, 0]);
    assert.equal(r.data.length, 2052);
    assert.equal((r.data[0]! << 8) | r.data[1]!, 2050);
    assert.deepEqual([...r.data.subarray(4, 8)], [0x01, 0x02, 0x01, 0x00]);
    const v = new DataView(r.data.buffer, r.data.byteOffset);
    assert.equal(v.getUint32(8), 0x30000);
    assert.equal(v.getUint32(12), 0x30000 + sectors - 1);
    r = packet(dvd, [0xad, 0, 0, 0, 0, 0, 0, 0x01, 0, 8, 0, 0]);
    assert.deepEqual([...r.data], [0, 6, 0, 0, 0, 0, 0, 0]);
    r = packet(dvd, [0xad, 0, 0, 0, 0, 0, 0, 0xff, 0, 64, 0, 0]);
    assert.deepEqual([...r.data.subarray(4, 8)], [0x00, 0x40, 0x08, 0x00], 'list: physical format, 2048 bytes');
    assert.equal(packet(dvd, [0xad, 0, 0, 0, 0, 0, 1, 0x00, 0x08, 0x04, 0, 0]).error, 0x50, 'no layer 1');
    assert.equal(packet(dvd, [0xad, 1, 0, 0, 0, 0, 0, 0x00, 0x08, 0x04, 0, 0]).error, 0x50, 'no BD structures');
    // GET CONFIGURATION's current profile follows the medium: DVD-ROM.
    r = packet(dvd, [0x46, 0, 0, 0, 0, 0, 0, 0, 8, 0]);
    assert.equal((r.data[6]! << 8) | r.data[7]!, 0x0010);
  });

  it('READ TRACK INFORMATION: track 1 by number, by LBA and by session', () => {
    const { h } = cdHarness();
    for (const cdb of [[0x52, 1, 0, 0, 0, 1], [0x52, 0, 0, 0, 0, 50], [0x52, 2, 0, 0, 0, 1]]) {
      const r = packet(h, [...cdb, 0, 0, 36, 0]);
      assert.equal(r.data.length, 36);
      const v = new DataView(r.data.buffer, r.data.byteOffset);
      assert.deepEqual([v.getUint16(0), r.data[2], r.data[3], r.data[5]! & 0xf, r.data[6]! & 0xf], [34, 1, 1, 4, 1]);
      assert.equal(v.getUint32(8), 0, 'track start');
      assert.equal(v.getUint32(24), SECTORS, 'track size');
      assert.equal(r.data[6]! & 0x40, 0, 'not blank');
    }
    assert.equal(packet(h, [0x52, 1, 0, 0, 0, 2, 0, 0, 36, 0]).error, 0x50);
    assert.deepEqual(requestSense(h), [5, 0x24, 0]);
    assert.equal(packet(h, [0x52, 0, 0, 0, 0, SECTORS, 0, 0, 36, 0]).error, 0x50);
    assert.deepEqual(requestSense(h), [5, 0x21, 0]);
  });

  it('VERIFY(10), SET CD SPEED, MECHANISM STATUS position, START STOP UNIT power conditions', () => {
    const { h } = cdHarness();
    assert.equal(packet(h, [0x2f, 0, 0, 0, 0, 90, 0, 0, 10, 0]).status, 0x50);
    assert.equal(packet(h, [0x2f, 0, 0, 0, 0, 91, 0, 0, 10, 0]).error, 0x50);
    assert.deepEqual(requestSense(h), [5, 0x21, 0]);
    assert.equal(packet(h, [0xbb, 0, 0xff, 0xff, 0xff, 0xff]).status, 0x50);
    packet(h, [0x28, 0, 0, 0, 0, 40, 0, 0, 3, 0]);
    const r = packet(h, [0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]);
    assert.deepEqual([...r.data.subarray(2, 5)], [0, 0, 42], 'current LBA: the last block read');
    // Power condition 3 (standby) with LoEj: only a power change, the tray stays closed.
    assert.equal(packet(h, [0x1b, 0, 0, 0, 0x32, 0]).status, 0x50);
    assert.equal(packet(h, [0x00]).status, 0x50, 'medium still loaded');
  });
});
