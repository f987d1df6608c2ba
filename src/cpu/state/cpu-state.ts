import { LAYOUT, offsetOf } from './layout.js';

/**
 * Int32-element indices of the hot fields, derived from the layout table. The interpreter indexes
 * `CpuState.i32` with these; the JIT will use `offsetOf(name)` for the same bytes.
 */
export const I_GPR = offsetOf('gpr') >> 2;
export const I_RIP = offsetOf('rip') >> 2;
export const I_RFLAGS = offsetOf('rflags') >> 2;
export const I_LAZY_OP = offsetOf('lazyOp') >> 2;
export const I_LAZY_SIZE = offsetOf('lazySize') >> 2;
export const I_LAZY_RES = offsetOf('lazyResult') >> 2;
export const I_LAZY_SRC1 = offsetOf('lazySrc1') >> 2;
export const I_LAZY_SRC2 = offsetOf('lazySrc2') >> 2;
export const I_SEG_SEL = offsetOf('segSelector') >> 2;
export const I_SEG_BASE = offsetOf('segBase') >> 2;
export const I_SEG_LIMIT = offsetOf('segLimit') >> 2;
export const I_SEG_ATTR = offsetOf('segAttr') >> 2;
export const I_GDTR_BASE = offsetOf('gdtrBase') >> 2;
export const I_GDTR_LIMIT = offsetOf('gdtrLimit') >> 2;
export const I_IDTR_BASE = offsetOf('idtrBase') >> 2;
export const I_IDTR_LIMIT = offsetOf('idtrLimit') >> 2;
export const I_CR = offsetOf('cr') >> 2;
export const I_DR = offsetOf('dr') >> 2;
export const I_EFER = offsetOf('efer') >> 2;
export const I_XCR0 = offsetOf('xcr0') >> 2;
export const I_CPL = offsetOf('cpl') >> 2;
export const I_MODE = offsetOf('mode') >> 2;
export const I_HALTED = offsetOf('halted') >> 2;
export const I_SHADOW = offsetOf('interruptShadow') >> 2;
export const I_TSC = offsetOf('tsc') >> 2;
export const I_SCRATCH = offsetOf('scratch') >> 2;
/** Modelled MSRs (system/msr.ts). */
export const I_MSR_STAR = offsetOf('msrStar') >> 2;
export const I_MSR_LSTAR = offsetOf('msrLstar') >> 2;
export const I_MSR_CSTAR = offsetOf('msrCstar') >> 2;
export const I_MSR_FMASK = offsetOf('msrSfmask') >> 2;
export const I_MSR_KERNEL_GS_BASE = offsetOf('msrKernelGsBase') >> 2;
export const I_MSR_SYSENTER_CS = offsetOf('msrSysenterCs') >> 2;
export const I_MSR_SYSENTER_ESP = offsetOf('msrSysenterEsp') >> 2;
export const I_MSR_SYSENTER_EIP = offsetOf('msrSysenterEip') >> 2;
export const I_MSR_TSC_AUX = offsetOf('msrTscAux') >> 2;
export const I_MSR_PAT = offsetOf('msrPat') >> 2;
export const I_MSR_APIC_BASE = offsetOf('msrApicBase') >> 2;
export const I_MSR_MISC_ENABLE = offsetOf('msrMiscEnable') >> 2;
export const I_MSR_MTRR_DEF_TYPE = offsetOf('msrMtrrDefType') >> 2;
export const I_MSR_MTRR_FIXED = offsetOf('msrMtrrFixed') >> 2;
export const I_MSR_MTRR_VAR = offsetOf('msrMtrrVar') >> 2;
export const I_MSR_MCG = offsetOf('msrMcg') >> 2;
export const I_MSR_MC_BANKS = offsetOf('msrMcBanks') >> 2;

/**
 * Views over one vCPU's state block. All views alias the same bytes; which one to use depends on
 * the access width (little-endian, as WebAssembly memory is).
 */
export class CpuState {
  readonly i32: Int32Array;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly f64: Float64Array;
  /** The GPR file alone: 8-bit register n is u8 index (n*8) and 16-bit register n is (n*4). */
  readonly gpr32: Int32Array;
  readonly gpr16: Uint16Array;
  readonly gpr8: Uint8Array;

  constructor(readonly memory: WebAssembly.Memory, readonly blockOffset: number) {
    const buffer = memory.buffer;
    this.i32 = new Int32Array(buffer, blockOffset, LAYOUT.size >> 2);
    this.u8 = new Uint8Array(buffer, blockOffset, LAYOUT.size);
    this.u16 = new Uint16Array(buffer, blockOffset, LAYOUT.size >> 1);
    this.f64 = new Float64Array(buffer, blockOffset, LAYOUT.size >> 3);
    const gpr = blockOffset + offsetOf('gpr');
    this.gpr32 = new Int32Array(buffer, gpr, 32);
    this.gpr16 = new Uint16Array(buffer, gpr, 64);
    this.gpr8 = new Uint8Array(buffer, gpr, 128);
  }

  /** A 64-bit field as a BigInt (slow path: tests, debugging, rare instructions). */
  get64(int32Index: number): bigint {
    return (BigInt(this.i32[int32Index + 1]! >>> 0) << 32n) | BigInt(this.i32[int32Index]! >>> 0);
  }

  set64(int32Index: number, value: bigint): void {
    this.i32[int32Index] = Number(value & 0xffffffffn) | 0;
    this.i32[int32Index + 1] = Number((value >> 32n) & 0xffffffffn) | 0;
  }

  getGpr(n: number): bigint {
    return this.get64(I_GPR + 2 * n);
  }

  setGpr(n: number, value: bigint): void {
    this.set64(I_GPR + 2 * n, value);
  }
}
