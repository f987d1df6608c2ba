/**
 * Human-readable vCPU state for the monitor's `info registers`, the -d cpu log and the report of a
 * fatal emulator error (QEMU's layout, so the output reads familiar).
 */
import type { Cpu } from '../cpu/cpu.js';
import { DecodeMode } from '../cpu/decode/decoder.js';
import { disassembleBytes } from '../cpu/decode/disassembler.js';
import { ATTR_BRANCH } from '../cpu/decode/compile.js';
import { ACCESS_FETCH } from '../cpu/mmu/page-walker.js';
import { getFlags } from '../cpu/exec/flags.js';
import {
  I_CPL, I_CR, I_EFER, I_GDTR_BASE, I_GDTR_LIMIT, I_GPR, I_HALTED, I_IDTR_BASE, I_IDTR_LIMIT, I_RIP,
  I_SEG_ATTR, I_SEG_BASE, I_SEG_LIMIT, I_SEG_SEL,
} from '../cpu/state/cpu-state.js';

const hex = (v: number, digits: number) => (v >>> 0).toString(16).padStart(digits, '0');
const hex64 = (s: Int32Array, i: number) => hex(s[i + 1]!, 8) + hex(s[i]!, 8);
/** A linear address (negative numbers are the upper canonical half of the 64-bit space). */
export const hexLinear = (v: number) => (v < 0 ? (BigInt(v) + (1n << 64n)).toString(16) : v.toString(16).padStart(8, '0'));

const SEG_NAMES = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS', 'LDT', 'TR'];
const GPR32 = ['EAX', 'EBX', 'ECX', 'EDX', 'ESI', 'EDI', 'EBP', 'ESP'];
const GPR32_INDEX = [0, 3, 1, 2, 6, 7, 5, 4];
const GPR64 = ['RAX', 'RBX', 'RCX', 'RDX', 'RSI', 'RDI', 'RBP', 'RSP', 'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14', 'R15'];
const GPR64_INDEX = [0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15];
const MODE_NAMES: Record<number, string> = {
  [DecodeMode.Real]: 'real', [DecodeMode.V86]: 'virtual-8086', [DecodeMode.Prot16]: 'protected 16-bit',
  [DecodeMode.Prot32]: 'protected 32-bit', [DecodeMode.Long64]: '64-bit',
};

function flagLetters(flags: number): string {
  const bits: [number, string][] = [[11, 'O'], [10, 'D'], [9, 'I'], [7, 'S'], [6, 'Z'], [4, 'A'], [2, 'P'], [0, 'C']];
  return bits.map(([bit, ch]) => ((flags >> bit) & 1 ? ch : '-')).join('');
}

/** Registers in QEMU's `info registers` layout (64-bit names when long mode is active). */
export function formatRegisters(cpu: Cpu): string {
  const s = cpu.s;
  const long = cpu.longModeActive();
  const flags = getFlags(s);
  const lines: string[] = [];
  if (long) {
    for (let i = 0; i < 16; i += 4) {
      lines.push(GPR64.slice(i, i + 4).map((n, k) => `${n.padEnd(3)}=${hex64(s, I_GPR + 2 * GPR64_INDEX[i + k]!)}`).join(' '));
    }
    lines.push(`RIP=${hex64(s, I_RIP)} RFL=${hex(flags, 8)} [${flagLetters(flags)}] CPL=${s[I_CPL]} HLT=${s[I_HALTED]} A20=${cpu.a20Mask === -1 ? 1 : 0}`);
  } else {
    for (let i = 0; i < 8; i += 4) lines.push(GPR32.slice(i, i + 4).map((n, k) => `${n}=${hex(s[I_GPR + 2 * GPR32_INDEX[i + k]!]!, 8)}`).join(' '));
    lines.push(`EIP=${hex(s[I_RIP]!, 8)} EFL=${hex(flags, 8)} [${flagLetters(flags)}] CPL=${s[I_CPL]} HLT=${s[I_HALTED]} A20=${cpu.a20Mask === -1 ? 1 : 0}`);
  }
  for (let seg = 0; seg < 8; seg++) {
    const base = long ? hex64(s, I_SEG_BASE + 2 * seg) : hex(s[I_SEG_BASE + 2 * seg]!, 8);
    lines.push(`${SEG_NAMES[seg]!.padEnd(3)}=${hex(s[I_SEG_SEL + seg]!, 4)} ${base} ${hex(s[I_SEG_LIMIT + seg]!, 8)} ${hex(s[I_SEG_ATTR + seg]! << 8, 8)}`);
  }
  const gdtBase = long ? hex64(s, I_GDTR_BASE) : hex(s[I_GDTR_BASE]!, 8);
  const idtBase = long ? hex64(s, I_IDTR_BASE) : hex(s[I_IDTR_BASE]!, 8);
  lines.push(`GDT=     ${gdtBase} ${hex(s[I_GDTR_LIMIT]!, 8)}`);
  lines.push(`IDT=     ${idtBase} ${hex(s[I_IDTR_LIMIT]!, 8)}`);
  const cr = (n: number) => (long ? hex64(s, I_CR + 2 * n) : hex(s[I_CR + 2 * n]!, 8));
  lines.push(`CR0=${hex(s[I_CR]!, 8)} CR2=${cr(2)} CR3=${cr(3)} CR4=${hex(s[I_CR + 8]!, 8)}`);
  lines.push(`EFER=${hex64(s, I_EFER)} mode=${MODE_NAMES[cpu.mode] ?? cpu.mode} instructions=${cpu.instructionCount}`);
  return lines.join('\n') + '\n';
}

/**
 * Up to 15 code bytes at a linear address, read through the vCPU's translation without disturbing
 * its fault state (an unmapped page ends the bytes early).
 */
export function codeBytes(cpu: Cpu, linear: number, count = 15): Uint8Array {
  const s = cpu.s;
  const saved = [s[I_CR + 4]!, s[I_CR + 5]!, cpu.faultVector, cpu.faultErrorCode, cpu.faultAddress] as const;
  const out: number[] = [];
  let page = NaN, phys = 0;
  try {
    for (let i = 0; i < count; i++) {
      const at = cpu.wrapLinear(linear + i);
      const p = Math.floor(at / 4096);
      if (p !== page) {
        phys = cpu.translate(at - (at & 0xfff), ACCESS_FETCH);
        page = p;
      }
      out.push(cpu.memory.read(phys + (at & 0xfff), 1));
    }
  } catch {
    // Not mapped: keep what was read.
  } finally {
    s[I_CR + 4] = saved[0]; s[I_CR + 5] = saved[1];
    cpu.faultVector = saved[2]; cpu.faultErrorCode = saved[3]; cpu.faultAddress = saved[4];
  }
  return Uint8Array.from(out);
}

/** Linear address of CS:RIP, or of CS:(ripHi:ripLo). */
export function codeLinear(cpu: Cpu, ripLo = cpu.s[I_RIP]!, ripHi = cpu.s[I_RIP + 1]!): number {
  if (cpu.mode === DecodeMode.Long64) return (ripLo >>> 0) + ripHi * 4294967296;
  return (ripLo + cpu.s[I_SEG_BASE + 2]!) >>> 0;
}

/** One disassembled instruction at a linear address: text, length and whether it ends a block. */
export function disassembleAt(cpu: Cpu, linear: number, rip: number): { line: string; length: number; branch: boolean } {
  const bytes = codeBytes(cpu, linear);
  if (bytes.length === 0) return { line: '(code not mapped)', length: 0, branch: true };
  const { text, length, ins } = disassembleBytes(bytes, cpu.mode, rip);
  const shown = Array.from(bytes.subarray(0, Math.max(1, Math.min(length, bytes.length))), (b) => hex(b, 2)).join(' ');
  return { line: `${shown.padEnd(30)} ${text}`, length, branch: ins.row === null || (ins.row.attrs & ATTR_BRANCH) !== 0 };
}

/** `CS:RIP` as QEMU prints it (16 hex digits of RIP in 64-bit mode). */
export function formatPc(cpu: Cpu): string {
  const s = cpu.s;
  const rip = cpu.mode === DecodeMode.Long64 ? hex64(s, I_RIP) : hex(s[I_RIP]!, 8);
  return `${hex(s[I_SEG_SEL + 1]!, 4)}:${rip}`;
}

/**
 * The recently executed code of a vCPU from its block flight recorder (`Cpu.recentBlocks`): each
 * block disassembled from its start to its branch (at most 16 instructions), oldest first, then
 * the instruction that was executing.
 */
export function recentInstructions(cpu: Cpu, maxLines = 40): string[] {
  const lines: string[] = [];
  const ring = cpu.recentBlocks;
  const csBase = cpu.mode === DecodeMode.Long64 ? 0 : cpu.s[I_SEG_BASE + 2]! >>> 0;
  if (ring !== null) {
    for (let k = 0; k < ring.length; k++) {
      const linear = ring[(cpu.recentBlockIndex + k) & (ring.length - 1)]!;
      if (!Number.isFinite(linear)) continue;
      let at = linear;
      for (let n = 0; n < 16; n++) {
        const { line, length, branch } = disassembleAt(cpu, at, at - csBase);
        lines.push(`  ${hexLinear(at)}  ${line}`);
        if (branch || length === 0) break;
        at += length;
      }
    }
  }
  const current = codeLinear(cpu, cpu.insRipLo, cpu.insRipHi);
  lines.push(`> ${hexLinear(current)}  ${disassembleAt(cpu, current, current - csBase).line}   <- executing`);
  return lines.slice(-maxLines);
}
