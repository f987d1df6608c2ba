/**
 * Records x87 oracle fixtures on the host CPU: builds harness.c, generates cases (seeded PRNG),
 * runs them natively and writes tests/fixtures/oracle-fpu/<family>.json.
 *
 *   npx tsx tools/oracle-fpu/record.ts
 *
 * Each case: asm text, code bytes, the initial FXSAVE-derived state (FCW, FSW, abridged FTW,
 * ST0..ST7 as 20 hex digits "sexp|significand", MXCSR) and 112 bytes of memory at RDI; the
 * expected final state in the same form plus FOP, FIP, FDP, RAX, RFLAGS and memory ('=' when
 * unchanged).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const MEM_SIZE = 64;

export interface FpuState { fcw: number; fsw: number; ftw: number; st: string[]; mxcsr: number }
export interface FpuCase {
  name: string; asm: string; code: string;
  init: FpuState & { mem: string };
  expect: FpuState & { status: string; fop: number; fip: string; fdp: string; mem: string; rax: string; rflags: number };
}

// ---------------------------------------------------------------------------------------------
// PRNG and operand generators

let seed = 0x12345678;
function rnd(): number {
  seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
  return seed;
}
const pick = <T>(a: readonly T[]): T => a[rnd() % a.length]!;
const hex = (v: number, digits: number) => (v >>> 0).toString(16).padStart(digits, '0').slice(-digits);
const ext = (se: number, hi: number, lo: number) => hex(se, 4) + hex(hi, 8) + hex(lo, 8);

/** A random extended value string of a given class. */
function randomExt(kind?: string): string {
  const k = kind ?? pick(['normal', 'normal', 'normal', 'normal', 'int', 'zero', 'inf', 'qnan', 'snan', 'denormal', 'pseudodenormal', 'unnormal', 'big', 'tiny', 'one', 'normal']);
  const sign = (rnd() & 1) << 15;
  const hiR = rnd(), loR = rnd();
  switch (k) {
    case 'normal': return ext(sign | (16383 - 20 + (rnd() % 41)), (hiR | 0x80000000) >>> 0, loR);
    case 'int': { const v = rnd() % 100000; if (v === 0) return ext(sign, 0, 0); const e = 31 - Math.clz32(v); return ext(sign | (16383 + e), (v << (31 - e)) >>> 0, 0); }
    case 'zero': return ext(sign, 0, 0);
    case 'inf': return ext(sign | 0x7fff, 0x80000000, 0);
    case 'qnan': return ext(sign | 0x7fff, (hiR | 0xc0000000) >>> 0, loR);
    case 'snan': return ext(sign | 0x7fff, ((hiR & 0x3fffffff) | 0x80000000 | 1) >>> 0, loR);
    case 'denormal': return ext(sign, hiR & 0x7fffffff, loR);
    case 'pseudodenormal': return ext(sign, (hiR | 0x80000000) >>> 0, loR);
    case 'unnormal': return ext(sign | (1 + (rnd() % 0x7ffe)), hiR & 0x7fffffff, loR);
    case 'big': return ext(sign | (0x7ffe - (rnd() % 3)), (hiR | 0x80000000) >>> 0, loR);
    case 'tiny': return ext(sign | (rnd() % 3), (hiR | 0x80000000) >>> 0, loR);
    case 'one': return ext(sign | 16383, 0x80000000, rnd() % 4 === 0 ? 1 : 0);
    default: throw new Error(k);
  }
}

function randomMem(kind: string): number[] {
  const bytes = new Array<number>(MEM_SIZE).fill(0).map(() => rnd() & 0xff);
  const put32 = (v: number) => { for (let i = 0; i < 4; i++) bytes[i] = (v >>> (8 * i)) & 0xff; };
  const specials32 = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0x00000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0x3f800000];
  const specials64hi = [0, 0x80000000, 0x7ff00000, 0xfff00000, 0x7ff80000, 0x7ff00000, 0x00000000, 0x000fffff, 0x00100000, 0x7fefffff, 0x3ff00000];
  if (kind === 'm32') {
    if (rnd() % 3 === 0) put32(pick(specials32) ^ ((rnd() & 1) << 31));
    else put32(((rnd() & 0x80000000) | ((100 + (rnd() % 55)) << 23) | (rnd() & 0x7fffff)) >>> 0);
  } else if (kind === 'm64') {
    if (rnd() % 3 === 0) {
      const i = rnd() % specials64hi.length;
      put32(i === 5 ? 1 : i === 6 ? 1 : rnd() % 2 ? 0 : rnd());
      const hi = (specials64hi[i]! ^ ((rnd() & 1) << 31)) >>> 0;
      for (let b = 0; b < 4; b++) bytes[4 + b] = (hi >>> (8 * b)) & 0xff;
    } else {
      const hi = ((rnd() & 0x80000000) | ((1000 + (rnd() % 47)) << 20) | (rnd() & 0xfffff)) >>> 0;
      for (let b = 0; b < 4; b++) bytes[4 + b] = (hi >>> (8 * b)) & 0xff;
    }
  } else if (kind === 'm80') {
    const v = randomExt();
    for (let b = 0; b < 10; b++) bytes[9 - b] = parseInt(v.slice(2 * b, 2 * b + 2), 16);
  } else if (kind === 'i16') {
    const v = pick([0, 1, -1, 0x7fff, -0x8000, rnd() % 1000, rnd()]);
    bytes[0] = v & 0xff; bytes[1] = (v >> 8) & 0xff;
  } else if (kind === 'i32') {
    put32(pick([0, 1, -1, 0x7fffffff, 0x80000000, rnd() % 100000, rnd()]) >>> 0);
  } else if (kind === 'i64') {
    if (rnd() % 4 === 0) { put32(0); for (let b = 4; b < 8; b++) bytes[b] = b === 7 ? 0x80 : 0; }
  } else if (kind === 'bcd') {
    for (let b = 0; b < 9; b++) bytes[b] = ((rnd() % 10) << 4) | (rnd() % 10);
    bytes[9] = rnd() & 0x80;
  } else if (kind === 'cw') {
    bytes[0] = rnd() & 0x3f | 0x40; bytes[1] = (rnd() & 0xf) | (rnd() & 0x10);
    bytes[0] |= 0x3f;
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Families

interface Spec { asm: string; mem?: string; args?: (i: number) => string | undefined; regs?: number; push?: boolean; unmask?: boolean; modes?: boolean }

const ARITH = ['fadd', 'fmul', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
const families: Record<string, Spec[]> = {
  arith: [
    ...ARITH.flatMap((op) => [
      { asm: `${op} st0, st1`, modes: true },
      { asm: `${op} st2, st0`, modes: true },
      { asm: `${op}p st1, st0`, modes: true },
      { asm: `${op} dword [rdi]`, mem: 'm32', modes: true },
      { asm: `${op} qword [rdi]`, mem: 'm64', modes: true },
      { asm: `fi${op.slice(1)} dword [rdi]`, mem: 'i32', modes: true },
      { asm: `fi${op.slice(1)} word [rdi]`, mem: 'i16', modes: true },
    ]),
    { asm: 'fsqrt', modes: true }, { asm: 'frndint', modes: true }, { asm: 'fabs' }, { asm: 'fchs' },
    { asm: 'fscale', modes: true }, { asm: 'fxtract' }, { asm: 'fprem' }, { asm: 'fprem1' },
  ],
  compare: [
    { asm: 'fcom st1' }, { asm: 'fcomp st2' }, { asm: 'fcompp' }, { asm: 'fucom st1' }, { asm: 'fucomp st1' },
    { asm: 'fucompp' }, { asm: 'fcomi st0, st1' }, { asm: 'fucomi st0, st1' }, { asm: 'fcomip st0, st1' },
    { asm: 'fucomip st0, st1' }, { asm: 'fcom dword [rdi]', mem: 'm32' }, { asm: 'fcomp qword [rdi]', mem: 'm64' },
    { asm: 'ficom word [rdi]', mem: 'i16' }, { asm: 'ficomp dword [rdi]', mem: 'i32' }, { asm: 'ftst' }, { asm: 'fxam' },
  ],
  data: [
    { asm: 'fld st1' }, { asm: 'fld dword [rdi]', mem: 'm32' }, { asm: 'fld qword [rdi]', mem: 'm64' },
    { asm: 'fld tword [rdi]', mem: 'm80' }, { asm: 'fild word [rdi]', mem: 'i16' }, { asm: 'fild dword [rdi]', mem: 'i32' },
    { asm: 'fild qword [rdi]', mem: 'i64' }, { asm: 'fst st3' }, { asm: 'fstp st1' },
    { asm: 'fst dword [rdi]', modes: true }, { asm: 'fst qword [rdi]', modes: true }, { asm: 'fstp dword [rdi]', modes: true },
    { asm: 'fstp tword [rdi]' }, { asm: 'fist word [rdi]', modes: true }, { asm: 'fist dword [rdi]', modes: true },
    { asm: 'fistp qword [rdi]', modes: true }, { asm: 'fisttp word [rdi]' }, { asm: 'fisttp dword [rdi]' },
    { asm: 'fisttp qword [rdi]' }, { asm: 'fbld tword [rdi]', mem: 'bcd' }, { asm: 'fbstp tword [rdi]', modes: true },
    { asm: 'fxch st1' }, { asm: 'fxch st3' },
    ...['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu', 'fcmovnb', 'fcmovne', 'fcmovnbe', 'fcmovnu'].map((op) => ({ asm: `mov ah, __AH__\nsahf\n${op} st0, st1` })),
    { asm: 'ffree st1' }, { asm: 'fincstp' }, { asm: 'fdecstp' }, { asm: 'fnop' },
    { asm: 'fld1', modes: true }, { asm: 'fldl2t', modes: true }, { asm: 'fldl2e', modes: true }, { asm: 'fldpi', modes: true },
    { asm: 'fldlg2', modes: true }, { asm: 'fldln2', modes: true }, { asm: 'fldz' },
  ],
  control: [
    { asm: 'fninit' }, { asm: 'fnclex' }, { asm: 'fldcw word [rdi]', mem: 'cw' }, { asm: 'fnstcw word [rdi]' },
    { asm: 'fnstsw word [rdi]' }, { asm: 'fnstsw ax' }, { asm: 'fnstenv [rdi]' }, { asm: 'o16 fnstenv [rdi]' },
    { asm: 'fnstenv [rdi]\nfldenv [rdi]' }, { asm: 'fadd st0, st1\nfnstenv [rdi]' },
    { asm: 'fdiv st0, st1\nfwait', unmask: true }, { asm: 'fdiv st0, st1\nfnop', unmask: true },
    { asm: 'fsqrt\nfnstsw ax\nfnclex\nfnop', unmask: true },
  ],
  transcendental: [
    { asm: 'fsin' }, { asm: 'fcos' }, { asm: 'fsincos' }, { asm: 'fptan' }, { asm: 'fpatan' },
    { asm: 'f2xm1' }, { asm: 'fyl2x' }, { asm: 'fyl2xp1' },
  ],
};

/** Operands for the transcendental family: domain-appropriate random values. */
function transcendentalArg(asm: string, i: number): string[] {
  const sign = () => (rnd() & 1) << 15;
  const v = (e: number, s = sign()) => ext(s | (16383 + e), (rnd() | 0x80000000) >>> 0, rnd());
  if (i % 10 === 0) return [randomExt(), randomExt()];
  switch (asm) {
    case 'fsin': case 'fcos': case 'fsincos': case 'fptan':
      return [v(pick([-40, -10, -3, -1, 0, 0, 1, 1, 2, 3, 5, 10, 20, 40, 62])), randomExt()];
    case 'f2xm1': return [v(-1 - (rnd() % (i % 7 === 0 ? 60 : 8))), randomExt()];
    case 'fpatan': return [v((rnd() % 40) - 20), v((rnd() % 40) - 20)];
    case 'fyl2x': return [v((rnd() % 60) - 30, 0), v((rnd() % 10) - 5)];
    case 'fyl2xp1': return [v(-3 - (rnd() % 30)), v((rnd() % 10) - 5)];
    default: throw new Error(asm);
  }
}

// ---------------------------------------------------------------------------------------------
// Assembling and running

function assembleAll(sources: string[], dir: string): Map<string, string> {
  const out = new Map<string, string>();
  sources.forEach((src, i) => {
    const asm = join(dir, `c${i}.asm`), bin = join(dir, `c${i}.bin`);
    writeFileSync(asm, `bits 64\n${src}\n`);
    execFileSync('nasm', ['-f', 'bin', '-o', bin, asm]);
    out.set(src, readFileSync(bin).toString('hex'));
  });
  return out;
}

function fxImage(st: FpuState): string {
  const b = new Uint8Array(512);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, st.fcw, true); dv.setUint16(2, st.fsw, true); b[4] = st.ftw;
  dv.setUint32(24, st.mxcsr, true); dv.setUint32(28, 0xffff, true);
  st.st.forEach((v, i) => {
    for (let k = 0; k < 10; k++) b[32 + 16 * i + k] = parseInt(v.slice(18 - 2 * k, 20 - 2 * k), 16);
  });
  return Buffer.from(b).toString('hex');
}

function parseImage(h: string): { fcw: number; fsw: number; ftw: number; fop: number; fip: string; fdp: string; mxcsr: number; st: string[] } {
  const b = Buffer.from(h, 'hex');
  const st: string[] = [];
  for (let i = 0; i < 8; i++) {
    let s = '';
    for (let k = 9; k >= 0; k--) s += hex(b[32 + 16 * i + k]!, 2);
    st.push(s);
  }
  return {
    fcw: b.readUInt16LE(0), fsw: b.readUInt16LE(2), ftw: b[4]!, fop: b.readUInt16LE(6),
    fip: b.readBigUInt64LE(8).toString(16), fdp: b.readBigUInt64LE(16).toString(16), mxcsr: b.readUInt32LE(24), st,
  };
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'x86vm-oracle-fpu-'));
  execFileSync('gcc', ['-O1', '-o', join(dir, 'harness'), join(here, 'harness.c')]);
  const counts: Record<string, number> = { arith: 1000, compare: 400, data: 900, control: 150, transcendental: 900 };
  const cpu = cpus()[0]?.model ?? 'unknown';
  const outDir = join(root, 'tests', 'fixtures', 'oracle-fpu');
  mkdirSync(outDir, { recursive: true });
  for (const [family, specs] of Object.entries(families)) {
    const pending: { name: string; asm: string; init: FpuState & { mem: string } }[] = [];
    const n = counts[family]!;
    for (let i = 0; i < n; i++) {
      const spec = specs[i % specs.length]!;
      const modes = spec.modes || family === 'transcendental';
      const rc = modes ? rnd() & 3 : (i % 13 === 0 ? rnd() & 3 : 0);
      const pc = modes ? pick([0, 2, 3, 3]) : 3;
      let masks = 0x3f;
      if (spec.unmask) masks = 0x3f & ~(1 << pick([0, 2, 1]));
      else if (i % 11 === 5) masks = rnd() & 0x3f;
      const fcw = 0x40 | masks | (pc << 8) | (rc << 10);
      const top = rnd() & 7;
      // Exception flags only when all masked (otherwise a pending #MF would fire at once).
      const flags = masks === 0x3f && i % 4 === 0 ? rnd() & 0x3f : 0;
      const cc = rnd() & 0x4700;
      const fsw = (top << 11) | cc | flags | (flags ? 0x80 : 0);
      let st: string[];
      if (family === 'transcendental') {
        const [a, b] = transcendentalArg(spec.asm, i);
        st = [a!, b!, ...Array.from({ length: 6 }, () => randomExt())];
      } else st = Array.from({ length: 8 }, () => randomExt());
      // Tags: ST0..ST3 valid; ST7 empty (pushes); occasionally random for stack faults.
      let ftw = 0x0f;
      if (i % 17 === 3) ftw = rnd() & 0xff;
      else if (i % 29 === 7) ftw = 0xff;
      const mem = randomMem(spec.mem ?? 'm32');
      const asm = spec.asm.replace('__AH__', String(rnd() & 0xd5));
      const init = { fcw, fsw, ftw: abridgedPhysical(ftw, top), st, mxcsr: 0x1f80, mem: Buffer.from(mem).toString('hex') };
      pending.push({ name: `${family}/${i}`, asm, init });
    }
    const code = assembleAll([...new Set(pending.map((p) => p.asm))], dir);
    const input = pending.map((p) => `${code.get(p.asm)} ${fxImage(p.init)} ${p.init.mem}`).join('\n') + '\n';
    const output = execFileSync(join(dir, 'harness'), { input, maxBuffer: 1 << 28 }).toString().trim().split('\n');
    const cases: FpuCase[] = pending.map((p, k) => {
      const [status, fx, mem, rax, rflags] = output[k]!.split(' ');
      const img = parseImage(fx!);
      return {
        name: p.name, asm: p.asm, code: code.get(p.asm)!, init: p.init,
        expect: { status: status!, ...img, mem: mem === p.init.mem ? '=' : mem!, rax: rax!, rflags: parseInt(rflags!, 16) & 0x8d5 },
      };
    });
    writeFileSync(join(outDir, `${family}.json`), JSON.stringify({ family, cpu, memSize: MEM_SIZE, cases }) + '\n');
    console.log(`${family}: ${cases.length} cases`);
  }
}

/** The FXSAVE abridged tag is by physical register: ST(i) valid bits → physical bits. */
function abridgedPhysical(stTags: number, top: number): number {
  let t = 0;
  for (let i = 0; i < 8; i++) if ((stTags >> i) & 1) t |= 1 << ((top + i) & 7);
  return t;
}

main();
