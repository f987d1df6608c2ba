/**
 * The one field table of a vCPU's architectural state.
 *
 * Every register lives at an offset inside a `WebAssembly.Memory` block so that the TypeScript
 * interpreter (through typed-array views) and JIT-emitted WebAssembly (through `i32.load offset=`)
 * read the same bytes. Offsets are computed from `STATE_FIELDS` below: nothing is numbered by hand.
 */

/** A field of the state block: a name, the size of one element in bytes and the element count. */
export interface StateField {
  readonly name: string;
  readonly bytes: 1 | 2 | 4 | 8 | 10 | 16;
  readonly count: number;
  /** Why the field exists / what SDM structure it models. */
  readonly doc: string;
}

/** Segment register order used everywhere (SDM Vol. 2, Table 3-6 "Sreg" encoding). */
export const SEGMENT_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;
export const SEG_ES = 0, SEG_CS = 1, SEG_SS = 2, SEG_DS = 3, SEG_FS = 4, SEG_GS = 5;
/** Pseudo segment indices for the system descriptor caches (not selectable by a prefix). */
export const SEG_LDTR = 6, SEG_TR = 7;

/** GPR order is the ModRM/REX register-number order (SDM Vol. 2, Table 2-2). */
export const GPR_NAMES = [
  'rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi',
  'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15',
] as const;

/**
 * The table. Order matters only for cache locality: the hottest fields come first.
 * 8-byte fields are 8-byte aligned; the layout function asserts it.
 */
export const STATE_FIELDS: readonly StateField[] = [
  { name: 'gpr', bytes: 8, count: 16, doc: 'RAX..R15 as 64-bit little-endian slots' },
  { name: 'rip', bytes: 8, count: 1, doc: 'instruction pointer' },
  { name: 'rflags', bytes: 8, count: 1, doc: 'RFLAGS; the six arithmetic flags are stale while lazyOp != 0' },
  // Lazy flags: the last flag-producing operation and its operands (see exec/flags.ts).
  { name: 'lazyOp', bytes: 4, count: 1, doc: 'kind of the last flag-setting operation (LazyOp)' },
  { name: 'lazySize', bytes: 4, count: 1, doc: 'operand size in bytes of that operation' },
  { name: 'lazyResult', bytes: 8, count: 1, doc: 'its result' },
  { name: 'lazySrc1', bytes: 8, count: 1, doc: 'its first operand (destination before the op)' },
  { name: 'lazySrc2', bytes: 8, count: 1, doc: 'its second operand (or carry-in for ADC/SBB)' },
  // Segment registers and their hidden descriptor caches (SDM Vol. 3, 3.4.3).
  { name: 'segSelector', bytes: 4, count: 8, doc: 'ES CS SS DS FS GS LDTR TR selectors' },
  { name: 'segBase', bytes: 8, count: 8, doc: 'descriptor-cache base' },
  { name: 'segLimit', bytes: 4, count: 8, doc: 'descriptor-cache limit, already scaled by G' },
  { name: 'segAttr', bytes: 4, count: 8, doc: 'descriptor-cache attributes: bits 8..15 and 20..23 of the high dword' },
  { name: 'gdtrBase', bytes: 8, count: 1, doc: 'GDTR base' },
  { name: 'gdtrLimit', bytes: 4, count: 1, doc: 'GDTR limit' },
  { name: 'idtrLimit', bytes: 4, count: 1, doc: 'IDTR limit' },
  { name: 'idtrBase', bytes: 8, count: 1, doc: 'IDTR base' },
  { name: 'cr', bytes: 8, count: 9, doc: 'CR0..CR8 (CR1, CR5..CR7 reserved slots keep indexing direct)' },
  { name: 'dr', bytes: 8, count: 8, doc: 'DR0..DR7 (DR4/DR5 alias DR6/DR7 when CR4.DE=0)' },
  { name: 'efer', bytes: 8, count: 1, doc: 'IA32_EFER' },
  { name: 'xcr0', bytes: 8, count: 1, doc: 'XCR0' },
  { name: 'cpl', bytes: 4, count: 1, doc: 'current privilege level' },
  { name: 'mode', bytes: 4, count: 1, doc: 'CpuMode: real, v8086, protected16/32, compat, long64' },
  { name: 'halted', bytes: 4, count: 1, doc: 'non-zero while in HLT' },
  { name: 'interruptShadow', bytes: 4, count: 1, doc: 'interrupt shadow on the next boundary: 0 none, 1 STI (interrupts), 2 MOV SS / POP SS (interrupts and debug traps)' },
  { name: 'tsc', bytes: 8, count: 1, doc: 'time-stamp counter' },
  // Model-specific registers we model (SDM Vol. 4). Kept as named slots, not a sparse map.
  { name: 'msrStar', bytes: 8, count: 1, doc: 'IA32_STAR' },
  { name: 'msrLstar', bytes: 8, count: 1, doc: 'IA32_LSTAR' },
  { name: 'msrCstar', bytes: 8, count: 1, doc: 'IA32_CSTAR' },
  { name: 'msrSfmask', bytes: 8, count: 1, doc: 'IA32_FMASK' },
  { name: 'msrKernelGsBase', bytes: 8, count: 1, doc: 'IA32_KERNEL_GS_BASE' },
  { name: 'msrSysenterCs', bytes: 8, count: 1, doc: 'IA32_SYSENTER_CS' },
  { name: 'msrSysenterEsp', bytes: 8, count: 1, doc: 'IA32_SYSENTER_ESP' },
  { name: 'msrSysenterEip', bytes: 8, count: 1, doc: 'IA32_SYSENTER_EIP' },
  { name: 'msrTscAux', bytes: 8, count: 1, doc: 'IA32_TSC_AUX' },
  { name: 'msrPat', bytes: 8, count: 1, doc: 'IA32_PAT' },
  { name: 'msrApicBase', bytes: 8, count: 1, doc: 'IA32_APIC_BASE' },
  { name: 'msrMiscEnable', bytes: 8, count: 1, doc: 'IA32_MISC_ENABLE' },
  { name: 'msrMtrrDefType', bytes: 8, count: 1, doc: 'IA32_MTRR_DEF_TYPE' },
  { name: 'msrMtrrFixed', bytes: 8, count: 11, doc: 'fixed-range MTRRs' },
  { name: 'msrMtrrVar', bytes: 8, count: 16, doc: 'variable-range MTRR base/mask pairs' },
  { name: 'msrMcg', bytes: 8, count: 2, doc: 'IA32_MCG_STATUS, IA32_MCG_CTL' },
  { name: 'msrMcBanks', bytes: 8, count: 40, doc: 'machine-check banks: IA32_MCi_CTL/STATUS/ADDR/MISC, i = 0..9' },
  // x87 / MMX / SSE (executed by the FPU/SSE issue; the space is reserved here).
  { name: 'fpuRegs', bytes: 16, count: 8, doc: 'ST0..ST7 / MM0..MM7 as 80-bit values in 16-byte slots (FXSAVE order)' },
  { name: 'fpuControl', bytes: 4, count: 1, doc: 'FCW' },
  { name: 'fpuStatus', bytes: 4, count: 1, doc: 'FSW (TOP kept in bits 11..13)' },
  { name: 'fpuTag', bytes: 4, count: 1, doc: 'full tag word' },
  { name: 'fpuOpcode', bytes: 4, count: 1, doc: 'last x87 opcode' },
  { name: 'fpuIp', bytes: 8, count: 1, doc: 'last x87 instruction pointer' },
  { name: 'fpuDp', bytes: 8, count: 1, doc: 'last x87 data pointer' },
  { name: 'xmm', bytes: 16, count: 16, doc: 'XMM0..XMM15' },
  { name: 'mxcsr', bytes: 4, count: 1, doc: 'MXCSR' },
  { name: 'scratch', bytes: 8, count: 8, doc: 'interpreter scratch for 64-bit intermediate values' },
];

export interface Layout {
  /** Byte offset of each field from the start of the state block. */
  readonly offsets: Readonly<Record<string, number>>;
  /** Total size of one vCPU's state block, rounded up to 64 bytes. */
  readonly size: number;
}

function align(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}

/** Compute offsets from the field table. Natural alignment (16 for vector slots, 8 otherwise). */
export function computeLayout(fields: readonly StateField[]): Layout {
  const offsets: Record<string, number> = {};
  let at = 0;
  for (const field of fields) {
    if (field.name in offsets) throw new Error(`duplicate state field ${field.name}`);
    const alignment = field.bytes >= 16 ? 16 : field.bytes === 10 ? 16 : field.bytes;
    at = align(at, alignment);
    offsets[field.name] = at;
    at += field.bytes * field.count;
  }
  return { offsets, size: align(at, 64) };
}

export const LAYOUT = computeLayout(STATE_FIELDS);

/** Byte offset of a field; throws on an unknown name so a typo is caught at load time. */
export function offsetOf(name: string): number {
  const offset = LAYOUT.offsets[name];
  if (offset === undefined) throw new Error(`unknown state field ${name}`);
  return offset;
}
