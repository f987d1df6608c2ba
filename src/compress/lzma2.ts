/**
 * LZMA2: a sequence of chunks, each introduced by a control byte:
 *   0x00              end of the LZMA2 data
 *   0x01 / 0x02       uncompressed chunk with / without a dictionary reset; 16-bit size - 1 follows
 *   0x80..0xFF        LZMA chunk: bits 0-4 are bits 16-20 of (uncompressed size - 1); bits 5-6 say
 *                     what is reset: 0 nothing, 1 state, 2 state + new properties byte,
 *                     3 everything including the dictionary; then 16 bits of (uncompressed size - 1),
 *                     16 bits of (compressed size - 1) and, for resets 2-3, the properties byte.
 * The first chunk must reset the dictionary; after a dictionary reset the first LZMA chunk must
 * carry properties. Every LZMA chunk restarts the range coder and ends on a symbol boundary.
 */
import { XzError } from './error.js';
import { LzmaDecoder } from './lzma-decoder.js';
import type { OutputBuffer } from './output.js';

/** Bytes the range decoder may read past a chunk before it notices (see LzmaDecoder.decode). */
const OVERREAD = 64;

/** Dictionary size from the LZMA2 filter properties byte (bits 0-5; 40 means 4 GiB - 1). */
export function lzma2DictSize(props: number): number {
  if ((props & 0xc0) !== 0 || props > 40) throw new XzError(`LZMA2: invalid dictionary size byte 0x${props.toString(16)}`);
  if (props === 40) return 0xffffffff;
  return (2 | (props & 1)) * 2 ** ((props >>> 1) + 11);
}

/**
 * Walk the chunk headers of LZMA2 data at input[at] without decoding: the uncompressed size and
 * the position after the end marker. Null if the headers run past `limit` or are invalid.
 */
export function lzma2Extent(input: Uint8Array, at: number, limit: number): { size: number; end: number } | null {
  let size = 0;
  while (at < limit) {
    const control = input[at++]!;
    if (control === 0x00) return { size, end: at };
    if (control >= 0x80) {
      if (at + 4 > limit) return null;
      size += ((control & 0x1f) << 16) + (input[at]! << 8) + input[at + 1]! + 1;
      at += 4 + ((input[at + 2]! << 8) | input[at + 3]!) + 1 + (control >= 0xc0 ? 1 : 0);
    } else if (control <= 0x02) {
      if (at + 2 > limit) return null;
      const n = ((input[at]! << 8) | input[at + 1]!) + 1;
      size += n;
      at += 2 + n;
    } else {
      return null;
    }
  }
  return null;
}

export class Lzma2Decoder {
  private readonly lzma = new LzmaDecoder();
  private scratch = new Uint8Array(0);
  private input: Uint8Array = new Uint8Array(0);
  /** Input position (next control byte), and the end of the input this block may use. */
  at = 0;
  private limit = 0;
  private dictSize = 0;
  private needDictReset = true;
  private needProps = true;

  /** Start decoding LZMA2 data at input[at]; `limit` bounds the compressed data. */
  begin(input: Uint8Array, at: number, limit: number, dictSize: number): void {
    this.input = input;
    this.at = at;
    this.limit = limit;
    this.dictSize = dictSize;
    this.needDictReset = true;
    this.needProps = true;
  }

  /** Decode the next chunk into `out`. Returns false at the end marker (then `at` is just past it). */
  step(out: OutputBuffer): boolean {
    const input = this.input, limit = this.limit;
    let at = this.at;
    if (at >= limit) throw new XzError('LZMA2: truncated (no end marker)');
    const control = input[at++]!;
    if (control === 0x00) {
      this.at = at;
      return false;
    }
    if (control >= 0xe0 || control === 0x01) {
      this.needProps = true;
      this.needDictReset = false;
      out.dictStart = out.pos;
    } else if (this.needDictReset) {
      throw new XzError('LZMA2: the first chunk does not reset the dictionary');
    }

    if (control >= 0x80) {
      if (at + 4 > limit) throw new XzError('LZMA2: truncated chunk header');
      const size = ((control & 0x1f) << 16) + (input[at]! << 8) + input[at + 1]! + 1;
      const packed = (input[at + 2]! << 8) + input[at + 3]! + 1;
      at += 4;
      if (control >= 0xc0) {
        if (at >= limit) throw new XzError('LZMA2: truncated chunk header');
        this.lzma.setProperties(input[at++]!);
        this.lzma.reset();
        this.needProps = false;
      } else if (this.needProps) {
        throw new XzError('LZMA2: LZMA chunk without properties after a dictionary reset');
      } else if (control >= 0xa0) {
        this.lzma.reset();
      }
      if (at + packed > limit) throw new XzError('LZMA2: truncated (chunk extends past the end of the data)');
      out.reserve(size, this.dictSize);
      let src = input, start = at;
      if (at + packed + OVERREAD > input.length) {
        if (this.scratch.length < packed + OVERREAD) this.scratch = new Uint8Array(packed + OVERREAD);
        this.scratch.set(input.subarray(at, at + packed));
        this.scratch.fill(0, packed, packed + OVERREAD);
        src = this.scratch;
        start = 0;
      }
      this.lzma.decode(out.buf, out.pos, out.pos + size, out.dictStart, this.dictSize, src, start, start + packed);
      out.pos += size;
      out.total += size;
      this.at = at + packed;
      return true;
    }

    if (control > 0x02) throw new XzError(`LZMA2: invalid control byte 0x${control.toString(16)}`);
    if (at + 2 > limit) throw new XzError('LZMA2: truncated chunk header');
    const size = (input[at]! << 8) + input[at + 1]! + 1;
    at += 2;
    if (at + size > limit) throw new XzError('LZMA2: truncated (chunk extends past the end of the data)');
    out.reserve(size, this.dictSize);
    out.buf.set(input.subarray(at, at + size), out.pos);
    out.pos += size;
    out.total += size;
    this.at = at + size;
    return true;
  }
}
