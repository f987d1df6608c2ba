import type { Cpu } from '../cpu.js';
import { getFlags, NT, VM } from '../exec/flags.js';
import { descriptorAttr, descriptorBase, descriptorLimit, loadDataSegment, readDescriptor, setSegmentCache } from '../exec/segment.js';
import { I_CPL, I_CR, I_EFER, I_GDTR_LIMIT, I_GPR, I_LAZY_OP, I_RFLAGS, I_RIP, I_SEG_ATTR, I_SEG_BASE, I_SEG_SEL } from '../state/cpu-state.js';
import type { Descriptor } from '../exec/segment.js';
import { TSS16_AVAILABLE, TSS16_BUSY, TSS32_AVAILABLE, TSS32_BUSY, trBase } from './tss.js';

/**
 * Hardware task switching (SDM Vol. 3, 7.3): JMP/CALL to a TSS or task gate, task gates in the
 * IDT, and IRET with NT set. Windows NT-family kernels rely on it for #DF.
 */
export const enum TaskSwitchReason { Jmp, Call, Iret, InterruptGate }

const VEC_TS = 10, VEC_NP = 11, VEC_GP = 13;

/** 32-bit TSS field offsets (SDM Vol. 3, Figure 7-2). */
const TSS32 = { link: 0, cr3: 28, eip: 32, eflags: 36, gpr: 40, es: 72, ldt: 96 } as const;
/** 16-bit TSS field offsets (SDM Vol. 3, Figure 7-11). */
const TSS16 = { link: 0, ip: 14, flags: 16, gpr: 18, es: 34, ldt: 42 } as const;

function setBusy(cpu: Cpu, selector: number, busy: boolean): void {
  const desc = cpu.withSupervisor(() => readDescriptor(cpu, selector));
  const hi = busy ? desc.hi | 0x200 : desc.hi & ~0x200;
  cpu.supervisorWrite(cpu.wrapLinear(desc.linear + 4), 4, hi);
}

export function taskSwitch(cpu: Cpu, selector: number, reason: TaskSwitchReason, errorCode: number, ext: number): void {
  const s = cpu.s;
  selector &= 0xffff;
  // The new TSS descriptor must be in the GDT and be a TSS of the right busy state.
  if ((selector & 4) !== 0 || (selector & 0xfffc) === 0) cpu.raise(VEC_GP, (selector & 0xfffc) + ext);
  const desc = cpu.withSupervisor(() => readDescriptor(cpu, selector));
  const attr = descriptorAttr(desc.hi);
  const type = attr & 0x1f;
  const wantBusy = reason === TaskSwitchReason.Iret;
  const ok = wantBusy ? type === TSS16_BUSY || type === TSS32_BUSY : type === TSS16_AVAILABLE || type === TSS32_AVAILABLE;
  if (!ok) cpu.raise(reason === TaskSwitchReason.Iret ? VEC_TS : VEC_GP, (selector & 0xfffc) + ext);
  if ((attr & 0x80) === 0) cpu.raise(VEC_NP, (selector & 0xfffc) + ext);
  const new32 = (type & 8) !== 0;
  const newBase = descriptorBase(desc.lo, desc.hi);
  const newLimit = descriptorLimit(desc.lo, desc.hi);
  if (newLimit < (new32 ? 0x67 : 0x2b)) cpu.raise(VEC_TS, (selector & 0xfffc) + ext);

  // Save the outgoing task's state into its TSS.
  const oldSelector = s[I_SEG_SEL + 7]!;
  const old32 = (s[I_SEG_ATTR + 7]! & 8) !== 0;
  const oldBase = trBase(cpu);
  let flags = getFlags(s);
  if (reason === TaskSwitchReason.Jmp || reason === TaskSwitchReason.Iret) flags &= ~NT;
  const w = (offset: number, size: number, value: number) => cpu.supervisorWrite(cpu.wrapLinear(oldBase + offset), size, value);
  if (old32) {
    w(TSS32.eip, 4, s[I_RIP]!);
    w(TSS32.eflags, 4, flags);
    for (let r = 0; r < 8; r++) w(TSS32.gpr + 4 * r, 4, s[I_GPR + 2 * r]!);
    for (let seg = 0; seg < 6; seg++) w(TSS32.es + 4 * seg, 2, s[I_SEG_SEL + seg]!);
  } else {
    w(TSS16.ip, 2, s[I_RIP]! & 0xffff);
    w(TSS16.flags, 2, flags & 0xffff);
    for (let r = 0; r < 8; r++) w(TSS16.gpr + 2 * r, 2, s[I_GPR + 2 * r]! & 0xffff);
    for (let seg = 0; seg < 4; seg++) w(TSS16.es + 2 * seg, 2, s[I_SEG_SEL + seg]!);
  }
  if (reason === TaskSwitchReason.Jmp || reason === TaskSwitchReason.Iret) setBusy(cpu, oldSelector, false);

  // Read the incoming task's state.
  const r = (offset: number, size: number) => cpu.supervisorRead(cpu.wrapLinear(newBase + offset), size);
  const regs: number[] = [];
  let eip: number, eflags: number, cr3 = -1, ldt: number;
  const sels: number[] = [];
  if (new32) {
    cr3 = r(TSS32.cr3, 4);
    eip = r(TSS32.eip, 4);
    eflags = r(TSS32.eflags, 4);
    for (let i = 0; i < 8; i++) regs.push(r(TSS32.gpr + 4 * i, 4));
    for (let seg = 0; seg < 6; seg++) sels.push(r(TSS32.es + 4 * seg, 2));
    ldt = r(TSS32.ldt, 2);
  } else {
    eip = r(TSS16.ip, 2);
    eflags = r(TSS16.flags, 2) | (flags & 0xffff0000 & ~VM);
    for (let i = 0; i < 8; i++) regs.push(r(TSS16.gpr + 2 * i, 2) | (s[I_GPR + 2 * i]! & 0xffff0000));
    for (let seg = 0; seg < 4; seg++) sels.push(r(TSS16.es + 2 * seg, 2));
    sels.push(0, 0);
    ldt = r(TSS16.ldt, 2);
  }
  if (reason === TaskSwitchReason.Call || reason === TaskSwitchReason.InterruptGate) {
    eflags |= NT;
    cpu.supervisorWrite(cpu.wrapLinear(newBase + TSS32.link), 2, oldSelector);
  }
  if (reason !== TaskSwitchReason.Iret) setBusy(cpu, selector, true);

  // Commit: TR, CR0.TS, CR3, registers, then the segment registers with their checks.
  setSegmentCache(cpu, 7, selector, newBase, newLimit, attr | 0x02);
  s[I_CR] = s[I_CR]! | 8;
  if (cr3 >= 0 && s[I_CR]! < 0) cpu.writeCr(3, cr3, 0);
  s[I_RFLAGS] = (eflags | 2) & ~0x8028;
  s[I_LAZY_OP] = 0;
  for (let i = 0; i < 8; i++) { s[I_GPR + 2 * i] = regs[i]!; s[I_GPR + 2 * i + 1] = 0; }
  s[I_RIP] = eip;
  s[I_RIP + 1] = 0;
  const v86 = (eflags & VM) !== 0;
  s[I_CPL] = v86 ? 3 : sels[1]! & 3;
  loadLdt(cpu, ldt, ext);
  if (v86) {
    for (let seg = 0; seg < 6; seg++) setSegmentCache(cpu, seg, sels[seg]!, sels[seg]! << 4, 0xffff, seg === 1 ? 0xfb : 0xf3);
  } else {
    const cs = sels[1]!;
    if ((cs & 0xfffc) === 0) cpu.raise(VEC_TS, ext);
    const csDesc = cpu.withSupervisor(() => readDescriptor(cpu, cs));
    const csAttr = descriptorAttr(csDesc.hi);
    if ((csAttr & 0x18) !== 0x18) cpu.raise(VEC_TS, (cs & 0xfffc) + ext);
    if ((csAttr & 0x80) === 0) cpu.raise(VEC_NP, (cs & 0xfffc) + ext);
    setSegmentCache(cpu, 1, cs, descriptorBase(csDesc.lo, csDesc.hi), descriptorLimit(csDesc.lo, csDesc.hi), csAttr | 1);
    for (const seg of [2, 0, 3, 4, 5]) loadDataSegment(cpu, seg, sels[seg]!);
  }
  cpu.updateMode();
  if (errorCode >= 0) cpu.push(new32 ? 4 : 2, errorCode, 0);
}

/**
 * Base of an LDT or TSS descriptor as (lo, hi) halves. In IA-32e mode these system descriptors are
 * 16 bytes: the third dword holds base bits 63:32 and the type field of the fourth must be 0; the
 * whole 16 bytes must be within the GDT limit and the base canonical (SDM Vol. 3, 3.5.2 "Segment
 * Descriptor Tables in IA-32e Mode" and "TSS Descriptor in 64-bit Mode"; Vol. 2, LLDT/LTR "64-Bit
 * Mode Exceptions"). Raises
 * `vector`(selector) otherwise. Outside IA-32e mode the high half is 0.
 */
export function systemDescriptorBase(cpu: Cpu, desc: Descriptor, selector: number, vector: number, ext = 0): [number, number] {
  const lo = descriptorBase(desc.lo, desc.hi) | 0;
  if ((cpu.s[I_EFER]! & (1 << 10)) === 0) return [lo, 0];
  const error = (selector & 0xfffc) + ext;
  if ((selector & 0xfff8) + 15 > (cpu.s[I_GDTR_LIMIT]! >>> 0)) cpu.raise(vector, error);
  const hi = cpu.supervisorRead(cpu.wrapLinear(desc.linear + 8), 4);
  const upper = cpu.supervisorRead(cpu.wrapLinear(desc.linear + 12), 4);
  if ((upper & 0x1f00) !== 0 || ((hi >> 15) !== 0 && (hi >> 15) !== -1)) cpu.raise(vector, error);
  return [lo, hi];
}

/**
 * Load LDTR from a selector (task switch: faults are #TS; LLDT: #GP): a null selector leaves LDTR
 * unusable; otherwise the descriptor must be an LDT (type 2) in the GDT, present (#NP).
 */
export function loadLdt(cpu: Cpu, selector: number, ext = 0, vector = VEC_TS): void {
  if ((selector & 0xfffc) === 0) {
    setSegmentCache(cpu, 6, selector, 0, 0, 0);
    return;
  }
  if ((selector & 4) !== 0) cpu.raise(vector, (selector & 0xfffc) + ext);
  const desc = cpu.withSupervisor(() => readDescriptor(cpu, selector));
  const attr = descriptorAttr(desc.hi);
  if ((attr & 0x1f) !== 0x02) cpu.raise(vector, (selector & 0xfffc) + ext);
  if ((attr & 0x80) === 0) cpu.raise(VEC_NP, (selector & 0xfffc) + ext);
  const [lo, hi] = systemDescriptorBase(cpu, desc, selector, vector, ext);
  setSegmentCache(cpu, 6, selector, 0, descriptorLimit(desc.lo, desc.hi), attr);
  cpu.s[I_SEG_BASE + 12] = lo;
  cpu.s[I_SEG_BASE + 13] = hi;
}
