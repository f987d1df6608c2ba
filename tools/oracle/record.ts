/**
 * Records native-oracle fixtures: builds tools/oracle/harness.c, assembles every
 * generated case with nasm, runs them on this machine's CPU and writes
 * tests/fixtures/oracle/<family>.json.
 *
 * Usage:  npx tsx tools/oracle/record.ts [--family name[,name...]] [--keep]
 *   --family  only (re)record the listed families
 *   --keep    keep the temporary build directory (prints its path)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildInitMem,
  bytesToHex,
  diffRanges,
  hexToBytes,
  ORACLE_CODE_BASE,
  ORACLE_DATA_BASE,
  ORACLE_DATA_SIZE,
  type RawOracleCase,
} from '../../tests/support/oracle-fixture.js';
import { generateFamilies, type CaseSpec } from './cases.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const outDir = join(root, 'tests', 'fixtures', 'oracle');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const only = arg('--family')?.split(',');
const keep = process.argv.includes('--keep');

const hx = (v: bigint): string => '0x' + v.toString(16);

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1]!.trim() : 'unknown';
  } catch {
    return 'unknown';
  }
}

interface Flat {
  family: string;
  spec: CaseSpec;
}

/**
 * Assemble all cases in one nasm run: every case becomes its own section with
 * vstart=CODE_BASE (so absolute references to its labels are right), and a
 * trailing table section lists each case's length.
 */
function assemble(work: string, cases: Flat[]): Uint8Array[] {
  const lines: string[] = [];
  const lineOwner: number[] = []; // source line (1-based index - 1) -> case index
  const emit = (s: string, owner: number): void => {
    lines.push(s);
    lineOwner.push(owner);
  };
  cases.forEach((c, i) => {
    const sec = `c${i}`;
    const prev = i === 0 ? '' : ` follows=c${i - 1}`;
    emit(`section ${sec}${prev} vstart=0x${ORACLE_CODE_BASE.toString(16)} align=1`, i);
    emit(`bits ${c.spec.mode}`, i);
    emit(`c${i}s:`, i);
    if (c.spec.bytes !== undefined) {
      const b = hexToBytes(c.spec.bytes);
      emit(`db ${Array.from(b, (x) => '0x' + x.toString(16)).join(', ')}`, i);
    } else {
      for (const l of c.spec.asm ?? []) emit(l, i);
    }
    emit(`c${i}e:`, i);
  });
  emit(`section tbl follows=c${cases.length - 1} align=1`, -1);
  for (let i = 0; i < cases.length; i++) emit(`dd c${i}e - c${i}s`, -1);
  const src = join(work, 'cases.asm');
  const bin = join(work, 'cases.bin');
  writeFileSync(src, lines.join('\n') + '\n');
  const r = spawnSync('nasm', ['-f', 'bin', '-w-number-overflow', '-o', bin, src], { encoding: 'utf8' });
  if (r.status !== 0) {
    const msgs = (r.stderr || '').split('\n').filter((l) => l.trim());
    for (const m of msgs.slice(0, 40)) {
      const lm = /:(\d+):/.exec(m);
      const owner = lm ? lineOwner[Number(lm[1]) - 1] : undefined;
      const who = owner !== undefined && owner >= 0 ? ` [${cases[owner]!.family}: ${cases[owner]!.spec.name}]` : '';
      console.error(m + who);
    }
    throw new Error(`nasm failed (${msgs.length} messages)`);
  }
  if (r.stderr.trim()) {
    for (const m of r.stderr.split('\n').filter((l) => l.trim()).slice(0, 20)) {
      const lm = /:(\d+):/.exec(m);
      const owner = lm ? lineOwner[Number(lm[1]) - 1] : undefined;
      console.warn('nasm: ' + m + (owner !== undefined && owner >= 0 ? ` [${cases[owner]!.spec.name}]` : ''));
    }
  }
  const out = new Uint8Array(readFileSync(bin));
  const tblLen = cases.length * 4;
  const tbl = new DataView(out.buffer, out.byteOffset + out.length - tblLen, tblLen);
  const res: Uint8Array[] = [];
  let off = 0;
  for (let i = 0; i < cases.length; i++) {
    const len = tbl.getUint32(i * 4, true);
    res.push(out.slice(off, off + len));
    off += len;
  }
  if (off !== out.length - tblLen) throw new Error(`section layout mismatch: ${off} vs ${out.length - tblLen}`);
  return res;
}

/** Fixture form of a SIMD image: XMM0-15 and MM0-7 as big-endian hex, MXCSR as 0x.... */
function simdFields(regsHex: string, mxcsr: number): { xmm: string[]; mm: string[]; mxcsr: string } {
  const bytes = hexToBytes(regsHex);
  const be = (from: number, n: number): string => bytesToHex(bytes.slice(from, from + n).reverse());
  const xmm: string[] = [], mm: string[] = [];
  for (let r = 0; r < 16; r++) xmm.push(be(16 * r, 16));
  for (let r = 0; r < 8; r++) mm.push(be(256 + 8 * r, 8));
  return { xmm, mm, mxcsr: '0x' + (mxcsr >>> 0).toString(16) };
}

function main(): void {
  const families = generateFamilies().filter((f) => !only || only.includes(f.name));
  if (families.length === 0) throw new Error('no families selected');
  const work = mkdtempSync(join(tmpdir(), 'x86vm-oracle-'));
  try {
    const harness = join(work, 'harness');
    execFileSync('gcc', ['-O1', '-o', harness, join(here, 'harness.c')], { stdio: 'inherit' });

    const flat: Flat[] = [];
    for (const f of families) for (const spec of f.cases) flat.push({ family: f.name, spec });
    const t0 = Date.now();
    const code = assemble(work, flat);
    console.log(`assembled ${flat.length} cases in ${Date.now() - t0} ms`);

    // Build harness input.
    const inits: Uint8Array[] = [];
    const input: string[] = [];
    flat.forEach((c, i) => {
      const mem = buildInitMem(c.spec.mem);
      inits.push(mem);
      const gpr = c.spec.gpr.map((v) => v.toString(16));
      const codeHex = code[i]!.length ? bytesToHex(code[i]!) : '-';
      const simd = c.spec.simd ? [c.spec.simd.regs, c.spec.simd.mxcsr.toString(16)] : [];
      input.push([i, c.spec.mode, codeHex, ...gpr, c.spec.rflags.toString(16), bytesToHex(mem), ...simd].join(' '));
    });
    const t1 = Date.now();
    const run = spawnSync(harness, [], { input: input.join('\n') + '\n', maxBuffer: 1 << 30, encoding: 'utf8' });
    if (run.status !== 0) {
      console.error(run.stderr);
      throw new Error(`harness exited with status ${run.status} signal ${run.signal}`);
    }
    console.log(`ran harness in ${Date.now() - t1} ms`);
    const outLines = run.stdout.split('\n').filter((l) => l.length > 0);
    if (outLines.length !== flat.length) throw new Error(`harness produced ${outLines.length} lines for ${flat.length} cases`);

    const byFamily = new Map<string, RawOracleCase[]>();
    let timeouts = 0;
    const faultsByFamily = new Map<string, number>();
    for (const line of outLines) {
      const t = line.split(' ');
      const i = Number(t[0]);
      const c = flat[i]!;
      const status = t[1]!;
      if (status === 'timeout') {
        console.warn(`timeout (dropped): ${c.family}: ${c.spec.name}`);
        timeouts++;
        continue;
      }
      const fault = status === 'fault' ? { vector: Number(t[2]), offset: parseInt(t[3]!, 16) } : null;
      if (fault) faultsByFamily.set(c.family, (faultsByFamily.get(c.family) ?? 0) + 1);
      const gpr = t.slice(4, 20).map((x) => BigInt('0x' + x));
      const rflags = BigInt('0x' + t[20]!);
      const mem = hexToBytes(t[21]!);
      const initMem = inits[i]!;
      const initGpr = c.spec.mode === 32 ? c.spec.gpr.map((v) => v & 0xffffffffn) : c.spec.gpr;
      const rec: RawOracleCase = {
        name: c.spec.name,
        mode: c.spec.mode,
        code: bytesToHex(code[i]!),
        init: {
          gpr: initGpr.map(hx),
          rflags: hx((c.spec.rflags & 0x0cd5n) | 2n),
          mem: c.spec.mem.patch?.length ? { seed: c.spec.mem.seed, patch: c.spec.mem.patch } : { seed: c.spec.mem.seed },
        },
        final: { gpr: gpr.map(hx), rflags: hx(rflags), mem: diffRanges(initMem, mem) },
        fault,
      };
      if (c.spec.simd) {
        Object.assign(rec.init, simdFields(c.spec.simd.regs, c.spec.simd.mxcsr));
        // Final registers equal to the initial ones are written as "" (unchanged).
        const init = simdFields(c.spec.simd.regs, c.spec.simd.mxcsr);
        const fin = simdFields(t[22]!, parseInt(t[23]!, 16));
        fin.xmm = fin.xmm.map((x, r) => (x === init.xmm[r] ? '' : x));
        fin.mm = fin.mm.map((x, r) => (x === init.mm[r] ? '' : x));
        Object.assign(rec.final, fin);
      }
      let arr = byFamily.get(c.family);
      if (!arr) byFamily.set(c.family, (arr = []));
      arr.push(rec);
    }

    mkdirSync(outDir, { recursive: true });
    const cpu = cpuModel();
    let total = 0;
    let bytes = 0;
    for (const f of families) {
      const cases = byFamily.get(f.name) ?? [];
      const header = {
        family: f.name,
        description: f.description,
        cpu,
        codeBase: hx(BigInt(ORACLE_CODE_BASE)),
        dataBase: hx(BigInt(ORACLE_DATA_BASE)),
        dataSize: ORACLE_DATA_SIZE,
      };
      const head = JSON.stringify(header, null, 2).replace(/\n}$/, '');
      const body = cases.map((c) => '    ' + JSON.stringify(c)).join(',\n');
      const text = `${head},\n  "cases": [\n${body}\n  ]\n}\n`;
      JSON.parse(text); // sanity
      const file = join(outDir, `${f.name}.json`);
      writeFileSync(file, text);
      total += cases.length;
      bytes += text.length;
      console.log(`${f.name.padEnd(8)} ${String(cases.length).padStart(5)} cases ${String(faultsByFamily.get(f.name) ?? 0).padStart(4)} faulting  ${(text.length / 1024).toFixed(0).padStart(5)} KiB`);
    }
    console.log(`total ${total} cases, ${(bytes / 1024 / 1024).toFixed(2)} MiB${timeouts ? `, ${timeouts} timeouts dropped` : ''}`);
  } finally {
    if (keep) console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main();
