/**
 * The decoder and disassembler against an independent decoder: binutils objdump (Intel syntax),
 * recorded by tools/decode-corpus/record.ts into tests/fixtures/decode/<mode>.json for 16-, 32- and
 * 64-bit code (the 64-bit run uses objdump's intel64 option: Intel 64, not AMD64, semantics).
 *
 * Lengths must match for every entry both sides decode (or both reject), and the normalised text
 * (mnemonic and operands: register names, memory operand structure and size, immediates, branch
 * targets) must match for every entry both sides decode. Entries where objdump is known to disagree
 * with the Intel SDM are listed in OBJDUMP_QUIRKS with the reason; nothing else is skipped.
 *
 * DECODE_DUMP=1 prints every mismatch instead of the first few.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { disassembleBytes } from '../../src/cpu/decode/disassembler.js';
import type { Instr } from '../../src/cpu/decode/instr.js';

interface Fixture {
  mode: 'i8086' | 'i386' | 'x86-64';
  objdump: string;
  stride: number;
  entries: [string, number, string][];
}

interface Entry {
  bytes: Uint8Array;
  /** The opcode byte after the legacy/REX prefixes and where it is. */
  opcodeAt: number;
  objLength: number;
  objText: string;
  objBad: boolean;
  ours: { text: string; length: number; ins: Instr };
  bits: 16 | 32 | 64;
}

const PREFIX_WORD = /^(rex(\.[WRXB]+)?|data16|data32|addr16|addr32|[c-gs]s|lock|rep|repz|repnz|repe|repne|bnd|notrack|xacquire|xrelease)$/i;

function opcodeIndex(bytes: Uint8Array, bits: number): number {
  let i = 0;
  while (i < bytes.length && ([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3].includes(bytes[i]!) || (bits === 64 && (bytes[i]! & 0xf0) === 0x40))) i++;
  return i;
}

const after = (e: Entry, ...seq: number[]) => seq.every((b, k) => e.bytes[e.opcodeAt + k] === b);
const firstWord = (text: string) => text.split(' ').find((w) => !PREFIX_WORD.test(w)) ?? '';

/**
 * Known differences between objdump (binutils 2.40) and the Intel SDM. `length: false` means the
 * length is not compared either (objdump's answer is not one whole instruction).
 */
const OBJDUMP_QUIRKS: { name: string; reason: string; length: boolean; applies: (e: Entry) => boolean }[] = [
  {
    name: 'prefix-only line',
    reason: 'objdump prints prefixes it considers dead (a REX followed by another prefix or FWAIT, or prefixes past its own 14-prefix limit) as a line of their own; '
      + 'the CPU ignores such a REX and keeps decoding the same instruction (SDM Vol. 2, 2.2.1)',
    length: false,
    applies: (e) => e.objText !== '' && e.objText.split(' ').every((w) => PREFIX_WORD.test(w)),
  },
  {
    name: 'FWAIT folded',
    reason: 'objdump folds 9B into the following x87 instruction; for the CPU FWAIT is an instruction of its own (SDM Vol. 2, FWAIT; FSTSW is FWAIT + FNSTSW)',
    length: false,
    applies: (e) => after(e, 0x9b) && firstWord(e.objText) !== 'fwait',
  },
  {
    name: 'VEX/EVEX',
    reason: 'AVX is not implemented: VEX/EVEX encodings raise #UD (SDM Vol. 2, 2.3.5), so their length is not decoded',
    length: false,
    applies: (e) => e.ours.ins.fault >= 0 && (after(e, 0xc4) || after(e, 0xc5) || after(e, 0x62)),
  },
  {
    name: '3DNow!',
    reason: 'AMD 3DNow! (0F 0F, FEMMS 0F 0E) does not exist on Intel CPUs: #UD',
    length: false,
    applies: (e) => e.ours.ins.fault >= 0 && (after(e, 0x0f, 0x0f) || after(e, 0x0f, 0x0e)),
  },
  {
    name: 'non-Intel extensions',
    reason: 'AMD SSE4a (EXTRQ/INSERTQ 66/F2 0F 78, MOVNTSS/MOVNTSD F3/F2 0F 2B), VIA PadLock (0F A6/A7) and the 386/486 test-register moves (0F 24/26) are #UD on Intel P6 and later',
    length: false,
    applies: (e) => e.ours.ins.fault >= 0 && /^(extrq|insertq|movntss|movntsd|xcrypt|xstore|xsha|montmul|mov)/.test(firstWord(e.objText))
      && (after(e, 0x0f, 0x78) || after(e, 0x0f, 0x2b) || after(e, 0x0f, 0xa6) || after(e, 0x0f, 0xa7) || after(e, 0x0f, 0x24) || after(e, 0x0f, 0x26)),
  },
  {
    name: 'undocumented x87 aliases',
    reason: 'objdump has no FSTP1 (D9 D8+i), FCOM2 (DC D0+i), FCOMP3 (DC D8+i), FXCH4 (DD C8+i), FCOMP5 (DE D0+i), FXCH7 (DF C8+i), FSTP8/FSTP9 (DF D0+i/D8+i), '
      + 'which Intel x87 units execute as aliases (the SDM leaves them blank in Tables A-10 to A-22)',
    length: true,
    applies: (e) => e.objBad && /^f(stp1|com2|comp3|xch4|comp5|xch7|stp8|stp9)$/.test(firstWord(e.ours.text)),
  },
  {
    name: 'SALC',
    reason: 'objdump does not decode D6 (SALC), which every Intel CPU executes outside 64-bit mode',
    length: true,
    applies: (e) => e.objBad && firstWord(e.ours.text) === 'salc',
  },
  {
    name: 'prefix on a prefix-less 0F opcode',
    reason: 'objdump reserves 66/F2 on WBINVD, BSF and BSR (F3 gives WBNOINVD/TZCNT/LZCNT); the SDM defines no meaning for them and the CPU ignores the prefix',
    length: false,
    applies: (e) => e.objBad && /^(wbinvd|bsf|bsr)$/.test(firstWord(e.ours.text)),
  },
  {
    name: 'fence ModRM.rm',
    reason: 'objdump accepts only 0F AE F0 (MFENCE) and F8 (SFENCE); the SDM (MFENCE, SFENCE) says the processor ignores ModRM.rm, so 0F AE F0-F7 and F8-FF all execute',
    length: false,
    applies: (e) => e.objBad && /^(mfence|sfence)$/.test(firstWord(e.ours.text)),
  },
  {
    name: 'far pointer with REX.W',
    reason: 'LSS/LFS/LGS and far JMP/CALL with REX.W load an m16:64 (10 bytes, SDM Vol. 2 LSS and JMP); objdump spells it fword or dword',
    length: true,
    applies: (e) => e.ours.ins.fault < 0 && e.ours.ins.opSize === 8 && e.ours.ins.row!.operands.some((o) => o.method === 'M' && o.size === 'p'),
  },
  {
    name: 'MOV Sreg, r32',
    reason: 'the SDM spells 8E /r "MOV Sreg, r/m16"; objdump names the register at the operand size',
    length: true,
    applies: (e) => e.ours.ins.fault < 0 && after(e, 0x8e) && e.ours.ins.modrm >= 0xc0,
  },
  {
    name: 'MPX in hint space',
    reason: 'MPX is not advertised, so 0F 1A/1B are the SDM\'s hint NOPs; objdump decodes them as BND* and, with 16-bit addressing, does not consume the displacement',
    length: false,
    applies: (e) => /^bnd/.test(firstWord(e.objText)) && firstWord(e.ours.text) === 'nop',
  },
];

function loadEntries(file: string): { fixture: Fixture; entries: Entry[] } {
  const fixture = JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/decode/${file}.json`, import.meta.url)), 'utf8')) as Fixture;
  const bits = fixture.mode === 'x86-64' ? 64 : fixture.mode === 'i386' ? 32 : 16;
  const entries = fixture.entries.map(([hex, objLength, objText], i): Entry => {
    const bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
    return {
      bytes, opcodeAt: opcodeIndex(bytes, bits), objLength, objText, objBad: objText.includes('(bad)'), bits,
      ours: disassembleBytes(bytes, bits, i * fixture.stride),
    };
  });
  return { fixture, entries };
}

const BRANCH = /^(j[a-z]+|call[wdq]?|loop[a-z]*|xbegin)$/;
const CMP_PREDICATES = ['eq', 'lt', 'le', 'unord', 'neq', 'nlt', 'nle', 'ord'];

/**
 * Text both sides agree to spell the same way: prefixes dropped, objdump's annotations and
 * alternative spellings mapped to one form. `opSize` masks branch targets (objdump does not wrap
 * 16-bit targets at 64K).
 */
export function normalise(text: string, opSize: number): { mnemonic: string; operands: string } {
  const words = text.replace(/\((8087|287) only\)/g, '').replace(/\s+/g, ' ').trim().split(' ');
  while (words.length > 1 && PREFIX_WORD.test(words[0]!)) words.shift();
  let mnemonic = words.shift()!.toLowerCase();
  let operands = words.join(' ').toLowerCase();
  if (mnemonic === 'movabs') mnemonic = 'mov';
  if (mnemonic === 'prefetch') mnemonic = 'nop'; // AMD's name for 0F 0D /0: a hint NOP on Intel
  // CMPPS/CMPPD/CMPSS/CMPSD with predicates 0-7: objdump prints the pseudo-op (SDM Table 3-2).
  const cmp = /^cmp(eq|lt|le|unord|neq|nlt|nle|ord)(ps|pd|ss|sd)$/.exec(mnemonic);
  if (cmp) { mnemonic = 'cmp' + cmp[2]; operands += ',0x' + CMP_PREDICATES.indexOf(cmp[1]!).toString(16); }
  if (mnemonic === 'xchg' && /^(ax,ax|eax,eax)$/.test(operands)) mnemonic = 'nop', operands = ''; // 90 with 66
  // A disp8 of zero: objdump spells it out.
  operands = operands.replace(/\+0x0\]/g, ']');
  // objdump spells the 16-byte memory operand of INVEPT/INVVPID "oword", of INVPCID/LDDQU nothing.
  operands = operands.replace(/\boword ptr /g, 'xmmword ptr ');
  if (mnemonic === 'invpcid' || mnemonic === 'lddqu') operands = operands.replace(/xmmword ptr /g, '');
  // SIB without an index: objdump spells the "no index" encoding eiz/riz.
  operands = operands.replace(/\+[er]iz\*\d/g, '');
  operands = operands.replace(/(?:([c-gs]s):)?\[[er]iz\*\d([+-]0x[0-9a-f]+)?\]/g, (_m, seg: string | undefined, disp: string | undefined) => {
    // BigInt('-0x10') is a syntax error: apply the sign separately.
    const v = !disp ? 0n : disp.startsWith('-') ? -BigInt(disp.slice(1)) : BigInt(disp.slice(1));
    return `${seg ?? 'ds'}:0x${(v & 0xffffffffn).toString(16)}`;
  });
  // RIP/EIP-relative: objdump prints the displacement as an unsigned number.
  operands = operands.replace(/\[(rip|eip)\+0x([0-9a-f]+)\]/g, (m, base: string, digits: string) => {
    const v = BigInt('0x' + digits);
    if (v >= 1n << 63n) return `[${base}-0x${((1n << 64n) - v).toString(16)}]`;
    if (base === 'eip' && v >= 1n << 31n && v < 1n << 32n) return `[${base}-0x${((1n << 32n) - v).toString(16)}]`;
    return m;
  });
  if (BRANCH.test(mnemonic) && /^(0x)?[0-9a-f]+$/.test(operands)) {
    const mask = opSize === 2 ? 0xffffn : opSize === 4 ? 0xffffffffn : (1n << 64n) - 1n;
    operands = '0x' + (BigInt('0x' + operands.replace(/^0x/, '')) & mask).toString(16);
  }
  return { mnemonic, operands };
}

/** objdump's operand-size suffixes (pushd, retw, iretd, sysretq, ...) on a mnemonic we spell bare. */
function sameMnemonic(ours: string, objdump: string): boolean {
  const suffixed = (long: string, short: string) => long.length === short.length + 1 && long.startsWith(short) && /[wdq]$/.test(long);
  return ours === objdump || suffixed(objdump, ours) || suffixed(ours, objdump);
}

const quirkCounts = new Map<string, number>();

function check(file: string): void {
  const { fixture, entries } = loadEntries(file);
  const lengthMismatches: string[] = [];
  const textMismatches: string[] = [];
  let compared = 0;
  for (const e of entries) {
    const quirk = OBJDUMP_QUIRKS.find((q) => q.applies(e));
    if (quirk) quirkCounts.set(`${file}: ${quirk.name}`, (quirkCounts.get(`${file}: ${quirk.name}`) ?? 0) + 1);
    const hex = Buffer.from(e.bytes).toString('hex');
    const oursBad = e.ours.ins.fault >= 0;
    if (!(oursBad && e.objBad) && (!quirk || quirk.length) && e.ours.length !== e.objLength) {
      lengthMismatches.push(`${hex}: ours ${e.ours.length} '${e.ours.text}', objdump ${e.objLength} '${e.objText}'`);
    }
    if (quirk || oursBad || e.objBad) continue;
    compared++;
    // 3E on an indirect CALL/JMP is CET's NOTRACK to objdump, a DS override to a CPU without CET.
    const oursText = /\bnotrack\b/.test(e.objText) ? e.ours.text.replace('ds:[', '[') : e.ours.text;
    const a = normalise(oursText, e.ours.ins.opSize), b = normalise(e.objText, e.ours.ins.opSize);
    if (!sameMnemonic(a.mnemonic, b.mnemonic) || a.operands !== b.operands) {
      textMismatches.push(`${hex}: ours '${a.mnemonic} ${a.operands}' objdump '${b.mnemonic} ${b.operands}'`);
    }
  }
  const show = (list: string[]) => (process.env.DECODE_DUMP ? list : list.slice(0, 20)).join('\n');
  assert.equal(lengthMismatches.length, 0, `${fixture.mode}: ${lengthMismatches.length} length mismatches\n${show(lengthMismatches)}`);
  assert.equal(textMismatches.length, 0, `${fixture.mode}: ${textMismatches.length} of ${compared} texts differ\n${show(textMismatches)}`);
}

describe('decoder vs objdump', () => {
  for (const file of ['i8086', 'i386', 'x86-64']) {
    it(`${file}: lengths and operands match objdump`, () => check(file));
  }
  it('reports the quirk counts', () => {
    if (process.env.DECODE_DUMP) console.log([...quirkCounts].map(([k, v]) => `${k}: ${v}`).join('\n'));
  });
});
