import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PhysicalMemory } from '../../src/mem/physical-memory.js';
import { SIZE_1, SIZE_4 } from '../../src/mem/io-handler.js';

function memory(): PhysicalMemory {
  const wasm = new WebAssembly.Memory({ initial: 32, maximum: 32 }); // 2 MiB
  const mem = new PhysicalMemory(wasm);
  mem.mapRam('ram', 0, 0x100000, 0x100000);
  return mem;
}

describe('PhysicalMemory', () => {
  it('reads and writes RAM little-endian at any alignment', () => {
    const mem = memory();
    mem.write(0x1001, 4, 0xdeadbeef);
    assert.equal(mem.read(0x1001, 4), 0xdeadbeef);
    assert.equal(mem.read(0x1001, 1), 0xef);
    assert.equal(mem.read(0x1003, 2), 0xdead);
  });

  it('reads unmapped memory as all ones and drops writes there', () => {
    const mem = memory();
    mem.write(0x200000, 4, 0x12345678);
    assert.equal(mem.read(0x200000, 4), 0xffffffff);
    assert.equal(mem.read(0x200000, 1), 0xff);
  });

  it('splits an access that crosses from RAM into an MMIO region into per-region byte accesses', () => {
    const mem = memory();
    const log: string[] = [];
    mem.mapMmio('dev', 0x100000, 0x1000, {
      read: (offset, size) => { log.push(`r${offset}/${size}`); return 0xa0 + offset; },
      write: (offset, size, value) => { log.push(`w${offset}/${size}=${value.toString(16)}`); },
    }, SIZE_1 | SIZE_4);
    mem.write(0xffffe, 4, 0x44332211);
    assert.deepEqual(log, ['w0/1=33', 'w1/1=44']);
    assert.equal(mem.read(0xffffe, 2), 0x2211);
    assert.equal(mem.read(0xffffe, 4), (0xa1 << 24 | 0xa0 << 16 | 0x2211) >>> 0);
  });

  it('gives MMIO handlers only the sizes they declared, splitting the others', () => {
    const mem = memory();
    const sizes: number[] = [];
    mem.mapMmio('dev', 0x100000, 0x1000, { read: (_o, size) => { sizes.push(size); return 0; }, write: () => {} }, SIZE_1);
    mem.read(0x100000, 4);
    assert.deepEqual(sizes, [1, 1, 1, 1]);
  });

  it('ignores writes to ROM but lets loaders fill it', () => {
    const wasm = new WebAssembly.Memory({ initial: 32, maximum: 32 });
    const mem = new PhysicalMemory(wasm);
    mem.mapRom('bios', 0xf0000, 0x10000, 0x100000);
    mem.load(0xf0000, new Uint8Array([1, 2, 3]));
    mem.write(0xf0000, 1, 0x99);
    assert.equal(mem.read(0xf0000, 4), 0x030201);
  });

  it('refuses overlapping regions at wiring time', () => {
    const mem = memory();
    assert.throws(() => mem.mapMmio('dev', 0x80000, 0x1000, { read: () => 0, write: () => {} }), /overlaps ram/);
  });

  it('lets a device move and unmap its MMIO region', () => {
    const mem = memory();
    const handle = mem.mapMmio('bar', 0x100000, 0x1000, { read: () => 0x55, write: () => {} });
    handle.move(0x180000);
    assert.equal(mem.read(0x100000, 1), 0xff);
    assert.equal(mem.read(0x180000, 1), 0x55);
    handle.unmap();
    assert.equal(mem.read(0x180000, 1), 0xff);
  });

  it('reports writes to pages marked as holding code', () => {
    const mem = memory();
    const hits: number[] = [];
    mem.onCodeWrite = (page) => { hits.push(page); mem.codePages[page] = 0; };
    mem.codePages[5] = 1;
    mem.write(0x5ffe, 4, 0);
    assert.deepEqual(hits, [5]);
  });
});
