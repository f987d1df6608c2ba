import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { DecodeMode } from '../decode/decoder.js';
import { AC, ARITH_FLAGS, DF, getFlags, ID, IF, IOPL, NT, RF, TF, VIF, VIP, VM } from '../exec/flags.js';
import { descriptorAttr, descriptorBase, descriptorLimit, readDescriptor, setSegmentCache } from '../exec/segment.js';
import { I_CPL, I_GPR, I_LAZY_OP, I_MODE, I_RFLAGS, I_RIP, I_SEG_ATTR, I_SEG_SEL } from '../state/cpu-state.js';
import { taskSwitch, TaskSwitchReason } from './task-switch.js';
import { readTss } from './tss.js';

/**
 * IRET/IRETD/IRETQ outside real mode (SDM Vol. 2, IRET): virtual-8086 mode, return from a nested
 * task (NT), same-privilege and outer-privilege returns, return to virtual-8086 mode, and the
 * IA-32e forms that always pop SS:RSP in 64-bit mode. All values are read from the stack and
 * checked before anything is committed.
 */

const VEC_NP = 11, VEC_SS = 12, VEC_GP = 13;

/** Read the i-th stack slot of `size` bytes above rSP (without popping). */
function slot(cpu: Cpu, i: number, size: number): number {
  const linear = cpu.stackLinear(i * size, size);
  return size === 2 ? cpu.read16(linear) : cpu.read32(linear);
}

/** EFLAGS bits an IRET may load at a given CPL and IOPL (SDM Vol. 2, IRET "Operation"). */
function loadableFlags(cpl: number, iopl: number, size: number): number {
  let mask = ARITH_FLAGS | TF | DF | NT | AC | ID | RF;
  if (cpl === 0) mask |= IOPL | VIF | VIP;
  if (cpl <= iopl) mask |= IF;
  return size === 2 ? mask & 0xffff : mask;
}

export function iretProtected(cpu: Cpu, ins: Instr): void {
  const s = cpu.s;
  const size = ins.opSize;
  const mode = s[I_MODE]!;
  const flags = getFlags(s);
  const cpl = s[I_CPL]!;
  if (mode === DecodeMode.V86) {
    // Without VME, IRET in virtual-8086 mode needs IOPL 3 and cannot change IOPL or VM.
    if ((flags & IOPL) !== IOPL) cpu.raise(VEC_GP, 0);
    const ip = slot(cpu, 0, size), cs = slot(cpu, 1, size) & 0xffff, newFlags = slot(cpu, 2, size);
    if (size === 4 && (ip >>> 0) > 0xffff) cpu.raise(VEC_GP, 0);
    cpu.adjustSp(3 * size);
    setSegmentCache(cpu, 1, cs, cs << 4, 0xffff, 0xfb);
    s[I_RIP] = ip & 0xffff;
    const mask = (size === 2 ? 0xffff : 0xffffffff) & ~(IOPL | VM | VIP | VIF);
    s[I_RFLAGS] = ((flags & ~mask) | (newFlags & mask) | 2) & ~0x8028;
    s[I_LAZY_OP] = 0;
    cpu.blockBreak = true;
    return;
  }
  const longMode = cpu.longModeActive();
  if ((flags & NT) !== 0) {
    if (longMode) cpu.raise(VEC_GP, 0);
    const link = cpu.withSupervisor(() => readTss(cpu, 0, 2));
    taskSwitch(cpu, link, TaskSwitchReason.Iret, -1, 0);
    cpu.blockBreak = true;
    return;
  }
  const width = size === 8 ? 8 : size;
  const read = (i: number): [number, number] => {
    if (width === 8) {
      const linear = cpu.stackLinear(i * 8, 8);
      const lo = cpu.read64(linear);
      return [lo, cpu.hi];
    }
    return [slot(cpu, i, width), 0];
  };
  const [ipLo, ipHi] = read(0);
  const csSel = read(1)[0] & 0xffff;
  const newFlags = read(2)[0];
  if (!longMode && size === 4 && (newFlags & VM) !== 0 && cpl === 0) {
    returnToV86(cpu, ipLo, csSel, newFlags);
    return;
  }
  // Check the return code segment.
  if ((csSel & 0xfffc) === 0) cpu.raise(VEC_GP, 0);
  const csDesc = cpu.withSupervisor(() => readDescriptor(cpu, csSel));
  const csAttr = descriptorAttr(csDesc.hi);
  const rpl = csSel & 3;
  const dpl = (csAttr >> 5) & 3;
  const error = csSel & 0xfffc;
  if ((csAttr & 0x18) !== 0x18 || rpl < cpl) cpu.raise(VEC_GP, error);
  if ((csAttr & 0x04) !== 0 ? dpl > rpl : dpl !== rpl) cpu.raise(VEC_GP, error);
  if ((csAttr & 0x80) === 0) cpu.raise(VEC_NP, error);
  const to64 = longMode && (csAttr & 0x2000) !== 0;
  // In 64-bit mode IRET always pops SS:RSP; elsewhere only on a return to an outer level.
  const popsStack = mode === DecodeMode.Long64 || rpl > cpl;
  let ssSel = 0, spLo = 0, spHi = 0, ssDesc = null as ReturnType<typeof readDescriptor> | null, ssAttr = 0;
  if (popsStack) {
    [spLo, spHi] = read(3);
    ssSel = read(4)[0] & 0xffff;
    if ((ssSel & 0xfffc) === 0) {
      // A null SS is allowed only when returning to 64-bit code at CPL < 3 (SDM Vol. 2, IRET).
      if (!(to64 && rpl !== 3)) cpu.raise(VEC_GP, 0);
    } else {
      if ((ssSel & 3) !== rpl) cpu.raise(VEC_GP, ssSel & 0xfffc);
      ssDesc = cpu.withSupervisor(() => readDescriptor(cpu, ssSel));
      ssAttr = descriptorAttr(ssDesc.hi);
      if (((ssAttr >> 5) & 3) !== rpl || (ssAttr & 0x1a) !== 0x12) cpu.raise(VEC_GP, ssSel & 0xfffc);
      if ((ssAttr & 0x80) === 0) cpu.raise(VEC_SS, ssSel & 0xfffc);
    }
  }
  // Target RIP: canonical for 64-bit code, within the limit otherwise.
  if (to64) {
    if ((ipHi >> 15) !== 0 && (ipHi >> 15) !== -1) cpu.raise(VEC_GP, 0);
  } else if ((ipLo >>> 0) > descriptorLimit(csDesc.lo, csDesc.hi)) {
    cpu.raise(VEC_GP, 0);
  }
  // Commit.
  const mask = loadableFlags(cpl, (flags & IOPL) >> 12, size);
  s[I_RFLAGS] = ((flags & ~mask) | (newFlags & mask) | 2) & ~0x8028;
  s[I_LAZY_OP] = 0;
  if (!popsStack) cpu.adjustSp(3 * width);
  s[I_CPL] = rpl;
  setSegmentCache(cpu, 1, csSel, to64 ? 0 : descriptorBase(csDesc.lo, csDesc.hi), descriptorLimit(csDesc.lo, csDesc.hi), csAttr | 1);
  s[I_RIP] = ipLo;
  s[I_RIP + 1] = to64 ? ipHi : 0;
  if (popsStack) {
    if (ssDesc) setSegmentCache(cpu, 2, ssSel, descriptorBase(ssDesc.lo, ssDesc.hi), descriptorLimit(ssDesc.lo, ssDesc.hi), ssAttr | 1);
    else setSegmentCache(cpu, 2, ssSel, 0, 0xffffffff, 0x93 | (rpl << 5) | 0xc000);
    if (size === 2) cpu.g16[16] = spLo;
    else { s[I_GPR + 8] = spLo; s[I_GPR + 9] = width === 8 ? spHi : 0; }
  }
  if (rpl > cpl) nullInaccessibleSegments(cpu, rpl);
  cpu.blockBreak = true;
}

/**
 * After a return to an outer level, data segment registers the new level may not use are loaded
 * with null (SDM Vol. 2, RET/IRET: "FOR each of segment register (ES, FS, GS, and DS)"). Only the
 * selector becomes null and the register unusable (P clear in the cached attributes, so a legacy-mode
 * access faults); the hidden base stays, as on Intel hardware, so in 64-bit mode an FS/GS access keeps
 * using the base from IA32_FS_BASE/IA32_GS_BASE (kvm-unit-tests emulator "ret/iret with a nullified
 * segment", QEMU's validate_seg).
 */
export function nullInaccessibleSegments(cpu: Cpu, cpl: number): void {
  const s = cpu.s;
  for (const seg of [0, 3, 4, 5]) {
    const attr = s[I_SEG_ATTR + seg]!;
    const dpl = (attr >> 5) & 3;
    const conformingCode = (attr & 0x1c) === 0x1c;
    if ((s[I_SEG_SEL + seg]! & 0xfffc) !== 0 && !conformingCode && dpl < cpl) {
      s[I_SEG_SEL + seg] = 0;
      s[I_SEG_ATTR + seg] = attr & ~0x80;
    }
  }
}

/** IRETD from CPL 0 with VM set in the popped EFLAGS (SDM Vol. 2, IRET "RETURN-TO-VIRTUAL-8086-MODE"). */
function returnToV86(cpu: Cpu, ip: number, cs: number, newFlags: number): void {
  const s = cpu.s;
  const esp = slot(cpu, 3, 4), ss = slot(cpu, 4, 4) & 0xffff;
  const es = slot(cpu, 5, 4) & 0xffff, ds = slot(cpu, 6, 4) & 0xffff, fs = slot(cpu, 7, 4) & 0xffff, gs = slot(cpu, 8, 4) & 0xffff;
  s[I_RFLAGS] = ((newFlags | 2) & ~0x8028) | VM;
  s[I_LAZY_OP] = 0;
  s[I_CPL] = 3;
  const load = (seg: number, sel: number) => setSegmentCache(cpu, seg, sel, sel << 4, 0xffff, seg === 1 ? 0xfb : 0xf3);
  load(0, es); load(3, ds); load(4, fs); load(5, gs); load(2, ss); load(1, cs);
  s[I_GPR + 8] = esp;
  s[I_GPR + 9] = 0;
  s[I_RIP] = ip & 0xffff;
  s[I_RIP + 1] = 0;
  cpu.updateMode();
  cpu.blockBreak = true;
}
