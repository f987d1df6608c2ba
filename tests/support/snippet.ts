/**
 * Runs an oracle snippet (tests/fixtures/oracle) in the interpreter, in the same environment the
 * native harness gave it: CPL 3, flat segments, long mode (64-bit or compatibility mode), only the
 * code page and the data window mapped (anything else is a #PF), IF set.
 */
import { BareMachine } from '../../src/machine/bare-machine.js';
import { enterFlatMode } from '../../src/machine/flat-setup.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_RFLAGS, I_RIP } from '../../src/cpu/state/cpu-state.js';
import { getFlags } from '../../src/cpu/exec/flags.js';
import { DEFAULT_FEATURES } from '../../src/cpu/cpuid.js';
import { I_CR } from '../../src/cpu/state/cpu-state.js';
import { offsetOf } from '../../src/cpu/state/layout.js';
import type { SimdState } from './oracle-fixture.js';

const XMM_BYTES = offsetOf('xmm'), FPR_BYTES = offsetOf('fpuRegs'), I_MXCSR = offsetOf('mxcsr') >> 2;

export interface SnippetInit { mode: 64 | 32; code: Uint8Array; gpr: bigint[]; rflags: bigint; mem: Uint8Array; codeBase: number; dataBase: number; simd?: SimdState }
export interface SnippetResult { gpr: bigint[]; rflags: bigint; mem: Uint8Array; fault: null | { vector: number; offset: number }; simd: SimdState }

const PAGE_TABLES = 0x300000;
const HLT = 0xf4;

let machine: BareMachine | null = null;

export function runSnippet(init: SnippetInit): SnippetResult {
  // One machine for all cases: a fresh one per case would cost more than the case itself.
  // The recording CPU has LZCNT and TZCNT; our default model does not advertise BMI1 (its VEX
  // instructions are not implemented), so the decoder is told to accept them for this comparison.
  machine ??= new BareMachine({
    ramSize: 4 << 20,
    features: { ...DEFAULT_FEATURES, decoderFeatures: new Set([...DEFAULT_FEATURES.decoderFeatures, 'abm', 'bmi1']) },
  });
  const cpu = machine.cpu;
  cpu.reset();
  const mem = machine.physical;
  const codePage = new Uint8Array(4096);
  codePage.set(init.code);
  // The harness returns after the snippet; here a HLT (a #GP at CPL 3) marks the end.
  codePage[init.code.length] = HLT;
  mem.load(init.codeBase, codePage);
  mem.load(init.dataBase, init.mem);
  enterFlatMode(cpu, {
    mode: init.mode === 64 ? 64 : 'compat32',
    cpl: 3,
    identityMap: [[init.codeBase, 4096], [init.dataBase, init.mem.length]],
    pageTablesAt: PAGE_TABLES,
  });
  const s = cpu.s;
  for (let i = 0; i < 16; i++) cpu.state.setGpr(i, init.mode === 32 ? init.gpr[i]! & 0xffffffffn : init.gpr[i]!);
  s[I_RFLAGS] = Number(init.rflags & 0xcd5n) | 0x202;
  // The OS state of a Linux process: CR4.OSFXSR and OSXMMEXCPT set, MXCSR at its default.
  s[I_CR + 8] = s[I_CR + 8]! | 0x600;
  s[I_MXCSR] = 0x1f80;
  const u8 = cpu.state.u8;
  if (init.simd) {
    for (let r = 0; r < 16; r++) u8.set(init.simd.xmm[r]!, XMM_BYTES + 16 * r);
    for (let r = 0; r < 8; r++) u8.set(init.simd.mm[r]!, FPR_BYTES + 16 * r);
    s[I_MXCSR] = init.simd.mxcsr;
  }
  s[I_RIP] = init.codeBase;
  cpu.exitOnException = true;
  const exit = cpu.run(1_000_000);
  let fault: SnippetResult['fault'] = null;
  if (exit === ExitReason.Exception) {
    const offset = (s[I_RIP]! >>> 0) - init.codeBase;
    const isEnd = cpu.faultVector === 13 && offset === init.code.length;
    // INT3 is a trap: the native harness reports RIP after it.
    if (!isEnd) fault = { vector: cpu.faultVector, offset };
  } else {
    throw new Error(`snippet did not finish (exit reason ${exit})`);
  }
  const gpr: bigint[] = [];
  for (let i = 0; i < 16; i++) gpr.push(cpu.state.getGpr(i));
  const simd: SimdState = { xmm: [], mm: [], mxcsr: s[I_MXCSR]! >>> 0 };
  for (let r = 0; r < 16; r++) simd.xmm.push(u8.slice(XMM_BYTES + 16 * r, XMM_BYTES + 16 * r + 16));
  for (let r = 0; r < 8; r++) simd.mm.push(u8.slice(FPR_BYTES + 16 * r, FPR_BYTES + 16 * r + 8));
  return { gpr, rflags: BigInt(getFlags(s) >>> 0), mem: mem.dump(init.dataBase, init.mem.length), fault, simd };
}
