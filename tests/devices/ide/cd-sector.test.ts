/**
 * The raw CD-ROM Mode 1 sector (ECMA-130): the EDC against a bit-serial division by the product of
 * the two polynomials the standard gives, the P/Q parity through its check equations (and that a
 * damaged byte violates them), the Q sub-channel CRC.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { edc, eccCodewords, mode1Sector, subQ, subQCrc, syndromes } from '../../../src/devices/ide/cd-sector.js';

/** Carry-less product of two GF(2) polynomials given as bit masks. */
function clmul(a: bigint, b: bigint): bigint {
  let r = 0n;
  for (let i = 0n; b >> i; i++) if ((b >> i) & 1n) r ^= a << i;
  return r;
}

/** EDC by definition: the bits sent least significant first, remainder of x^32·M(x) / P(x). */
function edcBySpec(data: Uint8Array): number {
  const p = clmul((1n << 16n) | (1n << 15n) | (1n << 2n) | 1n, (1n << 16n) | (1n << 2n) | (1n << 1n) | 1n);
  let r = 0n;
  for (const byte of data) {
    for (let k = 0; k < 8; k++) {
      r = (r << 1n) | BigInt((byte >> k) & 1);
      if ((r >> 32n) & 1n) r ^= p;
    }
  }
  for (let k = 0; k < 32; k++) {
    r <<= 1n;
    if ((r >> 32n) & 1n) r ^= p;
  }
  // Parity bit i of the remainder (coefficient of x^(31-i)) is sent as bit i.
  let out = 0;
  for (let i = 0; i < 32; i++) if ((r >> BigInt(31 - i)) & 1n) out |= 1 << i;
  return out >>> 0;
}

function user(seed: number): Uint8Array {
  const u = new Uint8Array(2048);
  let x = seed;
  for (let i = 0; i < u.length; i++) { x = (x * 1103515245 + 12345) >>> 0; u[i] = x >>> 24; }
  return u;
}

describe('CD-ROM Mode 1 raw sector (ECMA-130)', () => {
  it('EDC equals the remainder modulo (x^16+x^15+x^2+1)(x^16+x^2+x+1)', () => {
    const data = user(7).subarray(0, 300);
    assert.equal(edc(data), edcBySpec(data));
    assert.equal(edc(new Uint8Array(64)), 0);
  });

  it('every P column and Q diagonal satisfies both check equations; a damaged byte does not', () => {
    const s = mode1Sector(4321, user(3));
    const { p, q } = eccCodewords(s);
    for (const v of [...p, ...q]) assert.deepEqual(syndromes(v), [0, 0]);
    s[100] ^= 0x10;
    const damaged = eccCodewords(s);
    assert.ok(damaged.p.some((v) => syndromes(v)[0] !== 0), 'a P column sees the error');
    assert.ok(damaged.q.some((v) => syndromes(v)[0] !== 0), 'a Q diagonal sees the error');
  });

  it('header: absolute time of LBA + 150 frames in BCD, mode 1', () => {
    const s = mode1Sector(4321, user(1));
    // 4471 frames = 00:59:46.
    assert.deepEqual([...s.subarray(12, 16)], [0x00, 0x59, 0x46, 0x01]);
  });

  it('Q sub-channel: times in BCD and the inverted CRC-16 over the first 10 bytes', () => {
    const q = subQ(4500); // relative 01:00:00, absolute 01:02:00
    assert.deepEqual([...q.subarray(0, 10)], [0x41, 1, 1, 0x01, 0x00, 0x00, 0, 0x01, 0x02, 0x00]);
    assert.equal((q[10]! << 8) | q[11]!, subQCrc(q.subarray(0, 10)));
    // CRC-16/CCITT with zero initial value of "123456789" is 31C3h; stored inverted.
    assert.equal(subQCrc(new TextEncoder().encode('123456789')), ~0x31c3 & 0xffff);
  });
});
