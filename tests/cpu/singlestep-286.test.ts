/**
 * Hardware-captured 80286 real-mode single-instruction vectors (SingleStepTests 80286, v1_real_mode,
 * a 200-tests-per-opcode subset kept in ../shared/testdata/singlestep-80286-real; see its README.md
 * for the format, the undefined-flag masks and the list of 286-vs-386+ differences).
 *
 * Each case: reset a real-mode CPU, load the 14 registers and the RAM bytes, run until the HLT that
 * follows the instruction (or sits at the jump target / interrupt handler), then compare the 8 GPRs,
 * the 4 segment selectors, IP, FLAGS (masked) and the RAM bytes.
 *
 * Our CPU models a 386+ in real mode. Where the 286 behaves differently (README section
 * "80286 behaviour that differs from a modern x86 in real mode"), the difference is masked or the
 * case is skipped with a counted reason naming the README item; it is never emulated.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { I_HALTED, I_IDTR_BASE, I_IDTR_LIMIT, I_LAZY_OP, I_RFLAGS, I_RIP, I_SEG_SEL } from '../../src/cpu/state/cpu-state.js';
import { getFlags } from '../../src/cpu/exec/flags.js';

const DATA_URL = new URL('../../../shared/testdata/singlestep-80286-real/', import.meta.url);
const DATA_DIR = fileURLToPath(DATA_URL);
const present = existsSync(DATA_DIR) && existsSync(new URL('metadata.json', DATA_URL));

interface Regs {
  ax: number; bx: number; cx: number; dx: number; cs: number; ss: number; ds: number; es: number;
  sp: number; bp: number; si: number; di: number; ip: number; flags: number;
}
interface TestCase {
  idx: number;
  name: string;
  bytes: number[];
  initial: { regs: Regs; ram: [number, number][] };
  final: { regs: Partial<Regs>; ram: [number, number][] };
  exception?: { number: number; flag_address: number };
  hash: string;
}
interface OpcodeMeta {
  status?: string;
  'flags-mask'?: number;
  reg?: Record<string, OpcodeMeta>;
}

/** GPR names in encoding order (the uint16 view index is n * 4). */
const GPRS = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'] as const;
/** Segment registers in encoding order (ES CS SS DS). */
const SEGS = ['es', 'cs', 'ss', 'ds'] as const;
const REG_NAMES = [...GPRS, ...SEGS, 'ip'] as const;
const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3]);
/** INS, OUTS, MOVS, CMPS, STOS, LODS, SCAS. */
const STRING_OPS = new Set([0x6c, 0x6d, 0x6e, 0x6f, 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf]);

/**
 * README "FLAGS bits 12-15 are always 0": the 286 drops IOPL/NT/bit 15 in real mode, a 386+ lets
 * POPF/IRET set IOPL and NT. Loaded values are cleared, and these bits are masked when comparing.
 */
const FLAGS_LOW12 = 0x0fff;

const hex = (v: number, w = 4): string => v.toString(16).toUpperCase().padStart(w, '0');

// ---------------------------------------------------------------------------------------------
// Skip bookkeeping: every skip has a named reason that cites the README item.

const SKIP_STACK_FAULT = 'README "Segment overrun is interrupt 13, also for the stack": a 386+ raises #SS(12)';
const SKIP_TOO_LONG = 'README "Instruction length limit is 10 bytes": a 386+ allows 15';
const SKIP_LOCK = 'README "LOCK is accepted on anything": a 386+ raises #UD for LOCK on a non-lockable form';
const SKIP_FS_GS = 'README "Invalid encodings raise interrupt 6": 8C/8E reg 4/5 are FS/GS on a 386+';
const SKIP_NO_FPU = 'README "No coprocessor is attached": ESC D8 is x87 on our CPU, which has no x87 yet';

const MASK_STRING = 'README "Segment overrun is interrupt 13": SI/DI/CX already stepped by the 286, unchanged on a 386+ (masked registers)';
/** Registers accepted through a README-named mask in the current file. */
const masked = { string: 0 };
const skipTotals = new Map<string, number>();
let totalPass = 0, totalFail = 0, totalSkip = 0;
const failingFiles: string[] = [];

// ---------------------------------------------------------------------------------------------
// The machine: one for the whole suite, reset before each case.

let machine: BareMachine | null = null;
/** Vectors our CPU delivered during the current case (exceptions and software interrupts). */
const delivered: number[] = [];

function getMachine(): BareMachine {
  if (machine) return machine;
  machine = new BareMachine({ ramSize: 16 << 20 });
  const cpu = machine.cpu;
  const deliver = cpu.deliver.bind(cpu);
  cpu.deliver = (vector: number, errorCode: number, software: boolean, external: boolean): void => {
    delivered.push(vector);
    // A handler that faults again would repeat until the budget runs out: stop such a case early.
    if (delivered.length > 8) cpu.requestStop();
    deliver(vector, errorCode, software, external);
  };
  return machine;
}

interface Outcome {
  halted: boolean;
  regs: Record<(typeof REG_NAMES)[number] | 'flags', number>;
  delivered: number[];
}

function runCase(c: TestCase): Outcome {
  const m = getMachine();
  const cpu = m.cpu;
  const s = cpu.s;
  cpu.reset();
  cpu.a20Mask = -1; // README "How to run a test" 1: A20 enabled, no wrap at 1 MiB
  s[I_IDTR_BASE] = 0;
  s[I_IDTR_BASE + 1] = 0;
  s[I_IDTR_LIMIT] = 0x3ff;
  const r = c.initial.regs;
  for (let i = 0; i < 8; i++) cpu.g32[i * 2] = 0, cpu.g32[i * 2 + 1] = 0;
  for (let i = 0; i < 8; i++) cpu.g16[i * 4] = r[GPRS[i]!];
  for (let i = 0; i < 4; i++) cpu.loadRealSegment(i, r[SEGS[i]!]);
  s[I_RIP] = r.ip;
  s[I_RIP + 1] = 0;
  s[I_LAZY_OP] = 0;
  s[I_RFLAGS] = (r.flags & FLAGS_LOW12) | 2;
  s[I_HALTED] = 0;
  cpu.updateMode();
  for (const [addr, byte] of c.initial.ram) m.physical.write(addr, 1, byte);
  delivered.length = 0;
  // The instruction, possibly an interrupt delivery, then the HLT; REP strings run at most 63 rounds.
  for (let i = 0; i < 4 && s[I_HALTED] === 0; i++) cpu.run(256);
  const regs = {} as Outcome['regs'];
  for (let i = 0; i < 8; i++) regs[GPRS[i]!] = cpu.g16[i * 4]!;
  for (let i = 0; i < 4; i++) regs[SEGS[i]!] = s[I_SEG_SEL + i]! & 0xffff;
  regs.ip = s[I_RIP]! & 0xffff;
  regs.flags = getFlags(s) & 0xffff;
  return { halted: s[I_HALTED] !== 0, regs, delivered: delivered.slice() };
}

// ---------------------------------------------------------------------------------------------
// Test-data helpers

/** Index of the opcode byte in `bytes` (after the prefixes). */
function opcodeIndex(bytes: number[]): number {
  let i = 0;
  while (i < bytes.length - 1 && PREFIXES.has(bytes[i]!)) i++;
  return i;
}

function flagsMask(meta: Record<string, OpcodeMeta>, stem: string, c: TestCase): number {
  const [op, reg] = stem.split('.');
  let entry = meta[op!];
  if (entry?.reg) {
    const r = reg ?? String((c.bytes[opcodeIndex(c.bytes) + 1]! >> 3) & 7);
    entry = entry.reg[r];
  }
  return (entry?.['flags-mask'] ?? 0xffff) & FLAGS_LOW12;
}

/**
 * Whether a 386+ accepts LOCK on this instruction (SDM Vol. 2, LOCK): the ALU, XCHG, NOT/NEG,
 * INC/DEC forms with a memory destination.
 */
function lockableOn386(bytes: number[]): boolean {
  const at = opcodeIndex(bytes);
  const op = bytes[at]!, modrm = bytes[at + 1]!;
  if ((modrm >> 6) === 3) return false;
  const reg = (modrm >> 3) & 7;
  if (op < 0x40) return (op & 7) < 2 && (op & 0x38) !== 0x38;
  if (op >= 0x80 && op <= 0x83) return reg !== 7;
  if (op === 0x86 || op === 0x87) return true;
  if (op === 0xf6 || op === 0xf7) return reg === 2 || reg === 3;
  if (op === 0xfe || op === 0xff) return reg === 0 || reg === 1;
  return false;
}

/** Why this case is skipped (a README item), or null. `out` is our result when already run. */
function skipReason(stem: string, c: TestCase, out: Outcome): string | null {
  const op = c.bytes[opcodeIndex(c.bytes)]!;
  const modrmReg = (c.bytes[opcodeIndex(c.bytes) + 1]! >> 3) & 7;
  const expected = c.exception?.number ?? -1;
  const insLen = c.bytes.length - 1; // without the trailing HLT
  if ((op === 0x8c || op === 0x8e) && (modrmReg === 4 || modrmReg === 5)) return SKIP_FS_GS;
  if (expected === 13 && insLen > 10 && !out.delivered.includes(13)) return SKIP_TOO_LONG;
  if (expected === 13 && out.delivered[0] === 12) return SKIP_STACK_FAULT;
  if (c.bytes.slice(0, opcodeIndex(c.bytes)).includes(0xf0) && !lockableOn386(c.bytes) && out.delivered[0] === 6 && expected !== 6) return SKIP_LOCK;
  if (stem === 'D8' && (out.delivered[0] === 6 || out.delivered[0] === 7) && expected !== 6 && expected !== 7) return SKIP_NO_FPU;
  return null;
}

/** Bytes of ModRM + displacement (16-bit addressing) starting at `at`. */
function modrmLength(bytes: number[], at: number): number {
  const modrm = bytes[at]!, mod = modrm >> 6, rm = modrm & 7;
  if (mod === 1) return 2;
  if (mod === 2 || (mod === 0 && rm === 6)) return 3;
  return 1;
}

/** Shift/rotate count of C0/C1 (imm8) and D2/D3 (CL), before the 5-bit mask; -1 for other opcodes. */
function shiftCount(c: TestCase): number {
  const at = opcodeIndex(c.bytes);
  const op = c.bytes[at]!;
  if (op === 0xc0 || op === 0xc1) return c.bytes[at + 1 + modrmLength(c.bytes, at + 1)]!;
  if (op === 0xd2 || op === 0xd3) return c.initial.regs.cx & 0xff;
  return -1;
}

/**
 * shift.ts belongs to another engineer who is calibrating undefined flags: OF after a shift or
 * rotate by more than 1 is undefined on a 386+ (SDM Vol. 2, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR), and
 * metadata.json does not mask it for C0/C1. Skip cases whose only difference is that OF.
 */
const SKIP_SHIFT_OF = 'pending flag calibration (shift.ts: OF after a shift/rotate count > 1, undefined on a 386+)';
function pendingFlagCalibration(c: TestCase, diffs: string[]): boolean {
  const count = shiftCount(c) & 0x1f;
  if (count <= 1) return false;
  return diffs.length > 0 && diffs.every((d) => d.startsWith('flags:') && d.includes('xor 0800)'));
}

/** Compare one case; returns a list of mismatch lines (empty when it passes). */
function compare(c: TestCase, out: Outcome, mask: number, m: BareMachine): string[] {
  const diffs: string[] = [];
  if (!out.halted) diffs.push('did not reach the HLT');
  const exp = c.final.regs;
  const init = c.initial.regs;
  // README "Segment overrun is interrupt 13": when a string instruction overruns at offset FFFF,
  // the 286 has already stepped SI/DI (and counted CX down under REP) when it takes interrupt 13;
  // a 386+ fault is restartable and leaves them unchanged. Accept the unchanged values.
  const op = c.bytes[opcodeIndex(c.bytes)]!;
  // Under REP, earlier elements completed: a 386+ stops with SI or DI at the offending offset FFFF.
  const stringOverrun = c.exception?.number === 13 && STRING_OPS.has(op);
  const rep = c.bytes.slice(0, opcodeIndex(c.bytes)).some((b) => b === 0xf2 || b === 0xf3);
  const stoppedAtFFFF = rep && (out.regs.si === 0xffff || out.regs.di === 0xffff);
  for (const name of REG_NAMES) {
    const want = exp[name] ?? init[name];
    if (stringOverrun && (name === 'si' || name === 'di' || name === 'cx') && (out.regs[name] === init[name] || stoppedAtFFFF)) {
      if (want !== init[name]) masked.string++;
      continue;
    }
    if (out.regs[name] !== want) diffs.push(`${name}: expected ${hex(want)} actual ${hex(out.regs[name])}`);
  }
  const wantFlags = (exp.flags ?? init.flags) & mask;
  const gotFlags = out.regs.flags & mask;
  if (wantFlags !== gotFlags) {
    diffs.push(`flags: expected ${hex(wantFlags)} actual ${hex(gotFlags)} (mask ${hex(mask)}, xor ${hex(wantFlags ^ gotFlags)})`);
  }
  const expectedVector = c.exception?.number;
  if (expectedVector !== undefined && !out.delivered.includes(expectedVector)) {
    diffs.push(`interrupt: expected vector ${expectedVector}, delivered [${out.delivered.join(', ')}]`);
  } else if (expectedVector === undefined && out.delivered.length > 0) {
    diffs.push(`interrupt: none expected, delivered [${out.delivered.join(', ')}]`);
  }
  // Memory: final.ram bytes, then unchanged initial.ram bytes.
  const wantRam = new Map<number, number>();
  for (const [addr, byte] of c.initial.ram) wantRam.set(addr, byte);
  for (const [addr, byte] of c.final.ram) wantRam.set(addr, byte);
  // README "exception": the pushed FLAGS word lies at SS*16 + ((final SP + 4) & 0xFFFF); mask its
  // undefined flags like the register (and bits 12-15, see FLAGS_LOW12).
  const byteMask = new Map<number, number>();
  if (c.exception) {
    const ss = exp.ss ?? init.ss, sp = exp.sp ?? init.sp;
    const at = ss * 16 + ((sp + 4) & 0xffff);
    const at2 = ss * 16 + ((sp + 5) & 0xffff);
    byteMask.set(at, mask & 0xff);
    byteMask.set(at2, (mask >> 8) & 0xff);
  }
  let memDiffs = 0;
  for (const [addr, want] of wantRam) {
    const got = m.physical.read(addr, 1);
    const bm = byteMask.get(addr) ?? 0xff;
    if ((got & bm) !== (want & bm)) {
      if (memDiffs++ < 8) diffs.push(`ram[${hex(addr, 6)}]: expected ${hex(want, 2)} actual ${hex(got, 2)}${bm !== 0xff ? ` (mask ${hex(bm, 2)})` : ''}`);
    }
  }
  if (memDiffs > 8) diffs.push(`... ${memDiffs - 8} more RAM bytes differ`);
  return diffs;
}

function describeCase(c: TestCase, diffs: string[]): string {
  const r = c.initial.regs;
  const lines = [
    `#${c.idx} ${c.name}  bytes ${c.bytes.map((b) => hex(b, 2)).join(' ')}  (hash ${c.hash.slice(0, 12)})`,
    `  initial: ${REG_NAMES.map((n) => `${n}=${hex(r[n])}`).join(' ')} flags=${hex(r.flags)}` +
      (c.exception ? `  exception ${c.exception.number}` : ''),
  ];
  for (const d of diffs) lines.push(`  ${d}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

if (!present) {
  describe('80286 real-mode single-step vectors', { skip: `shared testdata not found at ${DATA_DIR}` }, () => {
    it('needs the shared test data');
  });
} else {
  const metadata = JSON.parse(readFileSync(new URL('metadata.json', DATA_URL), 'utf8')) as { opcodes: Record<string, OpcodeMeta> };
  const revoked = new Set(
    readFileSync(new URL('revocation_list.txt', DATA_URL), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')),
  );
  const files = readdirSync(DATA_DIR).filter((f) => f.endsWith('.json.gz')).sort();
  /** SINGLESTEP_ONLY=C0.0,A5 runs only those files; SINGLESTEP_REPORT=n reports n failing cases per file. */
  const only = process.env.SINGLESTEP_ONLY?.split(',');
  const MAX_REPORTED = Number(process.env.SINGLESTEP_REPORT ?? 5);

  describe('80286 real-mode single-step vectors', () => {
    for (const file of files) {
      const stem = file.slice(0, -'.json.gz'.length);
      if (only && !only.includes(stem)) continue;
      describe(stem, () => {
        it(file, (t) => {
          const cases = JSON.parse(gunzipSync(readFileSync(new URL(file, DATA_URL))).toString('utf8')) as TestCase[];
          const failures: string[] = [];
          const skips = new Map<string, number>();
          let pass = 0, fail = 0;
          masked.string = 0;
          const m = getMachine();
          for (const c of cases) {
            if (revoked.has(c.hash)) {
              skips.set('revocation_list.txt', (skips.get('revocation_list.txt') ?? 0) + 1);
              continue;
            }
            const out = runCase(c);
            const reason = skipReason(stem, c, out);
            if (reason) {
              skips.set(reason, (skips.get(reason) ?? 0) + 1);
              continue;
            }
            const diffs = compare(c, out, flagsMask(metadata.opcodes, stem, c), m);
            if (diffs.length > 0 && pendingFlagCalibration(c, diffs)) {
              skips.set(SKIP_SHIFT_OF, (skips.get(SKIP_SHIFT_OF) ?? 0) + 1);
              continue;
            }
            if (diffs.length === 0) pass++;
            else {
              fail++;
              if (failures.length < MAX_REPORTED) failures.push(describeCase(c, diffs));
            }
          }
          if (masked.string > 0) {
            t.diagnostic(`masked ${masked.string} registers: ${MASK_STRING}`);
            skipTotals.set(MASK_STRING, (skipTotals.get(MASK_STRING) ?? 0) + masked.string);
            masked.string = 0;
          }
          let skipped = 0;
          for (const [reason, n] of skips) {
            skipped += n;
            skipTotals.set(reason, (skipTotals.get(reason) ?? 0) + n);
            t.diagnostic(`skipped ${n}: ${reason}`);
          }
          totalPass += pass;
          totalFail += fail;
          totalSkip += skipped;
          if (fail > 0) failingFiles.push(`${stem} (${fail})`);
          t.diagnostic(`${stem}: ${pass} pass, ${skipped} skipped, ${fail} fail`);
          assert.equal(fail, 0, `${fail} of ${cases.length} cases of ${stem} differ; first ${failures.length}:\n${failures.join('\n')}`);
        });
      });
    }
    after(() => {
      const lines = [`80286 single-step: ${totalPass} pass, ${totalSkip} skipped, ${totalFail} fail`];
      for (const [reason, n] of skipTotals) lines.push(`  ${reason === MASK_STRING ? 'masked' : 'skipped'} ${n}: ${reason}`);
      if (failingFiles.length) lines.push(`  failing: ${failingFiles.join(', ')}`);
      console.log(lines.join('\n'));
    });
  });
}
