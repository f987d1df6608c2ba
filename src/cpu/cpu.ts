import { PhysicalMemory, PAGE_SIZE } from '../mem/physical-memory.js';
import type { PortIo } from './port-io.js';
import { CpuState, I_DR, I_GDTR_LIMIT, I_CPL, I_CR, I_EFER, I_GPR, I_HALTED, I_IDTR_BASE, I_IDTR_LIMIT, I_MODE, I_RFLAGS, I_RIP, I_SEG_ATTR, I_SEG_BASE, I_SEG_LIMIT, I_SEG_SEL, I_SHADOW } from './state/cpu-state.js';
import { LAYOUT } from './state/layout.js';
import { Decoder, DecodeMode } from './decode/decoder.js';
import { Instr, OpKind } from './decode/instr.js';
import { OpcodeIndex, ATTR_BRANCH } from './decode/compile.js';
import { ALL_ROWS } from './decode/maps/index.js';
import { HANDLER_TABLE, executeFault } from './exec/handlers.js';
import { specialize } from './exec/fast-paths.js';
import { getFlags, IF, TF, AC, RF } from './exec/flags.js';
import { CpuFeatures, DEFAULT_FEATURES } from './cpuid.js';
import { ACCESS_FETCH, ACCESS_READ, ACCESS_WRITE, PageWalker, type PagingConfig } from './mmu/page-walker.js';
import { deliverProtected } from './system/delivery.js';
import { iretProtected } from './system/iret.js';
import { writeControlRegister } from './system/control-registers.js';
import { resetMsrs } from './system/msr.js';
import { resetFpuState } from './fpu/fpu-layout.js';
import type { Descriptor } from './exec/segment.js';
import type { CpuLocalApic } from './local-apic-port.js';
import { I_MSR_APIC_BASE, I_MSR_MTRR_DEF_TYPE, I_MSR_MTRR_FIXED, I_MSR_MTRR_VAR, I_MSR_PAT } from './state/cpu-state.js';

/** `I_HALTED` values: running (0), HLT (1), waiting for a start-up IPI after INIT (2; SDM Vol. 3, 9.4.2). */
export const HALT_NONE = 0, HALT_HLT = 1, HALT_WAIT_SIPI = 2;

/** Why `Cpu.run` returned. */
export const enum ExitReason {
  /** The instruction budget is used up. */
  Budget = 0,
  /** The vCPU executed HLT and no interrupt can wake it. */
  Halted = 1,
  /** An exception was raised and `exitOnException` is set (tests, the emulation assist). */
  Exception = 2,
  /** A fault during double-fault delivery: the machine must reset (SDM Vol. 3, 6.15, #DF). */
  TripleFault = 3,
  /** `requestStop()` was called. */
  Stopped = 4,
}

/** Exception vectors (SDM Vol. 3, Table 6-1). */
export const VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5, VEC_UD = 6, VEC_NM = 7,
  VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13, VEC_PF = 14, VEC_MF = 16, VEC_AC = 17,
  VEC_MC = 18, VEC_XM = 19;

/** Thrown (never allocated per fault) to unwind from a handler to the run loop. */
export const FAULT_SIGNAL: { readonly guestFault: true } = Object.freeze({ guestFault: true });

/** Where interrupts come from (the PIC, or the local APIC later). */
export interface InterruptSource {
  /** True when a maskable interrupt is waiting. */
  hasInterrupt(): boolean;
  /** Acknowledge it and return its vector (INTA cycle). */
  acknowledge(): number;
}

const TLB_BITS = 10;
const TLB_SIZE = 1 << TLB_BITS;
const TLB_MASK = TLB_SIZE - 1;
/** Bytes each vCPU reserves after its state block for its TLB (read tags, write tags, host offsets). */
export const TLB_BYTES = TLB_SIZE * (8 + 8 + 8 + 4 + 4);
export const CPU_BLOCK_BYTES = LAYOUT.size + TLB_BYTES;

const MAX_BLOCK_INSTRUCTIONS = 64;

/** Decoded instructions of one straight-line run, cached by physical address and decode mode. */
class Block {
  valid = true;
  /**
   * Two chained successors (fall-through and branch target, whichever were seen last), each keyed
   * by the linear address it starts at and valid only while the TLB epoch is unchanged (any flush
   * may change what that linear address maps to).
   */
  link0Linear = NaN;
  link0: Block | null = null;
  link0Epoch = -1;
  link1Linear = NaN;
  link1: Block | null = null;
  link1Epoch = -1;
  constructor(readonly instrs: Instr[], readonly page: number, readonly mode: number) {}
}

/** Decoded code of one physical page, keyed by (offset in page << 3 | decode mode). */
class PageCode {
  readonly blocks = new Map<number, Block>();
}

/** Shared by all vCPUs: the decoded-code cache and the decoder tables. */
export class CodeCache {
  readonly pages: (PageCode | undefined)[] = [];
  readonly highPages = new Map<number, PageCode>();
  readonly cpus: Cpu[] = [];

  constructor(readonly memory: PhysicalMemory) {
    memory.onCodeWrite = (page) => this.invalidatePage(page);
    memory.onRemap = (first, count) => {
      for (let page = first; page < first + count; page++) this.invalidatePage(page);
      for (const cpu of this.cpus) cpu.flushTlb();
    };
  }

  lookup(page: number): PageCode | undefined {
    return page < 0x100000 ? this.pages[page] : this.highPages.get(page);
  }

  getOrCreate(page: number): PageCode {
    let code = this.lookup(page);
    if (!code) {
      code = new PageCode();
      if (page < 0x100000) {
        this.pages[page] = code;
        this.memory.codePages[page] = 1;
      } else this.highPages.set(page, code);
      // Writes to this page must now take the slow path, which invalidates the decoded code.
      for (const cpu of this.cpus) cpu.flushWriteTlb();
    }
    return code;
  }

  /** A write hit a page holding decoded code: drop it for every vCPU (DESIGN "Decode once"). */
  invalidatePage(page: number): void {
    const code = this.lookup(page);
    if (!code) return;
    for (const block of code.blocks.values()) block.valid = false;
    if (page < 0x100000) {
      this.pages[page] = undefined;
      this.memory.codePages[page] = 0;
    } else this.highPages.delete(page);
    for (const cpu of this.cpus) cpu.codeInvalidated(page);
  }
}

/**
 * One vCPU: the interpreter over cached decoded instructions. It talks to the world through
 * physical memory (RAM fast path through its TLB, MMIO callbacks) and the port bus.
 */
export class Cpu {
  readonly state: CpuState;
  /** The state block as int32 words (the hot view). */
  readonly s: Int32Array;
  readonly g32: Int32Array;
  readonly g16: Uint16Array;
  readonly g8: Uint8Array;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly decoder: Decoder;
  readonly features: CpuFeatures;

  private readonly tlbReadTag: Float64Array;
  private readonly tlbWriteTag: Float64Array;
  private readonly tlbFetchTag: Float64Array;
  /** Host offset (in the WebAssembly memory) of the page, for RAM/ROM pages. */
  private readonly tlbHost: Uint32Array;
  /** Physical page number of the entry (fetch path and code-cache lookups). */
  private readonly tlbPhysPage: Int32Array;
  /** Counts TLB flushes: chained blocks are valid only within one epoch. */
  private tlbEpoch = 0;
  /** The block executed last, for chaining. */
  private previousBlock: Block | null = null;
  /** Whether the TLB was filled for CPL 3 (user) or for supervisor accesses. */
  private tlbUser = false;
  /** Set while the CPU itself reads system structures (descriptors, TSS, IDT) at CPL 3. */
  implicitSupervisor = false;
  readonly walker: PageWalker;
  readonly paging: PagingConfig = { kind: 0, cr3Lo: 0, cr3Hi: 0, pse: false, wp: false, nxe: false, pdpte: new Int32Array(8), maxPhysBits: 40 };

  /** High 32 bits of the last 64-bit value read through the operand helpers. */
  hi = 0;
  /** Linear address of the memory operand of the current read-modify-write. */
  rmwLinear = 0;
  /** Physical address mask: bit 20 is cleared while the A20 gate is disabled. */
  a20Mask = -1;
  /** Set when the current block must stop (code invalidated, mode changed, ...). */
  blockBreak = false;
  /** Start of the current instruction (for faults, RIP-relative bases use the updated RIP). */
  insRipLo = 0;
  insRipHi = 0;

  /** Exception state for the run loop and for callers when `exitOnException` is set. */
  faultVector = -1;
  faultErrorCode = -1;
  /** When set, exceptions end `run` with ExitReason.Exception instead of being delivered. */
  exitOnException = false;
  /** Extra detail for the last exception (e.g. the faulting linear address of a #PF). */
  faultAddress = 0;

  interruptSource: InterruptSource | null = null;
  /**
   * The vCPU's own local APIC (null: no APIC, e.g. bare test machines): CR8, IA32_APIC_BASE, the
   * x2APIC MSRs and IA32_TSC_DEADLINE reach it; the board also makes it the interrupt source.
   */
  apic: CpuLocalApic | null = null;
  /** Where the time-stamp counter comes from (the board: the machine clock); default: instructions executed. */
  tscSource: (() => bigint) | null = null;
  /** INIT (from the local APIC) is waiting to be processed at the next instruction boundary. */
  private initPending = false;
  /** Vector of a start-up IPI waiting to be processed, or -1. */
  private sipiPending = -1;
  /**
   * FERR# output: called when a waiting x87 instruction meets a pending unmasked exception while
   * CR0.NE = 0 (MS-DOS compatible reporting through IRQ13; fpu/fpu-exceptions.ts). The machine wires it.
   */
  onFerr: (() => void) | null = null;
  /** Execute one instruction per run-loop iteration (tracing, debugging) instead of whole blocks. */
  singleStep = false;
  /**
   * When set, single-stepped instructions (`singleStep`, TF) are decoded from this byte source
   * instead of being fetched at CS:RIP: the emulation assist (src/assist) executes the bytes a VM
   * exit reported without translating RIP. Cached blocks (the other run path) ignore it.
   */
  instructionBytes: ((offset: number) => number) | null = null;
  /** Called on a triple fault or a reset request from the guest (the machine decides). */
  onReset: (() => void) | null = null;
  /**
   * Tracing hooks (the CLI's -d): `onInstruction` runs before each single-stepped instruction
   * (`singleStep`, TF), `onEvent` before each interrupt or exception is delivered (vector, error
   * code or -1, software INT n, external interrupt).
   */
  onInstruction: ((cpu: Cpu) => void) | null = null;
  onEvent: ((vector: number, errorCode: number, software: boolean, external: boolean) => void) | null = null;
  /**
   * Flight recorder for crash reports: when set (length a power of two), the linear address of each
   * cached block entered is written here round-robin; `recentBlockIndex` is the next slot.
   */
  recentBlocks: Float64Array | null = null;
  recentBlockIndex = 0;
  /** Guest instructions executed (for MIPS figures and deterministic time). */
  instructionCount = 0;

  private stopRequested = false;
  private lastPage = -1;
  private lastPageCode: PageCode | null = null;
  private ipMask = 0xffff;

  constructor(
    readonly memory: PhysicalMemory,
    readonly io: PortIo,
    readonly code: CodeCache,
    blockOffset: number,
    readonly id = 0,
    features: CpuFeatures = DEFAULT_FEATURES,
  ) {
    this.state = new CpuState(memory.memory, blockOffset);
    this.s = this.state.i32;
    this.g32 = this.state.gpr32;
    this.g16 = this.state.gpr16;
    this.g8 = this.state.gpr8;
    this.bytes = memory.bytes;
    this.view = memory.view;
    this.features = features;
    const buffer = memory.memory.buffer;
    const tlbAt = blockOffset + LAYOUT.size;
    this.tlbReadTag = new Float64Array(buffer, tlbAt, TLB_SIZE);
    this.tlbWriteTag = new Float64Array(buffer, tlbAt + TLB_SIZE * 8, TLB_SIZE);
    this.tlbFetchTag = new Float64Array(buffer, tlbAt + TLB_SIZE * 16, TLB_SIZE);
    // Unsigned: host offsets reach 4 GiB (RAM of up to 4000 MiB after the vCPU blocks).
    this.tlbHost = new Uint32Array(buffer, tlbAt + TLB_SIZE * 24, TLB_SIZE);
    this.tlbPhysPage = new Int32Array(buffer, tlbAt + TLB_SIZE * 28, TLB_SIZE);
    this.walker = new PageWalker(memory);
    this.decoder = new Decoder(new OpcodeIndex(ALL_ROWS), HANDLER_TABLE, executeFault, features.decoderFeatures);
    code.cpus.push(this);
    this.reset();
  }

  // ---------------------------------------------------------------------------------------------
  // Reset and mode

  /** Power-on / RESET state (SDM Vol. 3, 10.1.1, Table 10-1). */
  reset(): void {
    this.s.fill(0);
    this.s[I_RFLAGS] = 0x2;
    this.s[I_CR] = 0x60000010; // CR0: CD, NW, ET
    for (let seg = 0; seg < 8; seg++) {
      this.s[I_SEG_LIMIT + seg] = 0xffff;
      this.s[I_SEG_ATTR + seg] = seg === 6 ? 0x82 : seg === 7 ? 0x8b : 0x93; // present, data RW accessed
    }
    this.s[I_SEG_SEL + 1] = 0xf000;
    this.s[I_SEG_BASE + 2 * 1] = 0xffff0000 | 0;
    this.s[I_SEG_ATTR + 1] = 0x9b;
    this.s[I_RIP] = 0xfff0;
    // GDTR and IDTR: base 0, limit 0xFFFF (SDM Vol. 3, Table 10-1).
    this.s[I_GDTR_LIMIT] = 0xffff;
    this.s[I_IDTR_LIMIT] = 0xffff;
    this.s[I_GPR + 2 * 2] = this.features.resetEdx; // EDX = processor signature
    this.state.set64(I_EFER, 0n);
    resetMsrs(this);
    resetFpuState(this.s);
    this.updateMode();
    this.flushTlb();
  }

  /**
   * Recompute the decode mode from CR0.PE, RFLAGS.VM, EFER.LMA and the CS cache (SDM Vol. 3, 2.2).
   * Call after anything that changes them.
   */
  updateMode(): void {
    const s = this.s;
    const pe = (s[I_CR]! & 1) !== 0;
    const attr = s[I_SEG_ATTR + 1]!;
    let mode: DecodeMode;
    if (!pe) mode = DecodeMode.Real;
    else if ((s[I_RFLAGS]! & (1 << 17)) !== 0) mode = DecodeMode.V86;
    else if ((s[I_EFER]! & (1 << 10)) !== 0 && (attr & (1 << 13)) !== 0) mode = DecodeMode.Long64;
    else mode = (attr & (1 << 14)) !== 0 ? DecodeMode.Prot32 : DecodeMode.Prot16;
    s[I_MODE] = mode;
    this.ipMask = mode === DecodeMode.Real || mode === DecodeMode.V86 || mode === DecodeMode.Prot16 ? 0xffff : -1;
    if (mode === DecodeMode.Real) s[I_CPL] = 0;
    else if (mode === DecodeMode.V86) s[I_CPL] = 3;
    if ((s[I_CPL] === 3) !== this.tlbUser) {
      // TLB entries carry the permissions of the privilege class they were filled for.
      this.flushTlb();
      this.tlbUser = s[I_CPL] === 3;
    }
    this.blockBreak = true;
  }

  get mode(): DecodeMode {
    return this.s[I_MODE]! as DecodeMode;
  }

  get cpl(): number {
    return this.s[I_CPL]!;
  }

  // ---------------------------------------------------------------------------------------------
  // Faults

  /** Raise an exception: unwinds to the run loop, which restores RIP and delivers it. */
  raise(vector: number, errorCode = -1): never {
    this.faultVector = vector;
    this.faultErrorCode = errorCode;
    throw FAULT_SIGNAL;
  }

  // ---------------------------------------------------------------------------------------------
  // TLB and linear memory access

  flushTlb(): void {
    this.tlbEpoch++;
    this.tlbReadTag.fill(NaN);
    this.tlbWriteTag.fill(NaN);
    this.tlbFetchTag.fill(NaN);
  }

  flushWriteTlb(): void {
    this.tlbWriteTag.fill(NaN);
  }

  /** Another vCPU (or a DMA write) changed code on `page`. */
  codeInvalidated(page: number): void {
    if (page === this.lastPage) {
      this.lastPage = -1;
      this.lastPageCode = null;
    }
    this.blockBreak = true;
  }

  /**
   * Recompute the cached paging configuration from CR0, CR3, CR4 and EFER (call after writing any
   * of them). Loads the PAE PDPTEs when PAE paging is active (SDM Vol. 3, 4.4.1).
   */
  updatePaging(): void {
    const s = this.s;
    const p = this.paging;
    const cr4 = s[I_CR + 8]!;
    const lma = (s[I_EFER]! & (1 << 10)) !== 0;
    p.kind = lma ? 2 : (cr4 & (1 << 5)) !== 0 ? 1 : 0;
    p.cr3Lo = s[I_CR + 6]!;
    p.cr3Hi = s[I_CR + 7]!;
    p.pse = (cr4 & (1 << 4)) !== 0;
    p.wp = (s[I_CR]! & (1 << 16)) !== 0;
    p.nxe = (s[I_EFER]! & (1 << 11)) !== 0;
    if (p.kind === 1 && s[I_CR]! < 0) {
      // PAE CR3 holds bits 31:5 of the PDPT address: it is 32-byte aligned, not page aligned.
      const base = (p.cr3Lo & 0xffffffe0) >>> 0;
      for (let i = 0; i < 8; i++) p.pdpte[i] = this.memory.read(base + i * 4, 4) | 0;
    }
    this.flushTlb();
  }

  /**
   * Linear to physical translation (SDM Vol. 3, 4.1): without CR0.PG the linear address is the
   * physical address; with it, the page walker decides, and a failure raises #PF with CR2 set.
   * The A20 gate masks bit 20 of the physical address.
   */
  translate(linear: number, access: number): number {
    const s = this.s;
    if (s[I_CR]! >= 0) return ((linear & this.a20Mask) >>> 0);
    const user = s[I_CPL] === 3 && !this.implicitSupervisor;
    if (!this.walker.walk(this.paging, linear, access, user)) {
      // CR2 as two halves of the (signed, exact) linear address.
      s[I_CR + 4] = linear | 0;
      s[I_CR + 5] = Math.floor(linear / 4294967296) | 0;
      this.faultAddress = linear;
      this.raise(VEC_PF, this.walker.errorCode);
    }
    const phys = this.walker.result.phys;
    return phys < 4294967296 ? (phys & this.a20Mask) >>> 0 : phys;
  }

  /** Fill the TLB entry for the page of `linear` for an access; returns the physical address. */
  private fillTlb(linear: number, access: number): number {
    const phys = this.translate(linear, access);
    if (this.implicitSupervisor) return phys;
    const user = this.s[I_CPL] === 3;
    if (user !== this.tlbUser) {
      this.flushTlb();
      this.tlbUser = user;
    }
    const paged = this.s[I_CR]! < 0;
    const pageOffset = linear & 0xfff;
    const physPage = phys - (phys & 0xfff);
    const idx = (linear >>> 12) & TLB_MASK;
    const tag = linear - pageOffset;
    const readHost = this.memory.readableHostOffset(physPage);
    if (this.tlbReadTag[idx] !== tag || this.tlbHost[idx] !== readHost) {
      this.tlbReadTag[idx] = NaN;
      this.tlbWriteTag[idx] = NaN;
      this.tlbFetchTag[idx] = NaN;
    }
    if (readHost < 0) return phys;
    this.tlbHost[idx] = readHost;
    this.tlbPhysPage[idx] = physPage / PAGE_SIZE;
    this.tlbReadTag[idx] = tag;
    const result = this.walker.result;
    if (!paged || result.executable) this.tlbFetchTag[idx] = tag;
    if (!paged || (result.dirty && (result.writable || !user))) {
      const writeHost = this.memory.writableHostOffset(physPage);
      const page = physPage / PAGE_SIZE;
      const isCode = page < 0x100000 ? this.memory.codePages[page] !== 0 : this.code.highPages.has(page);
      if (writeHost >= 0 && !isCode && (!paged || access === ACCESS_WRITE || result.writable)) this.tlbWriteTag[idx] = tag;
    }
    return phys;
  }

  private readSlow(linear: number, size: number): number {
    if ((linear & 0xfff) + size > PAGE_SIZE) {
      let value = 0;
      for (let i = 0; i < size; i++) value += this.readSlow(this.wrapLinear(linear + i), 1) * 2 ** (8 * i);
      return value;
    }
    const phys = this.fillTlb(linear, ACCESS_READ);
    return this.memory.read(phys, size);
  }

  private writeSlow(linear: number, size: number, value: number): void {
    if ((linear & 0xfff) + size > PAGE_SIZE) {
      // Translate both pages before writing anything, so a fault on the second page leaves
      // memory untouched (SDM Vol. 3, 6.5: faults are restartable).
      const second = this.nextPage(linear);
      this.translate(linear, ACCESS_WRITE);
      this.translate(second, ACCESS_WRITE);
      for (let i = 0; i < size; i++) this.writeSlow(this.wrapLinear(linear + i), 1, Math.floor(value / 2 ** (8 * i)) & 0xff);
      return;
    }
    const phys = this.fillTlb(linear, ACCESS_WRITE);
    this.memory.write(phys, size, value);
  }

  /**
   * First byte of the page after the one holding `linear`: where the second half of a page-crossing
   * access starts, and what CR2 reports when that page faults.
   */
  private nextPage(linear: number): number {
    return this.wrapLinear(linear - (linear & 0xfff) + PAGE_SIZE);
  }

  /** Linear addresses wrap at 4 GiB outside 64-bit mode. */
  wrapLinear(linear: number): number {
    return this.s[I_MODE] === DecodeMode.Long64 ? linear : linear >>> 0;
  }

  read8(linear: number): number {
    const idx = (linear >>> 12) & TLB_MASK;
    if (this.tlbReadTag[idx] === linear - (linear & 0xfff)) return this.bytes[this.tlbHost[idx]! + (linear & 0xfff)]!;
    return this.readSlow(linear, 1);
  }

  read16(linear: number): number {
    const offset = linear & 0xfff;
    const idx = (linear >>> 12) & TLB_MASK;
    if (offset <= 0xffe && this.tlbReadTag[idx] === linear - offset) return this.view.getUint16(this.tlbHost[idx]! + offset, true);
    return this.readSlow(linear, 2);
  }

  read32(linear: number): number {
    const offset = linear & 0xfff;
    const idx = (linear >>> 12) & TLB_MASK;
    if (offset <= 0xffc && this.tlbReadTag[idx] === linear - offset) return this.view.getInt32(this.tlbHost[idx]! + offset, true);
    return this.readSlow(linear, 4) | 0;
  }

  /** Read 8 bytes: returns the low half, the high half goes to `this.hi`. */
  read64(linear: number): number {
    const offset = linear & 0xfff;
    const idx = (linear >>> 12) & TLB_MASK;
    if (offset <= 0xff8 && this.tlbReadTag[idx] === linear - offset) {
      const at = this.tlbHost[idx]! + offset;
      this.hi = this.view.getInt32(at + 4, true);
      return this.view.getInt32(at, true);
    }
    // Check both pages before reading anything (a translation only: MMIO must see no extra read).
    if (offset > 0xff8) this.translate(this.nextPage(linear), ACCESS_READ);
    const lo = this.readSlow(linear, 4) | 0;
    this.hi = this.readSlow(this.wrapLinear(linear + 4), 4) | 0;
    return lo;
  }

  write8(linear: number, value: number): void {
    const idx = (linear >>> 12) & TLB_MASK;
    if (this.tlbWriteTag[idx] === linear - (linear & 0xfff)) {
      this.bytes[this.tlbHost[idx]! + (linear & 0xfff)] = value;
      return;
    }
    this.writeSlow(linear, 1, value & 0xff);
  }

  write16(linear: number, value: number): void {
    const offset = linear & 0xfff;
    const idx = (linear >>> 12) & TLB_MASK;
    if (offset <= 0xffe && this.tlbWriteTag[idx] === linear - offset) {
      this.view.setUint16(this.tlbHost[idx]! + offset, value, true);
      return;
    }
    this.writeSlow(linear, 2, value & 0xffff);
  }

  write32(linear: number, value: number): void {
    const offset = linear & 0xfff;
    const idx = (linear >>> 12) & TLB_MASK;
    if (offset <= 0xffc && this.tlbWriteTag[idx] === linear - offset) {
      this.view.setInt32(this.tlbHost[idx]! + offset, value, true);
      return;
    }
    this.writeSlow(linear, 4, value >>> 0);
  }

  write64(linear: number, lo: number, hi: number): void {
    const offset = linear & 0xfff;
    const idx = (linear >>> 12) & TLB_MASK;
    if (offset <= 0xff8 && this.tlbWriteTag[idx] === linear - offset) {
      const at = this.tlbHost[idx]! + offset;
      this.view.setInt32(at, lo, true);
      this.view.setInt32(at + 4, hi, true);
      return;
    }
    if ((linear & 0xfff) > 0xff8) {
      this.translate(linear, ACCESS_WRITE);
      this.translate(this.nextPage(linear), ACCESS_WRITE);
    }
    this.writeSlow(linear, 4, lo >>> 0);
    this.writeSlow(this.wrapLinear(linear + 4), 4, hi >>> 0);
  }

  /** Check that a write to [linear, linear+size) would succeed, without writing (RMW, stacks). */
  probeWrite(linear: number, size: number): void {
    const idx = (linear >>> 12) & TLB_MASK;
    if ((linear & 0xfff) + size <= PAGE_SIZE && this.tlbWriteTag[idx] === linear - (linear & 0xfff)) return;
    this.translate(linear, ACCESS_WRITE);
    if ((linear & 0xfff) + size > PAGE_SIZE) this.translate(this.nextPage(linear), ACCESS_WRITE);
  }

  // ---------------------------------------------------------------------------------------------
  // Segmented addresses

  /**
   * Linear address of `offset` in segment `seg` for an access of `size` bytes, with the limit check
   * of legacy modes (SDM Vol. 3, 5.3). `offset` is already truncated to the address size.
   * In 64-bit mode only FS and GS have a base and there is no limit check (SDM Vol. 3, 5.3.1).
   */
  segmentLinear(seg: number, offset: number, size: number, write = false): number {
    const s = this.s;
    const mode = s[I_MODE]!;
    if (mode === DecodeMode.Long64) {
      if (seg < 4) return this.canonical(offset, seg);
      return this.canonical(offset + (s[I_SEG_BASE + 2 * seg]! >>> 0) + s[I_SEG_BASE + 2 * seg + 1]! * 4294967296, seg);
    }
    const limit = s[I_SEG_LIMIT + seg]! >>> 0;
    const attr = s[I_SEG_ATTR + seg]!;
    // Protected-mode access rights (SDM Vol. 3, 5.6 and 5.10): a null (unusable) segment, a write
    // to a code or read-only data segment, or a read of an execute-only code segment is #GP(0)
    // (#SS(0) for SS). Real and virtual-8086 mode make no such checks.
    if ((mode === DecodeMode.Prot32 || mode === DecodeMode.Prot16) &&
      ((attr & 0x80) === 0 || (write ? (attr & 0x0a) !== 0x02 : (attr & 0x0a) === 0x08))) {
      this.segmentFault(seg);
    }
    if ((attr & 0x0c) === 0x04 && (attr & 0x10) !== 0) {
      // Expand-down data segment: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF (D/B bit).
      const top = (attr & 0x4000) !== 0 ? 0xffffffff : 0xffff;
      if (offset <= limit || offset + size - 1 > top) this.segmentFault(seg);
    } else if (offset + size - 1 > limit) {
      this.segmentFault(seg);
    }
    return (offset + s[I_SEG_BASE + 2 * seg]!) >>> 0;
  }

  private segmentFault(seg: number): never {
    return this.raise(seg === 2 ? VEC_SS : VEC_GP, 0);
  }

  /** A 64-bit linear address must be canonical (bits 63:47 equal), else #GP(0) / #SS(0). */
  canonical(linear: number, seg: number): number {
    // Linear addresses are signed numbers here (the upper half is negative), exact in a double.
    if (linear >= 0x800000000000 || linear < -0x800000000000) this.raise(seg === 2 ? VEC_SS : VEC_GP, 0);
    return linear;
  }

  /** Effective address (offset within the segment) of the memory operand, truncated to the address size. */
  effectiveAddress(ins: Instr): number {
    const g = this.g32;
    const addrSize = ins.addrSize;
    if (addrSize === 2) {
      let ea = ins.disp;
      if (ins.base >= 0) ea += this.g16[ins.base * 4]!;
      if (ins.index >= 0) ea += this.g16[ins.index * 4]!;
      return ea & 0xffff;
    }
    if (addrSize === 4) {
      let ea = ins.disp;
      if (ins.base >= 0) ea += ins.base === 16 ? this.s[I_RIP]! : g[ins.base * 2]!;
      if (ins.index >= 0) ea += g[ins.index * 2]! << ins.scale;
      return ea >>> 0;
    }
    // 64-bit: sum the halves with carries into eaLo/eaHi (a double cannot hold 64 bits exactly).
    let lo = ins.disp >>> 0, hi = ins.dispHi;
    if (ins.base >= 0) {
      const bLo = ins.base === 16 ? this.s[I_RIP]! : g[ins.base * 2]!;
      const bHi = ins.base === 16 ? this.s[I_RIP + 1]! : g[ins.base * 2 + 1]!;
      const sum = lo + (bLo >>> 0);
      hi = (hi + bHi + (sum > 0xffffffff ? 1 : 0)) | 0;
      lo = sum >>> 0;
    }
    if (ins.index >= 0) {
      const sc = ins.scale;
      const iLo = g[ins.index * 2]!, iHi = g[ins.index * 2 + 1]!;
      const sLo = (iLo << sc) >>> 0;
      const sHi = sc === 0 ? iHi : (iHi << sc) | (iLo >>> (32 - sc));
      const sum = lo + sLo;
      hi = (hi + sHi + (sum > 0xffffffff ? 1 : 0)) | 0;
      lo = sum >>> 0;
    }
    this.eaLo = lo | 0;
    this.eaHi = hi;
    return hi * 4294967296 + lo;
  }

  /** Halves of the last 64-bit effective address. */
  eaLo = 0;
  eaHi = 0;

  /** Linear address of the memory operand for a read of `size` bytes. */
  linear(ins: Instr, size: number): number {
    const ea = this.effectiveAddress(ins);
    if (ins.addrSize === 8) return this.linear64(this.eaLo, this.eaHi, ins.seg);
    return this.segmentLinear(ins.seg, ea, size);
  }

  /** Linear address of the memory operand for a write (or read-modify-write) of `size` bytes. */
  linearWrite(ins: Instr, size: number): number {
    const ea = this.effectiveAddress(ins);
    if (ins.addrSize === 8) return this.linear64(this.eaLo, this.eaHi, ins.seg);
    return this.segmentLinear(ins.seg, ea, size, true);
  }

  /**
   * 64-bit mode: add the FS/GS base (the other bases are treated as 0) and require a canonical
   * address, else #GP(0) (#SS(0) for stack references) (SDM Vol. 3, 3.3.7.1 and 5.3.1).
   */
  linear64(lo: number, hi: number, seg: number): number {
    if (seg >= 4) {
      const s = this.s;
      const sum = (lo >>> 0) + (s[I_SEG_BASE + 2 * seg]! >>> 0);
      hi = (hi + s[I_SEG_BASE + 2 * seg + 1]! + (sum > 0xffffffff ? 1 : 0)) | 0;
      lo = sum | 0;
    }
    const top = hi >> 15;
    if (top !== 0 && top !== -1) this.raise(seg === 2 ? VEC_SS : VEC_GP, 0);
    return hi * 4294967296 + (lo >>> 0);
  }

  // ---------------------------------------------------------------------------------------------
  // Register helpers (64-bit values as two int32 halves)

  getReg(n: number, size: number): number {
    switch (size) {
      case 1: return this.g8[n]!;
      case 2: return this.g16[n]!;
      case 4: return this.g32[n]!;
      default: this.hi = this.g32[n + 1]!; return this.g32[n]!;
    }
  }

  /** Write a register operand; a 32-bit write zero-extends to 64 bits (SDM Vol. 1, 3.4.1.1). */
  setReg(n: number, size: number, lo: number, hi: number): void {
    switch (size) {
      case 1: this.g8[n] = lo; break;
      case 2: this.g16[n] = lo; break;
      case 4: this.g32[n] = lo; this.g32[n + 1] = 0; break;
      default: this.g32[n] = lo; this.g32[n + 1] = hi; break;
    }
  }

  readMem(linear: number, size: number): number {
    switch (size) {
      case 1: return this.read8(linear);
      case 2: return this.read16(linear);
      case 4: return this.read32(linear);
      default: return this.read64(linear);
    }
  }

  writeMem(linear: number, size: number, lo: number, hi: number): void {
    switch (size) {
      case 1: this.write8(linear, lo); break;
      case 2: this.write16(linear, lo); break;
      case 4: this.write32(linear, lo); break;
      default: this.write64(linear, lo, hi); break;
    }
  }

  /**
   * Read operand 0 (the destination) of a read-modify-write instruction. For memory, the linear
   * address is remembered in `rmwLinear` and the page is checked for writing first, so the
   * instruction faults before changing anything.
   */
  readDest(ins: Instr): number {
    if (ins.kind0 === OpKind.Reg) return this.getReg(ins.reg0, ins.size0);
    const size = ins.size0;
    const linear = this.linearWrite(ins, size);
    this.rmwLinear = linear;
    this.probeWrite(linear, size);
    return this.readMem(linear, size);
  }

  /** Write back operand 0 after `readDest`. */
  writeDest(ins: Instr, lo: number, hi: number): void {
    if (ins.kind0 === OpKind.Reg) this.setReg(ins.reg0, ins.size0, lo, hi);
    else this.writeMem(this.rmwLinear, ins.size0, lo, hi);
  }

  /** Write operand 0 without having read it (MOV, SETcc, POP r/m). */
  writeOperand0(ins: Instr, lo: number, hi: number): void {
    if (ins.kind0 === OpKind.Reg) this.setReg(ins.reg0, ins.size0, lo, hi);
    else this.writeMem(this.linearWrite(ins, ins.size0), ins.size0, lo, hi);
  }

  /** Read a source operand (slot 0, 1 or 2); size-8 values leave their high half in `hi`. */
  readSource(ins: Instr, kind: OpKind, reg: number, size: number): number {
    switch (kind) {
      case OpKind.Reg: return this.getReg(reg, size);
      case OpKind.Imm:
        this.hi = ins.immHi;
        return size === 1 ? ins.immLo & 0xff : size === 2 ? ins.immLo & 0xffff : ins.immLo;
      case OpKind.Mem: return this.readMem(this.linear(ins, size), size);
      default: return this.raise(VEC_UD);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Stack (SS:rSP with the stack-address size from SS.B or 64-bit mode)

  /** Stack pointer width: 8 in 64-bit mode, else 4 if SS.B is set, else 2 (SDM Vol. 1, 6.2.3). */
  stackAddrSize(): number {
    if (this.s[I_MODE] === DecodeMode.Long64) return 8;
    return (this.s[I_SEG_ATTR + 2]! & 0x4000) !== 0 ? 4 : 2;
  }

  /** Linear address of SS:[rSP + delta] for an access of `size` bytes. */
  stackLinear(delta: number, size: number): number {
    const g = this.g32;
    const width = this.stackAddrSize();
    if (width === 8) {
      const sum = (g[8]! >>> 0) + delta;
      const hi = (g[9]! + Math.floor(sum / 4294967296)) | 0;
      return this.canonical(hi * 4294967296 + (sum >>> 0), 2);
    }
    const offset = width === 4 ? (g[8]! + delta) >>> 0 : (this.g16[16]! + delta) & 0xffff;
    return this.segmentLinear(2, offset, size);
  }

  /** Add `delta` to rSP at the stack-address width. */
  adjustSp(delta: number): void {
    const width = this.stackAddrSize();
    const g = this.g32;
    if (width === 8) {
      const sum = (g[8]! >>> 0) + delta;
      g[9] = (g[9]! + Math.floor(sum / 4294967296)) | 0;
      g[8] = sum | 0;
    } else if (width === 4) {
      g[8] = (g[8]! + delta) | 0;
    } else {
      this.g16[16] = (this.g16[16]! + delta) & 0xffff;
    }
  }

  push(size: number, lo: number, hi: number): void {
    const linear = this.stackLinear(-size, size);
    this.writeMem(linear, size, lo, hi);
    this.adjustSp(-size);
  }

  /** Pop `size` bytes; 8-byte values leave the high half in `hi`. */
  pop(size: number): number {
    const linear = this.stackLinear(0, size);
    const value = this.readMem(linear, size);
    this.adjustSp(size);
    return value;
  }

  // ---------------------------------------------------------------------------------------------
  // Instruction pointer

  /** Set RIP to a branch target computed at `size` (2, 4, 8 bytes). */
  setIp(lo: number, hi: number, size: number): void {
    if (size === 2) { this.s[I_RIP] = lo & 0xffff; this.s[I_RIP + 1] = 0; }
    else if (size === 4) { this.s[I_RIP] = lo; this.s[I_RIP + 1] = 0; }
    else {
      // A non-canonical target raises #GP at the branch (SDM Vol. 1, 6.3.7 and JMP/CALL/RET).
      const top = hi >> 15;
      if (top !== 0 && top !== -1) this.raise(VEC_GP, 0);
      this.s[I_RIP] = lo; this.s[I_RIP + 1] = hi;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Execution

  requestStop(): void {
    this.stopRequested = true;
  }

  private yieldRequested = false;

  /**
   * PAUSE in a spin loop: when other vCPUs share the host thread, give them the rest of this
   * quantum, so that the lock holder or the flag setter the loop waits for can run (the
   * round-robin counterpart of pause-loop exiting; a guest spinning without PAUSE is bounded by
   * the quantum).
   */
  pauseHint(): void {
    if (this.code.cpus.length > 1) {
      this.yieldRequested = true;
      this.blockBreak = true;
    }
  }

  /** Run up to about `budget` instructions. */
  run(budget: number): ExitReason {
    const s = this.s;
    this.stopRequested = false;
    const start = this.instructionCount;
    const end = start + budget;
    // MMIO views that differ per vCPU (the local APIC page) dispatch on the executing vCPU.
    this.memory.currentCpu = this.id;
    while (this.instructionCount < end) {
      if (this.stopRequested) return ExitReason.Stopped;
      if (this.yieldRequested) {
        this.yieldRequested = false;
        return ExitReason.Budget;
      }
      if (this.initPending || this.sipiPending >= 0) this.processInitSipi();
      if (s[I_HALTED] !== 0) {
        if (!this.wakeFromHalt()) return ExitReason.Halted;
      }
      if (this.nmiPending && !this.nmiBlocked && s[I_SHADOW] === 0) {
        // NMI: not maskable by IF; further NMIs are blocked until the next IRET (SDM Vol. 3, 6.7.1).
        this.nmiPending = false;
        this.nmiBlocked = true;
        s[I_HALTED] = 0;
        const exit = this.deliverSafely(VEC_NMI, -1, false, true);
        if (exit >= 0) return exit;
      }
      if (this.interruptSource !== null && s[I_SHADOW] === 0 && (s[I_RFLAGS]! & IF) !== 0 && this.interruptSource.hasInterrupt()) {
        const exit = this.deliverSafely(this.interruptSource.acknowledge(), -1, false, true);
        if (exit >= 0) return exit;
      }
      const shadowed = s[I_SHADOW] !== 0;
      s[I_SHADOW] = 0;
      try {
        if (shadowed && !this.singleStep && (s[I_RFLAGS]! & TF) === 0) {
          // The instruction after STI / MOV SS runs alone: a pending interrupt is recognized right
          // after it, not at the end of a block (SDM Vol. 2, STI; Vol. 3, 6.8.3).
          this.stepOne();
        } else if (this.singleStep || (s[I_RFLAGS]! & TF) !== 0) {
          const trap = (s[I_RFLAGS]! & TF) !== 0;
          if (this.onInstruction !== null) this.onInstruction(this);
          this.stepOne();
          // Single-step: a #DB trap after every instruction that began with TF set (SDM Vol. 3,
          // 18.3.1.4), reported with DR6.BS; RIP already points at the next instruction. MOV SS /
          // POP SS (shadow 2) hold it back one instruction; the STI shadow (1) blocks interrupts
          // only (SDM Vol. 3, 6.8.3), and the #DB delivered at that boundary ends it.
          if (trap && s[I_SHADOW] !== 2) {
            s[I_SHADOW] = 0;
            const exit = this.singleStepTrap();
            if (exit >= 0) return exit;
          }
        } else {
          this.runBlock();
        }
      } catch (e) {
        if (e !== FAULT_SIGNAL) throw e;
        // The faulting instruction uses budget too: a handler that faults again must not hang run().
        this.instructionCount++;
        const exit = this.handleFault();
        if (exit >= 0) return exit;
      }
    }
    return ExitReason.Budget;
  }

  /** An NMI is latched until it can be delivered. */
  nmiPending = false;
  /** Set while an NMI handler runs (until IRET). */
  nmiBlocked = false;

  raiseNmi(): void {
    this.nmiPending = true;
  }

  /**
   * True when a halted vCPU has something that ends the halt (an NMI, an unmasked interrupt, INIT
   * or a start-up IPI): the scheduler must not treat the machine as idle.
   */
  wakeable(): boolean {
    if (this.initPending || this.sipiPending >= 0) return true;
    if (this.s[I_HALTED] === HALT_WAIT_SIPI) return false;
    if (this.s[I_HALTED] === HALT_NONE) return true;
    if (this.nmiPending && !this.nmiBlocked) return true;
    const src = this.interruptSource;
    return src !== null && (this.s[I_RFLAGS]! & IF) !== 0 && src.hasInterrupt();
  }

  /** INIT signal (an INIT IPI or INIT#): processed at the next instruction boundary. */
  signalInit(): void {
    this.initPending = true;
    this.sipiPending = -1;
    this.blockBreak = true;
  }

  /** Start-up IPI with `vector`: starts a vCPU that waits for SIPI at vector × 4096 (else ignored). */
  signalStartup(vector: number): void {
    this.sipiPending = vector & 0xff;
    this.blockBreak = true;
  }

  /** Put the vCPU in the wait-for-SIPI state (an AP after RESET or INIT). */
  enterWaitForSipi(): void {
    this.s[I_HALTED] = HALT_WAIT_SIPI;
  }

  get waitingForSipi(): boolean {
    return this.s[I_HALTED] === HALT_WAIT_SIPI;
  }

  private processInitSipi(): void {
    const s = this.s;
    if (this.initPending) {
      this.initPending = false;
      this.initReset();
    }
    const vector = this.sipiPending;
    this.sipiPending = -1;
    if (vector >= 0 && s[I_HALTED] === HALT_WAIT_SIPI) {
      // SDM Vol. 3, 9.4.4.1: real mode at CS = vector << 8 (base vector << 12), IP = 0.
      s[I_HALTED] = HALT_NONE;
      this.loadRealSegment(1, vector << 8);
      s[I_RIP] = 0;
      s[I_RIP + 1] = 0;
    }
  }

  /**
   * INIT (SDM Vol. 3, Table 10-1 "Following INIT"): the registers take their reset values, but
   * IA32_APIC_BASE (with its BSP flag), the MTRRs and the PAT are kept. The BSP restarts at the reset
   * vector; an AP waits for a start-up IPI.
   */
  initReset(): void {
    const keep: [number, number][] = [[I_MSR_APIC_BASE, 2], [I_MSR_PAT, 2], [I_MSR_MTRR_DEF_TYPE, 2], [I_MSR_MTRR_FIXED, 22], [I_MSR_MTRR_VAR, 32]];
    const saved = keep.map(([at, n]) => this.s.slice(at, at + n));
    this.reset();
    keep.forEach(([at], i) => this.s.set(saved[i]!, at));
    this.nmiPending = false;
    this.nmiBlocked = false;
    this.previousBlock = null;
    const bsp = (this.s[I_MSR_APIC_BASE]! & (1 << 8)) !== 0;
    if (!bsp) this.enterWaitForSipi();
  }

  private wakeFromHalt(): boolean {
    if (this.s[I_HALTED] === HALT_WAIT_SIPI) return false;
    if (this.nmiPending && !this.nmiBlocked) {
      this.s[I_HALTED] = 0;
      return true;
    }
    const src = this.interruptSource;
    if (src !== null && (this.s[I_RFLAGS]! & IF) !== 0 && src.hasInterrupt()) {
      this.s[I_HALTED] = 0;
      return true;
    }
    return false;
  }

  /** Called with a guest fault pending: roll RIP back to the instruction and deliver. */
  private handleFault(): number {
    const s = this.s;
    if (!this.faultIsTrap) {
      s[I_RIP] = this.insRipLo;
      s[I_RIP + 1] = this.insRipHi;
    }
    this.faultIsTrap = false;
    this.blockBreak = false;
    if (this.exitOnException) return ExitReason.Exception;
    return this.deliverSafely(this.faultVector, this.faultErrorCode, false, false);
  }

  /** Deliver an event; a fault during delivery escalates (SDM Vol. 3, 6.15 "#DF"). */
  private deliverSafely(vector: number, errorCode: number, software: boolean, external: boolean): number {
    let first = vector;
    let code = errorCode;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        this.deliver(first, code, software, external);
        return -1;
      } catch (e) {
        if (e !== FAULT_SIGNAL) throw e;
        if (attempt === 1 || first === VEC_DF) {
          this.onReset?.();
          return ExitReason.TripleFault;
        }
        const contributory = (v: number) => v === 0 || (v >= 10 && v <= 13);
        if ((contributory(first) && contributory(this.faultVector)) || (first === VEC_PF && (contributory(this.faultVector) || this.faultVector === VEC_PF))) {
          first = VEC_DF;
          code = 0;
        } else {
          first = this.faultVector;
          code = this.faultErrorCode;
        }
        external = false;
        software = false;
      }
    }
    this.onReset?.();
    return ExitReason.TripleFault;
  }

  private singleStepTrap(): number {
    const s = this.s;
    s[I_DR + 12] = s[I_DR + 12]! | (1 << 14);
    if (this.exitOnException) {
      this.faultIsTrap = true;
      this.raise(VEC_DB);
    }
    return this.deliverSafely(VEC_DB, -1, false, false);
  }

  /** Software interrupts (INT n, INT3, INTO) are delivered from handlers with RIP after the instruction. */
  softwareInterrupt(vector: number, checkGateDpl = true): void {
    if (this.exitOnException) {
      // Report it like a trap: RIP already points after the instruction.
      this.faultIsTrap = true;
      this.raise(vector);
    }
    this.deliver(vector, -1, checkGateDpl, false);
    this.blockBreak = true;
  }

  /** Set when the pending event is a trap (RIP stays after the instruction). */
  faultIsTrap = false;

  /**
   * Deliver an interrupt or exception. Real mode uses the interrupt vector table (SDM Vol. 3,
   * 20.1.4); protected and long mode go through the IDT (`delivery.ts`).
   */
  deliver(vector: number, errorCode: number, software: boolean, external: boolean): void {
    const s = this.s;
    if (this.onEvent !== null) this.onEvent(vector, errorCode, software, external);
    if (s[I_MODE] === DecodeMode.Real) {
      const entry = vector * 4;
      if (entry + 3 > (s[I_IDTR_LIMIT]! >>> 0)) this.raise(VEC_GP, vector * 8 + 2);
      const base = s[I_IDTR_BASE]! >>> 0;
      const ip = this.read16((base + entry) >>> 0);
      const cs = this.read16((base + entry + 2) >>> 0);
      const flags = getFlags(s);
      this.push(2, flags & 0xffff, 0);
      this.push(2, s[I_SEG_SEL + 1]!, 0);
      this.push(2, s[I_RIP]! & 0xffff, 0);
      s[I_RFLAGS] = flags & ~(IF | TF | AC | RF);
      this.loadRealSegment(1, cs);
      s[I_RIP] = ip;
      s[I_RIP + 1] = 0;
      s[I_HALTED] = 0;
      return;
    }
    this.deliverProtected(vector, errorCode, software, external);
  }

  /** Protected-mode, virtual-8086 and IA-32e delivery through the IDT (system/delivery.ts). */
  deliverProtected(vector: number, errorCode: number, software: boolean, external: boolean): void {
    deliverProtected(this, vector, errorCode, software, external);
  }

  /** IRET outside real mode (system/iret.ts). */
  iretProtected(ins: Instr): void {
    iretProtected(this, ins);
  }

  /** EFER.LMA: IA-32e mode is active (64-bit or compatibility mode). */
  longModeActive(): boolean {
    return (this.s[I_EFER]! & (1 << 10)) !== 0;
  }

  /**
   * Run `fn` with memory accesses treated as supervisor accesses: the CPU reading or writing
   * system structures (GDT, LDT, IDT, TSS) at CPL 3 (SDM Vol. 3, 4.6 "implicit supervisor-mode
   * accesses"). Such accesses bypass the TLB.
   */
  withSupervisor<T>(fn: () => T): T {
    const saved = this.implicitSupervisor;
    this.implicitSupervisor = true;
    try {
      return fn();
    } finally {
      this.implicitSupervisor = saved;
    }
  }

  /** Supervisor read of 1, 2 or 4 bytes at a linear address (system structures). */
  supervisorRead(linear: number, size: number): number {
    const saved = this.implicitSupervisor;
    this.implicitSupervisor = true;
    try {
      const at = this.wrapLinear(linear);
      // Within one page: one translation (descriptor and TSS reads are on every interrupt path).
      if ((at & 0xfff) + size <= 0x1000 && (size === 1 || size === 2 || size === 4)) {
        const value = this.memory.read(this.translate(at, ACCESS_READ), size);
        return size === 4 ? value | 0 : value;
      }
      let value = 0;
      for (let i = 0; i < size; i++) value += this.memory.read(this.translate(this.wrapLinear(linear + i), ACCESS_READ), 1) * 2 ** (8 * i);
      return size === 4 ? value | 0 : value;
    } finally {
      this.implicitSupervisor = saved;
    }
  }

  /** Supervisor write (interrupt frames on a new stack, TSS and descriptor updates). */
  supervisorWrite(linear: number, size: number, value: number): void {
    const saved = this.implicitSupervisor;
    this.implicitSupervisor = true;
    try {
      const at = this.wrapLinear(linear);
      if ((at & 0xfff) + size <= 0x1000 && (size === 1 || size === 2 || size === 4)) {
        this.memory.write(this.translate(at, ACCESS_WRITE), size, size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1));
        return;
      }
      const phys: number[] = [];
      for (let i = 0; i < size; i++) phys.push(this.translate(this.wrapLinear(linear + i), ACCESS_WRITE));
      for (let i = 0; i < size; i++) this.memory.write(phys[i]!, 1, Math.floor((value >>> 0) / 2 ** (8 * i)) & 0xff);
    } finally {
      this.implicitSupervisor = saved;
    }
  }

  /** Set the accessed bit of a descriptor in its table. */
  markAccessedDescriptor(desc: Descriptor): void {
    if ((desc.hi & 0x100) === 0) {
      desc.hi |= 0x100;
      this.supervisorWrite(this.wrapLinear(desc.linear + 4), 4, desc.hi);
    }
  }

  segmentBase(seg: number): number {
    return (this.s[I_SEG_BASE + 2 * seg]! >>> 0) + this.s[I_SEG_BASE + 2 * seg + 1]! * 4294967296;
  }

  segmentLimit(seg: number): number {
    return this.s[I_SEG_LIMIT + seg]! >>> 0;
  }

  /**
   * I/O permission (SDM Vol. 1, 18.5): in protected mode with CPL > IOPL, and always in virtual-8086
   * mode, the TSS I/O bitmap decides. Real mode and CPL <= IOPL may access any port.
   */
  checkIoPermission(port: number, size: number): void {
    const s = this.s;
    const mode = s[I_MODE]!;
    if (mode === DecodeMode.Real) return;
    if (mode !== DecodeMode.V86 && s[I_CPL]! <= ((s[I_RFLAGS]! >> 12) & 3)) return;
    this.checkIoBitmap(port, size);
  }

  /** Consult the TSS I/O permission bitmap; #GP(0) when a bit is set or the bitmap is out of range. */
  checkIoBitmap(port: number, size: number): void {
    const s = this.s;
    const trAttr = s[I_SEG_ATTR + 7]!;
    const type = trAttr & 0xf;
    // Only a 32-bit (or 64-bit) TSS has a bitmap (types 9 and 11).
    if ((trAttr & 0x80) === 0 || (type !== 9 && type !== 11)) this.raise(VEC_GP, 0);
    const trBase = (s[I_SEG_BASE + 14]! >>> 0) + s[I_SEG_BASE + 15]! * 4294967296;
    const trLimit = s[I_SEG_LIMIT + 7]! >>> 0;
    if (trLimit < 0x67) this.raise(VEC_GP, 0);
    const bitmapOffset = this.read16(this.wrapLinear(trBase + 0x66));
    const byteOffset = bitmapOffset + (port >> 3);
    if (byteOffset + 1 > trLimit) this.raise(VEC_GP, 0);
    const word = this.read16(this.wrapLinear(trBase + byteOffset));
    const mask = ((1 << size) - 1) << (port & 7);
    if ((word & mask) !== 0) this.raise(VEC_GP, 0);
  }

  /** Time-stamp counter: derived from executed instructions (deterministic) plus a settable offset. */
  readTsc(): bigint {
    if (this.tscSource !== null) return this.tscSource() + this.tscOffset;
    return BigInt(this.instructionCount) + this.tscOffset;
  }

  tscOffset = 0n;

  /** Read CRn (low half returned, high half in `hi`). */
  readCr(n: number): number {
    if (n === 8 && this.apic !== null) {
      // CR8 is TPR[7:4] of the local APIC (SDM Vol. 3, 11.8.6.1).
      this.hi = 0;
      return (this.apic.readTpr() >> 4) & 0xf;
    }
    this.hi = this.s[I_CR + 2 * n + 1]!;
    return this.s[I_CR + 2 * n]!;
  }

  /**
   * Write CRn with its checks and effects (system/control-registers.ts): reserved bits, CR0.PE/PG,
   * IA-32e mode activation through CR0.PG with EFER.LME, CR4 feature bits, CR8 (TPR); CR0/CR3/CR4
   * writes recompute the paging configuration and flush the TLB.
   */
  writeCr(n: number, lo: number, hi: number): void {
    writeControlRegister(this, n, lo, hi);
  }

  /** How many times each not-yet-executable instruction was met (for traces and reports). */
  readonly unimplementedCounts = new Map<string, number>();

  noteUnimplemented(ins: Instr): void {
    const name = ins.row?.name ?? '?';
    this.unimplementedCounts.set(name, (this.unimplementedCounts.get(name) ?? 0) + 1);
  }

  /** Real-mode / virtual-8086 segment load: base = selector * 16 (SDM Vol. 3, 20.1.1). */
  loadRealSegment(seg: number, selector: number): void {
    const s = this.s;
    s[I_SEG_SEL + seg] = selector & 0xffff;
    s[I_SEG_BASE + 2 * seg] = (selector & 0xffff) << 4;
    s[I_SEG_BASE + 2 * seg + 1] = 0;
    if (seg === 1) this.updateMode();
  }

  /** Execute one instruction without using (or creating) a cached block (single-step, TF). */
  private stepOne(): void {
    this.insRipLo = this.s[I_RIP]!;
    this.insRipHi = this.s[I_RIP + 1]!;
    const ins = this.decodeAt(this.fetchLinear());
    this.executeOne(ins);
    this.instructionCount++;
  }

  private executeOne(ins: Instr): void {
    const s = this.s;
    this.insRipLo = s[I_RIP]!;
    this.insRipHi = s[I_RIP + 1]!;
    s[I_RIP] = (this.insRipLo + ins.len) & this.ipMask;
    if (ins.privileged && s[I_CPL] !== 0) this.raise(VEC_GP, 0);
    ins.exec(this, ins);
  }

  /** Linear address of CS:RIP. */
  private fetchLinear(): number {
    const s = this.s;
    if (s[I_MODE] === DecodeMode.Long64) return this.canonical((s[I_RIP]! >>> 0) + s[I_RIP + 1]! * 4294967296, 1);
    return (s[I_RIP]! + s[I_SEG_BASE + 2]!) >>> 0;
  }

  /** Decode one instruction at a linear address (fetching through the TLB). */
  decodeAt(linear: number): Instr {
    const mode = this.s[I_MODE]! as DecodeMode;
    if (this.instructionBytes !== null) return this.decoder.decode(this.instructionBytes, mode);
    return this.decoder.decode((i) => this.fetchByte(this.wrapLinear(linear + i)), mode);
  }

  /** One instruction byte (slow path: page-crossing or uncached instructions). */
  private fetchByte(linear: number): number {
    return this.memory.read(this.translateFetch(linear), 1);
  }

  private runBlock(): void {
    const s = this.s;
    // A fault while fetching or decoding (a #PF on the code page, a non-canonical RIP) belongs to
    // the instruction at RIP, not to the previous one: record it before touching the code.
    this.insRipLo = s[I_RIP]!;
    this.insRipHi = s[I_RIP + 1]!;
    const linear = this.fetchLinear();
    const recent = this.recentBlocks;
    if (recent !== null) {
      recent[this.recentBlockIndex] = linear;
      this.recentBlockIndex = (this.recentBlockIndex + 1) & (recent.length - 1);
    }
    const mode = s[I_MODE]!;
    const epoch = this.tlbEpoch;
    const previous = this.previousBlock;
    let block: Block | null = null;
    if (previous !== null) {
      if (previous.link0Linear === linear && previous.link0Epoch === epoch) block = previous.link0;
      else if (previous.link1Linear === linear && previous.link1Epoch === epoch) block = previous.link1;
      if (block !== null && (!block.valid || block.mode !== mode)) block = null;
    }
    if (block === null) {
      block = this.lookupBlock(linear, mode);
      if (block === null) {
        this.previousBlock = null;
        this.stepOne();
        return;
      }
      if (previous !== null && previous.valid) {
        // Keep the most recent successor in slot 0 and the one before in slot 1.
        previous.link1Linear = previous.link0Linear;
        previous.link1 = previous.link0;
        previous.link1Epoch = previous.link0Epoch;
        previous.link0Linear = linear;
        previous.link0 = block;
        previous.link0Epoch = epoch;
      }
    }
    this.previousBlock = block;
    const list = block.instrs;
    const ipMask = this.ipMask;
    const count = list.length;
    this.blockBreak = false;
    this.insRipHi = s[I_RIP + 1]!;
    for (let k = 0; k < count; k++) {
      const ins = list[k]!;
      const lo = s[I_RIP]!;
      this.insRipLo = lo;
      s[I_RIP] = (lo + ins.len) & ipMask;
      if (ins.privileged && s[I_CPL] !== 0) this.raise(VEC_GP, 0);
      ins.exec(this, ins);
      if (this.blockBreak) {
        this.instructionCount += k + 1;
        return;
      }
    }
    this.instructionCount += count;
  }

  /** Find or build the block at a linear address (through the fetch TLB and the code cache). */
  private lookupBlock(linear: number, mode: number): Block | null {
    const phys = this.translateFetch(linear);
    const page = Math.floor(phys / PAGE_SIZE);
    const key = ((phys & 0xfff) << 3) | mode;
    let pageCode = this.lastPage === page ? this.lastPageCode : null;
    if (pageCode === null) {
      pageCode = this.code.getOrCreate(page);
      this.lastPage = page;
      this.lastPageCode = pageCode;
    }
    let block = pageCode.blocks.get(key);
    if (block === undefined) {
      const built = this.buildBlock(linear, phys, page);
      if (built === null) return null;
      block = built;
      pageCode.blocks.set(key, block);
    }
    return block;
  }

  /** Physical address of an instruction fetch, through the TLB's fetch entries. */
  private translateFetch(linear: number): number {
    const idx = (linear >>> 12) & TLB_MASK;
    const offset = linear & 0xfff;
    if (this.tlbFetchTag[idx] === linear - offset) return this.tlbPhysPage[idx]! * PAGE_SIZE + offset;
    return this.fillTlb(linear, ACCESS_FETCH);
  }

  /**
   * Decode a straight-line run starting at `linear` within one page. Returns null when the first
   * instruction crosses the page end (it is executed uncached) or the page is not RAM/ROM.
   */
  private buildBlock(linear: number, phys: number, page: number): Block | null {
    const host = this.memory.readableHostOffset(phys - (phys & 0xfff));
    if (host < 0) return null; // executing from MMIO: never cached
    const mode = this.s[I_MODE]! as DecodeMode;
    const instrs: Instr[] = [];
    let offset = phys & 0xfff;
    const bytes = this.bytes;
    while (instrs.length < MAX_BLOCK_INSTRUCTIONS) {
      const start = offset;
      let crossed = false;
      const ins = this.decoder.decode((i) => {
        const at = start + i;
        if (at >= PAGE_SIZE) { crossed = true; return this.fetchByte(this.wrapLinear(linear + (at - (phys & 0xfff)))); }
        return bytes[host + at]!;
      }, mode);
      if (crossed) break;
      ins.physAddr = phys - (phys & 0xfff) + start;
      ins.exec = specialize(ins);
      instrs.push(ins);
      offset += ins.len;
      if (ins.fault >= 0 || ins.row === null || (ins.row.attrs & ATTR_BRANCH) !== 0 || offset >= PAGE_SIZE) break;
    }
    if (instrs.length === 0) return null;
    return new Block(instrs, page, mode);
  }
}

export { PAGE_SIZE };
