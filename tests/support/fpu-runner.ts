/**
 * Runs an x87 oracle case (tests/fixtures/oracle-fpu, recorded by tools/oracle-fpu) in the
 * interpreter in the environment the native harness gives it: 64-bit user mode, the code at
 * 0x100000, RDI = 0x200000 (the memory window), RAX = 0, RFLAGS = 0x202. The initial x87 state is
 * loaded by a guest FXRSTOR64 (so FXRSTOR is exercised too); the final state is read back from
 * the state block in FXSAVE terms.
 */
import { BareMachine } from '../../src/machine/bare-machine.js';
import { enterFlatMode } from '../../src/machine/flat-setup.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_CR, I_RFLAGS, I_RIP, I_GPR } from '../../src/cpu/state/cpu-state.js';
import { getFlags } from '../../src/cpu/exec/flags.js';
import { DEFAULT_FEATURES } from '../../src/cpu/cpuid.js';
import { I_FCW, I_FDP, I_FIP, I_FOP, I_FPR, I_FSW, I_FTW, I_MXCSR } from '../../src/cpu/fpu/fpu-layout.js';
import { assemble } from './nasm.js';

export const CODE_BASE = 0x100000, MEM_BASE = 0x200000, PROLOGUE = 0x101000, IMAGE = 0x280000;

export interface FpuRunState { fcw: number; fsw: number; ftw: number; st: string[]; mxcsr: number }
export interface FpuRunResult extends FpuRunState { status: string; fop: number; fip: string; fdp: string; mem: string; rax: string; rflags: number }

let machine: BareMachine | null = null;
let prologue: Uint8Array | null = null;

const hex = (v: number, d: number) => (v >>> 0).toString(16).padStart(d, '0');

function image(st: FpuRunState): Uint8Array {
  const b = new Uint8Array(512);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, st.fcw, true); dv.setUint16(2, st.fsw, true); b[4] = st.ftw;
  dv.setUint32(24, st.mxcsr, true); dv.setUint32(28, 0xffff, true);
  st.st.forEach((v, i) => {
    for (let k = 0; k < 10; k++) b[32 + 16 * i + k] = parseInt(v.slice(18 - 2 * k, 20 - 2 * k), 16);
  });
  return b;
}

export function runFpuCase(code: Uint8Array, init: FpuRunState & { mem: string }): FpuRunResult {
  machine ??= new BareMachine({ ramSize: 4 << 20, features: { ...DEFAULT_FEATURES, decoderFeatures: new Set([...DEFAULT_FEATURES.decoderFeatures, 'sse3', 'sse', 'sse2']) } });
  prologue ??= assemble(`fxrstor64 [${IMAGE}]\nmov rdi, ${MEM_BASE}\nmov rsp, ${IMAGE + 0x1000}\nxor eax, eax\npush 0x202\npopfq\njmp ${CODE_BASE}`, 64, PROLOGUE);
  const cpu = machine.cpu;
  cpu.reset();
  const mem = machine.physical;
  const page = new Uint8Array(0x2000);
  page.set(code);
  page[code.length] = 0xf4; // HLT: #GP at CPL 3 marks the end
  page.set(prologue, PROLOGUE - CODE_BASE);
  mem.load(CODE_BASE, page);
  mem.load(MEM_BASE, Buffer.from(init.mem, 'hex'));
  const img = new Uint8Array(0x1000);
  img.set(image(init));
  mem.load(IMAGE, img);
  enterFlatMode(cpu, { mode: 64, cpl: 3, identityMap: [[CODE_BASE, 0x2000], [MEM_BASE, 0x1000], [IMAGE, 0x1000]], pageTablesAt: 0x300000 });
  const s = cpu.s;
  s[I_CR + 8] = s[I_CR + 8]! | (1 << 9) | (1 << 18); // CR4.OSFXSR, OSXSAVE
  s[I_CR] = s[I_CR]! | 0x22; // CR0.NE, MP
  s[I_CR] = s[I_CR]! & ~0xc; // EM, TS clear
  s[I_RIP] = PROLOGUE;
  s[I_RIP + 1] = 0;
  cpu.exitOnException = true;
  const exit = cpu.run(10_000);
  let status = 'ok';
  if (exit !== ExitReason.Exception) throw new Error(`case did not finish (exit ${exit})`);
  const end = (s[I_RIP]! >>> 0) === CODE_BASE + code.length && cpu.faultVector === 13;
  if (!end) status = cpu.faultVector === 16 ? 'mf' : `fault${cpu.faultVector}@${((s[I_RIP]! >>> 0) - CODE_BASE).toString(16)}`;
  const top = (s[I_FSW]! >> 11) & 7;
  const st: string[] = [];
  for (let i = 0; i < 8; i++) {
    const at = I_FPR + 4 * ((top + i) & 7);
    st.push(hex(s[at + 2]! & 0xffff, 4) + hex(s[at + 1]!, 8) + hex(s[at]!, 8));
  }
  const big = (lo: number, hi: number) => ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16);
  return {
    status, fcw: s[I_FCW]! & 0xffff, fsw: s[I_FSW]! & 0xffff, ftw: s[I_FTW]! & 0xff, st, mxcsr: s[I_MXCSR]! >>> 0,
    fop: s[I_FOP]! & 0x7ff, fip: big(s[I_FIP]!, s[I_FIP + 1]!), fdp: big(s[I_FDP]!, s[I_FDP + 1]!),
    mem: Buffer.from(mem.dump(MEM_BASE, init.mem.length / 2)).toString('hex'),
    rax: hex(s[I_GPR + 1]!, 8) + hex(s[I_GPR]!, 8), rflags: getFlags(s) & 0x8d5,
  };
}
void I_RFLAGS;
