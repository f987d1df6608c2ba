import type { Cpu } from '../cpu.js';
import { OpKind, type Instr } from '../decode/instr.js';
import { CF, DF, getFlags, IF, IOPL, LazyOp } from './flags.js';
import { I_CPL, I_CR, I_MSR_APIC_BASE, I_GDTR_BASE, I_GDTR_LIMIT, I_IDTR_BASE, I_IDTR_LIMIT, I_LAZY_OP, I_MODE, I_RFLAGS, I_SEG_SEL, I_SHADOW, I_XCR0 } from '../state/cpu-state.js';
import { DecodeMode } from '../decode/decoder.js';
import { loadDataSegment } from './segment.js';
import { cpuidLookup } from '../cpuid.js';

const VEC_UD = 6, VEC_GP = 13;

export function mov_from_sreg(cpu: Cpu, ins: Instr): void {
  const selector = cpu.s[I_SEG_SEL + ins.reg1]! & 0xffff;
  // To a register the selector is zero-extended at the operand size; to memory 16 bits are written.
  if (ins.kind0 === OpKind.Reg) cpu.setReg(ins.reg0, ins.size0, selector, 0);
  else cpu.write16(cpu.linear(ins, 2), selector);
}

export function mov_to_sreg(cpu: Cpu, ins: Instr): void {
  const seg = ins.reg0;
  if (seg === 1 || seg > 5) cpu.raise(VEC_UD); // MOV to CS is invalid (SDM Vol. 2, MOV)
  const selector = cpu.readSource(ins, ins.kind1, ins.reg1, 2);
  loadDataSegment(cpu, seg, selector);
  // MOV SS inhibits interrupts and debug traps until after the next instruction (SDM Vol. 2, MOV):
  // shadow 2 (STI's is 1, which does not hold back a single-step #DB).
  if (seg === 2) { cpu.s[I_SHADOW] = 2; cpu.blockBreak = true; }
}

/** LDS/LES/LFS/LGS/LSS: load a far pointer into seg:reg. */
function loadFarPointer(cpu: Cpu, ins: Instr, seg: number): void {
  const size = ins.opSize;
  const linear = cpu.linear(ins, size + 2);
  const offset = cpu.readMem(linear, size === 8 ? 8 : size), offHi = cpu.hi;
  const selector = cpu.read16(cpu.wrapLinear(linear + size));
  loadDataSegment(cpu, seg, selector);
  cpu.setReg(ins.reg0, size, offset, offHi);
  if (seg === 2) cpu.blockBreak = true;
}

export const les = (cpu: Cpu, ins: Instr): void => loadFarPointer(cpu, ins, 0);
export const lss = (cpu: Cpu, ins: Instr): void => loadFarPointer(cpu, ins, 2);
export const lds = (cpu: Cpu, ins: Instr): void => loadFarPointer(cpu, ins, 3);
export const lfs = (cpu: Cpu, ins: Instr): void => loadFarPointer(cpu, ins, 4);
export const lgs = (cpu: Cpu, ins: Instr): void => loadFarPointer(cpu, ins, 5);

export function cpuid(cpu: Cpu): void {
  const g = cpu.g32;
  // Inputs first: the answers below overwrite EAX and ECX.
  const requested = g[0]! >>> 0, subleaf = g[2]! >>> 0;
  const leaf = cpuidLookup(cpu.features, requested, subleaf);
  cpu.setReg(0, 4, leaf.eax | 0, 0);
  cpu.setReg(6, 4, leaf.ebx | 0, 0);
  cpu.setReg(2, 4, leaf.ecx | 0, 0);
  cpu.setReg(4, 4, leaf.edx | 0, 0);
  // Topology, the same in leaves 1, 4 and 0Bh: one package whose cores are the vCPUs, one thread
  // per core; core IDs take `coreBits` bits of the APIC ID.
  const count = cpu.code.cpus.length;
  const coreBits = count <= 1 ? 0 : 32 - Math.clz32(count - 1);
  if (leaf.leaf === 1) {
    // EBX[31:24]: the initial APIC ID (the vCPU number). With several vCPUs, EBX[23:16] is the number
    // of logical processors in the package and EDX.HTT (bit 28) says that field is valid (SDM Vol. 2,
    // CPUID, Table 3-10; QEMU sets both from the same count).
    g[6] = (g[6]! & 0x00ffffff) | (cpu.id << 24);
    if (count > 1) {
      g[6] = (g[6]! & ~0x00ff0000) | (count << 16);
      g[4] = g[4]! | (1 << 28);
    }
    // A hardware-disabled local APIC (IA32_APIC_BASE[11] = 0) clears CPUID.01H:EDX.APIC[bit 9]: the
    // processor is then "functionally equivalent to an IA-32 processor without an on-chip APIC"
    // (SDM Vol. 3, 11.4.3).
    if (cpu.apic !== null && (cpu.s[I_MSR_APIC_BASE]! & (1 << 11)) === 0) g[4] = g[4]! & ~(1 << 9);
  }
  if (leaf.leaf === 4 && (g[0]! & 0x1f) !== 0) {
    // Deterministic cache parameters (SDM Vol. 2, CPUID leaf 04H): EAX[31:26] = addressable core IDs
    // in the package - 1; EAX[25:14] = addressable logical processors sharing the cache - 1: one
    // thread for the per-core L1/L2, the whole package for the L3.
    const shared = ((g[0]! >> 5) & 7) === 3 ? (1 << coreBits) - 1 : 0;
    g[0] = (g[0]! & 0x3fff) | (shared << 14) | (((1 << coreBits) - 1) << 26);
  }
  if (leaf.leaf === 0xb) {
    // x2APIC topology (SDM Vol. 2, CPUID leaf 0Bh): one thread per core, the vCPUs are the cores of
    // one package; EDX is the x2APIC ID of this vCPU at every level.
    const sub = subleaf & 0xff;
    const [eax, ebx, ecx] = sub === 0 ? [0, 1, 0x100] : sub === 1 ? [coreBits, count, 0x201] : [0, 0, sub];
    cpu.setReg(0, 4, eax, 0);
    cpu.setReg(6, 4, ebx, 0);
    cpu.setReg(2, 4, ecx, 0);
    cpu.setReg(4, 4, cpu.id, 0);
  }
  // Leaf 1 ECX bit 27 (OSXSAVE) reflects CR4.OSXSAVE (bit 18).
  if (leaf.leaf === 1 && (cpu.s[I_CR + 8]! & (1 << 18)) !== 0) g[2] = g[2]! | (1 << 27);
}

/** RDTSC: #GP when CR4.TSD is set outside CPL 0 (SDM Vol. 2, RDTSC). */
export function rdtsc(cpu: Cpu): void {
  const s = cpu.s;
  if ((s[I_CR + 8]! & (1 << 2)) !== 0 && s[I_CPL] !== 0) cpu.raise(VEC_GP, 0);
  const tsc = cpu.readTsc();
  cpu.setReg(0, 4, Number(tsc & 0xffffffffn) | 0, 0);
  cpu.setReg(4, 4, Number((tsc >> 32n) & 0xffffffffn) | 0, 0);
}

export function ud(cpu: Cpu): void {
  cpu.raise(VEC_UD);
}

/** FWAIT with no unmasked x87 exception pending: CR0.MP and TS → #NM (SDM Vol. 3, 2.5). */
export function fwait(cpu: Cpu): void {
  const cr0 = cpu.s[I_CR]!;
  if ((cr0 & 0xa) === 0xa) cpu.raise(7);
}

/** PAUSE: a spin-wait hint; with several vCPUs it ends this vCPU's quantum (like pause-loop exiting). */
export function pause(cpu: Cpu): void {
  cpu.pauseHint();
}

function setFlag(cpu: Cpu, bit: number, on: boolean): void {
  const s = cpu.s;
  const flags = bit === CF ? getFlags(s) : s[I_RFLAGS]!;
  s[I_RFLAGS] = on ? flags | bit : flags & ~bit;
  if (bit === CF) s[I_LAZY_OP] = LazyOp.None;
}

export const clc = (cpu: Cpu): void => setFlag(cpu, CF, false);
export const stc = (cpu: Cpu): void => setFlag(cpu, CF, true);
export const cmc = (cpu: Cpu): void => setFlag(cpu, CF, (getFlags(cpu.s) & CF) === 0);
export const cld = (cpu: Cpu): void => setFlag(cpu, DF, false);
export const std = (cpu: Cpu): void => setFlag(cpu, DF, true);

/** CLI/STI need CPL <= IOPL in protected mode (VME/PVI handled by the system layer). */
function checkIopl(cpu: Cpu): void {
  const s = cpu.s;
  if (s[I_MODE] === DecodeMode.Real) return;
  if (s[I_CPL]! > ((s[I_RFLAGS]! & IOPL) >> 12)) cpu.raise(VEC_GP, 0);
}

export function cli(cpu: Cpu): void {
  checkIopl(cpu);
  cpu.s[I_RFLAGS] = cpu.s[I_RFLAGS]! & ~IF;
}

/**
 * STI: interrupts stay blocked until after the next instruction (SDM Vol. 2, STI). The block ends
 * here so that the run loop executes that next instruction alone and then takes a pending interrupt.
 */
export function sti(cpu: Cpu): void {
  checkIopl(cpu);
  const s = cpu.s;
  if ((s[I_RFLAGS]! & IF) === 0) {
    s[I_SHADOW] = 1;
    cpu.blockBreak = true;
  }
  s[I_RFLAGS] = s[I_RFLAGS]! | IF;
}

/** LGDT/LIDT: 6-byte (16/32-bit: 24-bit base with a 16-bit operand) or 10-byte pseudo-descriptor. */
function loadTableRegister(cpu: Cpu, ins: Instr, baseIndex: number, limitIndex: number): void {
  const s = cpu.s;
  const long = s[I_MODE] === DecodeMode.Long64;
  const linear = cpu.linear(ins, long ? 10 : 6);
  const limit = cpu.read16(linear);
  let lo = cpu.read32(cpu.wrapLinear(linear + 2)), hi = 0;
  if (long) {
    hi = cpu.read32(cpu.wrapLinear(linear + 6));
    // 64-bit mode: a non-canonical new base is #GP(0) (SDM Vol. 2, LGDT/LIDT, 64-Bit Mode Exceptions).
    if ((hi >> 15) !== 0 && (hi >> 15) !== -1) cpu.raise(VEC_GP, 0);
  } else if (ins.opSize === 2) lo &= 0xffffff;
  s[limitIndex] = limit;
  s[baseIndex] = lo;
  s[baseIndex + 1] = hi;
}

function storeTableRegister(cpu: Cpu, ins: Instr, baseIndex: number, limitIndex: number): void {
  const s = cpu.s;
  const long = s[I_MODE] === DecodeMode.Long64;
  const linear = cpu.linear(ins, long ? 10 : 6);
  cpu.probeWrite(linear, long ? 10 : 6);
  cpu.write16(linear, s[limitIndex]!);
  cpu.write32(cpu.wrapLinear(linear + 2), s[baseIndex]!);
  if (long) cpu.write32(cpu.wrapLinear(linear + 6), s[baseIndex + 1]!);
}

export const lgdt = (cpu: Cpu, ins: Instr): void => loadTableRegister(cpu, ins, I_GDTR_BASE, I_GDTR_LIMIT);
export const lidt = (cpu: Cpu, ins: Instr): void => loadTableRegister(cpu, ins, I_IDTR_BASE, I_IDTR_LIMIT);
export const sgdt = (cpu: Cpu, ins: Instr): void => storeTableRegister(cpu, ins, I_GDTR_BASE, I_GDTR_LIMIT);
export const sidt = (cpu: Cpu, ins: Instr): void => storeTableRegister(cpu, ins, I_IDTR_BASE, I_IDTR_LIMIT);

/** SMSW: the low 16 bits of CR0 (a register destination gets more at larger operand sizes). */
export function smsw(cpu: Cpu, ins: Instr): void {
  const cr0 = cpu.s[I_CR]!;
  if (ins.kind0 === OpKind.Reg) cpu.setReg(ins.reg0, ins.size0, ins.size0 === 2 ? cr0 & 0xffff : cr0, 0);
  else cpu.write16(cpu.linear(ins, 2), cr0 & 0xffff);
}

/** LMSW: loads PE, MP, EM, TS; it can set PE but never clear it (SDM Vol. 2, LMSW). */
export function lmsw(cpu: Cpu, ins: Instr): void {
  const value = cpu.readSource(ins, ins.kind0, ins.reg0, 2);
  const cr0 = cpu.s[I_CR]!;
  cpu.writeCr(0, (cr0 & ~0xe) | (value & 0xf) | (cr0 & 1), 0);
}

export function clts(cpu: Cpu): void {
  cpu.s[I_CR] = cpu.s[I_CR]! & ~8;
}

export function mov_from_cr(cpu: Cpu, ins: Instr): void {
  const n = ins.reg1;
  if (n !== 0 && n !== 2 && n !== 3 && n !== 4 && n !== 8) cpu.raise(VEC_UD);
  const lo = cpu.readCr(n);
  cpu.setReg(ins.reg0, ins.size0, lo, cpu.hi);
}

export function mov_to_cr(cpu: Cpu, ins: Instr): void {
  const n = ins.reg0;
  if (n !== 0 && n !== 2 && n !== 3 && n !== 4 && n !== 8) cpu.raise(VEC_UD);
  const lo = cpu.getReg(ins.reg1, ins.size1), hi = ins.size1 === 8 ? cpu.hi : 0;
  cpu.writeCr(n, lo, hi);
}

export function invlpg(cpu: Cpu): void {
  cpu.flushTlb();
}

export function wbinvd(): void {}

/** XGETBV: ECX selects the XCR; only XCR0 exists (SDM Vol. 2, XGETBV). */
export function xgetbv(cpu: Cpu): void {
  const s = cpu.s;
  if ((s[I_CR + 8]! & (1 << 18)) === 0) cpu.raise(VEC_UD);
  if (cpu.g32[2] !== 0) cpu.raise(VEC_GP, 0);
  cpu.setReg(0, 4, s[I_XCR0]!, 0);
  cpu.setReg(4, 4, s[I_XCR0 + 1]!, 0);
}

/**
 * Instructions whose execution belongs to a later layer (system architecture: descriptor tables,
 * MSRs, SYSCALL...; x87/SSE). They decode fully; executing one raises #UD as on a CPU without the
 * feature, and the CPU counts it so traces show what the guest wanted.
 */
export function unimplemented(cpu: Cpu, ins: Instr): void {
  cpu.noteUnimplemented(ins);
  cpu.raise(VEC_UD);
}

