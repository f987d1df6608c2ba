/**
 * The output buffer the LZMA2 decoder writes into, which is also its dictionary. Two policies:
 * - retain: everything stays (the whole result of xzDecompress); the buffer grows geometrically.
 * - stream: bytes already handed out and no longer within the dictionary are dropped, by moving
 *   the live tail to the front (at most once per half-buffer of output) or growing.
 * All positions are indices into `buf` and move together when data is dropped.
 */
import { XzError } from './error.js';

export class OutputBuffer {
  buf: Uint8Array;
  /** Write position. */
  pos = 0;
  /** Position of the last dictionary reset: matches may not reach before it. */
  dictStart = 0;
  /** Bytes before this position were handed out (and checked); the rest is pending. */
  emitted = 0;
  /** Bytes written since the beginning, across all moves. */
  total = 0;

  constructor(private readonly retain: boolean, private readonly maxOutput: number, initialSize: number) {
    this.buf = new Uint8Array(Math.max(0, Math.min(initialSize, maxOutput)));
  }

  /** Make room for `n` more bytes, keeping the last `dictSize` bytes of the current dictionary. */
  reserve(n: number, dictSize: number): void {
    if (this.total + n > this.maxOutput) throw new XzError(`output exceeds the limit of ${this.maxOutput} bytes (maxOutput)`);
    const pos = this.pos;
    if (pos + n <= this.buf.length) return;
    if (this.retain) {
      const size = Math.max(pos + n, Math.min(Math.max(this.buf.length * 2, 1 << 16), this.maxOutput));
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, pos));
      this.buf = next;
      return;
    }
    const keep = Math.max(0, Math.min(this.emitted, Math.max(this.dictStart, pos - dictSize)));
    const need = pos - keep + n;
    if (keep > 0 && need <= this.buf.length >>> 1) {
      this.buf.copyWithin(0, keep, pos);
      this.shift(keep);
    } else {
      const next = new Uint8Array(Math.max(need * 2, 1 << 16));
      next.set(this.buf.subarray(keep, pos));
      this.buf = next;
      this.shift(keep);
    }
  }

  /** The retained output as one array (retain mode), without a copy when the buffer is nearly full. */
  result(): Uint8Array {
    const used = this.pos;
    if (used === this.buf.length) return this.buf;
    if (used >= this.buf.length - (this.buf.length >>> 3)) return this.buf.subarray(0, used);
    return this.buf.slice(0, used);
  }

  private shift(by: number): void {
    this.pos -= by;
    this.dictStart -= by;
    this.emitted -= by;
  }
}
