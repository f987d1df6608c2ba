/**
 * The delta filter, decoding direction: each byte was stored as the difference from the byte
 * `distance` positions earlier (1..256; bytes before the start count as zero). Decoding adds the
 * already-decoded byte back, in place over a whole block.
 */
export function deltaDecode(buf: Uint8Array, start: number, end: number, distance: number): void {
  for (let i = start + distance; i < end; i++) buf[i] = buf[i]! + buf[i - distance]!;
}
