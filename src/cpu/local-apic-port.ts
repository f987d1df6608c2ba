/**
 * What a vCPU needs from its local APIC (SDM Vol. 3, chapter 11), seen from the CPU layer: the APIC
 * is the vCPU's interrupt source, CR8 is its TPR in 64-bit mode, IA32_APIC_BASE changes its mode and
 * address, and the x2APIC registers and IA32_TSC_DEADLINE are MSRs. The device model
 * (devices/apic/local-apic.ts) implements it; the CPU never imports devices.
 */
export interface CpuLocalApic {
  /** A maskable interrupt (fixed, or ExtINT from the PIC through LINT0) is ready for delivery. */
  hasInterrupt(): boolean;
  /** INTA: the vector of the highest-priority deliverable interrupt (moves it from IRR to ISR). */
  acknowledge(): number;
  /** TPR (8 bits; CR8 holds bits 7:4). */
  readTpr(): number;
  writeTpr(value: number): void;
  /** IA32_APIC_BASE was written with a value the MSR layer accepted. */
  baseChanged(value: bigint): void;
  /** Whether a new IA32_APIC_BASE value is a valid transition from the current one (else #GP). */
  baseWriteValid(value: bigint): boolean;
  /** RDMSR of 0x800-0x8FF (x2APIC) or 0x6E0 (IA32_TSC_DEADLINE); null: #GP. */
  readMsr(index: number): bigint | null;
  /** WRMSR of those indices; false: #GP. */
  writeMsr(index: number, value: bigint): boolean;
}

/** x2APIC MSR range and IA32_TSC_DEADLINE (SDM Vol. 3, 11.12.1.2 and 11.5.4.1). */
export const X2APIC_MSR_FIRST = 0x800, X2APIC_MSR_LAST = 0x8ff, MSR_TSC_DEADLINE = 0x6e0;
