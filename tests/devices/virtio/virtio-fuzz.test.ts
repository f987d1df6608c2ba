/**
 * Fuzz: random PCI configuration, legacy and modern register accesses, and random descriptor
 * tables, rings and request headers in guest memory. Whatever the guest does, the device must not
 * throw, must keep the disk's size, and must work again after a reset and a proper set-up.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Harness, DESC, AVAIL, USED, QUEUE_SIZE, type Buf } from './harness.js';
import { MemoryDiskBackend } from '../../../src/backends/disk/disk-backend.js';
import { VIRTIO_BLK_T_IN, VIRTIO_BLK_S_OK } from '../../../src/devices/virtio/virtio-blk.js';
import { LEGACY_QUEUE_NOTIFY, LEGACY_STATUS, MODERN_NOTIFY } from '../../../src/devices/virtio/virtio-pci.js';
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../../src/devices/virtio/virtqueue.js';

/** xorshift32: a reproducible stream per seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const HOT = 0x20000; // headers, data, indirect tables and status bytes land around here

/** Notifications that completed requests or that broke the device, over all seeds (the fuzz must reach both). */
const seen = { completions: 0, errors: 0 };

function fuzz(seed: number, steps: number): void {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const disk = new MemoryDiskBackend(256 * 1024);
  const h = new Harness(disk, { modern: seed % 3 !== 0 });
  const sizes = [1, 2, 4] as const;
  const addr = () => pick([HOT + int(0x4000), DESC + int(0x3000), int(1 << 20), 0xfffff000 + int(0x1000), int(2 ** 32) * 2 ** 32 + int(2 ** 32)]);
  const length = () => pick([0, 1, 15, 16, 17, 512, 513, 4096, int(0x10000), 0xffffffff, int(2 ** 32)]);
  const flags = () => int(8) & (VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_INDIRECT);
  for (let step = 0; step < steps; step++) {
    switch (int(12)) {
      case 0: h.dev.writeConfig(int(256), pick(sizes), int(2 ** 32)); break;
      case 1: h.dev.readConfig(int(256), pick(sizes)); break;
      case 2: h.outb(int(64), int(256)); break;
      case 3: h.ports.write(0xc000 + int(64), pick(sizes), int(2 ** 32)); h.ports.read(0xc000 + int(64), pick(sizes)); break;
      case 4: if (h.mmio) { h.mmio.handler.write(int(0x4000), pick(sizes), int(2 ** 32)); h.mmio.handler.read(int(0x4000), pick(sizes)); } break;
      case 5: // a properly set-up device, so notifications reach the rings
        h.legacyInit(int(2 ** 32));
        break;
      case 6: // random descriptors, or a well-formed chain with random contents made available
        if (int(2) === 0) {
          for (let i = int(8); i >= 0; i--) h.desc(pick([DESC, HOT + 0x1000 * int(4)]), int(QUEUE_SIZE + 4), addr(), length(), flags(), int(QUEUE_SIZE + 4));
        } else {
          const bufs: Buf[] = [{ addr: HOT + 16 * int(64), len: 16 + pick([0, 0, 512, int(1024)]) }];
          for (let i = int(4); i > 0; i--) bufs.push({ addr: HOT + int(0x6000), len: pick([512, 1024, int(2048)]), write: int(2) === 0 });
          bufs.push({ addr: HOT + 0x7000 + int(0x100), len: 1 + int(3), write: true });
          const first = int(QUEUE_SIZE - 8);
          h.chain(bufs, first, int(3) === 0 ? HOT + 0x7800 : null);
          h.makeAvailable(first);
        }
        break;
      case 7: // random ring state
        h.setU16(AVAIL + 2, pick([int(0x10000), h.u16(AVAIL + 2) + 1 + int(3)]));
        h.setU16(AVAIL + 4 + 2 * int(QUEUE_SIZE), pick([int(QUEUE_SIZE), int(0x10000)]));
        h.setU16(AVAIL, int(2));
        h.setU16(AVAIL + 4 + 2 * QUEUE_SIZE, int(0x10000));
        break;
      case 8: // a random request header
        h.header(HOT + 16 * int(64), pick([0, 1, 4, 8, 5, 2, 0x80000001, int(2 ** 32)]), pick([0, int(600), 2 ** 40, int(2 ** 32) * 2 ** 32]));
        break;
      case 9: for (let i = 0; i < 64; i++) h.ram[HOT + int(0x8000)] = int(256); break;
      case 10: case 11: {
        const used = h.u16(USED + 2), broken = h.dev.lastError !== null;
        if (int(2) === 0 || !h.mmio) h.outw(LEGACY_QUEUE_NOTIFY, pick([0, 0, 0, 1, int(0x10000)]));
        else h.mmio.handler.write(MODERN_NOTIFY + pick([0, 0, 4, int(0x1000)]), 2, 0);
        if (h.u16(USED + 2) !== used) seen.completions++;
        if (!broken && h.dev.lastError !== null) seen.errors++;
        break;
      }
    }
  }
  assert.equal(disk.length, 256 * 1024);
  // Whatever happened: reset, set up properly, and a read must work.
  h.ram.fill(0, DESC, USED + 8192);
  h.legacyInit();
  assert.equal(h.inb(LEGACY_STATUS) & 0x40, 0);
  h.header(HOT, VIRTIO_BLK_T_IN, 3);
  h.chain([{ addr: HOT, len: 16 }, { addr: HOT + 0x1000, len: 512, write: true }, { addr: HOT + 0x2000, len: 1, write: true }]);
  h.makeAvailable(0);
  h.notifyLegacy();
  assert.equal(h.ram[HOT + 0x2000], VIRTIO_BLK_S_OK, `seed ${seed}: ${h.dev.lastError}`);
  assert.deepEqual([...h.ram.subarray(HOT + 0x1000, HOT + 0x1200)], [...disk.data.subarray(3 * 512, 4 * 512)]);
}

describe('virtio-blk fuzz', () => {
  for (const seed of [1, 2, 3, 0xdeadbeef, 12345, 777]) {
    it(`random registers and rings never throw (seed ${seed})`, () => fuzz(seed, 4000));
  }
  it('reached both completed requests and broken chains', () => {
    assert.ok(seen.completions > 0 && seen.errors > 0, JSON.stringify(seen));
  });
});
