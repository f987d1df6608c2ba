import { offsetOf } from '../state/layout.js';

/**
 * Int32 indices of the x87/MMX/SSE fields of the state block (see state/layout.ts).
 *
 * Register storage: `fpuRegs` slot n holds the PHYSICAL register Rn (not ST(i)): ST(i) is
 * R((TOP + i) & 7), so pushes and pops never move data, and MMn is Rn (SDM Vol. 1, 9.5.1). In each
 * 16-byte slot: int32 0 = significand bits 31..0, int32 1 = significand bits 63..32, int32 2 bits
 * 0..15 = sign and exponent; the rest is zero. When TOP = 0 this is exactly the FXSAVE order.
 *
 * `fpuTag` holds the abridged tag (bit n = 1: Rn is not empty), as FXSAVE stores it; the full
 * two-bit tag word of FSTENV/FSAVE is computed from the register contents (SDM Vol. 1, 8.1.7).
 * `fpuStatus` keeps TOP in bits 11..13. `fpuIp`/`fpuDp` are the last instruction and data pointer
 * offsets (64-bit); the FPU CS/DS selectors are deprecated and stored as zero (CPUID.7.EBX[13]).
 */
export const I_FPR = offsetOf('fpuRegs') >> 2;
export const I_FCW = offsetOf('fpuControl') >> 2;
export const I_FSW = offsetOf('fpuStatus') >> 2;
export const I_FTW = offsetOf('fpuTag') >> 2;
export const I_FOP = offsetOf('fpuOpcode') >> 2;
export const I_FIP = offsetOf('fpuIp') >> 2;
export const I_FDP = offsetOf('fpuDp') >> 2;
export const I_XMM = offsetOf('xmm') >> 2;
export const I_MXCSR = offsetOf('mxcsr') >> 2;

/** Status word bits (SDM Vol. 1, Figure 8-5). */
export const SW_IE = 0x1, SW_DE = 0x2, SW_ZE = 0x4, SW_OE = 0x8, SW_UE = 0x10, SW_PE = 0x20, SW_SF = 0x40,
  SW_ES = 0x80, SW_C0 = 0x100, SW_C1 = 0x200, SW_C2 = 0x400, SW_C3 = 0x4000, SW_B = 0x8000;
export const SW_TOP_SHIFT = 11;
export const SW_TOP_MASK = 0x3800;
export const SW_CC_MASK = SW_C0 | SW_C1 | SW_C2 | SW_C3;

/**
 * x87/SSE state after RESET (SDM Vol. 3, Table 10-1): FCW 0040h, FSW 0, all tags "zero" with
 * +0.0 in every register (abridged tag 0xFF), MXCSR 1F80h. (INIT keeps the x87/SSE state.)
 */
export function resetFpuState(s: Int32Array): void {
  s[I_FCW] = 0x40;
  s[I_FSW] = 0;
  s[I_FTW] = 0xff;
  s[I_MXCSR] = 0x1f80;
}
