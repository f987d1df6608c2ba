/**
 * SIMD (MMX/SSE..SSE4.2) case families for the native oracle. Each case is one instruction with
 * random XMM0-15 / MM0-7 contents (special floating-point values mixed in: ±0, denormals, the
 * normal-range limits, ±∞, QNaNs, SNaNs, values near 1), a random MXCSR (every rounding mode, DAZ,
 * FTZ, sticky flags, sometimes unmasked exceptions → #XM) and memory operands patched with the
 * same kinds of values. The harness loads and records the SIMD registers (harness.c).
 */
import { ORACLE_DATA_BASE, bytesToHex, type MemRange } from '../../tests/support/oracle-fixture.js';
import { Rng, type CaseSpec, type Family } from './cases.js';

const DB = BigInt(ORACLE_DATA_BASE);
const M64 = (1n << 64n) - 1n;

const F32_SPECIAL = [
  0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff,
  0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc12345, 0x7f800001, 0xffa00000, 0x3f800000,
  0xbf800000, 0x3f800001, 0x3f7fffff, 0x40400000, 0x3dcccccd, 0x4f000000, 0xcf000000, 0x5f000000,
  0x4effffff, 0x00400000, 0x0c000000, 0x1f800000, 0x7e800000, 0x3fc00000, 0xbfc00000, 0x3f000000,
];
const F64_SPECIAL: Array<[number, number]> = [
  [0, 0], [0, 0x80000000], [1, 0], [0xffffffff, 0x800fffff], [0, 0x00100000], [0, 0x80100000],
  [0xffffffff, 0x7fefffff], [0xffffffff, 0xffefffff], [0, 0x7ff00000], [0, 0xfff00000], [0, 0x7ff80000],
  [0, 0xfff80000], [0x12345, 0x7ff80000], [1, 0x7ff00000], [0, 0xfff40000], [0, 0x3ff00000],
  [0, 0xbff00000], [1, 0x3ff00000], [0xffffffff, 0x3fefffff], [0, 0x40080000], [0x9999999a, 0x3fb99999],
  [0, 0x41e00000], [0, 0xc1e00000], [0, 0x43e00000], [0xffc00000, 0x41dfffff], [0, 0x00080000],
  [0, 0x36a00000], [0, 0x47e00000], [0xe0000000, 0x47efffff], [0, 0x3ff80000], [0, 0x3fe00000], [0, 0x20000000],
];

type Kind = 'f32' | 'f64' | 'int';

function f32Value(rng: Rng): number {
  const r = rng.int(10);
  if (r < 4) return rng.pick(F32_SPECIAL) >>> 0;
  if (r < 6) { // normal with a modest exponent (products and sums stay finite)
    const exp = rng.range(100, 154);
    return ((rng.bool() ? 0x80000000 : 0) | (exp << 23) | rng.int(1 << 23)) >>> 0;
  }
  if (r < 7) return (rng.int(1 << 23) | (rng.bool() ? 0x80000000 : 0)) >>> 0; // denormal
  if (r < 8) return (((rng.bool() ? 0x80000000 : 0) | (rng.range(0, 254) << 23) | rng.int(1 << 23)) >>> 0);
  return Number(rng.u64() & 0xffffffffn);
}

function f64Value(rng: Rng): [number, number] {
  const r = rng.int(10);
  if (r < 4) return rng.pick(F64_SPECIAL);
  const lo = Number(rng.u64() & 0xffffffffn);
  if (r < 6) {
    const exp = rng.range(900, 1150);
    return [lo, ((rng.bool() ? 0x80000000 : 0) | (exp << 20) | rng.int(1 << 20)) >>> 0];
  }
  if (r < 7) return [lo, ((rng.bool() ? 0x80000000 : 0) | rng.int(1 << 20)) >>> 0];
  if (r < 8) return [lo, ((rng.bool() ? 0x80000000 : 0) | (rng.range(0, 2046) << 20) | rng.int(1 << 20)) >>> 0];
  return [lo, Number(rng.u64() & 0xffffffffn)];
}

const INT_EDGES = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];

/** 16 bytes of register or memory content of the given kind. */
function vector(rng: Rng, kind: Kind): number[] {
  const out: number[] = [];
  const push32 = (v: number): void => { for (let k = 0; k < 4; k++) out.push((v >>> (8 * k)) & 0xff); };
  if (kind === 'f32') for (let i = 0; i < 4; i++) push32(f32Value(rng));
  else if (kind === 'f64') for (let i = 0; i < 2; i++) { const [lo, hi] = f64Value(rng); push32(lo); push32(hi); }
  else {
    const style = rng.int(4);
    for (let i = 0; i < 16; i++) out.push(style === 0 ? rng.pick(INT_EDGES) : style === 1 && rng.bool(0.3) ? 0 : rng.int(256));
  }
  return out;
}

function mxcsrFor(rng: Rng, kind: Kind): number {
  if (kind === 'int' || rng.bool(0.3)) return 0x1f80;
  let mx = 0x1f80 | (rng.int(4) << 13);
  if (rng.bool(0.15)) mx |= 0x40; // DAZ
  if (rng.bool(0.15)) mx |= 0x8000; // FTZ
  if (rng.bool(0.2)) mx |= rng.int(64); // sticky flags
  if (rng.bool(0.15)) mx &= ~(1 << rng.range(7, 12)); // one exception unmasked
  if (rng.bool(0.03)) mx &= ~0x1f80; // all unmasked
  return mx;
}

interface Form {
  /** Operand template: V/W xmm (W may be memory), P/Q mmx, G gpr, E gpr or memory, I imm8. */
  ops: string;
  /** Memory size for W/Q/E operands (bytes), 16 for m128. */
  mem: number;
}

const FORMS: Record<string, Form> = {
  'V,W': { ops: 'V,W', mem: 16 }, 'V,Wd': { ops: 'V,W', mem: 4 }, 'V,Wq': { ops: 'V,W', mem: 8 },
  'V,W,I': { ops: 'V,W,I', mem: 16 }, 'V,Wd,I': { ops: 'V,W,I', mem: 4 }, 'V,Wq,I': { ops: 'V,W,I', mem: 8 },
  'P,Q': { ops: 'P,Q', mem: 8 }, 'P,Qd': { ops: 'P,Q', mem: 4 }, 'P,Q,I': { ops: 'P,Q,I', mem: 8 },
  'V,Q': { ops: 'V,Q', mem: 8 }, 'P,W': { ops: 'P,W', mem: 8 }, 'P,Wx': { ops: 'P,W', mem: 16 },
  'G,Wd': { ops: 'G,W', mem: 4 }, 'G,Wq': { ops: 'G,W', mem: 8 }, 'V,E': { ops: 'V,E', mem: 0 },
  'V,U': { ops: 'V,U', mem: 0 }, 'G,U': { ops: 'G,U', mem: 0 }, 'G,N': { ops: 'G,N', mem: 0 },
  'U,I': { ops: 'U,I', mem: 0 }, 'N,I': { ops: 'N,I', mem: 0 },
};

const sizeKw = (n: number): string => (n === 16 ? 'oword' : n === 8 ? 'qword' : n === 4 ? 'dword' : n === 2 ? 'word' : 'byte');

interface Insn { mnemonic: string; form: string; kind: Kind; imm?: () => number; gpr64?: boolean }

/** Build one case for `insn`. */
function makeCase(rng: Rng, insn: Insn, opts: { misalign?: boolean; mode?: 32 | 64 } = {}): CaseSpec {
  const mode = opts.mode ?? 64;
  const form = FORMS[insn.form]!;
  const nx = mode === 64 ? 16 : 8;
  const regs: number[] = [];
  for (let r = 0; r < 16; r++) regs.push(...(r < nx ? vector(rng, insn.kind) : new Array<number>(16).fill(0)));
  for (let r = 0; r < 8; r++) regs.push(...vector(rng, insn.kind).slice(0, 8));
  const gpr: bigint[] = [];
  for (let i = 0; i < 16; i++) gpr.push(mode === 32 ? (i < 8 ? rng.u64() & 0xffffffffn : 0n) : rng.u64());
  gpr[4] = DB + 0x2800n;
  const base = 0x100 + 16 * rng.int(64) + (opts.misalign ? rng.pick([1, 4, 8, 12]) : 0);
  gpr[3] = DB + BigInt(base); // rbx: memory operands
  const patch: MemRange[] = [];
  const useMem = form.mem > 0 && rng.bool(0.35);
  if (useMem) patch.push([base, bytesToHex(Uint8Array.from(vector(rng, insn.kind)))]);
  const ops = form.ops.split(',');
  const xr = (): number => rng.int(nx);
  const parts: string[] = [];
  const gpr64 = insn.gpr64 && mode === 64;
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i]!;
    switch (o) {
      case 'V': case 'U': parts.push(`xmm${xr()}`); break;
      case 'P': case 'N': parts.push(`mm${rng.int(8)}`); break;
      case 'W': {
        const at = mode === 32 ? '[ebx]' : '[rbx]';
        parts.push(useMem ? at : `xmm${xr()}`);
        break;
      }
      case 'Q': parts.push(useMem ? `[${mode === 32 ? 'ebx' : 'rbx'}]` : `mm${rng.int(8)}`); break;
      case 'G': {
        const g = rng.pick([0, 1, 2, 5, 6, 7]);
        parts.push(gpr64 ? ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi'][g]! : ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'][g]!);
        break;
      }
      case 'E': {
        if (rng.bool(0.3)) {
          const n = gpr64 ? 8 : 4;
          const bytes = Array.from({ length: n }, () => rng.int(256));
          patch.length = 0;
          patch.push([base, bytesToHex(Uint8Array.from(bytes))]);
          parts.push(`${sizeKw(n)} [${mode === 32 ? 'ebx' : 'rbx'}]`);
        } else {
          const g = rng.pick([0, 1, 2, 5, 6, 7]);
          if (rng.bool(0.4)) gpr[g] = BigInt.asUintN(64, BigInt(rng.pick([0, 1, -1, 0x7fffffff, -0x80000000, 0x1000001, -3, 16777217])) * (rng.bool() ? 1n : 0x100000001n)) & (mode === 32 ? 0xffffffffn : M64);
          parts.push(gpr64 ? ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi'][g]! : ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'][g]!);
        }
        break;
      }
      case 'I': parts.push(String(insn.imm ? insn.imm() : rng.int(256))); break;
    }
  }
  const asm = `${insn.mnemonic} ${parts.join(', ')}`;
  let mx = mxcsrFor(rng, insn.kind);
  if (mode === 32) gpr[3] = gpr[3]! & 0xffffffffn;
  return {
    name: `${asm}${mx !== 0x1f80 ? ` mxcsr=${mx.toString(16)}` : ''}${opts.misalign ? ' (misaligned)' : ''}`,
    mode,
    asm: [asm],
    gpr,
    rflags: 2n | (rng.bool() ? 0x8d5n : 0n),
    mem: { seed: rng.seed32(), patch },
    simd: { regs: bytesToHex(Uint8Array.from(regs)), mxcsr: (mx = mx >>> 0) },
  };
}

const FLOAT_ARITH = ['add', 'sub', 'mul', 'div', 'min', 'max', 'sqrt'];

function famFloat(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const op of FLOAT_ARITH) {
    for (const [suffix, form, kind] of [['ps', 'V,W', 'f32'], ['ss', 'V,Wd', 'f32'], ['pd', 'V,W', 'f64'], ['sd', 'V,Wq', 'f64']] as const) {
      for (let i = 0; i < 60; i++) out.push(makeCase(rng, { mnemonic: op + suffix, form, kind }));
    }
  }
  for (const [m, kind] of [['addsubps', 'f32'], ['addsubpd', 'f64'], ['haddps', 'f32'], ['haddpd', 'f64'], ['hsubps', 'f32'], ['hsubpd', 'f64']] as const) {
    for (let i = 0; i < 30; i++) out.push(makeCase(rng, { mnemonic: m, form: 'V,W', kind }));
  }
  for (const m of ['andps', 'andnps', 'orps', 'xorps', 'andpd', 'andnpd', 'orpd', 'xorpd']) {
    for (let i = 0; i < 4; i++) out.push(makeCase(rng, { mnemonic: m, form: 'V,W', kind: 'int' }));
  }
  for (const m of ['addps', 'mulpd', 'andps', 'sqrtpd']) {
    for (let i = 0; i < 3; i++) {
      const c = makeCase(rng, { mnemonic: m, form: 'V,W', kind: 'f32' }, { misalign: true });
      if (c.asm![0]!.includes('[')) out.push(c);
    }
  }
  return out;
}

function famCompare(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const [m, form, kind] of [['cmpps', 'V,W,I', 'f32'], ['cmpss', 'V,Wd,I', 'f32'], ['cmppd', 'V,W,I', 'f64'], ['cmpsd', 'V,Wq,I', 'f64']] as const) {
    for (let i = 0; i < 64; i++) out.push(makeCase(rng, { mnemonic: m, form, kind, imm: () => i & 7 }));
  }
  for (const [m, form, kind] of [['comiss', 'V,Wd', 'f32'], ['ucomiss', 'V,Wd', 'f32'], ['comisd', 'V,Wq', 'f64'], ['ucomisd', 'V,Wq', 'f64']] as const) {
    for (let i = 0; i < 40; i++) out.push(makeCase(rng, { mnemonic: m, form, kind }));
  }
  return out;
}

function famConvert(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  const list: Insn[] = [
    { mnemonic: 'cvtps2pd', form: 'V,Wq', kind: 'f32' }, { mnemonic: 'cvtpd2ps', form: 'V,W', kind: 'f64' },
    { mnemonic: 'cvtss2sd', form: 'V,Wd', kind: 'f32' }, { mnemonic: 'cvtsd2ss', form: 'V,Wq', kind: 'f64' },
    { mnemonic: 'cvtdq2ps', form: 'V,W', kind: 'int' }, { mnemonic: 'cvtdq2pd', form: 'V,Wq', kind: 'int' },
    { mnemonic: 'cvtps2dq', form: 'V,W', kind: 'f32' }, { mnemonic: 'cvttps2dq', form: 'V,W', kind: 'f32' },
    { mnemonic: 'cvtpd2dq', form: 'V,W', kind: 'f64' }, { mnemonic: 'cvttpd2dq', form: 'V,W', kind: 'f64' },
    { mnemonic: 'cvtss2si', form: 'G,Wd', kind: 'f32' }, { mnemonic: 'cvttss2si', form: 'G,Wd', kind: 'f32' },
    { mnemonic: 'cvtsd2si', form: 'G,Wq', kind: 'f64' }, { mnemonic: 'cvttsd2si', form: 'G,Wq', kind: 'f64' },
    { mnemonic: 'cvtss2si', form: 'G,Wd', kind: 'f32', gpr64: true }, { mnemonic: 'cvttsd2si', form: 'G,Wq', kind: 'f64', gpr64: true },
    { mnemonic: 'cvtsd2si', form: 'G,Wq', kind: 'f64', gpr64: true }, { mnemonic: 'cvttss2si', form: 'G,Wd', kind: 'f32', gpr64: true },
    { mnemonic: 'cvtsi2ss', form: 'V,E', kind: 'f32' }, { mnemonic: 'cvtsi2sd', form: 'V,E', kind: 'f64' },
    { mnemonic: 'cvtsi2ss', form: 'V,E', kind: 'f32', gpr64: true }, { mnemonic: 'cvtsi2sd', form: 'V,E', kind: 'f64', gpr64: true },
    { mnemonic: 'cvtpi2ps', form: 'V,Q', kind: 'int' }, { mnemonic: 'cvtpi2pd', form: 'V,Q', kind: 'int' },
    { mnemonic: 'cvtps2pi', form: 'P,W', kind: 'f32' }, { mnemonic: 'cvttps2pi', form: 'P,W', kind: 'f32' },
    { mnemonic: 'cvtpd2pi', form: 'P,Wx', kind: 'f64' }, { mnemonic: 'cvttpd2pi', form: 'P,Wx', kind: 'f64' },
  ];
  for (const insn of list) for (let i = 0; i < 30; i++) out.push(makeCase(rng, insn));
  return out;
}

const MMX_SSE2_INT = [
  'paddb', 'paddw', 'paddd', 'paddq', 'psubb', 'psubw', 'psubd', 'psubq', 'paddsb', 'paddsw', 'psubsb', 'psubsw',
  'paddusb', 'paddusw', 'psubusb', 'psubusw', 'pmullw', 'pmulhw', 'pmulhuw', 'pmuludq', 'pmaddwd', 'psadbw',
  'pavgb', 'pavgw', 'pminub', 'pmaxub', 'pminsw', 'pmaxsw', 'pand', 'pandn', 'por', 'pxor', 'pcmpeqb', 'pcmpeqw',
  'pcmpeqd', 'pcmpgtb', 'pcmpgtw', 'pcmpgtd', 'packsswb', 'packssdw', 'packuswb', 'punpckhbw', 'punpckhwd',
  'punpckhdq', 'psllw', 'pslld', 'psllq', 'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad',
  'pshufb', 'phaddw', 'phaddd', 'phaddsw', 'phsubw', 'phsubd', 'phsubsw', 'pmaddubsw', 'pmulhrsw', 'psignb',
  'psignw', 'psignd', 'pabsb', 'pabsw', 'pabsd',
];

function famInt(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  for (const m of MMX_SSE2_INT) {
    for (let i = 0; i < 6; i++) out.push(makeCase(rng, { mnemonic: m, form: 'V,W', kind: 'int' }));
    for (let i = 0; i < 4; i++) out.push(makeCase(rng, { mnemonic: m, form: 'P,Q', kind: 'int' }));
  }
  for (const m of ['punpcklbw', 'punpcklwd', 'punpckldq']) {
    for (let i = 0; i < 6; i++) out.push(makeCase(rng, { mnemonic: m, form: 'V,W', kind: 'int' }));
    for (let i = 0; i < 4; i++) out.push(makeCase(rng, { mnemonic: m, form: 'P,Qd', kind: 'int' }));
  }
  for (const m of ['punpcklqdq', 'punpckhqdq', 'unpcklps', 'unpckhps', 'unpcklpd', 'unpckhpd']) {
    for (let i = 0; i < 5; i++) out.push(makeCase(rng, { mnemonic: m, form: 'V,W', kind: 'int' }));
  }
  // Shift counts: small register counts are more interesting than random 64-bit ones.
  for (const m of ['psllw', 'pslld', 'psllq', 'psrlw', 'psrld', 'psrlq', 'psraw', 'psrad']) {
    for (let i = 0; i < 5; i++) {
      const c = makeCase(rng, { mnemonic: m, form: 'U,I', kind: 'int', imm: () => rng.pick([0, 1, 7, 15, 16, 31, 32, 63, 64, 200]) });
      out.push(c);
      out.push(makeCase(rng, { mnemonic: m, form: 'N,I', kind: 'int', imm: () => rng.pick([0, 1, 7, 15, 16, 31, 32, 63, 64, 200]) }));
    }
  }
  for (const m of ['pslldq', 'psrldq']) for (let i = 0; i < 6; i++) out.push(makeCase(rng, { mnemonic: m, form: 'U,I', kind: 'int', imm: () => rng.pick([0, 1, 3, 8, 15, 16, 100]) }));
  for (const [m, form] of [['pshufd', 'V,W,I'], ['pshufhw', 'V,W,I'], ['pshuflw', 'V,W,I'], ['pshufw', 'P,Q,I'], ['shufps', 'V,W,I'], ['shufpd', 'V,W,I'], ['palignr', 'V,W,I'], ['palignr', 'P,Q,I']] as const) {
    for (let i = 0; i < 6; i++) out.push(makeCase(rng, { mnemonic: m, form, kind: 'int', imm: m === 'palignr' ? () => rng.range(0, 34) : undefined }));
  }
  for (let i = 0; i < 6; i++) out.push(makeCase(rng, { mnemonic: 'pmovmskb', form: 'G,U', kind: 'int' }));
  for (let i = 0; i < 4; i++) out.push(makeCase(rng, { mnemonic: 'pmovmskb', form: 'G,N', kind: 'int' }));
  for (let i = 0; i < 4; i++) out.push(makeCase(rng, { mnemonic: 'movmskps', form: 'G,U', kind: 'int' }));
  for (let i = 0; i < 4; i++) out.push(makeCase(rng, { mnemonic: 'movmskpd', form: 'G,U', kind: 'int' }));
  for (let i = 0; i < 6; i++) out.push(makePextrw(rng, i));
  return out;
}

function makePextrw(rng: Rng, i: number): CaseSpec {
  const mmx = i % 2 === 1;
  const c = makeCase(rng, { mnemonic: 'pextrw', form: mmx ? 'G,N' : 'G,U', kind: 'int' });
  const line = `${c.asm![0]}, ${rng.int(8)}`;
  return { ...c, name: line, asm: [line] };
}

function famMove(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  const raw: Array<[string, string]> = [
    ['movaps xmm1, xmm9', ''], ['movaps xmm2, [rbx]', ''], ['movaps [rbx], xmm3', ''], ['movaps xmm2, [rbx+4]', 'fault'],
    ['movapd [rbx+8], xmm3', 'fault'], ['movups xmm4, [rbx+3]', ''], ['movups [rbx+5], xmm4', ''], ['movupd xmm5, [rbx+9]', ''],
    ['movdqa xmm6, [rbx]', ''], ['movdqa xmm6, [rbx+1]', 'fault'], ['movdqa [rbx+16], xmm7', ''], ['movdqu xmm8, [rbx+7]', ''],
    ['movdqu [rbx+15], xmm15', ''], ['lddqu xmm1, [rbx+3]', ''], ['movntdq [rbx], xmm2', ''], ['movntps [rbx+4], xmm2', 'fault'],
    ['movss xmm1, xmm2', ''], ['movss xmm1, [rbx+2]', ''], ['movss [rbx+1], xmm3', ''], ['movsd xmm1, xmm2', ''],
    ['movsd xmm4, [rbx+2]', ''], ['movsd [rbx+3], xmm5', ''], ['movlps xmm1, [rbx+1]', ''], ['movlps [rbx+2], xmm1', ''],
    ['movhps xmm1, [rbx+1]', ''], ['movhps [rbx+2], xmm1', ''], ['movlpd xmm3, [rbx]', ''], ['movhpd [rbx], xmm3', ''],
    ['movhlps xmm1, xmm2', ''], ['movlhps xmm3, xmm4', ''], ['movsldup xmm1, xmm2', ''], ['movshdup xmm1, [rbx]', ''],
    ['movddup xmm1, [rbx+4]', ''], ['movddup xmm1, xmm7', ''], ['movd xmm1, eax', ''], ['movd xmm2, [rbx+1]', ''],
    ['movq xmm3, rax', ''], ['movd eax, xmm4', ''], ['movq rcx, xmm5', ''], ['movd [rbx+2], xmm6', ''],
    ['movq [rbx+2], xmm6', ''], ['movq xmm7, [rbx+3]', ''], ['movq xmm8, xmm9', ''], ['movd mm1, eax', ''],
    ['movq mm2, rcx', ''], ['movd edx, mm3', ''], ['movq rdx, mm4', ''], ['movq mm5, [rbx+1]', ''],
    ['movq [rbx+3], mm6', ''], ['movq mm7, mm0', ''], ['movq2dq xmm1, mm2', ''], ['movdq2q mm3, xmm4', ''],
    ['movntq [rbx], mm1', ''], ['movnti [rbx+1], eax', ''], ['movnti [rbx+3], rcx', ''], ['pinsrw xmm1, eax, 3', ''],
    ['pinsrw xmm1, [rbx+1], 7', ''], ['pinsrw mm1, ecx, 2', ''], ['pextrw eax, xmm3, 5', ''], ['pextrw ecx, mm3, 1', ''],
    ['emms', ''], ['sfence', ''], ['lfence', ''], ['mfence', ''], ['stmxcsr [rbx+4]', ''], ['ldmxcsr [rbx]', 'ldmxcsr'],
    ['maskmovdqu xmm1, xmm2', 'maskmov'], ['maskmovq mm1, mm2', 'maskmov'], ['addps xmm1, [rbx+8]', 'fault'], ['pxor xmm1, [rbx+4]', 'fault'],
    ['paddb mm1, [rbx+3]', ''], ['addss xmm1, [rbx+3]', ''], ['cvtps2pd xmm1, [rbx+4]', ''], ['pshufd xmm1, [rbx+8], 0x1b', 'fault'],
  ];
  for (const [asm, tag] of raw) {
    for (let k = 0; k < (tag === 'ldmxcsr' ? 6 : 2); k++) {
      const c = makeCase(rng, { mnemonic: 'nop', form: 'V,U', kind: 'int' });
      const patch: MemRange[] = [[0x100, bytesToHex(Uint8Array.from(vector(rng, 'int')))]];
      if (tag === 'ldmxcsr') {
        const v = k < 4 ? (rng.int(4) << 13) | 0x1f80 | (k === 3 ? 0x8040 : 0) : k === 4 ? 0x10000 : 0x1f80 | 0x20000;
        patch[0] = [0x100, bytesToHex(Uint8Array.from([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, 0]))];
      }
      const gpr = c.gpr.slice();
      gpr[3] = DB + 0x100n;
      gpr[7] = DB + 0x180n + BigInt(rng.int(8)); // rdi for MASKMOV*
      out.push({ ...c, name: asm + (k ? ` #${k}` : ''), asm: [asm], gpr, mem: { seed: c.mem.seed, patch } });
    }
  }
  return out;
}

function famSse4(rng: Rng): CaseSpec[] {
  const out: CaseSpec[] = [];
  const int41 = ['pminsb', 'pminsd', 'pminuw', 'pminud', 'pmaxsb', 'pmaxsd', 'pmaxuw', 'pmaxud', 'pmulld', 'pmuldq',
    'pcmpeqq', 'pcmpgtq', 'packusdw', 'phminposuw', 'ptest', 'pmovsxbw', 'pmovsxbd', 'pmovsxbq', 'pmovsxwd', 'pmovsxwq',
    'pmovsxdq', 'pmovzxbw', 'pmovzxbd', 'pmovzxbq', 'pmovzxwd', 'pmovzxwq', 'pmovzxdq'];
  for (const m of int41) for (let i = 0; i < 6; i++) {
    const pm = /^pmov[sz]x(..)$/.exec(m);
    const memSize = pm ? ({ bw: 8, bd: 4, bq: 2, wd: 8, wq: 4, dq: 8 } as Record<string, number>)[pm[1]!]! : 16;
    const c = makeCase(rng, { mnemonic: m, form: memSize === 16 ? 'V,W' : memSize === 8 ? 'V,Wq' : 'V,Wd', kind: 'int' });
    out.push(c);
  }
  for (const [m, form, kind] of [['pblendw', 'V,W,I', 'int'], ['blendps', 'V,W,I', 'int'], ['blendpd', 'V,W,I', 'int'], ['mpsadbw', 'V,W,I', 'int']] as const) {
    for (let i = 0; i < 8; i++) out.push(makeCase(rng, { mnemonic: m, form, kind }));
  }
  for (const m of ['pblendvb', 'blendvps', 'blendvpd']) for (let i = 0; i < 8; i++) {
    const c = makeCase(rng, { mnemonic: m, form: 'V,W', kind: 'int' });
    const line = `${c.asm![0]}, xmm0`;
    out.push({ ...c, name: line, asm: [line] });
  }
  for (const [m, form, kind] of [['roundps', 'V,W,I', 'f32'], ['roundss', 'V,Wd,I', 'f32'], ['roundpd', 'V,W,I', 'f64'], ['roundsd', 'V,Wq,I', 'f64'], ['dpps', 'V,W,I', 'f32'], ['dppd', 'V,W,I', 'f64']] as const) {
    for (let i = 0; i < 40; i++) out.push(makeCase(rng, { mnemonic: m, form, kind, imm: m.startsWith('round') ? () => rng.int(16) : undefined }));
  }
  const extracts = ['pextrb eax, xmm1, 5', 'pextrb [rbx+1], xmm2, 15', 'pextrw [rbx+1], xmm2, 6', 'pextrd ecx, xmm3, 2', 'pextrd [rbx+3], xmm3, 3',
    'pextrq rcx, xmm4, 1', 'pextrq [rbx+1], xmm4, 0', 'extractps eax, xmm5, 3', 'extractps [rbx+2], xmm5, 1',
    'pinsrb xmm1, eax, 9', 'pinsrb xmm1, [rbx+1], 0', 'pinsrd xmm2, ecx, 3', 'pinsrd xmm2, [rbx+2], 1', 'pinsrq xmm3, rdx, 1',
    'pinsrq xmm3, [rbx+1], 0', 'insertps xmm1, xmm2, 0x9c', 'insertps xmm1, [rbx+1], 0x31', 'insertps xmm4, xmm5, 0x4f',
    'movntdqa xmm1, [rbx]', 'crc32 eax, byte [rbx+1]', 'crc32 eax, word [rbx+1]', 'crc32 eax, dword [rbx+1]', 'crc32 rax, qword [rbx+1]',
    'crc32 ecx, dl', 'crc32 ecx, dx', 'crc32 ecx, edx', 'crc32 rcx, rdx', 'crc32 rcx, dl'];
  for (const line of extracts) for (let k = 0; k < 3; k++) {
    const c = makeCase(rng, { mnemonic: 'nop', form: 'V,U', kind: 'int' });
    const gpr = c.gpr.slice();
    gpr[3] = DB + 0x100n;
    out.push({ ...c, name: line + (k ? ` #${k}` : ''), asm: [line], gpr, mem: { seed: c.mem.seed } });
  }
  // PCMPxSTRx: strings with embedded zeros, repeated characters and ranges.
  for (const m of ['pcmpestri', 'pcmpestrm', 'pcmpistri', 'pcmpistrm']) {
    for (let i = 0; i < 40; i++) {
      const c = makeCase(rng, { mnemonic: m, form: 'V,W,I', kind: 'int', imm: () => rng.int(128) });
      const regs = Uint8Array.from(Buffer.from(c.simd!.regs, 'hex'));
      const alphabet = rng.pick([[0x41, 0x42, 0x43, 0x00], [0x61, 0x62, 0x7a, 0x30, 0x39, 0x00, 0x80, 0xff], [0x10, 0x20]]);
      for (let b = 0; b < 256; b++) if (rng.bool(0.8)) regs[b] = rng.pick(alphabet);
      const gpr = c.gpr.slice();
      gpr[0] = BigInt.asUintN(64, BigInt(rng.range(-20, 20)));
      gpr[2] = BigInt.asUintN(64, BigInt(rng.range(-20, 20)));
      const patch = (c.mem.patch ?? []).map(([o, h]): MemRange => [o, h.replace(/../g, (x) => (rng.bool(0.8) ? rng.pick(alphabet).toString(16).padStart(2, '0') : x))]);
      out.push({ ...c, gpr, simd: { regs: bytesToHex(regs), mxcsr: c.simd!.mxcsr }, mem: { seed: c.mem.seed, patch } });
    }
  }
  return out;
}

export function generateSimdFamilies(seed: number): Family[] {
  const fams: Array<[string, string, (r: Rng) => CaseSpec[]]> = [
    ['sse-move', 'SSE/SSE2/SSE3/MMX moves, MOVD/MOVQ, MOVMSK, PINSRW/PEXTRW, fences, LDMXCSR/STMXCSR, alignment #GP', famMove],
    ['sse-int', 'MMX/SSE2/SSSE3 packed integer arithmetic, compares, packs, unpacks, shifts, shuffles', famInt],
    ['sse-float', 'SSE/SSE2/SSE3 float arithmetic in all rounding modes, DAZ/FTZ, masked/unmasked exceptions', famFloat],
    ['sse-cmp', 'CMPPS/PD/SS/SD predicates, COMIS/UCOMIS', famCompare],
    ['sse-cvt', 'conversions between integers, binary32 and binary64', famConvert],
    ['sse4', 'SSE4.1 (integer, blends, ROUND, DPPS, inserts/extracts), SSE4.2 (PCMPGTQ, PCMPxSTRx, CRC32)', famSse4],
  ];
  return fams.map(([name, description, fn], i) => ({ name, description, cases: fn(new Rng(seed * 1000 + 500 + i)) }));
}
