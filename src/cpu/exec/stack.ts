import type { Cpu } from '../cpu.js';
import { OpKind, type Instr } from '../decode/instr.js';
import { AC, DF, getFlags, ID, IF, IOPL, LazyOp, NT, OF, RF, TF, VIF, VIP, VM, ARITH_FLAGS } from './flags.js';
import { I_CPL, I_LAZY_OP, I_MODE, I_RFLAGS, I_SEG_SEL, I_SHADOW } from '../state/cpu-state.js';
import { DecodeMode } from '../decode/decoder.js';
import { loadDataSegment } from './segment.js';

/** PUSH r/m, reg, imm (operand size from the row: d64 in 64-bit mode). */
export function push(cpu: Cpu, ins: Instr): void {
  const size = ins.opSize;
  const value = ins.kind0 === OpKind.Imm ? ins.immLo : cpu.readSource(ins, ins.kind0, ins.reg0, size);
  const hi = ins.kind0 === OpKind.Imm ? ins.immHi : cpu.hi;
  cpu.push(size, value, hi);
}

/**
 * POP r/m. With a memory destination that uses rSP as a base, the address is computed after rSP
 * has been incremented (SDM Vol. 2, POP).
 */
export function pop(cpu: Cpu, ins: Instr): void {
  const size = ins.opSize;
  if (ins.kind0 === OpKind.Reg) {
    const value = cpu.pop(size);
    cpu.setReg(ins.reg0, size, value, cpu.hi);
    return;
  }
  const linearSp = cpu.stackLinear(0, size);
  const value = cpu.readMem(linearSp, size), hi = cpu.hi;
  cpu.adjustSp(size);
  try {
    cpu.writeOperand0(ins, value, hi);
  } catch (e) {
    cpu.adjustSp(-size);
    throw e;
  }
}

export function push_sreg(cpu: Cpu, ins: Instr): void {
  const size = ins.opSize;
  const selector = cpu.s[I_SEG_SEL + ins.reg0]! & 0xffff;
  // A 32-bit push of a segment register writes only 16 bits on recent Intel CPUs (SDM Vol. 2, PUSH).
  if (size === 2) { cpu.push(2, selector, 0); return; }
  const linear = cpu.stackLinear(-size, size);
  cpu.write16(linear, selector);
  cpu.adjustSp(-size);
}

export function pop_sreg(cpu: Cpu, ins: Instr): void {
  const size = ins.opSize;
  const linear = cpu.stackLinear(0, size);
  const selector = cpu.read16(linear);
  loadDataSegment(cpu, ins.reg0, selector);
  cpu.adjustSp(size);
  // POP SS blocks interrupts and debug traps for one instruction (SDM Vol. 2, POP): shadow 2, as MOV SS.
  if (ins.reg0 === 2) { cpu.s[I_SHADOW] = 2; cpu.blockBreak = true; }
}

/** PUSHA/PUSHAD: the pushed SP is its value before the instruction. */
export function pusha(cpu: Cpu, ins: Instr): void {
  const size = ins.opSize;
  const sp = cpu.getReg(size === 2 ? 16 : 8, size);
  // Check every slot before writing anything; each one wraps at the stack-address width on its
  // own (SP = 8 with a 16-bit stack pushes at 6..0 then FFFE..FFF8: SDM Vol. 2, PUSHA, real mode).
  for (let r = 1; r <= 8; r++) cpu.probeWrite(cpu.stackLinear(-r * size, size), size);
  for (let r = 0; r < 8; r++) {
    const value = r === 4 ? sp : cpu.getReg(size === 2 ? r * 4 : r * 2, size);
    cpu.push(size, value, 0);
  }
}

/** POPA/POPAD: the saved SP is discarded. */
export function popa(cpu: Cpu, ins: Instr): void {
  const size = ins.opSize;
  for (let r = 0; r < 8; r++) cpu.stackLinear(r * size, size); // each slot wraps on its own
  for (let r = 7; r >= 0; r--) {
    const value = cpu.pop(size);
    if (r !== 4) cpu.setReg(size === 2 ? r * 4 : r * 2, size, value, 0);
  }
}

/** PUSHF: VM and RF are pushed as 0 (SDM Vol. 2, PUSHF). V8086 with IOPL < 3 is a #GP (system layer). */
export function pushf(cpu: Cpu, ins: Instr): void {
  const s = cpu.s;
  if (s[I_MODE] === DecodeMode.V86 && ((getFlags(s) & IOPL) >> 12) < 3) cpu.raise(13, 0);
  const flags = getFlags(s) & ~(VM | RF);
  cpu.push(ins.opSize, ins.opSize === 2 ? flags & 0xffff : flags, 0);
}

/**
 * POPF: which bits may change depends on CPL and IOPL (SDM Vol. 2, POPF, Table "Effect of POPF"):
 * IOPL only at CPL 0, IF only when CPL <= IOPL; VM, RF, VIP, VIF are never loaded.
 */
export function popf(cpu: Cpu, ins: Instr): void {
  const s = cpu.s;
  const size = ins.opSize;
  const current = getFlags(s);
  const mode = s[I_MODE]!;
  if (mode === DecodeMode.V86 && ((current & IOPL) >> 12) < 3) cpu.raise(13, 0);
  const value = cpu.pop(size);
  let changeable = ARITH_FLAGS | TF | DF | OF | NT | AC | ID;
  const cpl = s[I_CPL]!;
  if (cpl === 0) changeable |= IOPL | IF;
  else if (cpl <= ((current & IOPL) >> 12)) changeable |= IF;
  if (mode === DecodeMode.V86) changeable &= ~IOPL;
  if (size === 2) changeable &= 0xffff;
  changeable &= ~(VM | RF | VIP | VIF);
  s[I_RFLAGS] = ((current & ~changeable) | (value & changeable) | 2) & ~0x28;
  s[I_LAZY_OP] = LazyOp.None;
  // POPF that sets IF has no interrupt shadow: a pending interrupt is taken right after it, so the
  // block ends here instead of running on with interrupts enabled.
  if ((current & IF) === 0 && (s[I_RFLAGS]! & IF) !== 0) cpu.blockBreak = true;
}

/**
 * ENTER imm16, imm8 (SDM Vol. 2, ENTER): push rBP, copy (level - 1) frame pointers from the old
 * frame (walking a copy of rBP at the stack-address width), push the new frame pointer, set rBP,
 * reserve the frame. The nesting level is taken modulo 32.
 */
export function enter(cpu: Cpu, ins: Instr): void {
  const size = ins.opSize;
  const frameSize = ins.immLo & 0xffff;
  const level = ins.imm2 & 0x1f;
  const width = cpu.stackAddrSize();
  const bpOp = cpu.getReg(size === 2 ? 5 * 4 : 5 * 2, size), bpOpHi = cpu.hi;
  let cursor = cpu.getReg(width === 2 ? 5 * 4 : 5 * 2, width), cursorHi = width === 8 ? cpu.hi : 0;
  cpu.push(size, bpOp, bpOpHi);
  const frameLo = cpu.getReg(width === 2 ? 16 : 8, width), frameHi = width === 8 ? cpu.hi : 0;
  if (level > 0) {
    for (let i = 1; i < level; i++) {
      let linear: number;
      if (width === 8) {
        const sum = (cursor >>> 0) - size;
        cursorHi = (cursorHi + (sum < 0 ? -1 : 0)) | 0;
        cursor = sum | 0;
        linear = cpu.linear64(cursor, cursorHi, 2);
      } else {
        cursor = width === 4 ? (cursor - size) | 0 : (cursor - size) & 0xffff;
        linear = cpu.segmentLinear(2, width === 4 ? cursor >>> 0 : cursor, size);
      }
      const value = cpu.readMem(linear, size);
      cpu.push(size, value, cpu.hi);
    }
    cpu.push(size, frameLo, frameHi);
  }
  cpu.setReg(size === 2 ? 5 * 4 : 5 * 2, size, size === 2 ? frameLo & 0xffff : frameLo, frameHi);
  if (frameSize !== 0) {
    cpu.stackLinear(-frameSize, 1);
    cpu.adjustSp(-frameSize);
  }
}

/** LEAVE: rSP = rBP, then pop rBP. */
export function leave(cpu: Cpu, ins: Instr): void {
  const size = ins.opSize;
  const width = cpu.stackAddrSize();
  const bp = cpu.getReg(width === 2 ? 5 * 4 : 5 * 2, width === 8 ? 8 : width), bpHi = cpu.hi;
  const savedLo = cpu.g32[8]!, savedHi = cpu.g32[9]!;
  cpu.setReg(width === 2 ? 16 : 8, width === 8 ? 8 : width, bp, bpHi);
  try {
    const value = cpu.pop(size);
    cpu.setReg(size === 2 ? 5 * 4 : 5 * 2, size, value, cpu.hi);
  } catch (e) {
    cpu.g32[8] = savedLo;
    cpu.g32[9] = savedHi;
    throw e;
  }
}

