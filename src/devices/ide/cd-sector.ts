/**
 * The raw 2352-byte form of a CD-ROM Mode 1 sector (ECMA-130, 14.3 and Annex A/B), which READ CD
 * returns when the host asks for more than the 2048 user bytes: sync pattern, header with the
 * sector's absolute address in BCD, user data, EDC, 8 zero bytes, then the P and Q parity of the
 * Reed-Solomon product code. An ISO image holds only the user data, so the drive rebuilds the rest.
 *
 *   0    12  sync: 00h, 10 x FFh, 00h
 *   12    4  header: minute, second, frame (BCD, absolute time = LBA + 150 frames), mode = 01h
 *   16 2048  user data
 *   2064  4  EDC over bytes 0-2063, least significant byte first
 *   2068  8  zero
 *   2076 172 P parity, 2248 104 Q parity (over bytes 12-2075)
 *
 * Also the Q sub-channel of a data track (ECMA-130 22.3) for READ CD's sub-channel selection.
 */

export const RAW_SECTOR = 2352;
export const USER_DATA = 2048;
/** Two seconds of pre-gap before LBA 0 (ECMA-130 22.3.3.2): absolute frame = LBA + 150. */
export const PREGAP_FRAMES = 150;

/** Offsets of the regions of a raw Mode 1 sector. */
export const Mode1 = { Sync: 0, Header: 12, User: 16, Edc: 2064, Zero: 2068, P: 2076, Q: 2248 } as const;

// ---- GF(2^8) with the field polynomial x^8 + x^4 + x^3 + x^2 + 1 (ECMA-130 Annex A) ----

const EXP = new Uint8Array(512);
const LOG = new Uint8Array(256);
{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;
}

function mul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : EXP[LOG[a]! + LOG[b]!]!;
}

function div(a: number, b: number): number {
  return a === 0 ? 0 : EXP[LOG[a]! + 255 - LOG[b]!]!;
}

/** α + 1, the divisor when solving for the two parity symbols. */
const ALPHA_PLUS_ONE = 2 ^ 1;

/**
 * Two parity symbols that complete a codeword of `n` symbols (n - 2 data + 2 parity) so that both
 * check equations of ECMA-130 Annex A hold: Σ V_i = 0 and Σ α^(n-1-i) V_i = 0.
 * With S0 = Σ data, S1 = Σ α^(n-1-i) data (parity at weights α^1 and α^0):
 *   p0 + p1 = S0,  α·p0 + p1 = S1   =>   p0 = (S0 + S1) / (α + 1),  p1 = S0 + p0.
 */
function parity(symbols: number[], n: number): [number, number] {
  let s0 = 0, s1 = 0;
  for (let i = 0; i < symbols.length; i++) {
    const v = symbols[i]!;
    s0 ^= v;
    s1 ^= mul(EXP[n - 1 - i]!, v);
  }
  const p0 = div(s0 ^ s1, ALPHA_PLUS_ONE);
  return [p0, s0 ^ p0];
}

/**
 * The P and Q parity of a sector whose bytes 12-2075 are filled in (ECMA-130 Annex A). Those 2064
 * bytes are 1032 16-bit words (low byte first), processed as two independent byte planes.
 * P: the words as 24 rows x 43 columns; each column (24 symbols) gets two parity words, stored
 *    as rows 24 and 25 (bytes 2076-2247).
 * Q: the 1118 words including P as 26 diagonals of 43 symbols (word 44j + 43d mod 1118); each
 *    diagonal gets two parity words, stored at word 1118 + d and 1144 + d (bytes 2248-2351).
 */
function fillParity(sector: Uint8Array): void {
  const base = Mode1.Header;
  const word = (w: number, plane: number) => sector[base + 2 * w + plane]!;
  for (let plane = 0; plane < 2; plane++) {
    for (let col = 0; col < 43; col++) {
      const v: number[] = [];
      for (let row = 0; row < 24; row++) v.push(word(43 * row + col, plane));
      const [p0, p1] = parity(v, 26);
      sector[base + 2 * (1032 + col) + plane] = p0;
      sector[base + 2 * (1032 + 43 + col) + plane] = p1;
    }
  }
  for (let plane = 0; plane < 2; plane++) {
    for (let d = 0; d < 26; d++) {
      const v: number[] = [];
      for (let j = 0; j < 43; j++) v.push(word((44 * j + 43 * d) % 1118, plane));
      const [q0, q1] = parity(v, 45);
      sector[base + 2 * (1118 + d) + plane] = q0;
      sector[base + 2 * (1118 + 26 + d) + plane] = q1;
    }
  }
}

/** The check vectors of a filled-in sector (for tests): every P column and Q diagonal codeword. */
export function eccCodewords(sector: Uint8Array): { p: number[][]; q: number[][] } {
  const base = Mode1.Header;
  const word = (w: number, plane: number) => sector[base + 2 * w + plane]!;
  const p: number[][] = [], q: number[][] = [];
  for (let plane = 0; plane < 2; plane++) {
    for (let col = 0; col < 43; col++) {
      const v: number[] = [];
      for (let row = 0; row < 26; row++) v.push(word(43 * row + col, plane));
      p.push(v);
    }
    for (let d = 0; d < 26; d++) {
      const v: number[] = [];
      for (let j = 0; j < 43; j++) v.push(word((44 * j + 43 * d) % 1118, plane));
      v.push(word(1118 + d, plane), word(1144 + d, plane));
      q.push(v);
    }
  }
  return { p, q };
}

/** The two syndromes Σ V_i and Σ α^(n-1-i) V_i of a codeword: both zero when it is valid. */
export function syndromes(v: number[]): [number, number] {
  let s0 = 0, s1 = 0;
  for (let i = 0; i < v.length; i++) {
    s0 ^= v[i]!;
    s1 ^= mul(EXP[v.length - 1 - i]!, v[i]!);
  }
  return [s0, s1];
}

// ---- EDC: the 32-bit CRC of ECMA-130 14.3, P(x) = (x^16 + x^15 + x^2 + 1)(x^16 + x^2 + x + 1) ----

/** The product polynomial x^32+x^31+x^16+x^15+x^4+x^3+x+1, bit-reversed (the EDC is sent LSB first). */
const EDC_POLY_REFLECTED = 0xd8018001;
const EDC_TABLE = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ EDC_POLY_REFLECTED : c >>> 1;
  EDC_TABLE[i] = c >>> 0;
}

/** EDC over `data` (initial value 0, no final inversion). */
export function edc(data: Uint8Array): number {
  let crc = 0;
  for (let i = 0; i < data.length; i++) crc = (EDC_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)) >>> 0;
  return crc;
}

// ---- addresses ----

export function bcd(n: number): number {
  return ((Math.floor(n / 10) % 10) << 4) | (n % 10);
}

/** A frame count as minute, second, frame. */
export function framesToMsf(frames: number): [number, number, number] {
  return [Math.floor(frames / (60 * 75)), Math.floor(frames / 75) % 60, frames % 75];
}

/** The raw Mode 1 sector at `lba` holding `user` (2048 bytes). */
export function mode1Sector(lba: number, user: Uint8Array): Uint8Array {
  const s = new Uint8Array(RAW_SECTOR);
  s.fill(0xff, 1, 11);
  const [m, sec, f] = framesToMsf(lba + PREGAP_FRAMES);
  s[12] = bcd(m);
  s[13] = bcd(sec);
  s[14] = bcd(f);
  s[15] = 1;
  s.set(user.subarray(0, USER_DATA), Mode1.User);
  const crc = edc(s.subarray(0, Mode1.Edc));
  s[2064] = crc & 0xff;
  s[2065] = (crc >>> 8) & 0xff;
  s[2066] = (crc >>> 16) & 0xff;
  s[2067] = crc >>> 24;
  fillParity(s);
  return s;
}

/** CRC-16 of the Q sub-channel: x^16 + x^12 + x^5 + 1, MSB first, stored inverted (ECMA-130 22.3.5). */
export function subQCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return ~crc & 0xffff;
}

/**
 * The Q sub-channel of sector `lba` of track 1 (a data track starting at LBA 0), mode 1 (ADR 1,
 * current position): CONTROL 4 (data, copy prohibited) / ADR 1, TNO 01, INDEX 01, the track-relative
 * time, a zero byte, the absolute time (all BCD), then the CRC; 12 bytes (ECMA-130 22.3.3).
 */
export function subQ(lba: number): Uint8Array {
  const q = new Uint8Array(12);
  q[0] = 0x41;
  q[1] = 0x01;
  q[2] = 0x01;
  const [rm, rs, rf] = framesToMsf(lba);
  const [am, as, af] = framesToMsf(lba + PREGAP_FRAMES);
  q.set([bcd(rm), bcd(rs), bcd(rf), 0, bcd(am), bcd(as), bcd(af)], 3);
  const crc = subQCrc(q.subarray(0, 10));
  q[10] = crc >>> 8;
  q[11] = crc & 0xff;
  return q;
}
