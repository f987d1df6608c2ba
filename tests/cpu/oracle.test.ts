/**
 * Native-oracle conformance tests: every case in tests/fixtures/oracle/*.json
 * was recorded on real hardware by tools/oracle/record.ts; the CPU interpreter
 * (through tests/support/snippet.ts) must reproduce the final state exactly.
 *
 * Compared: fault vector and offset, all 16 GPRs (low 32 bits in mode 32),
 * RFLAGS masked to CF PF AF ZF SF DF OF (0x0CD5), and the whole data window.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  GPR_NAMES,
  hex,
  listOracleFixtures,
  loadOracleFile,
  ORACLE_CODE_BASE,
  ORACLE_DATA_BASE,
  ORACLE_FLAGS_MASK,
  type OracleCase,
  type SimdState,
} from '../support/oracle-fixture.js';

/** Mirror of the interface exported by tests/support/snippet.ts. */
interface SnippetInit {
  mode: 64 | 32;
  code: Uint8Array;
  gpr: bigint[];
  rflags: bigint;
  mem: Uint8Array;
  codeBase: number;
  dataBase: number;
  simd?: SimdState;
}
interface SnippetResult {
  gpr: bigint[];
  rflags: bigint;
  mem: Uint8Array;
  fault: null | { vector: number; offset: number };
  simd?: SimdState;
}
type RunSnippet = (init: SnippetInit) => SnippetResult;

// Loaded dynamically (through a non-literal specifier) so that the type check
// and the rest of the suite keep working while snippet.ts does not exist yet.
const SNIPPET_MODULE = '../support/snippet.js';
let runSnippet: RunSnippet | null = null;
let missingReason = '';
try {
  const mod = (await import(SNIPPET_MODULE)) as { runSnippet?: RunSnippet };
  if (typeof mod.runSnippet !== 'function') throw new Error('tests/support/snippet.ts does not export runSnippet');
  runSnippet = mod.runSnippet;
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  const notFound = err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('snippet');
  if (!notFound) throw e;
  missingReason = 'tests/support/snippet.ts not present yet';
}

const M32 = 0xffff_ffffn;

function describeMemDiff(expected: Uint8Array, actual: Uint8Array, max = 8): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < expected.length && out.length < max) {
    if (expected[i] === actual[i]) {
      i++;
      continue;
    }
    const start = i;
    while (i < expected.length && expected[i] !== actual[i] && i - start < 16) i++;
    const exp = Array.from(expected.subarray(start, i), (b) => b.toString(16).padStart(2, '0')).join(' ');
    const act = Array.from(actual.subarray(start, i), (b) => b.toString(16).padStart(2, '0')).join(' ');
    out.push(`  mem[${hex(ORACLE_DATA_BASE + start, 8)}]: expected ${exp}  actual ${act}`);
  }
  if (i < expected.length && out.length >= max) out.push('  ...');
  return out;
}

function checkCase(c: OracleCase, run: RunSnippet): void {
  const res = run({
    mode: c.mode,
    code: c.code.slice(),
    gpr: c.init.gpr.slice(),
    rflags: c.init.rflags,
    mem: c.init.mem.slice(),
    codeBase: ORACLE_CODE_BASE,
    dataBase: ORACLE_DATA_BASE,
    simd: c.init.simd,
  });
  const problems: string[] = [];
  const w = c.mode === 32 ? 8 : 16;
  const mask = c.mode === 32 ? M32 : 0xffff_ffff_ffff_ffffn;

  const ef = c.fault;
  const af = res.fault;
  if ((ef === null) !== (af === null) || (ef && af && (ef.vector !== af.vector || ef.offset !== af.offset))) {
    const f = (x: typeof ef): string => (x ? `vector ${x.vector} at offset ${hex(x.offset, 2)}` : 'none');
    problems.push(`  fault: expected ${f(ef)}  actual ${f(af)}`);
  }
  for (let i = 0; i < 16; i++) {
    const e = c.final.gpr[i]! & mask;
    const a = (res.gpr[i] ?? -1n) & mask;
    if (e !== a) {
      const init = c.init.gpr[i]! & mask;
      problems.push(`  ${GPR_NAMES[i]!.padEnd(3)}: expected ${hex(e, w)}  actual ${hex(a, w)}  (initial ${hex(init, w)})`);
    }
  }
  const ef2 = c.final.rflags & ORACLE_FLAGS_MASK;
  const af2 = res.rflags & ORACLE_FLAGS_MASK;
  if (ef2 !== af2) {
    problems.push(`  rflags&0xcd5: expected ${hex(ef2, 4)} [${flagNames(ef2)}]  actual ${hex(af2, 4)} [${flagNames(af2)}]  (initial ${hex(c.init.rflags, 4)})`);
  }
  const es = c.final.simd;
  if (es) {
    const hexLe = (b: Uint8Array | undefined): string => (b ? Array.from(b).reverse().map((x) => x.toString(16).padStart(2, '0')).join('') : '-');
    for (let r = 0; r < 16; r++) {
      const e = hexLe(es.xmm[r]), a = hexLe(res.simd?.xmm[r]);
      if (e !== a) problems.push(`  xmm${r}: expected ${e}  actual ${a}  (initial ${hexLe(c.init.simd?.xmm[r])})`);
    }
    for (let r = 0; r < 8; r++) {
      const e = hexLe(es.mm[r]), a = hexLe(res.simd?.mm[r]);
      if (e !== a) problems.push(`  mm${r}: expected ${e}  actual ${a}  (initial ${hexLe(c.init.simd?.mm[r])})`);
    }
    const am = res.simd?.mxcsr ?? -1;
    if (es.mxcsr !== am) problems.push(`  mxcsr: expected ${hex(es.mxcsr, 4)}  actual ${hex(am, 4)}  (initial ${hex(c.init.simd?.mxcsr ?? 0, 4)})`);
  }
  if (res.mem.length !== c.final.mem.length) {
    problems.push(`  mem: expected ${c.final.mem.length} bytes, got ${res.mem.length}`);
  } else {
    problems.push(...describeMemDiff(c.final.mem, res.mem));
  }
  if (problems.length > 0) {
    assert.fail([`oracle mismatch: ${c.family} / ${c.name} (mode ${c.mode})`, `  code: ${c.codeHex}`, ...problems].join('\n'));
  }
}

function flagNames(f: bigint): string {
  const names: Array<[bigint, string]> = [[0x800n, 'OF'], [0x400n, 'DF'], [0x80n, 'SF'], [0x40n, 'ZF'], [0x10n, 'AF'], [0x4n, 'PF'], [0x1n, 'CF']];
  return names.filter(([b]) => (f & b) !== 0n).map(([, n]) => n).join(' ') || '-';
}

for (const file of listOracleFixtures()) {
  const fam = loadOracleFile(file);
  describe(`oracle ${fam.family}`, () => {
    for (const c of fam.cases) {
      const title = `${c.mode === 32 ? '[32] ' : ''}${c.name}`;
      if (!runSnippet) {
        it(title, { skip: missingReason }, () => {});
        continue;
      }
      const run = runSnippet;
      it(title, () => checkCase(c, run));
    }
  });
}
