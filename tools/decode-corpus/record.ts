/**
 * Records the decode fixtures: runs binutils objdump (Intel syntax) over the corpus of
 * tools/decode-corpus/corpus.ts, once per mode, and writes tests/fixtures/decode/<mode>.json with
 * each entry's bytes, objdump's length and objdump's text. tests/decode/objdump.test.ts compares the
 * decoder and the disassembler against them, so CI does not need binutils.
 *
 *   npx tsx tools/decode-corpus/record.ts
 *
 * Each entry is assembled as its own symbol (`as` with .byte directives), so objdump restarts
 * decoding at every entry: the entries cannot desynchronise each other.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCorpus, ENTRY_BYTES, type CorpusMode } from './corpus.js';

const MODES: { mode: CorpusMode; as: string[]; directive: string; machine: string; options?: string }[] = [
  { mode: 'i8086', as: ['--32'], directive: '.code16', machine: 'i8086' },
  { mode: 'i386', as: ['--32'], directive: '.code32', machine: 'i386' },
  // intel64: decode as Intel 64 does where AMD64 differs (66 on near branches is ignored, ...).
  { mode: 'x86-64', as: ['--64'], directive: '.code64', machine: 'i386:x86-64', options: 'intel,intel64' },
];

const outDir = fileURLToPath(new URL('../../tests/fixtures/decode/', import.meta.url));
const hex = (bytes: readonly number[]) => bytes.map((b) => b.toString(16).padStart(2, '0')).join('');

/** objdump prints prefixes it considers ignored (a REX before a legacy prefix, ...) as a line. */
export function isPrefixOnly(text: string): boolean {
  return text.split(' ').every((w) => /^(rex(\.[WRXB]+)?|data16|data32|addr16|addr32|[c-gs]s|lock|rep|repz|repnz|bnd|notrack|xacquire|xrelease|fwait)$/.test(w));
}

export interface DecodeFixture {
  mode: CorpusMode;
  objdump: string;
  /** Entry i was disassembled at address i * stride (branch targets are absolute). */
  stride: number;
  /** [bytes as hex (cut to objdump's length unless it said (bad)), objdump length, objdump text]. */
  entries: [string, number, string][];
}

function record(m: (typeof MODES)[number], work: string): DecodeFixture {
  const corpus = buildCorpus(m.mode);
  const lines = [m.directive, '.text'];
  corpus.forEach((bytes, i) => lines.push(`e${i}: .byte ${bytes.map((b) => '0x' + b.toString(16)).join(',')}`));
  const source = join(work, `${m.mode}.s`), object = join(work, `${m.mode}.o`);
  writeFileSync(source, lines.join('\n') + '\n');
  execFileSync('as', [...m.as, '-o', object, source]);
  const text = execFileSync('objdump', ['-d', '-z', '--insn-width=16', '-M', m.options ?? 'intel', '-m', m.machine, object], {
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  // "0000000000000010 <e1>:" then "  10:\t66 90 \tnop" (first instruction of each entry).
  const results = new Map<number, [number, string]>();
  let current = -1;
  for (const line of text.split('\n')) {
    const header = /^[0-9a-f]+ <e(\d+)>:$/.exec(line);
    if (header) { current = Number(header[1]); continue; }
    if (current < 0 || results.has(current)) continue;
    const insn = /^\s*[0-9a-f]+:\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$/.exec(line);
    if (!insn) continue;
    const length = insn[1]!.trim().split(' ').length;
    // Drop objdump's annotations: "# <address>" comments and "<symbol+offset>" labels.
    const cleaned = insn[2]!.replace(/\s*#.*$/, '').replace(/\s*<[^>]*>/g, '').replace(/\s+/g, ' ').trim();
    results.set(current, [length, cleaned]);
  }
  const entries: [string, number, string][] = corpus.map((bytes, i) => {
    const r = results.get(i);
    if (!r) throw new Error(`objdump printed nothing for entry ${i} (${hex(bytes)})`);
    const [length, insn] = r;
    // Keep every byte when objdump's answer is not a whole instruction ((bad), or a line of prefixes
    // only), so the test can still decode what follows.
    const keep = insn.includes('(bad)') || isPrefixOnly(insn) || length > ENTRY_BYTES ? ENTRY_BYTES : length;
    return [hex(bytes.slice(0, keep)), length, insn];
  });
  const version = execFileSync('objdump', ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
  return { mode: m.mode, objdump: version, stride: ENTRY_BYTES, entries };
}

const work = mkdtempSync(join(tmpdir(), 'decode-corpus-'));
try {
  for (const m of MODES) {
    const fixture = record(m, work);
    const file = join(outDir, `${m.mode}.json`);
    writeFileSync(file, JSON.stringify(fixture).replace(/\],\[/g, '],\n['));
    console.log(`${m.mode}: ${fixture.entries.length} entries, ${readFileSync(file).length} bytes -> ${file}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
