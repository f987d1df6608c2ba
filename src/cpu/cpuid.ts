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

type Register = 'eax' | 'ebx' | 'ecx' | 'edx';

/**
 * CPUID feature bits (SDM Vol. 2, CPUID, Tables 3-10/3-11 and the leaf 7 / 80000001h tables).
 * `decoder` names the opcode-map feature attribute the bit enables (decode/compile.ts).
 */
interface FeatureBit {
  readonly leaf: number;
  readonly subleaf?: number;
  readonly reg: Register;
  readonly bit: number;
  readonly decoder?: string;
}

export const FEATURE_BITS: Readonly<Record<string, FeatureBit>> = {
  fpu: { leaf: 1, reg: 'edx', bit: 0, decoder: 'x87' },
  de: { leaf: 1, reg: 'edx', bit: 2 },
  pse: { leaf: 1, reg: 'edx', bit: 3 },
  tsc: { leaf: 1, reg: 'edx', bit: 4 },
  msr: { leaf: 1, reg: 'edx', bit: 5 },
  pae: { leaf: 1, reg: 'edx', bit: 6 },
  mce: { leaf: 1, reg: 'edx', bit: 7 },
  cx8: { leaf: 1, reg: 'edx', bit: 8 },
  apic: { leaf: 1, reg: 'edx', bit: 9 },
  sep: { leaf: 1, reg: 'edx', bit: 11 },
  mtrr: { leaf: 1, reg: 'edx', bit: 12 },
  pge: { leaf: 1, reg: 'edx', bit: 13 },
  mca: { leaf: 1, reg: 'edx', bit: 14 },
  cmov: { leaf: 1, reg: 'edx', bit: 15, decoder: 'cmov' },
  pat: { leaf: 1, reg: 'edx', bit: 16 },
  pse36: { leaf: 1, reg: 'edx', bit: 17 },
  clflush: { leaf: 1, reg: 'edx', bit: 19, decoder: 'clflush' },
  mmx: { leaf: 1, reg: 'edx', bit: 23, decoder: 'mmx' },
  fxsr: { leaf: 1, reg: 'edx', bit: 24, decoder: 'fxsr' },
  sse: { leaf: 1, reg: 'edx', bit: 25, decoder: 'sse' },
  sse2: { leaf: 1, reg: 'edx', bit: 26, decoder: 'sse2' },
  sse3: { leaf: 1, reg: 'ecx', bit: 0, decoder: 'sse3' },
  pclmulqdq: { leaf: 1, reg: 'ecx', bit: 1, decoder: 'pclmul' },
  monitor: { leaf: 1, reg: 'ecx', bit: 3, decoder: 'monitor' },
  ssse3: { leaf: 1, reg: 'ecx', bit: 9, decoder: 'ssse3' },
  cx16: { leaf: 1, reg: 'ecx', bit: 13, decoder: 'cx16' },
  sse41: { leaf: 1, reg: 'ecx', bit: 19, decoder: 'sse41' },
  sse42: { leaf: 1, reg: 'ecx', bit: 20, decoder: 'sse42' },
  x2apic: { leaf: 1, reg: 'ecx', bit: 21 },
  tscDeadline: { leaf: 1, reg: 'ecx', bit: 24 },
  movbe: { leaf: 1, reg: 'ecx', bit: 22, decoder: 'movbe' },
  popcnt: { leaf: 1, reg: 'ecx', bit: 23, decoder: 'popcnt' },
  aes: { leaf: 1, reg: 'ecx', bit: 25, decoder: 'aes' },
  xsave: { leaf: 1, reg: 'ecx', bit: 26, decoder: 'xsave' },
  rdrand: { leaf: 1, reg: 'ecx', bit: 30, decoder: 'rdrand' },
  hypervisor: { leaf: 1, reg: 'ecx', bit: 31 },
  fsgsbase: { leaf: 7, subleaf: 0, reg: 'ebx', bit: 0, decoder: 'fsgsbase' },
  bmi1: { leaf: 7, subleaf: 0, reg: 'ebx', bit: 3, decoder: 'bmi1' },
  smep: { leaf: 7, subleaf: 0, reg: 'ebx', bit: 7 },
  umip: { leaf: 7, subleaf: 0, reg: 'ecx', bit: 2 },
  rdseed: { leaf: 7, subleaf: 0, reg: 'ebx', bit: 18, decoder: 'rdseed' },
  smap: { leaf: 7, subleaf: 0, reg: 'ebx', bit: 20, decoder: 'smap' },
  rdpid: { leaf: 7, subleaf: 0, reg: 'ecx', bit: 22, decoder: 'rdpid' },
  xsaveopt: { leaf: 0xd, subleaf: 1, reg: 'eax', bit: 0, decoder: 'xsaveopt' },
  lahfLm: { leaf: 0x80000001, reg: 'ecx', bit: 0 },
  abm: { leaf: 0x80000001, reg: 'ecx', bit: 5, decoder: 'abm' },
  syscall: { leaf: 0x80000001, reg: 'edx', bit: 11 },
  nx: { leaf: 0x80000001, reg: 'edx', bit: 20 },
  page1gb: { leaf: 0x80000001, reg: 'edx', bit: 26 },
  rdtscp: { leaf: 0x80000001, reg: 'edx', bit: 27, decoder: 'rdtscp' },
  lm: { leaf: 0x80000001, reg: 'edx', bit: 29 },
};

/**
 * What this build executes, and therefore advertises. A feature joins this list only together
 * with its implementation and tests; never advertise what is not executed.
 */
export const IMPLEMENTED_FEATURES: readonly string[] = [
  'de', 'pse', 'tsc', 'msr', 'pae', 'cx8', 'sep', 'mtrr', 'pge', 'cmov', 'pat', 'pse36',
  'cx16', 'popcnt', 'hypervisor', 'fsgsbase', 'rdpid',
  'lahfLm', 'abm', 'syscall', 'nx', 'page1gb', 'rdtscp', 'lm',
  // src/cpu/sse: MMX, SSE through SSE4.2 (incl. PCMPxSTRx, CRC32) with MXCSR rounding, DAZ/FTZ, #XM.
  'mmx', 'sse', 'sse2', 'sse3', 'ssse3', 'sse41', 'sse42',
  // src/cpu/fpu: x87 (80-bit), FXSAVE/FXRSTOR, XSAVE/XRSTOR/XSAVEOPT for the x87 and SSE components.
  'fpu', 'fxsr', 'xsave', 'xsaveopt',
  // src/devices/apic: local APIC (xAPIC page, x2APIC MSRs, TSC-deadline timer); leaf 0Bh topology.
  'apic', 'x2apic', 'tscDeadline',
  // src/cpu/system/msr.ts: machine-check exception and architecture MSRs (MCG_CAP/STATUS/CTL, 10 banks).
  'mce', 'mca',
];

/** Physical and linear address widths (leaf 80000008h EAX): 40 and 48 bits, as the page walker models. */
const ADDRESS_SIZES = 0x3028;

/** Build a CPU model from a list of feature names (see FEATURE_BITS). */
export function buildCpuModel(name: string, features: readonly string[]): CpuFeatures {
  const regs = new Map<string, Record<Register, number>>();
  const at = (leaf: number, subleaf = 0) => {
    const key = `${leaf}:${subleaf}`;
    let r = regs.get(key);
    if (!r) regs.set(key, (r = { eax: 0, ebx: 0, ecx: 0, edx: 0 }));
    return r;
  };
  const decoderFeatures = new Set<string>();
  for (const feature of features) {
    const bit = FEATURE_BITS[feature];
    if (!bit) throw new Error(`unknown CPU feature '${feature}'`);
    const r = at(bit.leaf, bit.subleaf ?? 0);
    r[bit.reg] = (r[bit.reg] | (1 << bit.bit)) >>> 0;
    if (bit.decoder) decoderFeatures.add(bit.decoder);
  }
  const leaf1 = at(1), leaf7 = at(7), ext1 = at(0x80000001), xsave1 = at(0xd, 1);
  const hasXsave = (leaf1.ecx & (1 << 26)) !== 0;
  const hasX2apic = (leaf1.ecx & (1 << 21)) !== 0;
  return {
    name,
    decoderFeatures,
    resetEdx: SIGNATURE,
    leaves: [
      { leaf: 0, eax: hasXsave ? 0xd : hasX2apic ? 0xb : 7, ebx: VENDOR[0]!, ecx: VENDOR[2]!, edx: VENDOR[1]! },
      // EBX: CLFLUSH line size 8 (x 8 bytes) and one logical processor; bits 31:24 = APIC ID (per vCPU).
      { leaf: 1, eax: SIGNATURE, ebx: 0x00010800, ecx: leaf1.ecx, edx: leaf1.edx },
      // Leaf 04H: QEMU's legacy cache model (L1d/L1i 32 KiB 8-way, L2 4 MiB 16-way, L3 16 MiB 16-way,
      // 64-byte lines); EAX = type | level << 5 | self-initializing (bit 8); EBX = (ways - 1) << 22 |
      // (partitions - 1) << 12 | (line - 1); ECX = sets - 1; EDX bit 0 = WBINVD/INVD act on lower
      // levels too, bit 2 = complex indexing. The sharing fields of EAX are filled per vCPU count
      // by the CPUID executor; sub-leaf 4 and above report type 0 (no more caches).
      { leaf: 4, subleaf: 0, eax: 0x121, ebx: (7 << 22) | 63, ecx: 63, edx: 1 },
      { leaf: 4, subleaf: 1, eax: 0x122, ebx: (7 << 22) | 63, ecx: 63, edx: 1 },
      { leaf: 4, subleaf: 2, eax: 0x143, ebx: (15 << 22) | 63, ecx: 4095, edx: 1 },
      { leaf: 4, subleaf: 3, eax: 0x163, ebx: (15 << 22) | 63, ecx: 16383, edx: 5 },
      { leaf: 7, subleaf: 0, eax: 0, ebx: leaf7.ebx, ecx: leaf7.ecx, edx: leaf7.edx },
      // Leaf 0Bh (x2APIC topology): filled per vCPU by the CPUID executor (exec/system.ts).
      ...(hasX2apic ? [{ leaf: 0xb, eax: 0, ebx: 0, ecx: 0, edx: 0 }] : []),
      // Leaf 0Dh (SDM Vol. 1, 13.2): XCR0 may hold x87 | SSE; the standard area is 576 bytes.
      // Leaf 1 ECX.OSXSAVE (bit 27) mirrors CR4.OSXSAVE: added by the CPUID executor.
      ...(hasXsave ? [
        { leaf: 0xd, subleaf: 0, eax: 0x3, ebx: 576, ecx: 576, edx: 0 },
        { leaf: 0xd, subleaf: 1, eax: xsave1.eax, ebx: 0, ecx: 0, edx: 0 },
      ] : []),
      { leaf: 0x80000000, eax: 0x80000008, ebx: 0, ecx: 0, edx: 0 },
      { leaf: 0x80000001, eax: 0, ebx: 0, ecx: ext1.ecx, edx: ext1.edx },
      { leaf: 0x80000002, eax: BRAND[0]!, ebx: BRAND[1]!, ecx: BRAND[2]!, edx: BRAND[3]! },
      { leaf: 0x80000003, eax: BRAND[4]!, ebx: BRAND[5]!, ecx: BRAND[6]!, edx: BRAND[7]! },
      { leaf: 0x80000004, eax: BRAND[8]!, ebx: BRAND[9]!, ecx: BRAND[10]!, edx: BRAND[11]! },
      { leaf: 0x80000008, eax: ADDRESS_SIZES, ebx: 0, ecx: 0, edx: 0 },
    ],
  };
}

/** The default model: everything this build executes. */
export const DEFAULT_FEATURES: CpuFeatures = buildCpuModel('x86vm', IMPLEMENTED_FEATURES);

/** QEMU's qemu32 / qemu64 baselines, restricted to what this build executes. */
// QEMU's builtin_x86_defs: both baselines start from the Pentium Pro feature set, which includes the
// local APIC (CPUID.01H:EDX.APIC); qemu64 adds CX16, the 64-bit and the LAHF/ABM bits.
const QEMU32 = ['fpu', 'de', 'pse', 'tsc', 'msr', 'pae', 'mce', 'cx8', 'apic', 'sep', 'mtrr', 'pge', 'cmov', 'pat', 'pse36', 'clflush', 'mmx', 'fxsr', 'sse', 'sse2', 'sse3', 'hypervisor'];
const QEMU64 = [...QEMU32, 'mca', 'cx16', 'syscall', 'nx', 'lm', 'lahfLm', 'abm'];

export interface CpuModelEntry {
  readonly description: string;
  /** The feature names (FEATURE_BITS keys) the model advertises. */
  readonly featureNames: readonly string[];
  readonly features: CpuFeatures;
}

function model(name: string, description: string, names: readonly string[]): CpuModelEntry {
  const featureNames = names.filter((f) => IMPLEMENTED_FEATURES.includes(f));
  return { description, featureNames, features: buildCpuModel(name, featureNames) };
}

/**
 * Named CPU models (the command line's -cpu): the default, `max` (the same: everything executed),
 * and QEMU's baseline models. Each entry says what it is for --help.
 */
export const CPU_MODELS: Readonly<Record<string, CpuModelEntry>> = {
  x86vm: model('x86vm', 'the default: every feature this build executes (64-bit, SSE4.2)', IMPLEMENTED_FEATURES),
  max: model('max', 'the same as x86vm', IMPLEMENTED_FEATURES),
  qemu64: model('qemu64', "QEMU's qemu64 baseline (64-bit, SSE3)", QEMU64),
  qemu32: model('qemu32', "QEMU's qemu32 baseline (32-bit only, SSE3)", QEMU32),
};

/**
 * QEMU's spellings of the feature flags (target/i386/cpu.c feature_word_info names, with their
 * aliases) for `-cpu model,+flag,-flag,flag=on|off`: FEATURE_BITS keys by QEMU name. Names QEMU
 * knows but FEATURE_BITS does not describe are listed with null (accepted, never advertised).
 */
const QEMU_FEATURE_ALIASES: Readonly<Record<string, string>> = {
  'tsc-deadline': 'tscDeadline', 'lahf-lm': 'lahfLm', 'lahf_lm': 'lahfLm', pdpe1gb: 'page1gb', pni: 'sse3',
  'sse4.1': 'sse41', 'sse4_1': 'sse41', 'sse4.2': 'sse42', 'sse4_2': 'sse42', xd: 'nx', i64: 'lm', pse36: 'pse36',
  'pse-36': 'pse36', 'xsaveopt': 'xsaveopt', 'rdtscp': 'rdtscp',
};
/** QEMU flags this build has no model of at all (no FEATURE_BITS row): accepted and left out, as TCG does. */
const QEMU_UNMODELLED_FEATURES: ReadonlySet<string> = new Set([
  'pcid', 'invpcid', 'pku', 'ospke', 'la57', 'avx', 'avx2', 'f16c', 'fma', 'bmi2', 'erms', 'adx', 'sha-ni', 'clwb',
  'clflushopt', 'vmx', 'svm', 'npt', 'nrip-save', 'lbrv', 'tsc-adjust', 'arat', 'pdcm', 'pcommit', 'skinit', 'ds',
  'acpi', 'ss', 'ht', 'tm', 'pbe', 'pmu', 'xsavec', 'xsaves', 'xgetbv1', 'mpx', 'rtm', 'hle', 'waitpkg', 'spec-ctrl',
  'ssbd', 'arch-capabilities', 'md-clear', 'stibp', 'rdpru', 'lam', 'cmp_legacy', 'cmp-legacy', 'sse4a', 'misalignsse',
  '3dnowprefetch', 'osvw', 'topoext', 'perfctr-core', 'svm-lock', 'tce', 'vme', 'est', 'tm2', 'cid',
  'xtpr', 'dca', 'smx', 'ds-cpl', 'dtes64', 'ibpb', 'ibrs', 'virt-ssbd', 'amd-ssbd', 'amd-stibp',
]);

/** A `-cpu` flag's FEATURE_BITS key, null for a flag QEMU knows that this build does not model, undefined if unknown. */
export function qemuFeatureName(flag: string): string | null | undefined {
  const alias = QEMU_FEATURE_ALIASES[flag];
  if (alias) return alias;
  if (flag in FEATURE_BITS) return flag;
  if (QEMU_UNMODELLED_FEATURES.has(flag)) return null;
  return undefined;
}

/**
 * A named model with QEMU-style flag changes applied in order (`+x2apic`, `-x2apic`, `x2apic=off`).
 * Enabling a feature this build does not execute leaves it out and reports it in `ignored` (as QEMU's
 * TCG warns "TCG doesn't support requested feature" and goes on); an unknown flag throws.
 */
export function customizeCpuModel(modelName: string, changes: readonly { flag: string; on: boolean }[]): { features: CpuFeatures; ignored: string[] } {
  const base = CPU_MODELS[modelName];
  if (!base) throw new Error(`unknown CPU model '${modelName}'`);
  if (changes.length === 0) return { features: base.features, ignored: [] };
  const names = new Set(base.featureNames);
  const ignored: string[] = [];
  for (const { flag, on } of changes) {
    const name = qemuFeatureName(flag);
    if (name === undefined) throw new Error(`unknown CPU feature '${flag}'`);
    if (name === null || !IMPLEMENTED_FEATURES.includes(name)) {
      if (on) ignored.push(flag);
      continue;
    }
    if (on) names.add(name);
    else names.delete(name);
  }
  return { features: buildCpuModel(modelName, [...names]), ignored };
}

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
