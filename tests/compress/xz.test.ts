/**
 * The .xz decoder (src/compress) against the system `xz` program: round trips over varied data,
 * presets, filters (x86 BCJ, delta), check types, multiple blocks, concatenated streams and
 * LZMA2 uncompressed chunks, in one piece and chunk by chunk; corrupt and truncated input must
 * fail with XzError; random input (bare, inside a valid container, or mutated from a valid file)
 * never fails any other way. The Debian kernel payload is decoded when it is in the cache.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { XzError, xzDecompress, xzDecompressChunks, type XzOptions } from '../../src/compress/xz.js';
import { crc32 } from '../../src/compress/crc32.js';
import { crc64 } from '../../src/compress/crc64.js';
import { Sha256 } from '../../src/compress/sha256.js';
import { x86BcjDecode } from '../../src/compress/bcj-x86.js';
import { createHash } from 'node:crypto';

const hasXz = spawnSync('xz', ['--version'], { stdio: 'ignore' }).status === 0;
const skipNoXz = hasXz ? false : 'the xz program is not installed';

function xz(data: Uint8Array, args: string[] = []): Uint8Array {
  return new Uint8Array(execFileSync('xz', ['-c', '-q', ...args], { input: data, maxBuffer: 1 << 30 }));
}

/** Deterministic pseudo-random bytes (xorshift32). */
function noise(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function text(length: number): Uint8Array {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'kernel', 'page', 'table', 'interrupt', 'vector', 'the', 'of', 'and'];
  const r = noise(length, 7);
  let s = '';
  for (let i = 0; s.length < length; i++) s += words[r[i % length]! % words.length] + (r[(i * 7) % length]! % 9 === 0 ? '.\n' : ' ');
  return new TextEncoder().encode(s.slice(0, length));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Both APIs must give `expected`. */
function roundTrip(compressed: Uint8Array, expected: Uint8Array, options: XzOptions = {}): void {
  const whole = xzDecompress(compressed, options);
  assert.equal(whole.length, expected.length);
  assert.ok(Buffer.from(whole).equals(Buffer.from(expected)), 'xzDecompress output differs');
  const pieces = concat([...xzDecompressChunks(compressed, options)]);
  assert.ok(Buffer.from(pieces).equals(Buffer.from(expected)), 'xzDecompressChunks output differs');
}

function throwsXz(input: Uint8Array, pattern?: RegExp, options: XzOptions = {}): void {
  assert.throws(() => xzDecompress(input, options), (e: unknown) => e instanceof XzError && (!pattern || pattern.test(e.message)));
  assert.throws(() => { for (const _ of xzDecompressChunks(input, options)) { /* drain */ } }, (e: unknown) => e instanceof XzError);
}

/** Decoding either fails with XzError or (harmless change) gives `expected`; anything else fails the test. */
function failsCleanly(input: Uint8Array, expected?: Uint8Array): boolean {
  try {
    const out = xzDecompress(input);
    if (expected) assert.ok(Buffer.from(out).equals(Buffer.from(expected)), 'corrupt input decoded to different data without an error');
    return false;
  } catch (e) {
    if (!(e instanceof XzError)) throw e;
    return true;
  }
}

// Inputs.
const EMPTY = new Uint8Array(0);
const ONE = new Uint8Array([0x5a]);
const RANDOM = noise(200_000, 3);
const TEXT = text(300_000);
const REPETITIVE = concat([new Uint8Array(1 << 20), new Uint8Array(300_000).fill(0xab), text(1000), text(1000), new Uint8Array(70_000).map((_, i) => i % 3)]);
const X86 = new Uint8Array(readFileSync(process.execPath).subarray(0x10000, 0x10000 + 600_000));
const MULTI_MB = concat([TEXT, RANDOM, REPETITIVE, X86, TEXT]); // ~3.4 MB

describe('checksums', () => {
  it('CRC32, CRC64 and SHA-256 match reference values', () => {
    const nine = new TextEncoder().encode('123456789');
    assert.equal(crc32(nine), 0xcbf43926);
    assert.equal(crc64(nine), 0x995dc9bbdf1939fan);
    assert.equal(crc32(EMPTY), 0);
    // Incremental CRC32 and SHA-256 over odd splits.
    for (const n of [0, 1, 7, 55, 56, 63, 64, 65, 1000, 4097]) {
      const data = noise(n, n + 1);
      const cut = n >> 1;
      assert.equal(crc32(data, cut, n, crc32(data, 0, cut)), crc32(data));
      const sha = new Sha256();
      sha.update(data, 0, cut);
      sha.update(data, cut, n);
      assert.equal(Buffer.from(sha.digest()).toString('hex'), createHash('sha256').update(data).digest('hex'));
    }
  });
});

describe('x86 BCJ filter', () => {
  it('converts an absolute CALL target back to relative and leaves the last four bytes alone', () => {
    // CALL at offset 16 whose encoded (absolute) target is 0x00000100: relative = 0x100 - (16 + 5).
    const buf = new Uint8Array(32);
    buf.set([0xe8, 0x00, 0x01, 0x00, 0x00], 16);
    buf.set([0xe8, 0x10, 0x00, 0x00], 28); // too close to the end: untouched
    x86BcjDecode(buf, 0, buf.length);
    assert.deepEqual([...buf.subarray(16, 21)], [0xe8, 0xeb, 0x00, 0x00, 0x00]);
    assert.deepEqual([...buf.subarray(28)], [0xe8, 0x10, 0x00, 0x00]);
  });
});

describe('xz round trips against the xz program', { skip: skipNoXz }, () => {
  const inputs: [string, Uint8Array][] = [['empty', EMPTY], ['one byte', ONE], ['random', RANDOM], ['text', TEXT], ['repetitive', REPETITIVE], ['x86 code', X86]];

  for (const [name, data] of inputs) {
    it(`${name} (${data.length} bytes): -0, -6, --x86, --delta, every check type`, () => {
      for (const args of [['-0'], ['-6'], ['--x86', '--lzma2=preset=1'], ['--delta=dist=4', '--lzma2=preset=0'],
        ['--check=none', '-0'], ['--check=crc32', '-0'], ['--check=crc64', '-0'], ['--check=sha256', '-0']]) {
        roundTrip(xz(data, args), data);
      }
    });
  }

  it('-9e, and unusual lc/lp/pb', () => {
    const data = concat([TEXT.subarray(0, 150_000), X86.subarray(0, 150_000)]);
    for (const args of [['-9e'], ['--lzma2=lc=4,lp=0,pb=0'], ['--lzma2=lc=0,lp=4,pb=4'], ['--lzma2=lc=1,lp=2,pb=3,mode=fast']]) {
      roundTrip(xz(data, args), data);
    }
  });

  it('a multi-MB input, default preset, x86 + delta chains (BCJ start offset too), small dictionaries', () => {
    roundTrip(xz(MULTI_MB, ['-3']), MULTI_MB);
    // Far more output than dictionary: xzDecompressChunks drops old data and moves the window.
    roundTrip(xz(MULTI_MB, ['--lzma2=preset=0,dict=64KiB']), MULTI_MB);
    roundTrip(xz(MULTI_MB, ['--x86', '--lzma2=preset=0,dict=4KiB', '--block-size=1000000']), MULTI_MB);
    roundTrip(xz(MULTI_MB, ['--delta=dist=2', '--x86=start=4096', '--lzma2=preset=0']), MULTI_MB);
  });

  it('multiple blocks (--block-size), with sizes in the block headers (-T2)', () => {
    roundTrip(xz(MULTI_MB, ['-1', '--block-size=300000']), MULTI_MB);
    roundTrip(xz(MULTI_MB, ['-1', '-T2', '--block-size=500000']), MULTI_MB);
    roundTrip(xz(TEXT, ['--x86', '--lzma2=preset=1', '--block-size=65536']), TEXT);
  });

  it('LZMA2 uncompressed chunks (incompressible data)', () => {
    const compressed = xz(RANDOM, ['-6']);
    // Stream header (12) + block header: the first LZMA2 control byte is an uncompressed chunk with a dictionary reset.
    const blockHeaderSize = (compressed[12]! + 1) * 4;
    assert.equal(compressed[12 + blockHeaderSize], 0x01);
    roundTrip(compressed, RANDOM);
    // Mixed compressible and incompressible: LZMA chunks after uncompressed ones (state kept, no props).
    const mixed = concat([RANDOM.subarray(0, 100_000), TEXT.subarray(0, 100_000), RANDOM.subarray(100_000), TEXT.subarray(100_000, 200_000)]);
    roundTrip(xz(mixed, ['-6']), mixed);
  });

  it('concatenated streams with stream padding', () => {
    const a = xz(TEXT, ['-1']), b = xz(ONE, ['--check=none']), c = xz(EMPTY), d = xz(RANDOM, ['--check=sha256', '-0']);
    const expected = concat([TEXT, ONE, RANDOM]);
    roundTrip(concat([a, b, new Uint8Array(8), c, d, new Uint8Array(4)]), expected);
    throwsXz(concat([a, new Uint8Array(3), b]), /trailing|padding/);
    throwsXz(concat([a, new Uint8Array(2)]), /padding/);
  });

  it('trailing data: an error unless allowTrailingData', () => {
    const compressed = xz(TEXT, ['-1']);
    const withTail = concat([compressed, new Uint8Array([0x12, 0x34, 0x56, 0x78, 1, 2, 3])]);
    throwsXz(withTail, /trailing data/);
    roundTrip(withTail, TEXT, { allowTrailingData: true });
    roundTrip(concat([compressed, new Uint8Array(5)]), TEXT, { allowTrailingData: true });
  });

  it('maxOutput bounds the output', () => {
    const bomb = xz(new Uint8Array(8 << 20), ['-9']);
    throwsXz(bomb, /maxOutput/, { maxOutput: 1 << 20 });
    assert.equal(xzDecompress(bomb, { maxOutput: 8 << 20 }).length, 8 << 20);
  });

  it('unsupported filters and formats are reported', () => {
    throwsXz(xz(TEXT.subarray(0, 1000), ['--arm', '--lzma2']), /unsupported filter/);
    throwsXz(xz(TEXT.subarray(0, 1000), ['--format=lzma']), /not an .xz file/);
    throwsXz(EMPTY, /not an .xz file/);
  });

  it('flipped bytes anywhere fail with XzError (or, if harmless, decode identically)', () => {
    const cases: [Uint8Array, string[]][] = [[TEXT.subarray(0, 20_000), ['-6']], [X86.subarray(0, 20_000), ['--x86', '--lzma2', '--check=crc32']], [TEXT.subarray(0, 5000), ['--check=none']]];
    for (const [data, args] of cases) {
      const compressed = xz(data, args);
      let failed = 0, tried = 0;
      const step = Math.max(1, Math.floor(compressed.length / 400));
      for (let at = 0; at < compressed.length; at += step) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const bad = compressed.slice();
          bad[at]! ^= mask;
          tried++;
          if (failsCleanly(bad, args.includes('--check=none') ? undefined : data)) failed++;
        }
      }
      // Without a check, a flipped literal bit may decode "successfully" to different data.
      if (!args.includes('--check=none')) assert.ok(failed > tried * 0.9, `only ${failed} of ${tried} corruptions detected`);
    }
  });

  it('every truncation fails with XzError', () => {
    const compressed = xz(TEXT.subarray(0, 3000), ['-6', '--block-size=1000']);
    for (let n = 0; n < compressed.length; n++) throwsXz(compressed.subarray(0, n));
    const big = xz(X86.subarray(0, 200_000), ['--x86', '--lzma2']);
    for (let n = 0; n < big.length; n += 997) throwsXz(big.subarray(0, n));
  });

  it('property: mutated valid files fail only with XzError', { timeout: 30_000 }, () => {
    const base = xz(TEXT.subarray(0, 4000), ['-6']);
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
      const bad = base.slice();
      for (const [at, x] of edits) bad[at]! ^= x;
      failsCleanly(bad);
    }), { numRuns: 300 });
  });

  const vmlinuz = '/root/.cache/x86vm/files/linux-image-6.1.0-56-amd64_6.1.192-2_amd64/vmlinuz-6.1.0-56-amd64';
  it('the Debian kernel payload (x86 BCJ, 32 MiB dictionary, trailing data) equals xz -dc', { skip: existsSync(vmlinuz) ? false : 'kernel image not in the cache' }, () => {
    const image = readFileSync(vmlinuz);
    const start = image.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
    assert.ok(start > 0);
    const payload = new Uint8Array(image.buffer, image.byteOffset + start, image.length - start);
    const reference = spawnSync('xz', ['-dc'], { input: payload, maxBuffer: 1 << 30 }).stdout; // warns about the trailing bytes
    const out = xzDecompress(payload, { allowTrailingData: true });
    assert.equal(out.length, reference.length);
    assert.ok(Buffer.from(out.buffer, out.byteOffset, out.length).equals(reference));
    throwsXz(payload, /trailing data/);
  });
});

describe('xz decoder robustness (no xz program needed)', () => {
  /** A valid container (CRC32 check) around one LZMA2 chunk header and arbitrary chunk bytes. */
  function container(chunk: Uint8Array): Uint8Array {
    const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); return b; };
    const flags = new Uint8Array([0x00, 0x01]);
    const streamHeader = concat([new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), flags, u32(crc32(flags))]);
    const blockBody = new Uint8Array([0x02, 0x00, 0x21, 0x01, 0x10, 0x00, 0x00, 0x00]); // 12-byte header: LZMA2, dict 1 MiB
    const blockHeader = concat([blockBody, u32(crc32(blockBody))]);
    return concat([streamHeader, blockHeader, chunk, new Uint8Array(8)]);
  }

  it('property: random bytes fail only with XzError', { timeout: 30_000 }, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, magic) => {
      const input = magic ? concat([new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), bytes]) : bytes;
      failsCleanly(input);
    }), { numRuns: 500 });
  });

  it('property: random LZMA data inside a valid container fails only with XzError', { timeout: 30_000 }, () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 5, maxLength: 2000 }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 224 }), (data, size, props) => {
      const packed = data.length - 1;
      const header = new Uint8Array([0xe0 | (size >>> 16 & 0x1f), (size >>> 8) & 0xff, size & 0xff, packed >>> 8, packed & 0xff, props]);
      const body = data.slice();
      body[0] = 0; // a valid range coder start, so the LZMA decoder really runs
      failsCleanly(container(concat([header, body, new Uint8Array([0])])));
    }), { numRuns: 300 });
  });
});
