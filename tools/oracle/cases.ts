/**
 * Test-case generator for the native oracle.
 *
 * Every case is a short snippet (nasm source, or raw bytes) plus an initial
 * machine state.  Generation is fully deterministic (seeded PRNG), so
 * re-recording on the same CPU reproduces the same fixtures.
 *
 * Conventions (see also tools/oracle/README.md):
 *  - code runs at CODE_BASE (0x00100000), the data window is DATA_BASE
 *    (0x00200000) .. +0x3000; nothing else is mapped.
 *  - RSP starts inside the window (page 2) unless a case says otherwise;
 *    memory operands use a base register pointing into pages 0/1.
 *  - mode 32 cases only use the low 32 bits of rax..rdi; r8..r15 are 0.
 */
import { fillDataWindow, ORACLE_DATA_BASE, type MemRange, type RawMemInit } from '../../tests/support/oracle-fixture.js';
import { generateSimdFamilies } from './simd-cases.js';

export type Mode = 64 | 32;

export interface CaseSpec {
  name: string;
  mode: Mode;
  /** nasm source lines (without `bits`); local labels (.x) are allowed. */
  asm?: string[];
  /** raw code bytes as hex, used instead of asm */
  bytes?: string;
  gpr: bigint[];
  rflags: bigint;
  mem: RawMemInit;
  /** SIMD cases: XMM0-15 then MM0-7 as hex (320 bytes), and MXCSR (simd-cases.ts). */
  simd?: { regs: string; mxcsr: number };
}

export interface Family {
  name: string;
  description: string;
  cases: CaseSpec[];
}

const DB = BigInt(ORACLE_DATA_BASE);
const STACK_TOP = DB + 0x2800n;
const M64 = (1n << 64n) - 1n;
const ARITH_FLAGS = [0x1n, 0x4n, 0x10n, 0x40n, 0x80n, 0x800n]; // CF PF AF ZF SF OF
const DF = 0x400n;

// ---------------------------------------------------------------- PRNG

/** splitmix64 */
export class Rng {
  private s: bigint;
  constructor(seed: number) {
    this.s = BigInt(seed) & M64;
  }
  u64(): bigint {
    this.s = (this.s + 0x9e3779b97f4a7c15n) & M64;
    let z = this.s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    return z ^ (z >> 31n);
  }
  int(n: number): number {
    return Number(this.u64() % BigInt(n));
  }
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  bool(p = 0.5): boolean {
    return this.int(1_000_000) < p * 1_000_000;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  seed32(): number {
    return (Number(this.u64() & 0xffffffffn) | 1) >>> 0;
  }
}

// ---------------------------------------------------------------- registers

const R64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
const R8 = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'];
const R8H = ['ah', 'ch', 'dh', 'bh'];

type Size = 8 | 16 | 32 | 64;

/** A register operand: index into the GPR file, plus whether it is ah/ch/dh/bh. */
interface Reg {
  idx: number;
  high: boolean;
  size: Size;
  name: string;
}

function regName(size: Size, idx: number, high = false): string {
  if (high) return R8H[idx]!;
  return (size === 64 ? R64 : size === 32 ? R32 : size === 16 ? R16 : R8)[idx]!;
}

function mkReg(size: Size, idx: number, high = false): Reg {
  return { size, idx, high, name: regName(size, idx, high) };
}

const sizeKw = (s: Size): string => (s === 8 ? 'byte' : s === 16 ? 'word' : s === 32 ? 'dword' : 'qword');
const sizeMask = (s: Size): bigint => (1n << BigInt(s)) - 1n;
const SIZES64: Size[] = [8, 16, 32, 64];
const SIZES32: Size[] = [8, 16, 32];
const sizesFor = (m: Mode): Size[] => (m === 64 ? SIZES64 : SIZES32);

function toSigned(v: bigint, s: number): bigint {
  const m = (1n << BigInt(s)) - 1n;
  v &= m;
  return v >= 1n << BigInt(s - 1) ? v - (1n << BigInt(s)) : v;
}

/** Interesting values for an operand of `s` bits. */
function edgeValues(s: Size): bigint[] {
  const m = sizeMask(s);
  const sb = 1n << BigInt(s - 1);
  const pat55 = m / 3n; // 0x5555...
  return [0n, 1n, 2n, 3n, 0x7fn & m, 0x80n & m, 0xffn & m, 0x0fn, 0x10n, sb - 1n, sb, sb + 1n, m, m - 1n, pat55, pat55 << 1n, 0x7fffn & m, 0x8000n & m, 0x7fffffffn & m, 0x80000000n & m];
}

function value(rng: Rng, s: Size): bigint {
  const r = rng.int(10);
  if (r < 4) return rng.pick(edgeValues(s));
  if (r < 5) return BigInt(rng.range(0, 40)); // small
  return rng.u64() & sizeMask(s);
}

/** Random full 64-bit register content mixing edge and random values. */
function regValue(rng: Rng): bigint {
  const r = rng.int(10);
  if (r < 3) return rng.pick(edgeValues(64));
  if (r < 4) return rng.pick(edgeValues(32)) | (rng.u64() & 0xffffffff00000000n);
  return rng.u64();
}

// ---------------------------------------------------------------- case state

class Ctx {
  readonly gpr: bigint[];
  rflags: bigint;
  mem: RawMemInit;
  private used = new Set<number>();
  constructor(readonly rng: Rng, readonly mode: Mode) {
    this.gpr = [];
    for (let i = 0; i < 16; i++) {
      let v = regValue(rng);
      if (mode === 32) v = i < 8 ? v & 0xffffffffn : 0n;
      this.gpr.push(v);
    }
    this.gpr[4] = STACK_TOP - BigInt(rng.pick([0, 0, 0, 8, 4, 0x10, 0x100]));
    this.used.add(4);
    this.rflags = randomFlags(rng);
    this.mem = { seed: rng.seed32() };
  }
  /** Value of a register as seen at width `s` after setting it. */
  set(r: Reg, v: bigint): void {
    const i = r.idx;
    this.used.add(i);
    const old = this.gpr[i]!;
    let nv: bigint;
    if (r.high) nv = (old & ~0xff00n) | ((v & 0xffn) << 8n);
    else nv = (old & ~sizeMask(r.size)) | (v & sizeMask(r.size));
    if (this.mode === 32) nv &= 0xffffffffn;
    this.gpr[i] = nv;
  }
  setIdx(i: number, v: bigint): void {
    this.used.add(i);
    this.gpr[i] = this.mode === 32 ? v & 0xffffffffn : v & M64;
  }
  reserve(...idx: number[]): void {
    for (const i of idx) this.used.add(i);
  }
  /** Pick an unused general register index (never rsp). */
  freeIdx(): number {
    const n = this.mode === 64 ? 16 : 8;
    const cands: number[] = [];
    for (let i = 0; i < n; i++) if (i !== 4 && !this.used.has(i)) cands.push(i);
    const i = this.rng.pick(cands);
    this.used.add(i);
    return i;
  }
  /** A random register operand of the given size (not rsp). */
  reg(s: Size, opts: { legacy8?: boolean; allowHigh?: boolean } = {}): Reg {
    if (s === 8) {
      const legacy = this.mode === 32 || opts.legacy8;
      if (legacy) {
        // al cl dl bl / ah ch dh bh
        const cands: Reg[] = [];
        for (let i = 0; i < 4; i++) {
          if (!this.used.has(i)) cands.push(mkReg(8, i));
          if (!this.used.has(i) && opts.allowHigh !== false) cands.push(mkReg(8, i, true));
        }
        const r = this.rng.pick(cands);
        this.used.add(r.idx);
        return r;
      }
    }
    return mkReg(s, this.freeIdx());
  }
  /**
   * A memory operand of `s` bits inside pages 0/1 of the window.  Sets a free
   * base register (and sometimes an index register) accordingly.
   */
  memop(s: Size | null, opts: { lo?: number; hi?: number; align?: number } = {}): string {
    const lo = opts.lo ?? 0x100;
    const hi = opts.hi ?? 0x1e00;
    let target = BigInt(this.rng.range(lo, hi));
    if (opts.align) target &= ~BigInt(opts.align - 1);
    const addrSize: Size = this.mode === 64 ? 64 : 32;
    const base = this.freeIdx();
    const kind = this.rng.int(4);
    let text: string;
    const kw = s === null ? '' : sizeKw(s) + ' ';
    if (kind === 0) {
      this.setIdx(base, DB + target);
      text = `[${regName(addrSize, base)}]`;
    } else if (kind === 1 || this.mode === 32 && kind === 3) {
      const disp = this.rng.range(-0x80, 0x7f);
      this.setIdx(base, DB + target - BigInt(disp));
      text = `[${regName(addrSize, base)}${disp < 0 ? '-' : '+'}0x${Math.abs(disp).toString(16)}]`;
    } else if (kind === 2) {
      const idx = this.freeIdx();
      const scale = this.rng.pick([1, 2, 4, 8]);
      const iv = BigInt(this.rng.range(-0x40, 0x40));
      const disp = this.rng.range(-0x100, 0x100);
      this.setIdx(idx, iv);
      this.setIdx(base, DB + target - iv * BigInt(scale) - BigInt(disp));
      text = `[${regName(addrSize, base)}+${regName(addrSize, idx)}*${scale}${disp < 0 ? '-' : '+'}0x${Math.abs(disp).toString(16)}]`;
    } else {
      // 64-bit: absolute disp32 (sign-extended) without base
      this.used.delete(base);
      text = `[abs dword 0x${(DB + target).toString(16)}]`;
    }
    return kw + text;
  }
  patch(off: number, bytes: Uint8Array | number[]): void {
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    (this.mem.patch ??= []).push([off, hex] as MemRange);
  }
  /** Current initial memory image (for cases that need to know it). */
  memImage(): Uint8Array {
    const m = fillDataWindow(this.mem.seed);
    for (const [off, hex] of this.mem.patch ?? []) for (let i = 0; i < hex.length / 2; i++) m[off + i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return m;
  }
  finish(name: string, asm: string[] | { bytes: string }): CaseSpec {
    const c: CaseSpec = { name, mode: this.mode, gpr: this.gpr.slice(), rflags: this.rflags, mem: this.mem };
    if (Array.isArray(asm)) c.asm = asm;
    else c.bytes = asm.bytes;
    return c;
  }
}

function randomFlags(rng: Rng, df = rng.bool(0.125)): bigint {
  let f = 2n;
  for (const b of ARITH_FLAGS) if (rng.bool()) f |= b;
  if (df) f |= DF;
  return f;
}

function le(v: bigint, bytes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes; i++) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
  return out;
}

function imm(v: bigint, s: number): string {
  const x = toSigned(v, s);
  return x < 0n ? `-0x${(-x).toString(16)}` : `0x${x.toString(16)}`;
}

/** Collects cases with unique names. */
class Bag {
  readonly cases: CaseSpec[] = [];
  private names = new Map<string, number>();
  add(c: CaseSpec): void {
    const n = this.names.get(c.name) ?? 0;
    this.names.set(c.name, n + 1);
    if (n > 0) c.name = `${c.name} #${n}`;
    this.cases.push(c);
  }
}

const MODES: Mode[] = [64, 32];

// ---------------------------------------------------------------- families

function famMov(rng: Rng): CaseSpec[] {
  const bag = new Bag();
  for (const mode of MODES) {
    const reps = mode === 64 ? 3 : 2;
    for (const s of sizesFor(mode)) {
      for (let k = 0; k < reps; k++) {
        // reg, reg
        let c = new Ctx(rng, mode);
        const leg = mode === 64 && s === 8 && k === 0;
        let d = c.reg(s, { legacy8: leg }), r = c.reg(s, { legacy8: leg });
        c.set(r, value(rng, s));
        bag.add(c.finish(`mov r${s},r${s}`, [`mov ${d.name}, ${r.name}`]));
        // reg, mem
        c = new Ctx(rng, mode);
        d = c.reg(s);
        bag.add(c.finish(`mov r${s},m${s}`, [`mov ${d.name}, ${c.memop(s)}`]));
        // mem, reg
        c = new Ctx(rng, mode);
        r = c.reg(s);
        c.set(r, value(rng, s));
        bag.add(c.finish(`mov m${s},r${s}`, [`mov ${c.memop(s)}, ${r.name}`]));
        // reg, imm
        c = new Ctx(rng, mode);
        d = c.reg(s);
        const iv = value(rng, s === 64 ? 32 : s);
        bag.add(c.finish(`mov r${s},imm`, [`mov ${d.name}, strict ${sizeKw(s === 64 ? 32 : s)} ${imm(iv, s === 64 ? 32 : s)}`]));
        // mem, imm
        c = new Ctx(rng, mode);
        bag.add(c.finish(`mov m${s},imm`, [`mov ${c.memop(s)}, ${imm(value(rng, s === 64 ? 32 : s), s === 64 ? 32 : s)}`]));
        // moffs (accumulator <-> absolute address)
        c = new Ctx(rng, mode);
        const acc = regName(s, 0);
        const addr = (DB + BigInt(rng.range(0, 0x2ff0))).toString(16);
        const moffs = mode === 64 ? `[abs qword 0x${addr}]` : `[0x${addr}]`;
        bag.add(c.finish(`mov acc${s},moffs`, [`mov ${acc}, ${moffs}`]));
        c = new Ctx(rng, mode);
        bag.add(c.finish(`mov moffs,acc${s}`, [`mov ${moffs}, ${acc}`]));
      }
    }
    if (mode === 64) {
      for (let k = 0; k < 4; k++) {
        const c = new Ctx(rng, mode);
        const d = c.reg(64);
        bag.add(c.finish('mov r64,imm64', [`mov ${d.name}, strict qword 0x${regValue(rng).toString(16)}`]));
      }
    }
    // movzx / movsx / movsxd
    const ext: Array<[string, Size, Size]> = [
      ['movzx', 16, 8], ['movzx', 32, 8], ['movzx', 32, 16], ['movsx', 16, 8], ['movsx', 32, 8], ['movsx', 32, 16],
    ];
    if (mode === 64) ext.push(['movzx', 64, 8], ['movzx', 64, 16], ['movsx', 64, 8], ['movsx', 64, 16], ['movsxd', 64, 32]);
    for (const [op, ds, ss] of ext) {
      for (let k = 0; k < reps; k++) {
        let c = new Ctx(rng, mode);
        const d = c.reg(ds);
        const r = c.reg(ss, { allowHigh: mode === 32 ? undefined : false });
        c.set(r, rng.bool() ? rng.pick(edgeValues(ss)) : value(rng, ss));
        bag.add(c.finish(`${op} r${ds},r${ss}`, [`${op} ${d.name}, ${r.name}`]));
        c = new Ctx(rng, mode);
        const d2 = c.reg(ds);
        bag.add(c.finish(`${op} r${ds},m${ss}`, [`${op} ${d2.name}, ${c.memop(ss)}`]));
      }
    }
  }
  return bag.cases;
}

const ALU_OPS = ['add', 'adc', 'sub', 'sbb', 'and', 'or', 'xor', 'cmp', 'test'];

function famAlu(rng: Rng): CaseSpec[] {
  const bag = new Bag();
  for (const mode of MODES) {
    for (const op of ALU_OPS) {
      for (const s of sizesFor(mode)) {
        const reps = mode === 64 ? 2 : 2;
        const forms = op === 'test' ? ['rr', 'mr', 'ri', 'mi', 'acc'] : ['rr', 'rm', 'mr', 'ri8', 'ri', 'mi', 'mi8', 'acc'];
        for (const form of forms) {
          if ((form === 'ri8' || form === 'mi8') && s === 8) continue;
          for (let k = 0; k < reps; k++) {
            const c = new Ctx(rng, mode);
            const is = s === 64 ? 32 : s;
            let line: string;
            if (form === 'rr') {
              const leg = mode === 64 && s === 8 && rng.bool(0.3);
              const d = c.reg(s, { legacy8: leg });
              const r = rng.bool(0.1) ? d : c.reg(s, { legacy8: leg });
              c.set(d, value(rng, s));
              if (r !== d) c.set(r, value(rng, s));
              line = `${op} ${d.name}, ${r.name}`;
            } else if (form === 'rm') {
              const d = c.reg(s);
              c.set(d, value(rng, s));
              line = `${op} ${d.name}, ${c.memop(s)}`;
            } else if (form === 'mr') {
              const r = c.reg(s);
              c.set(r, value(rng, s));
              line = `${op} ${c.memop(s)}, ${r.name}`;
            } else if (form === 'ri8') {
              c.reserve(0);
              const d = c.reg(s);
              c.set(d, value(rng, s));
              line = `${op} ${d.name}, byte ${imm(value(rng, 8), 8)}`;
            } else if (form === 'ri') {
              c.reserve(0);
              const d = c.reg(s, { allowHigh: true });
              c.set(d, value(rng, s));
              line = `${op} ${d.name}, strict ${sizeKw(s)} ${imm(value(rng, is), is)}`;
            } else if (form === 'mi') {
              line = `${op} ${c.memop(s)}, strict ${sizeKw(s)} ${imm(value(rng, is), is)}`;
            } else if (form === 'mi8') {
              line = `${op} ${c.memop(s)}, byte ${imm(value(rng, 8), 8)}`;
            } else {
              const a = mkReg(s, 0);
              c.set(a, value(rng, s));
              line = `${op} ${a.name}, strict ${sizeKw(s)} ${imm(value(rng, is), is)}`;
            }
            const formName: Record<string, string> = {
              rr: `r${s},r${s}`, rm: `r${s},m${s}`, mr: `m${s},r${s}`, ri8: `r${s},imm8`, ri: `r${s},imm`,
              mi: `m${s},imm`, mi8: `m${s},imm8`, acc: `acc${s},imm`,
            };
            bag.add(c.finish(`${op} ${formName[form]}`, [line]));
          }
        }
      }
    }
    // unary: inc dec neg not
    for (const op of ['inc', 'dec', 'neg', 'not']) {
      for (const s of sizesFor(mode)) {
        for (let k = 0; k < 4; k++) {
          let c = new Ctx(rng, mode);
          const d = c.reg(s);
          c.set(d, rng.bool(0.6) ? rng.pick(edgeValues(s)) : value(rng, s));
          bag.add(c.finish(`${op} r${s}`, [`${op} ${d.name}`]));
          if (k < 2) {
            c = new Ctx(rng, mode);
            bag.add(c.finish(`${op} m${s}`, [`${op} ${c.memop(s)}`]));
          }
        }
      }
    }
  }
  return bag.cases;
}

const SHIFT_OPS = ['shl', 'shr', 'sar', 'rol', 'ror', 'rcl', 'rcr'];

function famShift(rng: Rng): CaseSpec[] {
  const bag = new Bag();
  for (const mode of MODES) {
    for (const op of SHIFT_OPS) {
      for (const s of sizesFor(mode)) {
        // by 1 (D0/D1)
        for (let k = 0; k < 3; k++) {
          const c = new Ctx(rng, mode);
          if (k < 2) {
            const d = c.reg(s);
            c.set(d, value(rng, s));
            bag.add(c.finish(`${op} r${s},1`, [`${op} ${d.name}, 1`]));
          } else {
            bag.add(c.finish(`${op} m${s},1`, [`${op} ${c.memop(s)}, 1`]));
          }
        }
        // counts: imm8 and CL
        const counts = mode === 64 ? [0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 70, rng.range(0, 255)] : [0, 1, 4, 7, 8, 9, 16, 17, 31, 32, 33, 65, 70];
        for (const n of counts) {
          // each count once, alternating imm8 / CL (plus both forms for the interesting counts)
          const both = n === 0 || n === s || n === s + 1 || n === 32 || n === 70;
          for (const form of both ? ['imm', 'cl'] : [rng.pick(['imm', 'cl'])]) {
            const c = new Ctx(rng, mode);
            c.reserve(1);
            const useMem = rng.bool(0.25);
            let dst: string;
            if (useMem) dst = c.memop(s);
            else {
              const d = c.reg(s);
              c.set(d, value(rng, s));
              dst = d.name;
            }
            if (form === 'imm') {
              bag.add(c.finish(`${op} ${useMem ? 'm' : 'r'}${s},${n}`, [`${op} ${dst}, byte ${n}`]));
            } else {
              c.set(mkReg(8, 1), BigInt(n));
              bag.add(c.finish(`${op} ${useMem ? 'm' : 'r'}${s},cl=${n}`, [`${op} ${dst}, cl`]));
            }
          }
        }
      }
    }
    // shld / shrd
    for (const op of ['shld', 'shrd']) {
      for (const s of [16, 32, 64] as Size[]) {
        if (s === 64 && mode === 32) continue;
        const counts = [0, 1, 2, 7, 8, 15, 16, 17, 24, 31, 32, 33, 63, 64, rng.range(0, 255)];
        for (const n of counts) {
          for (const form of ['imm', 'cl']) {
            const c = new Ctx(rng, mode);
            c.reserve(1);
            const src = c.reg(s);
            c.set(src, value(rng, s));
            let dst: string;
            const useMem = rng.bool(0.25);
            if (useMem) dst = c.memop(s);
            else {
              const d = c.reg(s);
              c.set(d, value(rng, s));
              dst = d.name;
            }
            if (form === 'imm') bag.add(c.finish(`${op} ${useMem ? 'm' : 'r'}${s},r,${n}`, [`${op} ${dst}, ${src.name}, ${n}`]));
            else {
              c.set(mkReg(8, 1), BigInt(n));
              bag.add(c.finish(`${op} ${useMem ? 'm' : 'r'}${s},r,cl=${n}`, [`${op} ${dst}, ${src.name}, cl`]));
            }
          }
        }
      }
    }
  }
  return bag.cases;
}

function famMulDiv(rng: Rng): CaseSpec[] {
  const bag = new Bag();
  for (const mode of MODES) {
    for (const s of sizesFor(mode)) {
      const acc = mkReg(s, 0);
      const hiReg = s === 8 ? mkReg(8, 0, true) : mkReg(s, 2);
      // one-operand mul/imul
      for (const op of ['mul', 'imul']) {
        for (let k = 0; k < 6; k++) {
          const c = new Ctx(rng, mode);
          c.reserve(0, 2);
          c.set(acc, value(rng, s));
          let src: string;
          if (k % 3 === 2) src = c.memop(s);
          else {
            const r = c.reg(s, { allowHigh: false });
            c.set(r, value(rng, s));
            src = r.name;
          }
          bag.add(c.finish(`${op} ${k % 3 === 2 ? 'm' : 'r'}${s}`, [`${op} ${src}`]));
        }
      }
      // div/idiv
      for (const op of ['div', 'idiv']) {
        for (let k = 0; k < 10; k++) {
          const c = new Ctx(rng, mode);
          c.reserve(0, 2);
          const kind = k < 7 ? 'ok' : k === 7 ? 'zero' : 'overflow';
          let divisor: bigint, lo: bigint, hi: bigint;
          const S = BigInt(s);
          for (;;) {
            divisor = kind === 'zero' ? 0n : value(rng, s);
            if (kind !== 'zero' && divisor === 0n) continue;
            lo = value(rng, s);
            hi = value(rng, s);
            if (kind === 'ok' && rng.bool(0.5)) hi = op === 'div' ? 0n : (toSigned(lo, s) < 0n ? sizeMask(s) : 0n);
            if (kind === 'overflow' && op === 'idiv' && rng.bool(0.5)) {
              // INT_MIN / -1
              divisor = sizeMask(s);
              lo = 0n;
              hi = 1n << (S - 1n);
              if (s === 8) { lo = 0n; hi = 0x80n; } // AX = 0x8000
            }
            const dividend = (hi << S) | lo;
            let overflow: boolean;
            if (divisor === 0n) overflow = true;
            else if (op === 'div') overflow = dividend / divisor > sizeMask(s);
            else {
              const q = toSigned(dividend, 2 * s) / toSigned(divisor, s);
              overflow = q > (1n << (S - 1n)) - 1n || q < -(1n << (S - 1n));
            }
            if ((kind === 'ok') === !overflow || kind === 'zero') break;
          }
          if (s === 8) c.set(mkReg(16, 0), (hi << 8n) | lo);
          else {
            c.set(acc, lo);
            c.set(hiReg, hi);
          }
          let src: string;
          const useMem = k % 2 === 1;
          if (useMem) {
            src = c.memop(s);
            // place divisor into memory
            const addr = memTarget(c, src);
            c.patch(addr, le(divisor, s / 8));
          } else {
            const r = c.reg(s, { allowHigh: false });
            c.set(r, divisor);
            src = r.name;
          }
          bag.add(c.finish(`${op} ${useMem ? 'm' : 'r'}${s} ${kind}`, [`${op} ${src}`]));
        }
      }
    }
    // imul 2- and 3-operand
    for (const s of [16, 32, 64] as Size[]) {
      if (s === 64 && mode === 32) continue;
      for (let k = 0; k < 12; k++) {
        const c = new Ctx(rng, mode);
        const d = c.reg(s);
        c.set(d, value(rng, s));
        const form = k % 4;
        let src: string;
        if (k % 3 === 2) src = c.memop(s);
        else {
          const r = c.reg(s);
          c.set(r, value(rng, s));
          src = r.name;
        }
        const m = src.includes('[') ? 'm' : 'r';
        if (form <= 1) bag.add(c.finish(`imul r${s},${m}${s}`, [`imul ${d.name}, ${src}`]));
        else if (form === 2) bag.add(c.finish(`imul r${s},${m}${s},imm8`, [`imul ${d.name}, ${src}, byte ${imm(value(rng, 8), 8)}`]));
        else {
          const is = s === 64 ? 32 : s;
          bag.add(c.finish(`imul r${s},${m}${s},imm`, [`imul ${d.name}, ${src}, strict ${sizeKw(is)} ${imm(value(rng, is), is)}`]));
        }
      }
    }
  }
  return bag.cases;
}

/** Data-window offset a memory operand string refers to (given the ctx register values). */
function memTarget(c: Ctx, op: string): number {
  const m = /\[(.*)\]/.exec(op);
  if (!m) throw new Error(`no memory operand in ${op}`);
  let inner = m[1]!.replace(/^abs (dword|qword) /, '');
  let addr = 0n;
  inner = inner.replace(/-/g, '+-');
  for (const term of inner.split('+').filter((t) => t.length > 0)) {
    const neg = term.startsWith('-');
    const t = neg ? term.slice(1) : term;
    let v: bigint;
    const sc = /^(\w+)\*(\d)$/.exec(t);
    if (sc) v = regVal(c, sc[1]!) * BigInt(sc[2]!);
    else if (/^0x[0-9a-f]+$|^\d+$/.test(t)) v = BigInt(t);
    else v = regVal(c, t);
    addr += neg ? -v : v;
  }
  const mask = c.mode === 64 ? M64 : 0xffffffffn;
  return Number(((addr & mask) - DB) & mask);
}

function regVal(c: Ctx, name: string): bigint {
  let i = R64.indexOf(name);
  if (i >= 0) return c.gpr[i]!;
  i = R32.indexOf(name);
  if (i >= 0) return c.gpr[i]! & 0xffffffffn;
  throw new Error(`unknown address register ${name}`);
}

function famBcd(rng: Rng): CaseSpec[] {
  const bag = new Bag();
  const mode: Mode = 32;
  for (const op of ['daa', 'das', 'aaa', 'aas']) {
    for (let k = 0; k < 60; k++) {
      const c = new Ctx(rng, mode);
      const al = k < 16 ? BigInt(rng.pick([0x00, 0x09, 0x0a, 0x0f, 0x10, 0x19, 0x1a, 0x99, 0x9a, 0x9f, 0xa0, 0xf9, 0xfa, 0xff])) : BigInt(rng.int(256));
      c.set(mkReg(8, 0), al);
      c.set(mkReg(8, 0, true), BigInt(rng.int(256)));
      bag.add(c.finish(`${op} al=${al.toString(16)}`, [op]));
    }
  }
  for (const op of ['aam', 'aad']) {
    for (let k = 0; k < 40; k++) {
      const c = new Ctx(rng, mode);
      c.set(mkReg(16, 0), BigInt(rng.int(65536)));
      const base = k < 20 ? 10 : k < 22 && op === 'aam' ? 0 : rng.int(256);
      bag.add(c.finish(`${op} ${base}`, [base === 10 && k % 2 === 0 ? op : `${op} ${base}`]));
    }
  }
  return bag.cases;
}

function famBits(rng: Rng): CaseSpec[] {
  const bag = new Bag();
  for (const mode of MODES) {
    const ss: Size[] = mode === 64 ? [16, 32, 64] : [16, 32];
    for (const op of ['bt', 'bts', 'btr', 'btc']) {
      for (const s of ss) {
        for (let k = 0; k < 3; k++) {
          // reg, reg
          let c = new Ctx(rng, mode);
          const d = c.reg(s);
          const r = c.reg(s);
          c.set(d, value(rng, s));
          c.set(r, rng.bool() ? BigInt(rng.range(0, 2 * s)) : value(rng, s));
          bag.add(c.finish(`${op} r${s},r${s}`, [`${op} ${d.name}, ${r.name}`]));
          // reg, imm8
          c = new Ctx(rng, mode);
          const d2 = c.reg(s);
          c.set(d2, value(rng, s));
          bag.add(c.finish(`${op} r${s},imm8`, [`${op} ${d2.name}, ${rng.range(0, 255)}`]));
          // mem, imm8
          c = new Ctx(rng, mode);
          bag.add(c.finish(`${op} m${s},imm8`, [`${op} ${c.memop(s)}, ${rng.range(0, 255)}`]));
        }
        // mem, reg: bit string with large / negative offsets
        for (let k = 0; k < 6; k++) {
          const c = new Ctx(rng, mode);
          const r = c.reg(s);
          const maxBits = s === 16 ? 0x7fff : 0x8000;
          let off = BigInt(rng.range(-maxBits, maxBits));
          if (k === 0) off = BigInt(rng.range(0, s - 1));
          if (k === 5 && s !== 16) off = rng.bool() ? 0x7fff0000n : -0x7fff0000n; // far outside: faults
          c.set(r, off & sizeMask(s));
          const base = c.freeIdx();
          c.setIdx(base, DB + 0x1400n + BigInt(rng.range(0, 15)));
          const lock = op !== 'bt' && k === 2 ? 'lock ' : '';
          bag.add(c.finish(`${lock}${op} m${s},r${s} off=${off}`, [`${lock}${op} ${sizeKw(s)} [${regName(mode === 64 ? 64 : 32, base)}], ${r.name}`]));
        }
      }
    }
    for (const op of ['bsf', 'bsr', 'tzcnt', 'lzcnt', 'popcnt']) {
      for (const s of ss) {
        for (let k = 0; k < 6; k++) {
          const c = new Ctx(rng, mode);
          const d = c.reg(s);
          c.set(d, regValue(rng));
          const v = k === 0 ? 0n : k === 1 ? 1n << BigInt(rng.range(0, s - 1)) : value(rng, s);
          if (k === 5) {
            const src = c.memop(s);
            c.patch(memTarget(c, src), le(rng.bool() ? 0n : v, s / 8));
            bag.add(c.finish(`${op} r${s},m${s}`, [`${op} ${d.name}, ${src}`]));
          } else {
            const r = c.reg(s);
            c.set(r, v);
            bag.add(c.finish(`${op} r${s},r${s}${v === 0n ? ' zero' : ''}`, [`${op} ${d.name}, ${r.name}`]));
          }
        }
      }
    }
    for (const s of mode === 64 ? [32, 64] as Size[] : [32] as Size[]) {
      for (let k = 0; k < 4; k++) {
        const c = new Ctx(rng, mode);
        const d = c.reg(s);
        bag.add(c.finish(`bswap r${s}`, [`bswap ${d.name}`]));
      }
    }
  }
  return bag.cases;
}

function famXchg(rng: Rng): CaseSpec[] {
  const bag = new Bag();
  for (const mode of MODES) {
    for (const s of sizesFor(mode)) {
      for (let k = 0; k < 3; k++) {
        let c = new Ctx(rng, mode);
        let d = c.reg(s), r = c.reg(s, { allowHigh: mode === 64 && s === 8 && d.idx >= 4 ? false : undefined });
        if (mode === 64 && s === 8 && d.high && r.idx >= 4) continue;
        bag.add(c.finish(`xchg r${s},r${s}`, [`xchg ${d.name}, ${r.name}`]));
        c = new Ctx(rng, mode);
        d = c.reg(s);
        bag.add(c.finish(`xchg m${s},r${s}`, [`xchg ${c.memop(s)}, ${d.name}`]));
        c = new Ctx(rng, mode);
        d = c.reg(s);
        bag.add(c.finish(`xadd r${s},r${s}`, [`xadd ${c.reg(s, { allowHigh: false }).name}, ${d.name}`]));
        c = new Ctx(rng, mode);
        d = c.reg(s);
        bag.add(c.finish(`${k === 0 ? 'lock ' : ''}xadd m${s},r${s}`, [`${k === 0 ? 'lock ' : ''}xadd ${c.memop(s)}, ${d.name}`]));
        // cmpxchg: equal / not equal, reg and mem
        for (const eq of [true, false]) {
          c = new Ctx(rng, mode);
          c.reserve(0);
          const acc = mkReg(s, 0);
          const src = c.reg(s, { allowHigh: false });
          if (k === 2) {
            const dst = c.memop(s);
            const off = memTarget(c, dst);
            const cur = c.memImage();
            let v = 0n;
            for (let i = 0; i < s / 8; i++) v |= BigInt(cur[off + i]!) << BigInt(8 * i);
            c.set(acc, eq ? v : v ^ (1n << BigInt(rng.range(0, s - 1))));
            bag.add(c.finish(`cmpxchg m${s},r${s} ${eq ? 'eq' : 'ne'}`, [`${eq ? 'lock ' : ''}cmpxchg ${dst}, ${src.name}`]));
          } else {
            const dst = c.reg(s, { allowHigh: false });
            const v = value(rng, s);
            c.set(dst, v);
            c.set(acc, eq ? v : v ^ (1n << BigInt(rng.range(0, s - 1))));
            bag.add(c.finish(`cmpxchg r${s},r${s} ${eq ? 'eq' : 'ne'}`, [`cmpxchg ${dst.name}, ${src.name}`]));
          }
        }
      }
      // short form xchg with accumulator (90+r)
      if (s !== 8) {
        const c = new Ctx(rng, mode);
        const r = c.reg(s);
        bag.add(c.finish(`xchg acc${s},r${s}`, [`xchg ${regName(s, 0)}, ${r.name}`]));
      }
    }
    // cmpxchg8b / cmpxchg16b
    const variants: Array<[string, number]> = [['cmpxchg8b', 8]];
    if (mode === 64) variants.push(['cmpxchg16b', 16]);
    for (const [op, n] of variants) {
      for (let k = 0; k < 8; k++) {
        const c = new Ctx(rng, mode);
        c.reserve(0, 1, 2, 3);
        const eq = k % 2 === 0;
        const misaligned = op === 'cmpxchg16b' && k === 7;
        const dst = c.memop(null, { align: 16 });
        let off = memTarget(c, dst);
        let text = dst;
        if (misaligned) {
          text = dst.replace(']', '+8]');
          off += 8;
        }
        const cur = c.memImage();
        const half = n / 2;
        let lo = 0n, hi = 0n;
        for (let i = 0; i < half; i++) {
          lo |= BigInt(cur[off + i]!) << BigInt(8 * i);
          hi |= BigInt(cur[off + half + i]!) << BigInt(8 * i);
        }
        if (!eq) hi ^= 1n << BigInt(rng.range(0, 8 * half - 1));
        const w: Size = half === 8 ? 64 : 32;
        c.set(mkReg(w, 0), lo);
        c.set(mkReg(w, 2), hi);
        c.set(mkReg(w, 3), regValue(rng));
        c.set(mkReg(w, 1), regValue(rng));
        const lock = k < 2 ? 'lock ' : '';
        bag.add(c.finish(`${lock}${op} ${eq ? 'eq' : 'ne'}${misaligned ? ' misaligned' : ''}`, [`${lock}${op} [${text.replace(/^\[|\]$/g, '')}]`]));
      }
    }
  }
  return bag.cases;
}

const CCS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

function ccFlags(rng: Rng, k: number): bigint {
  // cycle through single flags / combos so every condition sees both outcomes
  const combos = [0n, 0x1n, 0x40n, 0x80n, 0x800n, 0x4n, 0x41n, 0x880n, 0x80n | 0x40n, 0x800n | 0x40n, 0x8d5n];
  return (k < combos.length ? combos[k]! : randomFlags(rng, false) & ~DF) | 2n | (rng.bool(0.2) ? DF : 0n);
}

function famCond(rng: Rng): CaseSpec[] {
  const bag = new Bag();
  for (const mode of MODES) {
    for (const cc of CCS) {
      // cmovcc
      for (const s of mode === 64 ? [16, 32, 64] as Size[] : [16, 32] as Size[]) {
        for (let k = 0; k < (mode === 64 ? 4 : 3); k++) {
          const c = new Ctx(rng, mode);
          c.rflags = ccFlags(rng, rng.int(14));
          const d = c.reg(s);
          if (k === 3 || k === 2 && mode === 32) {
            bag.add(c.finish(`cmov${cc} r${s},m${s}`, [`cmov${cc} ${d.name}, ${c.memop(s)}`]));
          } else {
            const r = c.reg(s);
            bag.add(c.finish(`cmov${cc} r${s},r${s}`, [`cmov${cc} ${d.name}, ${r.name}`]));
          }
        }
      }
      // setcc
      for (let k = 0; k < 4; k++) {
        const c = new Ctx(rng, mode);
        c.rflags = ccFlags(rng, k * 3 + rng.int(3));
        if (k === 3) bag.add(c.finish(`set${cc} m8`, [`set${cc} ${c.memop(8)}`]));
        else bag.add(c.finish(`set${cc} r8`, [`set${cc} ${c.reg(8).name}`]));
      }
      // jcc short / near
      for (let k = 0; k < 4; k++) {
        const c = new Ctx(rng, mode);
        c.rflags = ccFlags(rng, k * 3 + rng.int(3));
        const near = k >= 2;
        const asm = [`j${cc} ${near ? 'near' : 'short'} .t`, 'mov eax, 1', near ? 'times 130 nop' : 'nop', 'jmp short .e', '.t: mov eax, 2', '.e:'];
        bag.add(c.finish(`j${cc} ${near ? 'near' : 'short'}`, asm));
      }
    }
    // loop family
    const loops: Array<[string, string]> = [['loop', ''], ['loope', ''], ['loopne', '']];
    for (const [op] of loops) {
      for (const asz of mode === 64 ? ['', 'a32 '] : ['', 'a16 ']) {
        for (let k = 0; k < 4; k++) {
          const c = new Ctx(rng, mode);
          const cnt = BigInt(rng.range(1, 6));
          // high bits of rcx above the address size must be ignored
          const garbage = asz === 'a32 ' ? 0xabcd000000000000n : asz === 'a16 ' ? 0xab0000n : 0n;
          c.setIdx(1, cnt | garbage);
          c.setIdx(0, 0n);
          c.setIdx(2, BigInt(rng.range(0, 5)));
          const body = op === 'loop' ? ['.l: inc eax'] : ['.l: inc eax', 'cmp eax, edx'];
          bag.add(c.finish(`${asz}${op} cnt=${cnt}`, [...body, `${asz}${op} .l`]));
        }
      }
    }
    const jcx = mode === 64 ? [['jrcxz', ''], ['jecxz', '']] : [['jecxz', ''], ['jcxz', '']];
    for (const [op] of jcx) {
      for (const v of [0n, 1n, 0x10000n, 0x100000000n, 0xffffffffn]) {
        const c = new Ctx(rng, mode);
        c.setIdx(1, v);
        bag.add(c.finish(`${op} rcx=${v.toString(16)}`, [`${op} .t`, 'mov eax, 1', 'jmp short .e', '.t: mov eax, 2', '.e:']));
      }
    }
  }
  return bag.cases;
}

function famStack(rng: Rng): CaseSpec[] {
  const bag = new Bag();
  for (const mode of MODES) {
    const full: Size = mode === 64 ? 64 : 32;
    const opSizes: Size[] = [16, full];
    for (const s of opSizes) {
      for (let k = 0; k < 3; k++) {
        let c = new Ctx(rng, mode);
        bag.add(c.finish(`push r${s}`, [`push ${c.reg(s).name}`]));
        c = new Ctx(rng, mode);
        bag.add(c.finish(`pop r${s}`, [`pop ${c.reg(s).name}`]));
        c = new Ctx(rng, mode);
        bag.add(c.finish(`push m${s}`, [`push ${c.memop(s)}`]));
        c = new Ctx(rng, mode);
        bag.add(c.finish(`pop m${s}`, [`pop ${c.memop(s)}`]));
      }
      let c = new Ctx(rng, mode);
      bag.add(c.finish(`push rsp ${s}`, [`push ${regName(s, 4)}`]));
      c = new Ctx(rng, mode);
      bag.add(c.finish(`pop rsp ${s}`, [`pop ${regName(s, 4)}`]));
      // pop with rsp-based memory destination (uses rsp after the pop)
      c = new Ctx(rng, mode);
      bag.add(c.finish(`pop [rsp+8] ${s}`, [`pop ${sizeKw(s)} [${regName(full, 4)}+8]`]));
    }
    for (let k = 0; k < 3; k++) {
      let c = new Ctx(rng, mode);
      bag.add(c.finish('push imm8', [`push byte ${imm(value(rng, 8), 8)}`]));
      c = new Ctx(rng, mode);
      bag.add(c.finish('push imm32', [`push strict dword ${imm(value(rng, 32), 32)}`]));
      c = new Ctx(rng, mode);
      bag.add(c.finish('push imm16', [`push strict word ${imm(value(rng, 16), 16)}`]));
    }
    if (mode === 32) {
      for (const op of ['pusha', 'pushad', 'pushaw', 'popa', 'popad', 'popaw']) {
        for (let k = 0; k < 2; k++) {
          const c = new Ctx(rng, mode);
          bag.add(c.finish(op, [op]));
        }
      }
    }
    // enter / leave
    for (const level of [0, 1, 3]) {
      for (const s of opSizes) {
        for (let k = 0; k < 2; k++) {
          const c = new Ctx(rng, mode);
          c.setIdx(5, DB + 0x2c00n + BigInt(rng.range(0, 0x100) & ~3));
          const frame = rng.pick([0, 8, 0x10, 0x24]);
          const kw = s === 16 ? 'o16 ' : '';
          bag.add(c.finish(`enter ${frame},${level} o${s}`, [`${kw}enter ${frame}, ${level}`]));
          const c2 = new Ctx(rng, mode);
          c2.setIdx(5, DB + 0x2c00n + BigInt(rng.range(0, 0x100) & ~3));
          bag.add(c2.finish(`enter+leave ${frame},${level} o${s}`, [`${kw}enter ${frame}, ${level}`, 'mov eax, [esp]'.replace('esp', regName(full, 4)), `${kw}leave`]));
        }
      }
    }
    for (let k = 0; k < 3; k++) {
      const c = new Ctx(rng, mode);
      c.setIdx(5, DB + 0x2c00n);
      bag.add(c.finish('leave', ['leave']));
    }
    // pushf / popf
    for (const s of opSizes) {
      const suf = s === 16 ? 'w' : mode === 64 ? 'q' : 'd';
      for (let k = 0; k < 4; k++) {
        let c = new Ctx(rng, mode);
        c.rflags = randomFlags(rng);
        bag.add(c.finish(`pushf${suf}`, [`pushf${suf}`]));
        c = new Ctx(rng, mode);
        const popped = (randomFlags(rng) | (rng.bool() ? 0x28n : 0n)) & 0xffffn;
        c.patch(Number(c.gpr[4]! - DB), le(popped, s / 8));
        bag.add(c.finish(`popf${suf}`, [`popf${suf}`]));
      }
    }
    // near call / ret
    const sp = regName(full, 4);
    for (let k = 0; k < 3; k++) {
      let c = new Ctx(rng, mode);
      bag.add(c.finish('call rel/ret', ['call .f', 'jmp short .e', `.f: mov ${regName(full, 0)}, [${sp}]`, 'ret', '.e:']));
      c = new Ctx(rng, mode);
      bag.add(c.finish('call rel/ret imm16', ['call .f', 'jmp short .e', `.f: mov ${regName(full, 0)}, [${sp}]`, `ret ${rng.pick([0, 4, 8, 0x10, 0x102])}`, '.e:']));
      c = new Ctx(rng, mode);
      c.reserve(0);
      const tgt = mkReg(full, c.freeIdx());
      const lea = mode === 64 ? `lea ${tgt.name}, [rel .f]` : `mov ${tgt.name}, .f`;
      bag.add(c.finish('call reg', [lea, `call ${tgt.name}`, 'jmp short .e', '.f: inc eax', 'ret', '.e:']));
      c = new Ctx(rng, mode);
      c.reserve(0);
      const m = c.memop(full);
      const off = memTarget(c, m);
      bag.add(c.finish('call mem', [mode === 64 ? 'lea rax, [rel .f]' : 'mov eax, .f', `mov ${m}, ${regName(full, 0)}`, `call ${m}`, 'jmp short .e', '.f: inc eax', 'ret', '.e:']));
      void off;
      c = new Ctx(rng, mode);
      bag.add(c.finish('jmp reg', [mode === 64 ? 'lea rdx, [rel .f]' : 'mov edx, .f', `jmp ${regName(full, 2)}`, 'mov eax, 1', '.f:']));
    }
  }
  return bag.cases;
}

function famFlags(rng: Rng): CaseSpec[] {
  const bag = new Bag();
  for (const mode of MODES) {
    for (const op of ['lahf', 'sahf', 'clc', 'stc', 'cmc', 'cld', 'std']) {
      for (let k = 0; k < 5; k++) {
        const c = new Ctx(rng, mode);
        c.rflags = randomFlags(rng);
        if (op === 'sahf') c.set(mkReg(8, 0, true), BigInt(rng.int(256)));
        bag.add(c.finish(op, [op]));
      }
    }
    const conv = mode === 64 ? ['cbw', 'cwde', 'cdqe', 'cwd', 'cdq', 'cqo'] : ['cbw', 'cwde', 'cwd', 'cdq'];
    for (const op of conv) {
      for (let k = 0; k < 5; k++) {
        const c = new Ctx(rng, mode);
        const s: Size = op === 'cbw' ? 8 : op === 'cwde' || op === 'cwd' ? 16 : op === 'cdqe' || op === 'cdq' ? 32 : 64;
        c.set(mkReg(s, 0), (k < 2 ? (1n << BigInt(s - 1)) * BigInt(k) : 0n) | value(rng, s));
        bag.add(c.finish(op, [op]));
      }
    }
    // xlat
    for (let k = 0; k < 5; k++) {
      const c = new Ctx(rng, mode);
      c.setIdx(3, DB + BigInt(rng.range(0, 0x1f00)));
      bag.add(c.finish('xlatb', ['xlatb']));
    }
    // nops and xchg eax,eax forms
    let c = new Ctx(rng, mode);
    bag.add(c.finish('nop 90', { bytes: '90' }));
    c = new Ctx(rng, mode);
    bag.add(c.finish('nop r/m', { bytes: mode === 64 ? '0f1f4000' : '0f1f4000' }));
    c = new Ctx(rng, mode);
    bag.add(c.finish('xchg eax,eax 87c0', { bytes: '87c0' }));
  }
  return bag.cases;
}

function famLea(rng: Rng): CaseSpec[] {
  const bag = new Bag();
  for (const mode of MODES) {
    const asz: Size = mode === 64 ? 64 : 32;
    const dsizes: Size[] = mode === 64 ? [16, 32, 64] : [16, 32];
    const forms = ['b', 'bd8', 'bd32', 'bis', 'bisd8', 'bisd32', 'isd32', 'd32'];
    if (mode === 64) forms.push('rip', 'a32');
    for (const form of forms) {
      for (const ds of dsizes) {
        for (let k = 0; k < 3; k++) {
          const c = new Ctx(rng, mode);
          const d = c.reg(ds);
          const n = mode === 64 ? 16 : 8;
          const b = rng.int(n), i = rng.pick([...Array(n).keys()].filter((x) => x !== 4));
          const sc = rng.pick([1, 2, 4, 8]);
          const sd = (x: string): string => (x.startsWith('-') ? x : '+' + x);
          const d8 = sd(imm(BigInt(rng.range(-128, 127)), 8));
          const d32 = sd(imm(value(rng, 32), 32));
          const A = (x: number): string => regName(form === 'a32' ? 32 : asz, x);
          let e: string;
          switch (form) {
            case 'b': e = `[${A(b)}]`; break;
            case 'bd8': e = `[byte ${A(b)}${d8}]`; break;
            case 'bd32': e = `[dword ${A(b)}${d32}]`; break;
            case 'bis': e = `[${A(b)}+${A(i)}*${sc}]`; break;
            case 'bisd8': e = `[byte ${A(b)}+${A(i)}*${sc}${d8}]`; break;
            case 'bisd32': case 'a32': e = `[dword ${A(b)}+${A(i)}*${sc}${d32}]`; break;
            case 'isd32': e = `[dword ${A(i)}*${sc}${d32}]`; break;
            case 'd32': e = `[dword ${d32.replace(/^\+/, '')}]`; break;
            default: e = `[rel $+${rng.range(0, 0x1000)}]`;
          }
          bag.add(c.finish(`lea r${ds},${form}`, [`lea ${d.name}, ${e}`]));
        }
      }
    }
    if (mode === 32) {
      const forms16 = ['bx+si', 'bx+di', 'bp+si', 'bp+di', 'si', 'di', 'bx', 'bp'];
      for (const f of forms16) {
        for (const ds of dsizes) {
          for (const dk of ['', 'byte', 'word']) {
            const c = new Ctx(rng, mode);
            const d = c.reg(ds);
            const dv = dk === 'byte' ? imm(BigInt(rng.range(-128, 127)), 8) : dk === 'word' ? imm(value(rng, 16), 16) : '';
            const e = dk ? `[${dk} ${f}${dv.startsWith('-') ? dv : '+' + dv}]` : `[${f}]`;
            bag.add(c.finish(`lea16 r${ds},[${f}${dk ? (dk === 'byte' ? '+d8' : '+d16') : ''}]`, [`a16 lea ${d.name}, ${e}`]));
          }
        }
      }
      for (const ds of dsizes) {
        const c = new Ctx(rng, mode);
        const d = c.reg(ds);
        bag.add(c.finish(`lea16 r${ds},[d16]`, [`a16 lea ${d.name}, [word ${imm(value(rng, 16), 16)}]`]));
      }
    }
  }
  return bag.cases;
}

function famString(rng: Rng): CaseSpec[] {
  const bag = new Bag();
  const sfx: Record<number, string> = { 8: 'b', 16: 'w', 32: 'd', 64: 'q' };
  for (const mode of MODES) {
    for (const op of ['movs', 'cmps', 'scas', 'lods', 'stos']) {
      for (const s of sizesFor(mode)) {
        const reps = op === 'cmps' || op === 'scas' ? ['', 'repe ', 'repne '] : ['', 'rep '];
        for (const rep of reps) {
          for (const df of [false, true]) {
            for (const a of ['', mode === 64 ? 'a32 ' : 'a16 ']) {
              if (a === 'a16 ' && rng.bool(0.5)) continue;
              const c = new Ctx(rng, mode);
              c.rflags = (c.rflags & ~DF) | (df ? DF : 0n);
              const cnt = BigInt(rep ? rng.pick([0, 1, 2, 3, 5, 8, 13, 20]) : rng.range(0, 3));
              if (a === 'a16 ') {
                // 16-bit addressing can't reach the window: only exercise CX-masking (CX=0) or a fault
                c.setIdx(1, 0x10000n | (rep ? 0n : cnt));
              } else if (a === 'a32 ') {
                c.setIdx(1, cnt | 0xdead00000000n);
              } else c.setIdx(1, cnt);
              const span = BigInt(Number(cnt) * (s / 8) + 16);
              const src = DB + BigInt(rng.range(0x40, 0xfc0)) + (df ? span : 0n);
              const dst = DB + BigInt(rng.range(0x1040, 0x1fc0)) + (df ? span : 0n);
              c.setIdx(6, a === 'a32 ' ? src | 0x5500000000n : src);
              c.setIdx(7, a === 'a32 ' ? dst | 0x7700000000n : dst);
              if (op === 'cmps' || op === 'scas') {
                // make data partly equal so REPE/REPNE terminate at interesting points
                const img = c.memImage();
                const so = Number(src - DB), dO = Number(dst - DB);
                const n = Number(cnt) * (s / 8) + 8;
                const eqLen = rng.range(0, n);
                const bytes: number[] = [];
                for (let i = 0; i < n; i++) {
                  const si = df ? so - n + 8 + i : so + i;
                  bytes.push(i < eqLen ? img[si]! : (img[si]! ^ 0x5a) & 0xff);
                }
                if (op === 'cmps') c.patch(df ? dO - n + 8 : dO, bytes);
                if (op === 'scas') {
                  // fill destination with the accumulator value for a random prefix
                  const av = value(rng, s);
                  c.set(mkReg(s, 0), av);
                  const run = rng.range(0, Number(cnt) + 1);
                  const fill: number[] = [];
                  for (let i = 0; i < run; i++) fill.push(...le(av, s / 8));
                  if (fill.length > 0) c.patch(df ? dO - fill.length + s / 8 : dO, fill);
                }
              }
              const seg = op !== 'stos' && op !== 'scas' && rng.bool(0.2) ? rng.pick(['es ', 'ss ', 'cs ']) : '';
              const mn = `${op}${sfx[s]}`;
              const name = `${rep}${a}${seg}${mn} df=${df ? 1 : 0} c=${cnt}`;
              const prefixBytes = seg ? `db 0x${{ 'es ': '26', 'ss ': '36', 'cs ': '2e' }[seg]}` : null;
              const lines = prefixBytes ? [`${prefixBytes}`, `${rep}${a}${mn}`] : [`${rep}${a}${mn}`];
              // the segment prefix must directly precede the instruction; nasm emits prefixes in order: we
              // put it as a separate db before rep/a32 which is legal (prefix order is free).
              bag.add(c.finish(name, lines));
            }
          }
        }
      }
    }
  }
  return bag.cases;
}

/** Named regression-style cases from the CPU issue. */
function famSeed(rng: Rng): CaseSpec[] {
  const bag = new Bag();
  const mode: Mode = 64;
  let c = new Ctx(rng, mode);
  c.setIdx(0, 0xdeadbeefcafebaben);
  c.setIdx(3, 0x1234567890abcdefn);
  bag.add(c.finish('movzx r32 zero-extends into 63:32', ['movzx eax, bl']));
  c = new Ctx(rng, mode);
  c.setIdx(0, 0xdeadbeefcafebaben);
  c.setIdx(3, 0xfedcba9876548321n);
  bag.add(c.finish('movzx r32,r16 zero-extends into 63:32', ['movzx eax, bx']));
  c = new Ctx(rng, mode);
  bag.add(c.finish('mov r64, sign-extended imm32', ['mov rax, strict dword -2']));
  c = new Ctx(rng, mode);
  c.setIdx(3, 0x123456789n);
  bag.add(c.finish('and r64, sign-extended imm32', ['and rbx, strict qword -0x100']));
  c = new Ctx(rng, mode);
  c.setIdx(3, 0x7fffffffn);
  bag.add(c.finish('add r64, imm32 0x80000000 sign-extends', ['add rbx, strict qword -0x80000000']));
  c = new Ctx(rng, mode);
  c.setIdx(3, DB + 0x12345n + 0x100n);
  bag.add(c.finish('disp32 sign-extended (negative)', ['mov rax, [rbx-0x12345]']));
  c = new Ctx(rng, mode);
  c.setIdx(3, DB + 0x80000000n + 0x40n);
  bag.add(c.finish('disp32 -0x80000000 sign-extended', ['mov eax, [rbx-0x80000000]']));
  c = new Ctx(rng, mode);
  c.setIdx(3, DB + 0x200n);
  c.setIdx(0, 0x0123456789abcdefn);
  bag.add(c.finish('or rax, [rbx] implicit read of rax', ['or rax, [rbx]']));
  c = new Ctx(rng, mode);
  c.setIdx(3, DB + 0x200n);
  bag.add(c.finish('or eax, [rbx] zero-extends', ['or eax, [rbx]']));
  for (const [nm, line] of [
    ['page-crossing qword load', 'mov rax, [rbx]'],
    ['page-crossing dword add to memory', 'add [rbx], ecx'],
    ['page-crossing word store', 'mov [rbx+2], cx'],
    ['page-crossing qword xchg', 'xchg [rbx], rcx'],
  ] as const) {
    c = new Ctx(rng, mode);
    c.setIdx(3, DB + 0x1000n - BigInt(rng.range(1, 3)));
    bag.add(c.finish(nm, [line]));
  }
  c = new Ctx(rng, mode);
  c.setIdx(6, DB + 0x0ffcn);
  c.setIdx(7, DB + 0x1ffan);
  c.setIdx(1, 3n);
  c.rflags &= ~DF;
  bag.add(c.finish('page-crossing rep movsq', ['rep movsq']));
  c = new Ctx(rng, mode);
  c.setIdx(3, DB + 0x2ffcn);
  bag.add(c.finish('access crossing end of window faults', ['mov rax, [rbx]']));
  c = new Ctx(rng, mode);
  c.setIdx(3, DB - 2n);
  bag.add(c.finish('store crossing start of window faults', ['mov dword [rbx], 0x11223344']));
  for (const [nm, line] of [
    ['mov r32 zero-extends', 'mov eax, ebx'],
    ['add r32 zero-extends', 'add eax, 1'],
    ['xor r32 self zero-extends', 'xor eax, eax'],
    ['mov r16 preserves 63:16', 'mov ax, bx'],
    ['mov r8 preserves 63:8', 'mov al, bl'],
    ['mov r8h preserves rest', 'mov ah, bl'],
    ['cmp r32 does not write', 'cmp eax, ebx'],
    ['test r32 does not write', 'test eax, ebx'],
    ['bsf r32 zero source (dest untouched?)', 'bsf eax, ecx'],
    ['cmovne r32 false still zero-extends', 'cmovne eax, ebx'],
    ['xchg eax, r32 zero-extends', 'xchg eax, ebx'],
    ['movsxd r64', 'movsxd rax, ebx'],
    ['neg r32 zero-extends', 'neg eax'],
    ['imul r32 zero-extends', 'imul eax, ebx, 3'],
    ['shl r32 by 0 zero-extends?', 'shl eax, 0'],
  ] as const) {
    c = new Ctx(rng, mode);
    c.setIdx(0, 0xdeadbeef87654321n);
    c.setIdx(3, 0xa5a5a5a5f00dfacen);
    c.setIdx(1, 0n);
    if (nm.startsWith('cmovne')) c.rflags |= 0x40n;
    bag.add(c.finish(nm, [line]));
  }
  // a few faults and misc traps, both modes
  for (const mode2 of MODES) {
    c = new Ctx(rng, mode2);
    bag.add(c.finish('ud2 faults #UD', ['nop', 'ud2']));
    c = new Ctx(rng, mode2);
    bag.add(c.finish('int3 traps', ['nop', 'nop', 'int3']));
    c = new Ctx(rng, mode2);
    c.setIdx(3, 0n);
    bag.add(c.finish('null load faults #PF', ['mov eax, [ebx]'.replace('ebx', mode2 === 64 ? 'rbx' : 'ebx')]));
    c = new Ctx(rng, mode2);
    bag.add(c.finish('privileged hlt faults #GP', ['hlt']));
    c = new Ctx(rng, mode2);
    bag.add(c.finish('divide by zero after store', ['mov ecx, 0', `mov [${mode2 === 64 ? 'rsp' : 'esp'}-4], eax`, 'div ecx']));
  }
  c = new Ctx(rng, 64);
  c.setIdx(3, 0x8000000000000000n);
  bag.add(c.finish('non-canonical load faults #GP', ['mov eax, [rbx]']));
  return bag.cases;
}

export function generateFamilies(seed = 0x86086): Family[] {
  const fams: Array<[string, string, (r: Rng) => CaseSpec[]]> = [
    ['mov', 'MOV (r/m, imm, moffs, imm64), MOVZX/MOVSX/MOVSXD', famMov],
    ['alu', 'ADD ADC SUB SBB AND OR XOR CMP TEST (all forms), INC DEC NEG NOT', famAlu],
    ['shift', 'SHL SHR SAR ROL ROR RCL RCR by 1/imm8/CL, SHLD SHRD', famShift],
    ['muldiv', 'MUL IMUL (1/2/3 operand) DIV IDIV incl. #DE', famMulDiv],
    ['bcd', 'DAA DAS AAA AAS AAM AAD (mode 32)', famBcd],
    ['bits', 'BT BTS BTR BTC, BSF BSR, TZCNT LZCNT POPCNT, BSWAP', famBits],
    ['xchg', 'XCHG XADD CMPXCHG CMPXCHG8B CMPXCHG16B', famXchg],
    ['cond', 'CMOVcc SETcc Jcc, LOOP/LOOPE/LOOPNE, JCXZ/JECXZ/JRCXZ', famCond],
    ['stack', 'PUSH POP PUSHA POPA ENTER LEAVE PUSHF POPF CALL RET JMP', famStack],
    ['flags', 'LAHF SAHF CLC STC CMC CLD STD, CBW..CQO, XLAT, NOP forms', famFlags],
    ['lea', 'LEA addressing forms (SIB scales, RIP-relative, a32, 16-bit)', famLea],
    ['string', 'MOVS CMPS SCAS LODS STOS with REP/REPE/REPNE, DF, a32/a16, segment override', famString],
    ['seed', 'named regression cases: zero-extension, sign-extension, page crossing, faults', famSeed],
  ];
  const out: Family[] = [];
  fams.forEach(([name, description, fn], i) => {
    const rng = new Rng(seed * 1000 + i);
    out.push({ name, description, cases: fn(rng) });
  });
  out.push(...generateSimdFamilies(seed));
  return out;
}
