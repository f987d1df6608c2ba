import type { Cpu } from '../cpu.js';
import { DecodeMode } from '../decode/decoder.js';
import { descriptorAttr, descriptorBase, descriptorLimit, readDescriptor, setSegmentCache, type Descriptor } from '../exec/segment.js';
import { I_CPL, I_GPR, I_MODE, I_RIP, I_SEG_SEL } from '../state/cpu-state.js';
import { nullInaccessibleSegments } from './iret.js';
import { taskSwitch, TaskSwitchReason } from './task-switch.js';
import { legacyStackFor, longStack, tss64RspOffset } from './tss.js';

/**
 * Far JMP, far CALL and far RET (SDM Vol. 2, JMP/CALL/RET "far" operation; Vol. 3, 5.8):
 * direct transfers to code segments, call gates (16/32-bit, and 64-bit in IA-32e mode) with the
 * stack switch and parameter copy of a call to a more privileged level, task gates and TSS
 * descriptors (task switch), and returns to the same or an outer privilege level.
 * Every check happens before any state is committed.
 */

const VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13;

interface CodeTarget {
  selector: number;
  desc: Descriptor;
  attr: number;
}

function isRealLike(cpu: Cpu): boolean {
  const mode = cpu.s[I_MODE]!;
  return mode === DecodeMode.Real || mode === DecodeMode.V86;
}

/** Load CS and RIP for a target that has passed its checks. */
function commitCode(cpu: Cpu, target: CodeTarget, cpl: number, offLo: number, offHi: number): void {
  const s = cpu.s;
  cpu.markAccessedDescriptor(target.desc);
  s[I_CPL] = cpl;
  const long64 = cpu.longModeActive() && (target.attr & 0x2000) !== 0;
  setSegmentCache(cpu, 1, (target.selector & 0xfffc) | cpl, long64 ? 0 : descriptorBase(target.desc.lo, target.desc.hi), descriptorLimit(target.desc.lo, target.desc.hi), target.attr | 1);
  s[I_RIP] = offLo;
  s[I_RIP + 1] = long64 ? offHi : 0;
  cpu.blockBreak = true;
}

/** Offset checks: canonical for 64-bit code, within the limit otherwise (#GP(0)). */
function checkOffset(cpu: Cpu, target: CodeTarget, offLo: number, offHi: number): void {
  if (cpu.longModeActive() && (target.attr & 0x2000) !== 0) {
    if ((offHi >> 15) !== 0 && (offHi >> 15) !== -1) cpu.raise(VEC_GP, 0);
  } else if ((offLo >>> 0) > descriptorLimit(target.desc.lo, target.desc.hi)) {
    cpu.raise(VEC_GP, 0);
  }
}

function readCode(cpu: Cpu, selector: number): CodeTarget {
  if ((selector & 0xfffc) === 0) cpu.raise(VEC_GP, 0);
  const desc = readDescriptor(cpu, selector);
  return { selector, desc, attr: descriptorAttr(desc.hi) };
}

/** Direct transfer to a code segment: conforming needs DPL <= CPL, non-conforming RPL <= CPL and DPL == CPL. */
function checkDirectCode(cpu: Cpu, target: CodeTarget): void {
  const cpl = cpu.s[I_CPL]!;
  const dpl = (target.attr >> 5) & 3, rpl = target.selector & 3;
  const error = target.selector & 0xfffc;
  if ((target.attr & 0x04) !== 0 ? dpl > cpl : rpl > cpl || dpl !== cpl) cpu.raise(VEC_GP, error);
  if ((target.attr & 0x80) === 0) cpu.raise(VEC_NP, error);
}

/** A call gate's fields (16-byte gates in IA-32e mode). */
function readCallGate(cpu: Cpu, desc: Descriptor, attr: number) {
  const selector = desc.lo >>> 16;
  let offLo = (desc.lo & 0xffff) | (desc.hi & 0xffff0000), offHi = 0;
  const gate32 = (attr & 0x08) !== 0;
  if (cpu.longModeActive()) {
    offHi = cpu.supervisorRead(cpu.wrapLinear(desc.linear + 8), 4);
    const upperType = (cpu.supervisorRead(cpu.wrapLinear(desc.linear + 12), 4) >> 8) & 0x1f;
    if (upperType !== 0) cpu.raise(VEC_GP, 0);
  } else if (!gate32) {
    offLo &= 0xffff;
  }
  return { selector, offLo: offLo | 0, offHi, params: desc.hi & 0x1f, gate32, gate64: cpu.longModeActive() };
}

/** Gate checks common to JMP and CALL: DPL >= CPL and >= RPL, present. */
function checkGate(cpu: Cpu, selector: number, attr: number): void {
  const cpl = cpu.s[I_CPL]!;
  const dpl = (attr >> 5) & 3;
  if (dpl < cpl || dpl < (selector & 3)) cpu.raise(VEC_GP, selector & 0xfffc);
  if ((attr & 0x80) === 0) cpu.raise(VEC_NP, selector & 0xfffc);
}

/** The code segment named by a gate must be code with DPL <= CPL, present. */
function gateTarget(cpu: Cpu, selector: number): CodeTarget {
  if ((selector & 0xfffc) === 0) cpu.raise(VEC_GP, 0);
  const target = readCode(cpu, selector);
  const dpl = (target.attr >> 5) & 3;
  if ((target.attr & 0x18) !== 0x18 || dpl > cpu.s[I_CPL]!) cpu.raise(VEC_GP, selector & 0xfffc);
  if ((target.attr & 0x80) === 0) cpu.raise(VEC_NP, selector & 0xfffc);
  if (cpu.longModeActive() && (target.attr & 0x6000) !== 0x2000) cpu.raise(VEC_GP, selector & 0xfffc);
  return target;
}

export function farJump(cpu: Cpu, selector: number, offLo: number, offHi: number, opSize: number): void {
  selector &= 0xffff;
  if (isRealLike(cpu)) {
    cpu.loadRealSegment(1, selector);
    cpu.setIp(offLo, 0, opSize === 2 ? 2 : 4);
    cpu.blockBreak = true;
    return;
  }
  const target = readCode(cpu, selector);
  const attr = target.attr;
  if ((attr & 0x18) === 0x18) {
    checkDirectCode(cpu, target);
    const lo = opSize === 2 ? offLo & 0xffff : offLo;
    checkOffset(cpu, target, lo, offHi);
    commitCode(cpu, target, cpu.s[I_CPL]!, lo, offHi);
    return;
  }
  const type = attr & 0x1f;
  if (type === 0x04 || type === 0x0c) {
    checkGate(cpu, selector, attr);
    const gate = readCallGate(cpu, target.desc, attr);
    const code = gateTarget(cpu, gate.selector);
    const dpl = (code.attr >> 5) & 3;
    // JMP through a call gate never changes privilege: non-conforming targets need DPL == CPL.
    if ((code.attr & 0x04) === 0 && dpl !== cpu.s[I_CPL]!) cpu.raise(VEC_GP, gate.selector & 0xfffc);
    checkOffset(cpu, code, gate.offLo, gate.offHi);
    commitCode(cpu, code, cpu.s[I_CPL]!, gate.offLo, gate.offHi);
    return;
  }
  if (!cpu.longModeActive() && (type === 0x05 || type === 0x01 || type === 0x09)) {
    checkGate(cpu, selector, attr);
    taskSwitch(cpu, type === 0x05 ? target.desc.lo >>> 16 : selector, TaskSwitchReason.Jmp, -1, 0);
    cpu.blockBreak = true;
    return;
  }
  cpu.raise(VEC_GP, selector & 0xfffc);
}

export function farCall(cpu: Cpu, selector: number, offLo: number, offHi: number, opSize: number): void {
  const s = cpu.s;
  selector &= 0xffff;
  const retLo = s[I_RIP]!, retHi = s[I_RIP + 1]!;
  const oldCs = s[I_SEG_SEL + 1]!;
  if (isRealLike(cpu)) {
    cpu.stackLinear(-2 * opSize, 2 * opSize);
    cpu.push(opSize, oldCs, 0);
    cpu.push(opSize, retLo, 0);
    cpu.loadRealSegment(1, selector);
    cpu.setIp(offLo, 0, opSize === 2 ? 2 : 4);
    cpu.blockBreak = true;
    return;
  }
  const target = readCode(cpu, selector);
  const attr = target.attr;
  if ((attr & 0x18) === 0x18) {
    checkDirectCode(cpu, target);
    const lo = opSize === 2 ? offLo & 0xffff : offLo;
    checkOffset(cpu, target, lo, offHi);
    cpu.stackLinear(-2 * opSize, 2 * opSize);
    cpu.push(opSize, oldCs, 0);
    cpu.push(opSize, retLo, retHi);
    commitCode(cpu, target, s[I_CPL]!, lo, offHi);
    return;
  }
  const type = attr & 0x1f;
  if (type === 0x04 || type === 0x0c) {
    checkGate(cpu, selector, attr);
    const gate = readCallGate(cpu, target.desc, attr);
    const code = gateTarget(cpu, gate.selector);
    checkOffset(cpu, code, gate.offLo, gate.offHi);
    const cpl = s[I_CPL]!;
    const dpl = (code.attr >> 5) & 3;
    const width = gate.gate64 ? 8 : gate.gate32 ? 4 : 2;
    if ((code.attr & 0x04) === 0 && dpl < cpl) {
      callToInnerLevel(cpu, gate, code, dpl, width, oldCs, retLo, retHi);
      return;
    }
    cpu.stackLinear(-2 * width, 2 * width);
    cpu.push(width, oldCs, 0);
    cpu.push(width, retLo, retHi);
    commitCode(cpu, code, cpl, gate.offLo, gate.offHi);
    return;
  }
  if (!cpu.longModeActive() && (type === 0x05 || type === 0x01 || type === 0x09)) {
    checkGate(cpu, selector, attr);
    taskSwitch(cpu, type === 0x05 ? target.desc.lo >>> 16 : selector, TaskSwitchReason.Call, -1, 0);
    cpu.blockBreak = true;
    return;
  }
  cpu.raise(VEC_GP, selector & 0xfffc);
}

/**
 * CALL through a call gate to a more privileged non-conforming segment (SDM Vol. 3, 5.8.5): switch
 * to the inner stack from the TSS, push the caller's SS:rSP, copy the gate's parameter count of
 * words/dwords from the caller's stack (not in IA-32e mode), then push CS:rIP.
 */
function callToInnerLevel(cpu: Cpu, gate: ReturnType<typeof readCallGate>, code: CodeTarget, dpl: number, width: number,
  oldCs: number, retLo: number, retHi: number): void {
  const s = cpu.s;
  const oldSs = s[I_SEG_SEL + 2]!, oldSpLo = s[I_GPR + 8]!, oldSpHi = s[I_GPR + 9]!;
  const values: [number, number][] = [];
  values.push([oldSs, 0], [oldSpLo, width === 8 ? oldSpHi : 0]);
  if (!gate.gate64) {
    for (let i = gate.params - 1; i >= 0; i--) {
      const linear = cpu.stackLinear(i * width, width);
      values.push([width === 2 ? cpu.read16(linear) : cpu.read32(linear), 0]);
    }
  }
  values.push([oldCs, 0], [retLo, width === 8 ? retHi : 0]);
  if (gate.gate64) {
    const [rspLo, rspHi] = cpu.withSupervisor(() => longStack(cpu, tss64RspOffset(dpl)));
    if ((rspHi >> 15) !== 0 && (rspHi >> 15) !== -1) cpu.raise(VEC_SS, 0);
    let lo = (rspLo & ~0xf) >>> 0, hi = rspHi;
    for (const [vLo, vHi] of values) {
      if (lo < 8) hi = (hi - 1) | 0;
      lo = (lo - 8) >>> 0;
      const linear = cpu.linear64(lo, hi, 2);
      cpu.supervisorWrite(linear, 4, vLo);
      cpu.supervisorWrite(linear + 4, 4, vHi);
    }
    setSegmentCache(cpu, 2, dpl, 0, 0xffffffff, 0x93 | (dpl << 5) | 0xc000);
    s[I_GPR + 8] = lo | 0;
    s[I_GPR + 9] = hi;
    commitCode(cpu, code, dpl, gate.offLo, gate.offHi);
    return;
  }
  const stack = cpu.withSupervisor(() => legacyStackFor(cpu, dpl));
  const ssSel = stack.ss & 0xffff;
  if ((ssSel & 0xfffc) === 0) cpu.raise(VEC_TS, 0);
  const ssDesc = readDescriptor(cpu, ssSel);
  const ssAttr = descriptorAttr(ssDesc.hi);
  if ((ssSel & 3) !== dpl || ((ssAttr >> 5) & 3) !== dpl || (ssAttr & 0x1a) !== 0x12) cpu.raise(VEC_TS, ssSel & 0xfffc);
  if ((ssAttr & 0x80) === 0) cpu.raise(VEC_SS, ssSel & 0xfffc);
  const base = descriptorBase(ssDesc.lo, ssDesc.hi), limit = descriptorLimit(ssDesc.lo, ssDesc.hi);
  const spMask = (ssAttr & 0x4000) !== 0 ? 0xffffffff : 0xffff;
  let sp = stack.sp >>> 0;
  for (const [v] of values) {
    sp = ((sp - width) & spMask) >>> 0;
    if (sp + width - 1 > limit) cpu.raise(VEC_SS, ssSel & 0xfffc);
    cpu.supervisorWrite((base + sp) >>> 0, width, v);
  }
  cpu.markAccessedDescriptor(ssDesc);
  setSegmentCache(cpu, 2, ssSel, base, limit, ssAttr | 1);
  if (spMask === 0xffff) cpu.g16[16] = sp;
  else { s[I_GPR + 8] = sp | 0; s[I_GPR + 9] = 0; }
  commitCode(cpu, code, dpl, gate.offLo, 0);
}

/** RETF / RETF imm16, to the same or an outer privilege level. */
export function farReturn(cpu: Cpu, opSize: number, release: number): void {
  const s = cpu.s;
  const read = (i: number): [number, number] => {
    const linear = cpu.stackLinear(i * opSize, opSize);
    if (opSize === 8) { const lo = cpu.read64(linear); return [lo, cpu.hi]; }
    return [opSize === 2 ? cpu.read16(linear) : cpu.read32(linear), 0];
  };
  const [ipLo, ipHi] = read(0);
  const csSel = read(1)[0] & 0xffff;
  if (isRealLike(cpu)) {
    cpu.adjustSp(2 * opSize);
    cpu.loadRealSegment(1, csSel);
    cpu.setIp(ipLo, 0, opSize === 2 ? 2 : 4);
    cpu.adjustSp(release);
    cpu.blockBreak = true;
    return;
  }
  const cpl = s[I_CPL]!;
  const target = readCode(cpu, csSel);
  const rpl = csSel & 3, dpl = (target.attr >> 5) & 3;
  const error = csSel & 0xfffc;
  if ((target.attr & 0x18) !== 0x18 || rpl < cpl) cpu.raise(VEC_GP, error);
  if ((target.attr & 0x04) !== 0 ? dpl > rpl : dpl !== rpl) cpu.raise(VEC_GP, error);
  if ((target.attr & 0x80) === 0) cpu.raise(VEC_NP, error);
  const lo = opSize === 2 ? ipLo & 0xffff : ipLo;
  checkOffset(cpu, target, lo, ipHi);
  if (rpl === cpl) {
    cpu.adjustSp(2 * opSize + release);
    commitCode(cpu, target, cpl, lo, ipHi);
    return;
  }
  // Return to an outer level: the caller's SS:rSP sit above the released parameters.
  const spSlot = 2 + release / opSize;
  const linearSp = cpu.stackLinear(spSlot * opSize, 2 * opSize);
  let spLo: number, spHi = 0;
  if (opSize === 8) { spLo = cpu.read64(linearSp); spHi = cpu.hi; }
  else spLo = opSize === 2 ? cpu.read16(linearSp) : cpu.read32(linearSp);
  const ssSel = (opSize === 2 ? cpu.read16(cpu.wrapLinear(linearSp + 2)) : cpu.read16(cpu.wrapLinear(linearSp + opSize))) & 0xffff;
  let ssDesc: Descriptor | null = null, ssAttr = 0;
  const to64 = cpu.longModeActive() && (target.attr & 0x2000) !== 0;
  if ((ssSel & 0xfffc) === 0) {
    if (!(to64 && rpl !== 3)) cpu.raise(VEC_GP, 0);
  } else {
    ssDesc = readDescriptor(cpu, ssSel);
    ssAttr = descriptorAttr(ssDesc.hi);
    if ((ssSel & 3) !== rpl || ((ssAttr >> 5) & 3) !== rpl || (ssAttr & 0x1a) !== 0x12) cpu.raise(VEC_GP, ssSel & 0xfffc);
    if ((ssAttr & 0x80) === 0) cpu.raise(VEC_SS, ssSel & 0xfffc);
  }
  commitCode(cpu, target, rpl, lo, ipHi);
  if (ssDesc) setSegmentCache(cpu, 2, ssSel, descriptorBase(ssDesc.lo, ssDesc.hi), descriptorLimit(ssDesc.lo, ssDesc.hi), ssAttr | 1);
  else setSegmentCache(cpu, 2, ssSel, 0, 0xffffffff, 0x93 | (rpl << 5) | 0xc000);
  if (opSize === 2 || (ssAttr & 0x4000) === 0 && !to64) cpu.g16[16] = spLo;
  else { s[I_GPR + 8] = spLo; s[I_GPR + 9] = opSize === 8 ? spHi : 0; }
  cpu.adjustSp(release);
  nullInaccessibleSegments(cpu, rpl);
}
