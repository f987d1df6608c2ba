/**
 * Types of the instruction-emulation assist (the libnvmm role): what a hypervisor passes in after a
 * VM exit on MMIO or port I/O, the callbacks the assist uses to reach guest RAM and devices, and
 * what it hands back.
 */

/**
 * One segment register with its hidden descriptor cache, as VMX/SVM report it.
 * `attributes` uses the VMX access-rights layout (also this project's cache layout): bits 0-7 are
 * descriptor bits 40-47 (type, S, DPL, P), bits 12-15 are descriptor bits 52-55 (AVL, L, D/B, G).
 * Bit 16 (VMX "unusable") is accepted and treated as a not-present segment.
 */
export interface SegmentCache {
  selector: number;
  base: bigint;
  /** Byte-granular limit (already scaled by G). */
  limit: number;
  attributes: number;
}

export interface DescriptorTableRegister {
  base: bigint;
  limit: number;
}

/** Segment registers in SDM order; the assist needs ES..GS, LDTR/TR only for a few instructions. */
export interface SegmentRegisters {
  es: SegmentCache;
  cs: SegmentCache;
  ss: SegmentCache;
  ds: SegmentCache;
  fs: SegmentCache;
  gs: SegmentCache;
  /** Needed only when the instruction loads a segment register through an LDT selector. */
  ldtr?: SegmentCache;
  /** Needed only for the I/O permission bitmap (see `emulatePortIo`). */
  tr?: SegmentCache;
}

/** A vCPU register snapshot (what the VMM reads from the hypervisor at the exit). */
export interface VcpuState {
  /** RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15 (64-bit, unsigned). Exactly 16 entries. */
  gprs: bigint[];
  rip: bigint;
  rflags: bigint;
  segments: SegmentRegisters;
  cr0: bigint;
  cr2: bigint;
  cr3: bigint;
  cr4: bigint;
  efer: bigint;
  /** Current privilege level (the SS.DPL / CS.DPL of the exit). Ignored in real and virtual-8086 mode. */
  cpl: number;
  /** Needed only when the instruction loads a segment register (descriptor reads). */
  gdtr?: DescriptorTableRegister;
  idtr?: DescriptorTableRegister;
  /**
   * PAE paging: the four PDPTE registers the CPU loaded at the last CR3 write (VMX reports them).
   * When absent they are read from guest memory at CR3 (bits 31:5: CR3 need not be page aligned).
   */
  pdptes?: bigint[];
}

/** A VM exit on an access to a guest-physical address that is not RAM (EPT/NPT violation on MMIO). */
export interface MmioExit {
  /** The faulting guest-physical address. Its page is MMIO unless `callbacks.isMmio` says otherwise. */
  gpa: number | bigint;
  /**
   * Instruction bytes the hardware reported (SVM decode assist, NVMM). When absent the assist
   * fetches the instruction at CS:RIP through the guest page tables. Must hold the whole
   * instruction: a truncated encoding is an error result.
   */
  instructionBytes?: Uint8Array;
}

/** A VM exit on IN, OUT, INS or OUTS. Everything but the instruction itself is optional cross-checking. */
export interface PortIoExit {
  port?: number;
  /** Access size in bytes (1, 2 or 4). */
  size?: number;
  direction?: 'in' | 'out';
  /** INS/OUTS. */
  string?: boolean;
  /** REP prefix. */
  rep?: boolean;
  instructionBytes?: Uint8Array;
}

/**
 * How the assist reaches the guest. Guest-physical addresses are numbers (below 2^52, exact).
 * Values of MMIO and port accesses are unsigned numbers of `size` bytes (1, 2 or 4; an 8-byte
 * memory operand reaches the device as two 4-byte accesses, low half first; an access crossing into
 * another page is split into bytes).
 */
export interface AssistCallbacks {
  /**
   * Read guest RAM. The assist asks for whole 4 KiB pages and caches them for the one instruction
   * (page-table walks, string operations); return null when nothing is there (reads as all ones).
   */
  readGuestPhysical(gpa: number, length: number): Uint8Array | null;
  /** Write guest RAM. Writes are batched per page and committed when the instruction ends. */
  writeGuestPhysical(gpa: number, bytes: Uint8Array): void;
  /** Device read at a guest-physical address that is MMIO. */
  mmioRead?(gpa: number, size: number): number;
  /** Device write at a guest-physical address that is MMIO. */
  mmioWrite?(gpa: number, size: number, value: number): void;
  /**
   * Which guest-physical addresses are MMIO (go to mmioRead/mmioWrite, byte-exact, in program
   * order, never cached). Default: the page of the exit's `gpa` for `emulateMmioAccess`, nothing for
   * `emulatePortIo`. Supply it to let MOVS, string I/O and friends touch several MMIO pages.
   */
  isMmio?(gpa: number): boolean;
  portRead?(port: number, size: number): number;
  portWrite?(port: number, size: number, value: number): void;
}

/** Register fields the assist can report as changed. */
export type VcpuField = `gpr${number}` | 'rip' | 'rflags' | 'cr2' | 'es' | 'cs' | 'ss' | 'ds' | 'fs' | 'gs';

/** The instruction was performed: put `state` back into the vCPU and resume it. */
export interface AssistDone {
  status: 'done';
  state: VcpuState;
  /** Which fields differ from the input snapshot (for VMMs that write back only what changed). */
  changed: VcpuField[];
  /** Intel-syntax mnemonic of the emulated instruction (diagnostics). */
  mnemonic: string;
  /** Length of the instruction in bytes. */
  length: number;
  /**
   * A REP string instruction did a batch of iterations but is not finished: RIP still points at it
   * (as libnvmm does), so the guest re-executes it and exits again for the next batch.
   */
  incomplete: boolean;
  /** RFLAGS.TF was set: the VMM must inject a single-step #DB trap (DR6.BS) after resuming. */
  singleStepTrap: boolean;
  /** How many device (MMIO or port) accesses the instruction made. */
  deviceAccesses: number;
}

/**
 * The instruction faulted: inject `vector` (with `errorCode` when not null) into the guest. For a
 * #PF, `cr2` is the faulting linear address (already stored in `state.cr2`). `state` carries any
 * architectural progress made before the fault (completed REP iterations) with RIP at the instruction.
 */
export interface AssistFault {
  status: 'fault';
  vector: number;
  errorCode: number | null;
  cr2?: bigint;
  state: VcpuState;
  changed: VcpuField[];
}

export type AssistErrorReason =
  | 'invalid-state' // the snapshot is malformed (wrong GPR count, ...)
  | 'truncated-instruction' // instructionBytes end before the instruction does
  | 'not-a-memory-instruction' // the instruction cannot access memory (for an MMIO exit)
  | 'not-an-io-instruction' // the instruction is not IN/OUT/INS/OUTS (for an I/O exit)
  | 'exit-mismatch' // the decoded instruction disagrees with the exit information
  | 'missing-callback' // a device access needs a callback that was not supplied
  | 'callback-error'; // a callback threw (its error is in `cause`)

/**
 * The assist could not do its job (bad input or a failing callback). No guest RAM write of the
 * instruction was committed; device accesses made before a callback failed cannot be undone.
 */
export interface AssistError {
  status: 'error';
  reason: AssistErrorReason;
  message: string;
  cause?: unknown;
}

export type AssistResult = AssistDone | AssistFault | AssistError;
