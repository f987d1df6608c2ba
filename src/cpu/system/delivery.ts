import type { Cpu } from '../cpu.js';
import { DecodeMode } from '../decode/decoder.js';
import { getFlags, IF, NT, RF, TF, VM } from '../exec/flags.js';
import { descriptorAttr, descriptorBase, descriptorLimit, readDescriptor, setSegmentCache } from '../exec/segment.js';
import { I_CPL, I_HALTED, I_IDTR_BASE, I_IDTR_LIMIT, I_LAZY_OP, I_MODE, I_RFLAGS, I_RIP, I_SEG_ATTR, I_SEG_SEL, I_GPR } from '../state/cpu-state.js';
import { legacyStackFor, longStack, tss64IstOffset, tss64RspOffset } from './tss.js';
import { taskSwitch, TaskSwitchReason } from './task-switch.js';

/**
 * Interrupt and exception delivery through the IDT in protected mode, virtual-8086 mode and
 * IA-32e mode (SDM Vol. 3, 6.10-6.14). Real mode is handled by Cpu.deliver.
 *
 * Everything that can fault is read and checked before any register changes, and the new stack
 * frame is written through explicit supervisor writes before the switch is committed, so a fault
 * during delivery leaves the interrupted state intact for #DF / triple-fault escalation.
 */

const VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13;

/** Whether an exception pushes an error code (SDM Vol. 3, Table 6-1). */
export function pushesErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17 || vector === 21;
}

/** Reads a gate or descriptor as a supervisor access. */
function readIdtEntry(cpu: Cpu, vector: number, size: 8 | 16, ext: number): [number, number, number, number] {
  const s = cpu.s;
  const limit = s[I_IDTR_LIMIT]! >>> 0;
  if (vector * size + size - 1 > limit) cpu.raise(VEC_GP, vector * 8 + 2 + ext);
  const base = (s[I_IDTR_BASE]! >>> 0) + s[I_IDTR_BASE + 1]! * 4294967296;
  const at = base + vector * size;
  const w0 = cpu.supervisorRead(cpu.wrapLinear(at), 4);
  const w1 = cpu.supervisorRead(cpu.wrapLinear(at + 4), 4);
  if (size === 8) return [w0, w1, 0, 0];
  return [w0, w1, cpu.supervisorRead(at + 8, 4), cpu.supervisorRead(at + 12, 4)];
}

/** A frame to be written on the new stack: values pushed in order, each `width` bytes. */
class Frame {
  readonly lo: number[] = [];
  readonly hi: number[] = [];
  push(lo: number, hi = 0): void {
    this.lo.push(lo);
    this.hi.push(hi);
  }
}

/** The code segment named by a gate, with the checks of SDM Vol. 3, 6.12.1.1. */
function targetCodeSegment(cpu: Cpu, selector: number, ext: number) {
  if ((selector & 0xfffc) === 0) cpu.raise(VEC_GP, ext);
  const desc = cpu.withSupervisor(() => readDescriptor(cpu, selector));
  const attr = descriptorAttr(desc.hi);
  const dpl = (attr >> 5) & 3;
  if ((attr & 0x18) !== 0x18 || dpl > cpu.s[I_CPL]!) cpu.raise(VEC_GP, (selector & 0xfffc) + ext);
  if ((attr & 0x80) === 0) cpu.raise(VEC_NP, (selector & 0xfffc) + ext);
  return { desc, attr, dpl, conforming: (attr & 0x04) !== 0 };
}

export function deliverProtected(cpu: Cpu, vector: number, errorCode: number, software: boolean, external: boolean): void {
  if (cpu.s[I_MODE] === DecodeMode.Long64 || cpu.longModeActive()) {
    deliverLong(cpu, vector, errorCode, software, external);
    return;
  }
  const s = cpu.s;
  const ext = external ? 1 : 0;
  const [lo, hi] = readIdtEntry(cpu, vector, 8, ext);
  const type = (hi >> 8) & 0x1f;
  const gateDpl = (hi >> 13) & 3;
  const gateError = vector * 8 + 2 + ext;
  // Only task gates and 16/32-bit interrupt and trap gates are valid (SDM Vol. 3, 6.11).
  if (type !== 0x05 && type !== 0x06 && type !== 0x07 && type !== 0x0e && type !== 0x0f) cpu.raise(VEC_GP, gateError);
  // INT n / INT3 / INTO check the gate's DPL against CPL (6.12.1.1); INT1 and hardware events do not.
  if (software && gateDpl < s[I_CPL]!) cpu.raise(VEC_GP, gateError);
  if ((hi & 0x8000) === 0) cpu.raise(VEC_NP, gateError);
  if (type === 0x05) {
    taskSwitch(cpu, lo >>> 16, TaskSwitchReason.InterruptGate, pushesErrorCode(vector) && errorCode >= 0 && !software ? errorCode : -1, ext);
    return;
  }
  const gate32 = (type & 0x08) !== 0;
  const width = gate32 ? 4 : 2;
  const selector = lo >>> 16;
  const offset = gate32 ? ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0 : lo & 0xffff;
  const target = targetCodeSegment(cpu, selector, ext);
  const flags = getFlags(s);
  const cpl = s[I_CPL]!;
  const v86 = (flags & VM) !== 0;
  const frame = new Frame();
  let newCpl = cpl;
  let stackSelector = -1, stackBase = 0, stackLimit = 0, stackAttr = 0, sp: number;
  let spMask: number;
  if (!target.conforming && target.dpl < cpl) {
    // Inter-privilege: new stack from the TSS (6.12.1, "stack switch").
    if (v86 && target.dpl !== 0) cpu.raise(VEC_GP, (selector & 0xfffc) + ext);
    newCpl = target.dpl;
    const stack = cpu.withSupervisor(() => legacyStackFor(cpu, newCpl));
    const ssSel = stack.ss & 0xffff;
    if ((ssSel & 0xfffc) === 0) cpu.raise(VEC_TS, ext);
    const ssDesc = cpu.withSupervisor(() => readDescriptor(cpu, ssSel));
    const ssAttr = descriptorAttr(ssDesc.hi);
    if ((ssSel & 3) !== newCpl || ((ssAttr >> 5) & 3) !== newCpl || (ssAttr & 0x1a) !== 0x12) cpu.raise(VEC_TS, (ssSel & 0xfffc) + ext);
    if ((ssAttr & 0x80) === 0) cpu.raise(VEC_SS, (ssSel & 0xfffc) + ext);
    stackSelector = ssSel;
    stackBase = descriptorBase(ssDesc.lo, ssDesc.hi);
    stackLimit = descriptorLimit(ssDesc.lo, ssDesc.hi);
    stackAttr = ssAttr;
    sp = stack.sp;
    spMask = (ssAttr & 0x4000) !== 0 ? 0xffffffff : 0xffff;
    if (v86) {
      frame.push(s[I_SEG_SEL + 5]!); frame.push(s[I_SEG_SEL + 4]!); frame.push(s[I_SEG_SEL + 3]!); frame.push(s[I_SEG_SEL + 0]!);
    }
    frame.push(s[I_SEG_SEL + 2]!);
    frame.push(s[I_GPR + 8]!);
  } else {
    if (v86) cpu.raise(VEC_GP, (selector & 0xfffc) + ext);
    const ssAttr = s[I_SEG_ATTR + 2]!;
    spMask = (ssAttr & 0x4000) !== 0 ? 0xffffffff : 0xffff;
    sp = s[I_GPR + 8]! >>> 0;
    if (target.conforming) newCpl = cpl;
    else newCpl = target.dpl;
  }
  frame.push(pushedFlags(flags, software, vector, external));
  frame.push(s[I_SEG_SEL + 1]!);
  frame.push(s[I_RIP]!);
  if (!software && errorCode >= 0 && pushesErrorCode(vector)) frame.push(errorCode);
  // Write the frame below sp on the chosen stack, as supervisor accesses with the new stack's checks.
  const base = stackSelector >= 0 ? stackBase : cpu.segmentBase(2);
  const limit = stackSelector >= 0 ? stackLimit : cpu.segmentLimit(2);
  let cursor = sp;
  for (let i = 0; i < frame.lo.length; i++) {
    cursor = ((cursor - width) & spMask) >>> 0;
    if (cursor + width - 1 > limit) cpu.raise(VEC_SS, stackSelector >= 0 ? (stackSelector & 0xfffc) + ext : ext);
    cpu.supervisorWrite((base + cursor) >>> 0, width, frame.lo[i]!);
  }
  // Commit.
  if (v86 && newCpl !== cpl) {
    for (const seg of [0, 3, 4, 5]) setSegmentCache(cpu, seg, 0, 0, 0, 0);
  }
  s[I_RFLAGS] = flags & ~(TF | NT | RF | VM | (type & 1 ? 0 : IF));
  s[I_LAZY_OP] = 0;
  s[I_CPL] = newCpl;
  if (stackSelector >= 0) setSegmentCache(cpu, 2, stackSelector, stackBase, stackLimit, stackAttr);
  if (spMask === 0xffff) cpu.g16[16] = cursor; else { s[I_GPR + 8] = cursor; s[I_GPR + 9] = 0; }
  cpu.markAccessedDescriptor(target.desc);
  setSegmentCache(cpu, 1, (selector & 0xfffc) | newCpl, descriptorBase(target.desc.lo, target.desc.hi), descriptorLimit(target.desc.lo, target.desc.hi), target.attr | 0x01);
  s[I_RIP] = offset;
  s[I_RIP + 1] = 0;
  s[I_HALTED] = 0;
}

/** Fault-class exceptions (SDM Vol. 3, Table 6-1): the saved RIP points at the faulting instruction. */
const FAULT_VECTORS = new Set([0, 5, 6, 7, 10, 11, 12, 13, 14, 16, 17, 19, 20]);

/**
 * EFLAGS image on the stack: a fault pushes RF = 1 so that returning to the restarted instruction
 * does not hit its instruction breakpoint again (SDM Vol. 3, 18.3.1.1).
 */
function pushedFlags(flags: number, software: boolean, vector: number, external: boolean): number {
  return !software && !external && FAULT_VECTORS.has(vector) ? flags | RF : flags;
}

/** IA-32e mode delivery: 16-byte gates, 64-bit code targets, IST, 16-byte stack alignment (SDM Vol. 3, 6.14). */
function deliverLong(cpu: Cpu, vector: number, errorCode: number, software: boolean, external: boolean): void {
  const s = cpu.s;
  const ext = external ? 1 : 0;
  const [lo, hi, offsetHigh] = readIdtEntry(cpu, vector, 16, ext);
  const type = (hi >> 8) & 0x1f;
  const gateDpl = (hi >> 13) & 3;
  const gateError = vector * 8 + 2 + ext;
  if (type !== 0x0e && type !== 0x0f) cpu.raise(VEC_GP, gateError);
  if (software && gateDpl < s[I_CPL]!) cpu.raise(VEC_GP, gateError);
  if ((hi & 0x8000) === 0) cpu.raise(VEC_NP, gateError);
  const selector = lo >>> 16;
  const target = targetCodeSegment(cpu, selector, ext);
  // The target must be a 64-bit code segment (L = 1, D = 0).
  if ((target.attr & 0x6000) !== 0x2000) cpu.raise(VEC_GP, (selector & 0xfffc) + ext);
  const offLo = ((lo & 0xffff) | (hi & 0xffff0000)) | 0;
  const offHi = offsetHigh | 0;
  if ((offHi >> 15) !== 0 && (offHi >> 15) !== -1) cpu.raise(VEC_GP, ext);
  const cpl = s[I_CPL]!;
  const newCpl = target.conforming ? cpl : target.dpl;
  const ist = hi & 7;
  let rspLo: number, rspHi: number;
  if (ist !== 0) [rspLo, rspHi] = cpu.withSupervisor(() => longStack(cpu, tss64IstOffset(ist)));
  else if (newCpl < cpl) [rspLo, rspHi] = cpu.withSupervisor(() => longStack(cpu, tss64RspOffset(newCpl)));
  else { rspLo = s[I_GPR + 8]!; rspHi = s[I_GPR + 9]!; }
  if ((rspHi >> 15) !== 0 && (rspHi >> 15) !== -1) cpu.raise(VEC_SS, ext);
  // Align to 16 bytes, then push SS, RSP, RFLAGS, CS, RIP and the error code, 8 bytes each.
  rspLo &= ~0xf;
  const flags = getFlags(s);
  const frame = new Frame();
  frame.push(s[I_SEG_SEL + 2]!);
  frame.push(s[I_GPR + 8]!, s[I_GPR + 9]!);
  frame.push(pushedFlags(flags, software, vector, external));
  frame.push(s[I_SEG_SEL + 1]!);
  frame.push(s[I_RIP]!, s[I_RIP + 1]!);
  if (!software && errorCode >= 0 && pushesErrorCode(vector)) frame.push(errorCode);
  let curLo = rspLo >>> 0, curHi = rspHi;
  for (let i = 0; i < frame.lo.length; i++) {
    if (curLo < 8) curHi = (curHi - 1) | 0;
    curLo = (curLo - 8) >>> 0;
    const linear = cpu.linear64(curLo, curHi, 2);
    cpu.supervisorWrite(linear, 4, frame.lo[i]!);
    cpu.supervisorWrite(linear + 4, 4, frame.hi[i]!);
  }
  s[I_RFLAGS] = flags & ~(TF | NT | RF | VM | (type & 1 ? 0 : IF));
  s[I_LAZY_OP] = 0;
  s[I_CPL] = newCpl;
  // A privilege change loads SS with a null selector whose RPL is the new CPL (SDM Vol. 3, 6.14.4).
  if (newCpl !== cpl) setSegmentCache(cpu, 2, newCpl, 0, 0xffffffff, 0x93 | (newCpl << 5) | 0xc000);
  s[I_GPR + 8] = curLo | 0;
  s[I_GPR + 9] = curHi;
  cpu.markAccessedDescriptor(target.desc);
  setSegmentCache(cpu, 1, (selector & 0xfffc) | newCpl, 0, 0xffffffff, target.attr | 0x01);
  s[I_RIP] = offLo;
  s[I_RIP + 1] = offHi;
  s[I_HALTED] = 0;
}
