/**
 * .xz container decoding (the .xz file format, version 1.x):
 *
 *   stream   = header(12) block* index footer(12), then stream padding (zero bytes, a multiple
 *              of four) and possibly another stream
 *   header   = FD 37 7A 58 5A 00, flags (00, check type), CRC32 of the flags
 *   block    = block header, LZMA2 data (through its filters), padding to 4, check
 *   header   = size byte ((n + 1) * 4 bytes), flags (filter count, which sizes follow),
 *              [compressed size] [uncompressed size] (VLIs), filter flags (id, props size,
 *              props) × n, zero padding, CRC32
 *   index    = 00, record count, (unpadded size, uncompressed size) per block, padding, CRC32
 *   footer   = CRC32, backward size (index size / 4 - 1), flags (as in the header), "YZ"
 *
 * Filters: LZMA2 (last, required), x86 BCJ and delta before it. Checks: none, CRC32, CRC64 and
 * SHA-256 are verified; other (reserved) check types are skipped unverified. Everything is
 * bounds-checked and every declared size cross-checked (block header, index, footer).
 */
import { deltaDecode } from './delta.js';
import { x86BcjDecode } from './bcj-x86.js';
import { crc32 } from './crc32.js';
import { Crc64 } from './crc64.js';
import { XzError } from './error.js';
import { Lzma2Decoder, lzma2DictSize, lzma2Extent } from './lzma2.js';
import { OutputBuffer } from './output.js';
import { Sha256 } from './sha256.js';

export { XzError } from './error.js';

export interface XzOptions {
  /** Fail once the output would exceed this many bytes (default 1 GiB). */
  maxOutput?: number;
  /**
   * Stop quietly at bytes after a complete stream (and its padding) that do not start another
   * stream, instead of failing (default false). Use for payloads followed by other data, such as
   * the kernel image's compressed payload.
   */
  allowTrailingData?: boolean;
}

const DEFAULT_MAX_OUTPUT = 2 ** 30;
const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const FILTER_DELTA = 0x03;
const FILTER_X86 = 0x04;
const FILTER_LZMA2 = 0x21;
const CHECK_NONE = 0, CHECK_CRC32 = 1, CHECK_CRC64 = 4, CHECK_SHA256 = 10;
/** Size of the check field for each of the 16 check type IDs. */
const CHECK_SIZE = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];

/** Decompress a complete .xz file (one or more concatenated streams). */
export function xzDecompress(input: Uint8Array, options: XzOptions = {}): Uint8Array {
  const maxOutput = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
  // The exact size from a walk over the container and LZMA2 chunk headers (no decoding); if
  // that fails (corrupt input), grow geometrically and let the decoder report the problem.
  const out = new OutputBuffer(true, maxOutput, scanSize(input, options) ?? Math.max(input.length * 4, 1 << 16));
  const steps = decode(input, options, out);
  while (!steps.next().done);
  return out.result();
}

/**
 * Decompress incrementally: fresh arrays (each a copy, at most a few MiB) as the data is
 * decoded, so a caller can stop early. Memory stays near the dictionary size, except that a
 * block with a BCJ or delta filter is delivered whole once decoded.
 */
export function* xzDecompressChunks(input: Uint8Array, options: XzOptions = {}): Generator<Uint8Array, void> {
  const out = new OutputBuffer(false, options.maxOutput ?? Infinity, 1 << 20);
  for (const [start, end] of decode(input, options, out)) yield out.buf.slice(start, end);
}

interface Filter { id: number; props: Uint8Array }

interface BlockHeader {
  size: number;
  compressedSize: number | null;
  uncompressedSize: number | null;
  filters: Filter[];
  dictSize: number;
}

/** A running integrity check. */
interface Check { update(data: Uint8Array, start: number, end: number): void; bytes(): Uint8Array | null }

function newCheck(type: number): Check {
  switch (type) {
    case CHECK_CRC32: {
      let value = 0;
      return {
        update: (d, s, e) => { value = crc32(d, s, e, value); },
        bytes: () => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, value, true); return b; },
      };
    }
    case CHECK_CRC64: return new Crc64();
    case CHECK_SHA256: {
      const sha = new Sha256();
      return { update: (d, s, e) => sha.update(d, s, e), bytes: () => sha.digest() };
    }
    case CHECK_NONE:
    default: return { update: () => {}, bytes: () => null }; // none, or a reserved type: not verified
  }
}

/**
 * The decoder proper: writes into `out` and yields [start, end) ranges of `out.buf` that are
 * final (filtered and checked). Returns when the input is consumed (or trailing data reached).
 */
function* decode(input: Uint8Array, options: XzOptions, out: OutputBuffer): Generator<[number, number], void> {
  if (!hasMagic(input, 0)) throw new XzError(input.length < 6 ? 'not an .xz file (too short)' : 'not an .xz file (bad magic bytes)');
  const lzma2 = new Lzma2Decoder();
  let at = 0;
  for (;;) {
    // Stream header.
    if (at + 12 > input.length) throw new XzError('truncated stream header');
    const flags0 = input[at + 6]!, flags1 = input[at + 7]!;
    if (crc32(input, at + 6, at + 8) !== readU32(input, at + 8)) throw new XzError('stream header CRC32 mismatch (corrupt header)');
    if (flags0 !== 0 || (flags1 & 0xf0) !== 0) throw new XzError('unsupported stream flags (newer .xz format version?)');
    const checkType = flags1 & 0x0f;
    const checkSize = CHECK_SIZE[checkType]!;
    at += 12;

    // Blocks.
    const records: number[] = []; // unpadded size, uncompressed size, ...
    for (;;) {
      if (at >= input.length) throw new XzError('truncated stream (block or index expected)');
      if (input[at] === 0x00) break; // index indicator
      const header = parseBlockHeader(input, at);
      const blockStart = at;
      at += header.size;
      const dataStart = at;
      const limit = header.compressedSize !== null ? dataStart + header.compressedSize : input.length;
      if (limit > input.length) throw new XzError('truncated block (compressed size runs past the end of the input)');
      const filtered = header.filters.length > 1;
      const totalStart = out.total;
      const check = newCheck(checkType);
      lzma2.begin(input, dataStart, limit, header.dictSize);
      while (lzma2.step(out)) {
        if (header.uncompressedSize !== null && out.total - totalStart > header.uncompressedSize) {
          throw new XzError('block decodes to more data than its header declares');
        }
        if (!filtered && out.pos > out.emitted) {
          const s = out.emitted;
          check.update(out.buf, s, out.pos);
          out.emitted = out.pos;
          yield [s, out.pos];
        }
      }
      at = lzma2.at;
      const compressedSize = at - dataStart;
      const uncompressedSize = out.total - totalStart;
      if (header.compressedSize !== null && compressedSize !== header.compressedSize) throw new XzError('block compressed size differs from its header');
      if (header.uncompressedSize !== null && uncompressedSize !== header.uncompressedSize) throw new XzError('block uncompressed size differs from its header');
      if (filtered) {
        const s = out.emitted; // the whole block is pending
        for (let k = header.filters.length - 2; k >= 0; k--) applyFilter(header.filters[k]!, out.buf, s, out.pos);
        check.update(out.buf, s, out.pos);
        out.emitted = out.pos;
        if (out.pos > s) yield [s, out.pos];
      }
      // Block padding, then the check.
      while ((at - blockStart) & 3) {
        if (at >= input.length) throw new XzError('truncated block padding');
        if (input[at++] !== 0) throw new XzError('nonzero block padding (corrupt block)');
      }
      if (at + checkSize > input.length) throw new XzError('truncated block check');
      const expected = check.bytes();
      if (expected !== null && !equalBytes(expected, input, at)) {
        throw new XzError(`${checkName(checkType)} mismatch: the decompressed data is corrupt`);
      }
      at += checkSize;
      records.push(header.size + compressedSize + checkSize, uncompressedSize);
    }

    // Index.
    const indexStart = at;
    const index = parseIndex(input, at);
    if (index.records.length !== records.length) throw new XzError('index lists a different number of blocks than the stream holds');
    for (let k = 0; k < records.length; k++) {
      if (index.records[k] !== records[k]) throw new XzError('index does not match the blocks (corrupt index or block)');
    }
    at = index.end;

    // Stream footer.
    if (at + 12 > input.length) throw new XzError('truncated stream footer');
    if (crc32(input, at + 4, at + 10) !== readU32(input, at)) throw new XzError('stream footer CRC32 mismatch (corrupt footer)');
    if ((readU32(input, at + 4) + 1) * 4 !== at - indexStart) throw new XzError('stream footer backward size does not match the index');
    if (input[at + 8] !== flags0 || input[at + 9] !== flags1) throw new XzError('stream footer flags differ from the header');
    if (input[at + 10] !== 0x59 || input[at + 11] !== 0x5a) throw new XzError('bad stream footer magic');
    at += 12;

    // Stream padding, then another stream, the end, or trailing data.
    const streamEnd = at;
    while (at < input.length && input[at] === 0) at++;
    if (at === input.length) {
      if ((at - streamEnd) % 4 === 0) return;
      if (options.allowTrailingData) return;
      throw new XzError('stream padding is not a multiple of four bytes');
    }
    if ((at - streamEnd) % 4 === 0 && hasMagic(input, at)) continue;
    if (options.allowTrailingData) return;
    throw new XzError(`trailing data after the .xz stream at offset ${streamEnd} (allowTrailingData not set)`);
  }
}

function parseBlockHeader(input: Uint8Array, at: number): BlockHeader {
  const size = (input[at]! + 1) * 4;
  if (at + size > input.length) throw new XzError('truncated block header');
  if (crc32(input, at, at + size - 4) !== readU32(input, at + size - 4)) throw new XzError('block header CRC32 mismatch (corrupt block header)');
  const end = at + size - 4;
  const reader = new VliReader(input, at + 2, end, 'block header');
  const flags = input[at + 1]!;
  if ((flags & 0x3c) !== 0) throw new XzError('unsupported block header flags');
  const compressedSize = (flags & 0x40) !== 0 ? reader.vli() : null;
  const uncompressedSize = (flags & 0x80) !== 0 ? reader.vli() : null;
  if (compressedSize === 0) throw new XzError('block header declares a zero compressed size');
  const filters: Filter[] = [];
  for (let k = (flags & 3) + 1; k > 0; k--) {
    const id = reader.vli();
    const propsSize = reader.vli();
    if (reader.at + propsSize > end) throw new XzError('block header filter properties run past the header');
    filters.push({ id, props: input.subarray(reader.at, reader.at + propsSize) });
    reader.at += propsSize;
  }
  for (let p = reader.at; p < end; p++) if (input[p] !== 0) throw new XzError('nonzero block header padding');
  let dictSize = 0;
  filters.forEach((f, k) => {
    const last = k === filters.length - 1;
    if (f.id === FILTER_LZMA2) {
      if (!last) throw new XzError('LZMA2 must be the last filter of a block');
      if (f.props.length !== 1) throw new XzError('LZMA2 filter properties must be one byte');
      dictSize = lzma2DictSize(f.props[0]!);
    } else if (last) {
      throw new XzError(`unsupported last filter 0x${f.id.toString(16)} (only LZMA2 is supported)`);
    } else if (f.id === FILTER_X86) {
      if (f.props.length !== 0 && f.props.length !== 4) throw new XzError('x86 BCJ filter properties must be 0 or 4 bytes');
    } else if (f.id === FILTER_DELTA) {
      if (f.props.length !== 1) throw new XzError('delta filter properties must be one byte');
    } else {
      throw new XzError(`unsupported filter 0x${f.id.toString(16)} (supported: LZMA2, x86 BCJ, delta)`);
    }
  });
  return { size, compressedSize, uncompressedSize, filters, dictSize };
}

function applyFilter(filter: Filter, buf: Uint8Array, start: number, end: number): void {
  if (filter.id === FILTER_X86) {
    const offset = filter.props.length === 4 ? readU32(filter.props, 0) : 0;
    x86BcjDecode(buf, start, end, offset);
  } else {
    deltaDecode(buf, start, end, filter.props[0]! + 1);
  }
}

function parseIndex(input: Uint8Array, at: number): { records: number[]; end: number } {
  const start = at;
  const reader = new VliReader(input, at + 1, input.length, 'index');
  const count = reader.vli();
  if (count > (input.length - at) / 2) throw new XzError('index record count exceeds the input');
  const records: number[] = [];
  for (let k = 0; k < count; k++) {
    const unpadded = reader.vli();
    const uncompressed = reader.vli();
    if (unpadded === 0) throw new XzError('index record with zero unpadded size');
    records.push(unpadded, uncompressed);
  }
  at = reader.at;
  while ((at - start) & 3) {
    if (at >= input.length) throw new XzError('truncated index');
    if (input[at++] !== 0) throw new XzError('nonzero index padding');
  }
  if (at + 4 > input.length) throw new XzError('truncated index');
  if (crc32(input, start, at) !== readU32(input, at)) throw new XzError('index CRC32 mismatch (corrupt index)');
  return { records, end: at + 4 };
}

/**
 * The total uncompressed size, from a walk over the stream structure: block headers, LZMA2 chunk
 * headers (each states its sizes), checks, indexes, footers. Nothing is decoded or verified
 * beyond what the walk needs; null when the structure does not hold together.
 */
function scanSize(input: Uint8Array, options: XzOptions): number | null {
  try {
    let at = 0;
    let total = 0;
    for (;;) {
      if (!hasMagic(input, at) || at + 12 > input.length) return null;
      const checkSize = CHECK_SIZE[input[at + 7]! & 0x0f]!;
      at += 12;
      while (at < input.length && input[at] !== 0x00) {
        const blockStart = at;
        const header = parseBlockHeader(input, at);
        const extent = lzma2Extent(input, at + header.size, input.length);
        if (extent === null) return null;
        total += extent.size;
        at = extent.end;
        at += ((4 - ((at - blockStart) & 3)) & 3) + checkSize;
      }
      if (at >= input.length) return null;
      at = parseIndex(input, at).end + 12;
      if (at > input.length) return null;
      while (at < input.length && input[at] === 0) at++;
      if (at === input.length || !hasMagic(input, at)) return at === input.length || options.allowTrailingData ? total : null;
    }
  } catch {
    return null;
  }
}

/** Variable-length integers: 7 bits per byte, least significant first, at most 9 bytes, minimal. */
class VliReader {
  constructor(private readonly input: Uint8Array, public at: number, private readonly end: number, private readonly where: string) {}

  vli(): number {
    let value = 0;
    let scale = 1;
    for (let k = 0; k < 9; k++) {
      if (this.at >= this.end) throw new XzError(`truncated ${this.where}`);
      const b = this.input[this.at++]!;
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && k > 0) throw new XzError(`non-minimal integer encoding in the ${this.where}`);
        if (value > Number.MAX_SAFE_INTEGER) throw new XzError(`integer too large in the ${this.where}`);
        return value;
      }
      scale *= 128;
    }
    throw new XzError(`integer longer than 9 bytes in the ${this.where}`);
  }
}

function hasMagic(input: Uint8Array, at: number): boolean {
  if (at + 6 > input.length) return false;
  for (let k = 0; k < 6; k++) if (input[at + k] !== MAGIC[k]) return false;
  return true;
}

function readU32(data: Uint8Array, at: number): number {
  return (data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24)) >>> 0;
}

function equalBytes(expected: Uint8Array, input: Uint8Array, at: number): boolean {
  for (let k = 0; k < expected.length; k++) if (input[at + k] !== expected[k]) return false;
  return true;
}

function checkName(type: number): string {
  return type === CHECK_CRC32 ? 'CRC32' : type === CHECK_CRC64 ? 'CRC64' : type === CHECK_SHA256 ? 'SHA-256' : `check ${type}`;
}
