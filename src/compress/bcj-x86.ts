/**
 * The x86 BCJ filter, decoding direction. The encoder turned the 32-bit relative targets of
 * CALL (E8) and JMP (E9) rel32 into absolute addresses (relative + address of the next
 * instruction) when the displacement's top byte is 00 or FF, so that calls to one function look
 * alike to LZMA; decoding subtracts the address again. A small history of recent E8/E9 bytes
 * (`mask`: bit k set = an E8/E9 byte k+1 positions back that was not converted) rejects
 * candidates that are probably not instructions, exactly as the encoder did.
 *
 * Applied to a whole block at once (after all of it is decoded), so no state crosses calls; the
 * last four bytes of a block are never converted (they cannot hold a whole rel32 operand).
 */

/** For each 3-bit history mask: whether an E8/E9 at this position may be converted at all. */
const MASK_ALLOWED = [true, true, true, false, true, false, false, false];
/** For each history mask: which operand byte (counted from the top) must not be 00/FF. */
const MASK_BYTE = [0, 1, 2, 2, 3, 3, 3, 3];

function topByte(b: number): boolean {
  return b === 0x00 || b === 0xff;
}

/** Undo the x86 BCJ filter in place on buf[start, end); `startOffset` is the stream position of buf[start]. */
export function x86BcjDecode(buf: Uint8Array, start: number, end: number, startOffset = 0): void {
  const last = end - 4; // an opcode at i needs its operand in buf[i + 1, i + 5)
  let mask = 0;
  let previous = start - 5; // position of the last E8/E9 seen; "long ago" initially
  for (let i = start; i < last; i++) {
    if ((buf[i]! & 0xfe) !== 0xe8) continue;
    const gap = i - previous;
    if (gap > 3) {
      mask = 0;
    } else {
      mask = (mask << (gap - 1)) & 7;
      if (mask !== 0 && (!MASK_ALLOWED[mask] || topByte(buf[i + 4 - MASK_BYTE[mask]!]!))) {
        previous = i;
        mask = (mask << 1) | 1;
        continue;
      }
    }
    previous = i;
    const top = buf[i + 4]!;
    if (!topByte(top)) {
      mask = (mask << 1) | 1;
      continue;
    }
    const next = (startOffset + (i - start) + 5) >>> 0; // address after the 5-byte instruction
    let value = (buf[i + 1]! | (buf[i + 2]! << 8) | (buf[i + 3]! << 16) | (top << 24)) >>> 0;
    let target: number;
    for (;;) {
      target = (value - next) >>> 0;
      if (mask === 0) break;
      const shift = 24 - MASK_BYTE[mask]! * 8;
      if (!topByte((target >>> shift) & 0xff)) break;
      value = (target ^ ((1 << (shift + 8)) - 1)) >>> 0;
    }
    // Keep 25 bits and sign-extend bit 24 (the operand's top byte becomes 00 or FF again).
    target &= 0x1ffffff;
    if ((target & 0x1000000) !== 0) target |= 0xff000000;
    buf[i + 1] = target;
    buf[i + 2] = target >>> 8;
    buf[i + 3] = target >>> 16;
    buf[i + 4] = target >>> 24;
    i += 4;
  }
}
