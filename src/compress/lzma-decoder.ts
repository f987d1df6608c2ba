/**
 * LZMA decoder core: the range decoder and the literal / match / repeated-match symbols, as used
 * inside LZMA2 chunks. The dictionary is the output buffer itself: a match copies from bytes
 * already written before the write position, so no separate window and no copy-out. One call
 * decodes one LZMA2 chunk (a known number of output bytes from a known number of input bytes,
 * range coder initialised at its start). All decoder state lives in locals during a call; the
 * probabilities are one Uint16Array (11-bit, adapted by 1/32 per bit).
 *
 * Numbers: `range`, `code`, `bound` and the distances are unsigned 32-bit quantities held in
 * int32 variables (so V8 keeps them in registers and never deoptimises on a value above 2^31);
 * unsigned comparisons flip the sign bit of both sides. (range >>> 11) * prob fits in 32 bits
 * and is computed with Math.imul.
 */
import { XzError } from './error.js';

/** XORed into both sides of a comparison, it makes a signed compare of int32s an unsigned one. */
const SIGN = -0x80000000;
const PROB_INIT = 1024;

// Offsets into `probs`.
const IS_MATCH = 0; //                  [state << 4 | posState], 12 × 16
const IS_REP = 192; //                  [state]
const IS_REP_G0 = 204;
const IS_REP_G1 = 216;
const IS_REP_G2 = 228;
const IS_REP0_LONG = 240; //            [state << 4 | posState]
const DIST_SLOT = 432; //               [min(len - 2, 3) << 6 | tree index], 4 × 64
const DIST_SPECIAL = 688; //            reverse trees for slots 4..13, 114 entries
const ALIGN = 802; //                   4-bit reverse tree, 16 entries
const MATCH_LEN = 818; //               length coder for matches, 514 entries
const REP_LEN = 1332; //                length coder for repeated matches
const LITERAL = 1846; //                0x300 per literal coder
// Within a length coder.
const LEN_CHOICE = 0;
const LEN_CHOICE2 = 1;
const LEN_LOW = 2; //                   [posState << 3 | tree index], 3 bits, lengths 2..9
const LEN_MID = 130; //                 3 bits, lengths 10..17
const LEN_HIGH = 258; //                8 bits, lengths 18..273

/**
 * Errors are raised out of line: with `throw new XzError` inside `decode`, V8 kept abandoning its
 * optimisation of `decode` ("dependency change") once some errors had been thrown, leaving the
 * decoder ten times slower for the rest of the process.
 */
function fail(message: string): never {
  throw new XzError(message);
}

export class LzmaDecoder {
  private probs = new Uint16Array(LITERAL + 0x300);
  private lc = 0;
  private lp = 0;
  private pb = 0;
  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;

  /** Set lc/lp/pb from an LZMA properties byte ((pb * 5 + lp) * 9 + lc); LZMA2 requires lc + lp <= 4. */
  setProperties(props: number): void {
    if (props > (4 * 5 + 4) * 9 + 8) fail(`LZMA2: invalid properties byte 0x${props.toString(16)}`);
    const lc = props % 9;
    const rest = (props - lc) / 9;
    const lp = rest % 5;
    const pb = (rest - lp) / 5;
    if (lc + lp > 4) fail(`LZMA2: lc + lp = ${lc + lp} exceeds 4`);
    this.lc = lc;
    this.lp = lp;
    this.pb = pb;
    const size = LITERAL + (0x300 << (lc + lp));
    if (this.probs.length < size) this.probs = new Uint16Array(size);
  }

  /** State reset: all probabilities to 1/2, state 0, repeated distances 0. */
  reset(): void {
    this.probs.fill(PROB_INIT, 0, LITERAL + (0x300 << (this.lc + this.lp)));
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
  }

  /**
   * Decode exactly `end - pos` bytes into `buf[pos, end)` from the range-coded bytes
   * `input[inStart, inEnd)`, which must be consumed exactly. Matches may reach back to
   * `dictStart` (the last dictionary reset) and at most `dictSize` bytes. `input` must hold at
   * least 64 readable bytes past `inEnd` (a corrupt chunk is noticed after at most one symbol's
   * worth of over-read, which is below that).
   */
  decode(buf: Uint8Array, pos: number, end: number, dictStart: number, dictSize: number,
    input: Uint8Array, inStart: number, inEnd: number): void {
    if (inEnd - inStart < 5 || input[inStart] !== 0) fail('LZMA2: corrupt chunk (bad range coder start)');
    let code = (input[inStart + 1]! << 24) | (input[inStart + 2]! << 16) | (input[inStart + 3]! << 8) | input[inStart + 4]!;
    let range = -1;
    let ip = inStart + 5;

    const probs = this.probs;
    const lc = this.lc, litShift = 8 - lc, lpMask = (1 << this.lp) - 1, pbMask = (1 << this.pb) - 1;
    let state = this.state, rep0 = this.rep0, rep1 = this.rep1, rep2 = this.rep2, rep3 = this.rep3;
    let p = 0, bound = 0, sym = 0, i = 0;

    while (pos < end) {
      if (ip > inEnd) fail('LZMA2: corrupt chunk (reads past its compressed size)');
      const posState = (pos - dictStart) & pbMask;

      // is_match
      i = IS_MATCH + (state << 4) + posState;
      if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
      p = probs[i]!; bound = Math.imul(range >>> 11, p);
      if ((code ^ SIGN) < (bound ^ SIGN)) {
        range = bound; probs[i] = p + ((2048 - p) >>> 5);
        // Literal.
        const prev = pos > dictStart ? buf[pos - 1]! : 0;
        const base = LITERAL + 0x300 * ((((pos - dictStart) & lpMask) << lc) + (prev >>> litShift));
        sym = 1;
        if (state < 7) {
          do {
            i = base + sym;
            if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
            p = probs[i]!; bound = Math.imul(range >>> 11, p);
            if ((code ^ SIGN) < (bound ^ SIGN)) { range = bound; probs[i] = p + ((2048 - p) >>> 5); sym <<= 1; }
            else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5); sym = (sym << 1) | 1; }
          } while (sym < 0x100);
          state = state < 4 ? 0 : state - 3;
        } else {
          // "Matched" literal: the byte at rep0 steers the probabilities until the first mismatch.
          let match = buf[pos - rep0 - 1]!;
          let offset = 0x100;
          do {
            match <<= 1;
            const matchBit = match & offset;
            i = base + offset + matchBit + sym;
            if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
            p = probs[i]!; bound = Math.imul(range >>> 11, p);
            if ((code ^ SIGN) < (bound ^ SIGN)) { range = bound; probs[i] = p + ((2048 - p) >>> 5); sym <<= 1; offset &= ~matchBit; }
            else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5); sym = (sym << 1) | 1; offset &= matchBit; }
          } while (sym < 0x100);
          state = state < 10 ? state - 3 : state - 6;
        }
        buf[pos++] = sym;
        continue;
      }
      range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5);

      // is_rep
      let lenBase: number;
      let isMatch = false;
      i = IS_REP + state;
      if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
      p = probs[i]!; bound = Math.imul(range >>> 11, p);
      if ((code ^ SIGN) < (bound ^ SIGN)) {
        range = bound; probs[i] = p + ((2048 - p) >>> 5);
        // Match with a new distance (decoded after the length).
        rep3 = rep2; rep2 = rep1; rep1 = rep0;
        state = state < 7 ? 7 : 10;
        lenBase = MATCH_LEN;
        isMatch = true;
      } else {
        range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5);
        // Repeated match: one of the last four distances.
        i = IS_REP_G0 + state;
        if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
        p = probs[i]!; bound = Math.imul(range >>> 11, p);
        if ((code ^ SIGN) < (bound ^ SIGN)) {
          range = bound; probs[i] = p + ((2048 - p) >>> 5);
          i = IS_REP0_LONG + (state << 4) + posState;
          if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
          p = probs[i]!; bound = Math.imul(range >>> 11, p);
          if ((code ^ SIGN) < (bound ^ SIGN)) {
            range = bound; probs[i] = p + ((2048 - p) >>> 5);
            // Short rep: one byte from distance rep0.
            state = state < 7 ? 9 : 11;
            if ((rep0 >>> 0) >= pos - dictStart || (rep0 >>> 0) >= dictSize) fail('LZMA2: corrupt data (distance beyond the dictionary)');
            buf[pos] = buf[pos - rep0 - 1]!;
            pos++;
            continue;
          }
          range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5);
        } else {
          range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5);
          let dist: number;
          i = IS_REP_G1 + state;
          if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
          p = probs[i]!; bound = Math.imul(range >>> 11, p);
          if ((code ^ SIGN) < (bound ^ SIGN)) {
            range = bound; probs[i] = p + ((2048 - p) >>> 5);
            dist = rep1;
          } else {
            range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5);
            i = IS_REP_G2 + state;
            if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
            p = probs[i]!; bound = Math.imul(range >>> 11, p);
            if ((code ^ SIGN) < (bound ^ SIGN)) {
              range = bound; probs[i] = p + ((2048 - p) >>> 5);
              dist = rep2;
            } else {
              range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5);
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        state = state < 7 ? 8 : 11;
        lenBase = REP_LEN;
      }

      // Length: choice bits, then a 3-bit (low, mid) or 8-bit (high) tree.
      let treeBase: number, treeLimit: number, len: number;
      i = lenBase + LEN_CHOICE;
      if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
      p = probs[i]!; bound = Math.imul(range >>> 11, p);
      if ((code ^ SIGN) < (bound ^ SIGN)) {
        range = bound; probs[i] = p + ((2048 - p) >>> 5);
        treeBase = lenBase + LEN_LOW + (posState << 3); treeLimit = 8; len = 2 - 8;
      } else {
        range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5);
        i = lenBase + LEN_CHOICE2;
        if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
        p = probs[i]!; bound = Math.imul(range >>> 11, p);
        if ((code ^ SIGN) < (bound ^ SIGN)) {
          range = bound; probs[i] = p + ((2048 - p) >>> 5);
          treeBase = lenBase + LEN_MID + (posState << 3); treeLimit = 8; len = 10 - 8;
        } else {
          range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5);
          treeBase = lenBase + LEN_HIGH; treeLimit = 256; len = 18 - 256;
        }
      }
      sym = 1;
      do {
        i = treeBase + sym;
        if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
        p = probs[i]!; bound = Math.imul(range >>> 11, p);
        if ((code ^ SIGN) < (bound ^ SIGN)) { range = bound; probs[i] = p + ((2048 - p) >>> 5); sym <<= 1; }
        else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5); sym = (sym << 1) | 1; }
      } while (sym < treeLimit);
      len += sym;

      if (isMatch) {
        // Distance: a 6-bit slot, then reverse-tree, direct and alignment bits.
        treeBase = DIST_SLOT + ((len < 6 ? len - 2 : 3) << 6);
        sym = 1;
        do {
          i = treeBase + sym;
          if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
          p = probs[i]!; bound = Math.imul(range >>> 11, p);
          if ((code ^ SIGN) < (bound ^ SIGN)) { range = bound; probs[i] = p + ((2048 - p) >>> 5); sym <<= 1; }
          else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5); sym = (sym << 1) | 1; }
        } while (sym < 64);
        const slot = sym - 64;
        if (slot < 4) {
          rep0 = slot;
        } else {
          const direct = (slot >>> 1) - 1;
          let dist = (2 | (slot & 1)) << direct;
          if (slot < 14) {
            treeBase = DIST_SPECIAL + dist - slot - 1;
            sym = 1;
            for (let bit = 0; bit < direct; bit++) {
              i = treeBase + sym;
              if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
              p = probs[i]!; bound = Math.imul(range >>> 11, p);
              if ((code ^ SIGN) < (bound ^ SIGN)) { range = bound; probs[i] = p + ((2048 - p) >>> 5); sym <<= 1; }
              else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5); sym = (sym << 1) | 1; dist += 1 << bit; }
            }
          } else {
            let value = 0;
            for (let n = direct - 4; n > 0; n--) {
              if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
              range >>>= 1;
              const t = (code - range) | 0; // sign clear iff code >= range (code < 2 * range + 2 here)
              if (t >= 0) { code = t; value = (value << 1) | 1; }
              else value <<= 1;
            }
            let align = 0;
            sym = 1;
            for (let bit = 0; bit < 4; bit++) {
              i = ALIGN + sym;
              if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
              p = probs[i]!; bound = Math.imul(range >>> 11, p);
              if ((code ^ SIGN) < (bound ^ SIGN)) { range = bound; probs[i] = p + ((2048 - p) >>> 5); sym <<= 1; }
              else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >>> 5); sym = (sym << 1) | 1; align |= 1 << bit; }
            }
            dist = (dist + (value << 4) + align) | 0;
          }
          rep0 = dist;
        }
      }

      // Copy `len` bytes from distance rep0 + 1 (overlapping copies repeat the pattern).
      if ((rep0 >>> 0) >= pos - dictStart || (rep0 >>> 0) >= dictSize) {
        fail(rep0 === -1 ? 'LZMA2: end-of-payload marker inside an LZMA2 chunk' : 'LZMA2: corrupt data (distance beyond the dictionary)');
      }
      if (len > end - pos) fail('LZMA2: corrupt data (match crosses the end of the chunk)');
      let src = pos - rep0 - 1;
      if (len > 32 && rep0 >= len) {
        buf.copyWithin(pos, src, src + len);
        pos += len;
      } else {
        const stop = pos + len;
        do buf[pos++] = buf[src++]!; while (pos < stop);
      }
    }

    if ((range >>> 24) === 0) { range <<= 8; code = (code << 8) | input[ip++]!; }
    if (ip !== inEnd || code !== 0) fail('LZMA2: corrupt chunk (compressed size does not match its contents)');
    this.state = state;
    this.rep0 = rep0; this.rep1 = rep1; this.rep2 = rep2; this.rep3 = rep3;
  }
}
