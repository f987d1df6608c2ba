/**
 * CRC-64 as used by the .xz format: the ECMA-182 polynomial in reflected form
 * (0xC96C5795D7870F42), initial value and final XOR all ones. The 64-bit value is kept as two
 * 32-bit halves; eight bytes per step with eight tables (slicing-by-8), each split into a low and
 * a high half.
 */
const LO = new Int32Array(8 * 256);
const HI = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let lo = n, hi = 0;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = (lo >>> 1) | (hi << 31);
    hi >>>= 1;
    if (carry !== 0) {
      lo ^= 0xd7870f42;
      hi ^= 0xc96c5795;
    }
  }
  LO[n] = lo;
  HI[n] = hi;
}
for (let k = 1; k < 8; k++) {
  for (let n = 0; n < 256; n++) {
    const lo = LO[(k - 1) * 256 + n]!, hi = HI[(k - 1) * 256 + n]!;
    const idx = lo & 0xff;
    LO[k * 256 + n] = ((lo >>> 8) | (hi << 24)) ^ LO[idx]!;
    HI[k * 256 + n] = (hi >>> 8) ^ HI[idx]!;
  }
}

/** A running CRC-64; `bytes()` gives the value little-endian, as stored in an .xz block. */
export class Crc64 {
  private lo = -1;
  private hi = -1;

  update(data: Uint8Array, start = 0, end = data.length): void {
    let lo = this.lo, hi = this.hi;
    let i = start;
    for (const stop = end - 8; i <= stop; i += 8) {
      const a = lo ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
      const b = hi ^ (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24));
      const a0 = 0x700 + (a & 0xff), a1 = 0x600 + ((a >>> 8) & 0xff), a2 = 0x500 + ((a >>> 16) & 0xff), a3 = 0x400 + (a >>> 24);
      const b0 = 0x300 + (b & 0xff), b1 = 0x200 + ((b >>> 8) & 0xff), b2 = 0x100 + ((b >>> 16) & 0xff), b3 = b >>> 24;
      lo = LO[a0]! ^ LO[a1]! ^ LO[a2]! ^ LO[a3]! ^ LO[b0]! ^ LO[b1]! ^ LO[b2]! ^ LO[b3]!;
      hi = HI[a0]! ^ HI[a1]! ^ HI[a2]! ^ HI[a3]! ^ HI[b0]! ^ HI[b1]! ^ HI[b2]! ^ HI[b3]!;
    }
    for (; i < end; i++) {
      const idx = (lo ^ data[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ LO[idx]!;
      hi = (hi >>> 8) ^ HI[idx]!;
    }
    this.lo = lo;
    this.hi = hi;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, ~this.lo >>> 0, true);
    view.setUint32(4, ~this.hi >>> 0, true);
    return out;
  }
}

/** CRC-64 of data[start, end) as an unsigned BigInt (for tests and tools). */
export function crc64(data: Uint8Array, start = 0, end = data.length): bigint {
  const c = new Crc64();
  c.update(data, start, end);
  return new DataView(c.bytes().buffer).getBigUint64(0, true);
}
