/**
 * CRC-32 as used by zlib, gzip, PNG and the .xz format (IEEE 802.3, reflected polynomial
 * 0xEDB88320, initial value and final XOR all ones). Table-driven, eight bytes per step
 * ("slicing-by-8"): T[k][n] is the CRC of byte n followed by k zero bytes.
 */
const T = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  T[n] = c;
}
for (let k = 1; k < 8; k++) {
  for (let n = 0; n < 256; n++) {
    const prev = T[(k - 1) * 256 + n]!;
    T[k * 256 + n] = (prev >>> 8) ^ T[prev & 0xff]!;
  }
}

/**
 * CRC-32 of data[start, end), continuing from `crc` (the value returned for the preceding bytes;
 * 0 to start). Returns an unsigned 32-bit value.
 */
export function crc32(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  let c = ~crc;
  let i = start;
  for (const stop = end - 8; i <= stop; i += 8) {
    const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    c = T[0x700 + (a & 0xff)]! ^ T[0x600 + ((a >>> 8) & 0xff)]! ^ T[0x500 + ((a >>> 16) & 0xff)]! ^ T[0x400 + (a >>> 24)]!
      ^ T[0x300 + data[i + 4]!]! ^ T[0x200 + data[i + 5]!]! ^ T[0x100 + data[i + 6]!]! ^ T[data[i + 7]!]!;
  }
  for (; i < end; i++) c = T[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
