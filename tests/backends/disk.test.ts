import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawFileBackend, DiskOpenError } from '../../src/backends/disk/raw-file.js';
import { CowOverlayBackend } from '../../src/backends/disk/cow-overlay.js';
import { MemoryDiskBackend } from '../../src/backends/disk/disk-backend.js';
import { openDiskImage } from '../../src/backends/disk/index.js';

const dir = mkdtempSync(join(tmpdir(), 'x86vm-disk-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function image(name: string, length: number): { path: string; bytes: Uint8Array } {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + (i >> 9)) & 0xff;
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

describe('raw image file backend', () => {
  it('reads and writes at byte offsets, flushes, and reads zeros past the end', () => {
    const { path, bytes } = image('rw.img', 64 * 1024);
    const disk = RawFileBackend.open(path);
    assert.equal(disk.length, 64 * 1024);
    assert.equal(disk.sectorSize, 512);
    assert.equal(disk.readOnly, false);
    const buf = new Uint8Array(1024);
    disk.read(512, buf);
    assert.deepEqual(buf, bytes.subarray(512, 1536));
    disk.write(4096, new Uint8Array(512).fill(0xab));
    disk.flush();
    const tail = new Uint8Array(1024);
    disk.read(64 * 1024 - 512, tail);
    assert.deepEqual(tail.subarray(0, 512), bytes.subarray(64 * 1024 - 512));
    assert.deepEqual(tail.subarray(512), new Uint8Array(512));
    assert.throws(() => disk.write(64 * 1024, new Uint8Array(512)), RangeError);
    disk.close();
    const onDisk = readFileSync(path);
    assert.equal(onDisk[4096], 0xab);
    assert.equal(onDisk[4095], bytes[4095]);
    assert.throws(() => disk.read(0, buf), /closed/);
  });

  it('read-only images (ISO files) refuse writes; CD images use 2048-byte sectors', () => {
    const { path } = image('cd.iso', 4 * 2048);
    const cd = openDiskImage(path, { cdrom: true });
    assert.equal(cd.readOnly, true);
    assert.equal(cd.sectorSize, 2048);
    assert.throws(() => cd.write(0, new Uint8Array(2048)), /read-only/);
    cd.flush();
    cd.close();
  });

  it('a missing file or a directory is a clear DiskOpenError', () => {
    assert.throws(() => RawFileBackend.open(join(dir, 'nope.img')), (e: unknown) =>
      e instanceof DiskOpenError && /nope\.img: no such file/.test(e.message));
    const sub = join(dir, 'adir');
    mkdirSync(sub);
    assert.throws(() => RawFileBackend.open(sub), (e: unknown) => e instanceof DiskOpenError && /is a directory/.test(e.message));
  });
});

describe('copy-on-write snapshot overlay', () => {
  it('keeps every write in memory: the base file never changes, reads see the overlay', () => {
    const { path, bytes } = image('base.img', 32 * 1024);
    const overlay = new CowOverlayBackend(RawFileBackend.open(path, { readOnly: true }));
    assert.equal(overlay.readOnly, false);
    assert.equal(overlay.length, 32 * 1024);
    overlay.write(1000, new Uint8Array(100).fill(0x11)); // partial cluster: merged with the base
    overlay.write(8192, new Uint8Array(8192).fill(0x22)); // two whole clusters
    overlay.flush();
    const all = new Uint8Array(32 * 1024);
    overlay.read(0, all);
    const expected = bytes.slice();
    expected.fill(0x11, 1000, 1100);
    expected.fill(0x22, 8192, 16384);
    assert.deepEqual(all, expected);
    const odd = new Uint8Array(5000);
    overlay.read(3000, odd);
    assert.deepEqual(odd, expected.subarray(3000, 8000), 'reads crossing clean and dirty clusters');
    assert.equal(overlay.dirtyBytes, 3 * 4096);
    assert.deepEqual(new Uint8Array(readFileSync(path)), bytes, 'base file untouched');
    overlay.close();
    assert.deepEqual(new Uint8Array(readFileSync(path)), bytes);
    const again = openDiskImage(path, { snapshot: true });
    const first = new Uint8Array(2048);
    again.read(0, first);
    assert.deepEqual(first, bytes.subarray(0, 2048), 'a new snapshot starts from the base');
    again.close();
  });

  it('works over any backend and refuses writes beyond the end', () => {
    const base = new MemoryDiskBackend(8192);
    const overlay = new CowOverlayBackend(base);
    overlay.write(0, Uint8Array.of(1, 2, 3));
    assert.deepEqual(base.data.subarray(0, 3), new Uint8Array(3));
    assert.throws(() => overlay.write(8190, new Uint8Array(4)), RangeError);
  });
});
