import type { Cpu } from '../cpu.js';
import { OpKind, type Instr } from '../decode/instr.js';
import { condition, getFlags, LazyOp, setLazy, setLazy64, CF, PF, AF, ZF, SF } from './flags.js';
import { I_LAZY_OP, I_RFLAGS } from '../state/cpu-state.js';
import { truncate } from './alu.js';

/** MOV in all its forms (registers, memory, immediates, moffs). No flags. */
export function mov(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const value = cpu.readSource(ins, ins.kind1, ins.reg1, size);
  cpu.writeOperand0(ins, value, size === 8 ? cpu.hi : 0);
}

/** MOVZX: zero-extend a byte or word; with a 32-bit destination in 64-bit mode bits 63:32 are cleared too. */
export function movzx(cpu: Cpu, ins: Instr): void {
  const value = cpu.readSource(ins, ins.kind1, ins.reg1, ins.size1);
  cpu.setReg(ins.reg0, ins.size0, value, 0);
}

/** MOVSX / MOVSXD: sign-extend. */
export function movsx(cpu: Cpu, ins: Instr): void {
  const from = ins.size1;
  let value = cpu.readSource(ins, ins.kind1, ins.reg1, from);
  value = from === 1 ? (value << 24) >> 24 : from === 2 ? (value << 16) >> 16 : value | 0;
  cpu.setReg(ins.reg0, ins.size0, truncate(value, ins.size0), value >> 31);
}

/** LEA: the effective address, truncated to the operand size (SDM Vol. 2, LEA, Table 3-54). */
export function lea(cpu: Cpu, ins: Instr): void {
  const ea = cpu.effectiveAddress(ins);
  if (ins.addrSize === 8) cpu.setReg(ins.reg0, ins.size0, truncate(cpu.eaLo, ins.size0), cpu.eaHi);
  else cpu.setReg(ins.reg0, ins.size0, truncate(ea, ins.size0), 0);
}

/** XCHG (LOCK is implicit with memory; the interpreter executes it atomically anyway). */
export function xchg(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const a = cpu.readDest(ins), aHi = cpu.hi;
  const b = cpu.getReg(ins.reg1, size), bHi = cpu.hi;
  cpu.writeDest(ins, b, bHi);
  cpu.setReg(ins.reg1, size, a, aHi);
}

/** XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP, flags as ADD. */
export function xadd(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const a = cpu.readDest(ins), aHi = cpu.hi;
  const b = cpu.getReg(ins.reg1, size), bHi = cpu.hi;
  if (size === 8) {
    const sum = (a >>> 0) + (b >>> 0);
    const lo = sum | 0, hi = (aHi + bHi + (sum > 0xffffffff ? 1 : 0)) | 0;
    cpu.writeDest(ins, lo, hi);
    cpu.setReg(ins.reg1, size, a, aHi);
    if (ins.kind0 === OpKind.Reg && ins.reg0 === ins.reg1) cpu.writeDest(ins, lo, hi);
    setLazy64(cpu.s, LazyOp.Add, lo, hi, a, aHi, b, bHi);
    return;
  }
  const r = truncate(a + b, size);
  cpu.writeDest(ins, r, 0);
  cpu.setReg(ins.reg1, size, a, 0);
  // SDM Vol. 2, XADD: "SRC ← DEST; DEST ← TEMP": with the same register as both operands, DEST
  // (the sum) is written last.
  if (ins.kind0 === OpKind.Reg && ins.reg0 === ins.reg1) cpu.writeDest(ins, r, 0);
  setLazy(cpu.s, LazyOp.Add, size, r, a, b);
}

/**
 * CMPXCHG: compare the accumulator with DEST; equal → DEST = SRC, else accumulator = DEST. The
 * destination is always written (with its old value on mismatch), as the SDM's operation says.
 */
export function cmpxchg(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const d = cpu.readDest(ins), dHi = cpu.hi;
  const acc = cpu.getReg(0, size), accHi = cpu.hi;
  const equal = size === 8 ? d === acc && dHi === accHi : d === acc;
  if (equal) {
    const src = cpu.getReg(ins.reg1, size), srcHi = cpu.hi;
    cpu.writeDest(ins, src, srcHi);
  } else {
    // On a mismatch a memory destination is written back with its own value (the locked cycle
    // always writes); a register destination is left alone, upper half included (measured).
    if (ins.kind0 !== 1 /* Reg */) cpu.writeDest(ins, d, dHi);
    cpu.setReg(0, size, d, dHi);
  }
  if (size === 8) {
    const diff = (acc >>> 0) - (d >>> 0);
    setLazy64(cpu.s, LazyOp.Sub, diff | 0, (accHi - dHi - (diff < 0 ? 1 : 0)) | 0, acc, accHi, d, dHi);
  } else {
    setLazy(cpu.s, LazyOp.Sub, size, truncate(acc - d, size), acc, d);
  }
}

/** CMPXCHG8B / CMPXCHG16B (REX.W): EDX:EAX (RDX:RAX) against m64 (m128); only ZF changes. */
export function cmpxchg8b(cpu: Cpu, ins: Instr): void {
  const s = cpu.s;
  const wide = ins.opSize === 8;
  const bytes = wide ? 16 : 8;
  const linear = cpu.linear(ins, bytes);
  // CMPXCHG16B needs a 16-byte aligned operand (SDM Vol. 2, CMPXCHG8B/16B: #GP(0)).
  if (wide && linear % 16 !== 0) cpu.raise(13, 0);
  cpu.probeWrite(linear, bytes);
  const g = cpu.g32;
  let equal: boolean;
  if (!wide) {
    const lo = cpu.read32(linear), hi = cpu.read32(cpu.wrapLinear(linear + 4));
    equal = lo === g[0] && hi === g[4];
    if (equal) {
      cpu.write32(linear, g[6]!);
      cpu.write32(cpu.wrapLinear(linear + 4), g[2]!);
    } else {
      cpu.write32(linear, lo);
      cpu.write32(cpu.wrapLinear(linear + 4), hi);
      cpu.setReg(0, 4, lo, 0);
      cpu.setReg(4, 4, hi, 0);
    }
  } else {
    const l0 = cpu.read64(linear), h0 = cpu.hi;
    const l1 = cpu.read64(linear + 8), h1 = cpu.hi;
    equal = l0 === g[0] && h0 === g[1] && l1 === g[4] && h1 === g[5];
    if (equal) {
      cpu.write64(linear, g[6]!, g[7]!);
      cpu.write64(linear + 8, g[2]!, g[3]!);
    } else {
      cpu.write64(linear, l0, h0);
      cpu.write64(linear + 8, l1, h1);
      cpu.setReg(0, 8, l0, h0);
      cpu.setReg(4, 8, l1, h1);
    }
  }
  const flags = getFlags(s);
  s[I_RFLAGS] = equal ? flags | ZF : flags & ~ZF;
}

function swap(v: number): number {
  return ((v >>> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24)) | 0;
}

export function bswap(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  if (size === 8) {
    const lo = cpu.g32[ins.reg0]!, hi = cpu.g32[ins.reg0 + 1]!;
    cpu.setReg(ins.reg0, 8, swap(hi), swap(lo));
  } else {
    cpu.setReg(ins.reg0, 4, swap(cpu.g32[ins.reg0]!), 0);
  }
}

/** CMOVcc: the source is read (and may fault) whatever the condition; a 32-bit destination is zero-extended either way. */
export function cmovcc(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const value = cpu.readSource(ins, ins.kind1, ins.reg1, size), hi = cpu.hi;
  const cc = ins.row!.opcode & 0xf;
  if (condition(cpu.s, cc)) cpu.setReg(ins.reg0, size, value, hi);
  else if (size === 4) cpu.g32[ins.reg0 + 1] = 0;
}

export function setcc(cpu: Cpu, ins: Instr): void {
  cpu.writeOperand0(ins, condition(cpu.s, ins.row!.opcode & 0xf) ? 1 : 0, 0);
}

/** CBW/CWDE/CDQE: sign-extend the lower half of the accumulator. */
export function cbw(cpu: Cpu, ins: Instr): void {
  const g = cpu.g32;
  switch (ins.opSize) {
    case 2: cpu.g16[0] = (cpu.g8[0]! << 24) >> 24; break;
    case 4: g[0] = (cpu.g16[0]! << 16) >> 16; g[1] = 0; break;
    default: g[1] = g[0]! >> 31; break;
  }
}

/** CWD/CDQ/CQO: sign-extend the accumulator into rDX. */
export function cwd(cpu: Cpu, ins: Instr): void {
  const g = cpu.g32;
  switch (ins.opSize) {
    case 2: cpu.g16[8] = (cpu.g16[0]! & 0x8000) !== 0 ? 0xffff : 0; break;
    case 4: g[4] = g[0]! >> 31; g[5] = 0; break;
    default: g[4] = g[1]! >> 31; g[5] = g[4]!; break;
  }
}

/** XLAT: AL = [seg:rBX + zero-extended AL]. */
export function xlat(cpu: Cpu, ins: Instr): void {
  const g = cpu.g32;
  let offset: number;
  if (ins.addrSize === 2) offset = (cpu.g16[12]! + cpu.g8[0]!) & 0xffff;
  else if (ins.addrSize === 4) offset = (g[6]! + cpu.g8[0]!) >>> 0;
  else offset = (g[7]! * 4294967296) + (g[6]! >>> 0) + cpu.g8[0]!;
  cpu.g8[0] = cpu.read8(cpu.segmentLinear(ins.seg, offset, 1));
}

/** LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. */
export function lahf(cpu: Cpu): void {
  cpu.g8[1] = (getFlags(cpu.s) & 0xd5) | 2;
}

/** SAHF: load SF ZF AF PF CF from AH. */
export function sahf(cpu: Cpu): void {
  const s = cpu.s;
  const mask = SF | ZF | AF | PF | CF;
  s[I_RFLAGS] = (getFlags(s) & ~mask) | (cpu.g8[1]! & mask);
  s[I_LAZY_OP] = LazyOp.None;
}

/** SALC: AL = CF ? 0xFF : 0 (undocumented, executed by Intel CPUs outside 64-bit mode). */
export function salc(cpu: Cpu): void {
  cpu.g8[0] = (getFlags(cpu.s) & CF) !== 0 ? 0xff : 0;
}

export function nop(): void {}

