/**
 * Loader/decoder for the native-oracle fixtures in tests/fixtures/oracle/*.json.
 *
 * The fixtures are produced by tools/oracle/record.ts, which runs each snippet
 * on a real x86-64 CPU (see tools/oracle/README.md).  This module turns the
 * compact JSON form into bigint register arrays and full data-window images.
 *
 * Data-window images are described compactly: `init.mem` is a deterministic
 * pseudo-random fill (`seed`, 0 = all zero) plus optional byte patches;
 * `final.mem` lists only the byte ranges whose value differs from the initial
 * image.  `fillDataWindow` below is the single definition of the fill rule
 * and is also used by the generator, so both sides always agree.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ORACLE_CODE_BASE = 0x0010_0000;
export const ORACLE_DATA_BASE = 0x0020_0000;
export const ORACLE_DATA_SIZE = 0x3000;
/** RFLAGS bits the oracle test compares: CF PF AF ZF SF DF OF. */
export const ORACLE_FLAGS_MASK = 0x0cd5n;

/** GPR order used everywhere in the fixtures. */
export const GPR_NAMES = [
  'rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
] as const;

/** A memory patch: [offset into the data window, hex bytes]. */
export type MemRange = [number, string];

export interface RawMemInit {
  seed: number;
  patch?: MemRange[];
}

/** SIMD state of a case (SIMD families only): XMM0-15, MM0-7 as big-endian hex, MXCSR. */
export interface RawSimdState {
  xmm?: string[];
  mm?: string[];
  mxcsr?: string;
}

export interface RawOracleCase {
  name: string;
  mode: 64 | 32;
  code: string;
  init: { gpr: string[]; rflags: string; mem: RawMemInit } & RawSimdState;
  final: { gpr: string[]; rflags: string; mem: MemRange[] } & RawSimdState;
  fault: null | { vector: number; offset: number };
}

/** Decoded SIMD state: 16 XMM registers and 8 MMX registers as little-endian bytes. */
export interface SimdState {
  xmm: Uint8Array[];
  mm: Uint8Array[];
  mxcsr: number;
}

export interface RawOracleFile {
  family: string;
  cpu: string;
  codeBase: string;
  dataBase: string;
  dataSize: number;
  cases: RawOracleCase[];
}

export interface OracleCase {
  name: string;
  family: string;
  mode: 64 | 32;
  code: Uint8Array;
  codeHex: string;
  init: { gpr: bigint[]; rflags: bigint; mem: Uint8Array; simd?: SimdState };
  final: { gpr: bigint[]; rflags: bigint; mem: Uint8Array; simd?: SimdState };
  fault: null | { vector: number; offset: number };
}

export interface OracleFamily {
  family: string;
  file: string;
  cpu: string;
  cases: OracleCase[];
}

/**
 * Deterministic fill of the data window: xorshift32 stream, 4 bytes per step,
 * little-endian.  Seed 0 means "all zero".
 */
export function fillDataWindow(seed: number, size: number = ORACLE_DATA_SIZE): Uint8Array {
  const out = new Uint8Array(size);
  if (seed === 0) return out;
  let s = seed >>> 0;
  for (let i = 0; i < size; i += 4) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    for (let k = 0; k < 4 && i + k < size; k++) out[i + k] = (s >>> (8 * k)) & 0xff;
  }
  return out;
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) throw new Error(`bad hex string: ${hex.slice(0, 40)}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function applyPatches(mem: Uint8Array, patches: readonly MemRange[] | undefined): Uint8Array {
  for (const [off, hex] of patches ?? []) {
    const b = hexToBytes(hex);
    if (off < 0 || off + b.length > mem.length) throw new Error(`patch out of range at ${off}`);
    mem.set(b, off);
  }
  return mem;
}

/** Build the initial data-window image of a case. */
export function buildInitMem(init: RawMemInit, size: number = ORACLE_DATA_SIZE): Uint8Array {
  return applyPatches(fillDataWindow(init.seed, size), init.patch);
}

/** Ranges where `b` differs from `a` (adjacent differences closer than `gap` are merged). */
export function diffRanges(a: Uint8Array, b: Uint8Array, gap = 4): MemRange[] {
  const out: MemRange[] = [];
  let i = 0;
  while (i < b.length) {
    if (a[i] === b[i]) {
      i++;
      continue;
    }
    const start = i;
    let end = i + 1; // exclusive end of last differing byte
    let j = i + 1;
    while (j < b.length && j - end < gap) {
      if (a[j] !== b[j]) end = j + 1;
      j++;
    }
    out.push([start, bytesToHex(b.subarray(start, end))]);
    i = end;
  }
  return out;
}

/** Decode a SIMD image; in a final image "" means "as in `init`". */
function decodeSimd(raw: RawSimdState, init?: SimdState): SimdState | undefined {
  if (!raw.xmm || !raw.mm || raw.mxcsr === undefined) return undefined;
  const le = (h: string, old: Uint8Array | undefined): Uint8Array => (h === '' && old ? old.slice() : hexToBytes(h).reverse());
  return { xmm: raw.xmm.map((h, r) => le(h, init?.xmm[r])), mm: raw.mm.map((h, r) => le(h, init?.mm[r])), mxcsr: Number(raw.mxcsr) };
}

function decodeCase(raw: RawOracleCase, family: string, size: number): OracleCase {
  const gpr = (xs: string[]): bigint[] => {
    if (xs.length !== 16) throw new Error(`${raw.name}: expected 16 GPRs`);
    return xs.map((x) => BigInt(x));
  };
  const initMem = buildInitMem(raw.init.mem, size);
  const finalMem = applyPatches(initMem.slice(), raw.final.mem);
  const initSimd = decodeSimd(raw.init);
  return {
    name: raw.name,
    family,
    mode: raw.mode,
    code: hexToBytes(raw.code),
    codeHex: raw.code,
    init: { gpr: gpr(raw.init.gpr), rflags: BigInt(raw.init.rflags), mem: initMem, simd: initSimd },
    final: { gpr: gpr(raw.final.gpr), rflags: BigInt(raw.final.rflags), mem: finalMem, simd: decodeSimd(raw.final, initSimd) },
    fault: raw.fault,
  };
}

export function loadOracleFile(file: string): OracleFamily {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawOracleFile;
  if (Number(raw.codeBase) !== ORACLE_CODE_BASE || Number(raw.dataBase) !== ORACLE_DATA_BASE) {
    throw new Error(`${file}: unexpected memory layout`);
  }
  return {
    family: raw.family,
    file,
    cpu: raw.cpu,
    cases: raw.cases.map((c) => decodeCase(c, raw.family, raw.dataSize)),
  };
}

export const ORACLE_FIXTURE_DIR = new URL('../fixtures/oracle/', import.meta.url);

/** All fixture files, sorted by name. */
export function listOracleFixtures(dir: string = fileURLToPath(ORACLE_FIXTURE_DIR)): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

/** Format a value as 0x-prefixed hex, zero-padded to `digits`. */
export function hex(v: bigint | number, digits = 16): string {
  const n = typeof v === 'number' ? BigInt(v) : v;
  const s = (n < 0n ? n & 0xffff_ffff_ffff_ffffn : n).toString(16);
  return '0x' + s.padStart(digits, '0');
}
