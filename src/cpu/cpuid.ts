import { FEATURE_NAMES } from './decode/compile.js';

/**
 * The CPU model: which CPUID leaves it reports and which instruction sets the decoder accepts.
 * A feature is advertised only when it is executed (SDM Vol. 2, CPUID; Vol. 3, 2.x).
 */

/** One CPUID leaf/sub-leaf answer. */
export interface CpuidLeaf {
  readonly leaf: number;
  readonly subleaf?: number;
  readonly eax: number;
  readonly ebx: number;
  readonly ecx: number;
  readonly edx: number;
}

export interface CpuFeatures {
  readonly name: string;
  /** Row feature names (see decode/compile.ts FEATURE_NAMES) the decoder accepts. */
  readonly decoderFeatures: ReadonlySet<string>;
  readonly leaves: readonly CpuidLeaf[];
  /** EDX after RESET: family/model/stepping (SDM Vol. 3, 10.1.2). */
  readonly resetEdx: number;
}

const ascii = (text: string): number[] => {
  const words: number[] = [];
  for (let i = 0; i < text.length; i += 4) {
    words.push((text.charCodeAt(i) | (text.charCodeAt(i + 1) << 8) | (text.charCodeAt(i + 2) << 16) | (text.charCodeAt(i + 3) << 24)) >>> 0);
  }
  return words;
};

const VENDOR = ascii('GenuineIntel'); // EBX, EDX, ECX order below
const BRAND = ascii('x86vm interpreter CPU'.padEnd(48, '\0'));
const SIGNATURE = 0x000006f1; // family 6, model 15 (a Core 2 era signature), stepping 1

/** Leaf 1 EDX bits we implement: FPU-less integer core for now (SDM Vol. 2, Table 3-11). */
const LEAF1_EDX =
  (1 << 4) | // TSC
  (1 << 5) | // MSR
  (1 << 8) | // CX8
  (1 << 15); // CMOV
const LEAF1_ECX =
  (1 << 23); // POPCNT

/** The default model: what this build executes. Later issues add x87/SSE, paging, APIC bits. */
export const DEFAULT_FEATURES: CpuFeatures = {
  name: 'x86vm-base',
  decoderFeatures: new Set(['popcnt', 'cmov', 'cx16']),
  resetEdx: SIGNATURE,
  leaves: [
    { leaf: 0, eax: 1, ebx: VENDOR[0]!, ecx: VENDOR[2]!, edx: VENDOR[1]! },
    { leaf: 1, eax: SIGNATURE, ebx: 0x00010800, ecx: LEAF1_ECX | (1 << 13), edx: LEAF1_EDX },
    { leaf: 0x80000000, eax: 0x80000004, ebx: 0, ecx: 0, edx: 0 },
    // LM, SYSCALL and NX are advertised by the system-architecture layer once implemented.
    { leaf: 0x80000001, eax: 0, ebx: 0, ecx: 1 << 0, edx: 0 },
    { leaf: 0x80000002, eax: BRAND[0]!, ebx: BRAND[1]!, ecx: BRAND[2]!, edx: BRAND[3]! },
    { leaf: 0x80000003, eax: BRAND[4]!, ebx: BRAND[5]!, ecx: BRAND[6]!, edx: BRAND[7]! },
    { leaf: 0x80000004, eax: BRAND[8]!, ebx: BRAND[9]!, ecx: BRAND[10]!, edx: BRAND[11]! },
  ],
};

/**
 * Every row feature the opcode maps name: for tools and tests that decode (length, operands,
 * disassembly) independently of what this CPU model executes. Not a CPU model.
 */
export const ALL_DECODER_FEATURES: ReadonlySet<string> = new Set(FEATURE_NAMES);

/**
 * Answer CPUID for (leaf, subleaf). A leaf above the maximum returns the highest basic leaf's data
 * (SDM Vol. 2, CPUID: "If a value entered for CPUID.EAX is higher than the maximum input value...").
 */
export function cpuidLookup(features: CpuFeatures, leaf: number, subleaf: number): CpuidLeaf {
  const leaves = features.leaves;
  const maxBasic = leaves.find((l) => l.leaf === 0)!.eax;
  const maxExtended = leaves.find((l) => l.leaf === 0x80000000)?.eax ?? 0x80000000;
  let target = leaf >>> 0;
  if (target >= 0x80000000 ? target > maxExtended : target > maxBasic) target = maxBasic;
  const match = leaves.find((l) => l.leaf === target && (l.subleaf === undefined || l.subleaf === subleaf));
  return match ?? { leaf: target, eax: 0, ebx: 0, ecx: 0, edx: 0 };
}
