import type { FwCfg } from '../fw-cfg.js';

/**
 * SMBIOS tables (DMTF DSP0134 version 2.8) for the pc board, handed to the firmware the way QEMU
 * does: `etc/smbios/smbios-tables` holds the structures, `etc/smbios/smbios-anchor` a 2.1-style
 * 32-bit entry point ("_SM_" ... "_DMI_", 31 bytes) whose table length equals the size of that
 * file. SeaBIOS (fw/biostables.c, smbios_romfile_setup) reads both, puts its own BIOS Information
 * (type 0) in front because none is given (as with QEMU's defaults: the firmware knows its own
 * vendor, version and date), fills in the table address and both checksums and copies the entry
 * point to the F segment, where Linux's dmi_scan and dmidecode find it.
 *
 * Structures (handles as QEMU numbers them):
 *   type 1   System Information        0100h
 *   type 3   System Enclosure          0300h
 *   type 4   Processor Information     0400h  one package with a core per vCPU (CPUID leaf 0Bh's topology)
 *   type 16  Physical Memory Array     1000h
 *   type 17  Memory Device             1100h+ one per 16 GiB of RAM
 *   type 19  Memory Array Mapped Addr. 1300h+ RAM below 4 GiB, RAM above 4 GiB
 *   type 32  System Boot Information   2000h
 *   type 127 End-of-Table              7F00h
 */

export const SMBIOS_TABLES_FILE = 'etc/smbios/smbios-tables';
export const SMBIOS_ANCHOR_FILE = 'etc/smbios/smbios-anchor';
export const SMBIOS_VERSION = { major: 2, minor: 8 } as const;

export interface SmbiosConfig {
  cpus: number;
  ramBelow4g: number;
  ramAbove4g: number;
  /** CPUID.01H EAX (signature) and EDX (feature flags): the type 4 Processor ID field. */
  cpuidSignature: number;
  cpuidFeatures: number;
  /** CPUID.80000001H:EDX.LM: the processor is 64-bit capable. */
  longMode: boolean;
  /** Processor speed in MHz (the TSC's rate). */
  cpuMhz: number;
  manufacturer?: string;
  product?: string;
  version?: string;
  /** System UUID (16 bytes, SMBIOS byte order); absent: all zero (not set), as QEMU without -uuid. */
  uuid?: Uint8Array;
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** QEMU describes RAM as DIMMs of at most 16 GiB. */
const DIMM_MAX = 16 * GIB;

/** One structure: the formatted area (its header written by `structure`) and its strings. */
class Structure {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  readonly strings: string[] = [];

  constructor(type: number, length: number, handle: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
    this.bytes[0] = type;
    this.bytes[1] = length;
    this.view.setUint16(2, handle, true);
  }

  u8(at: number, v: number): this { this.bytes[at] = v; return this; }
  u16(at: number, v: number): this { this.view.setUint16(at, v, true); return this; }
  u32(at: number, v: number): this { this.view.setUint32(at, v >>> 0, true); return this; }
  u64(at: number, v: number): this { this.view.setBigUint64(at, BigInt(v), true); return this; }

  /** A string field: its 1-based number in the string set, 0 for an empty (absent) string. */
  str(at: number, text: string): this {
    if (text === '') return this.u8(at, 0);
    this.strings.push(text);
    return this.u8(at, this.strings.length);
  }

  /** Formatted area, then each string NUL-terminated, then one more NUL (two when there are none). */
  encode(): Uint8Array {
    const text = this.strings.map((s) => s + '\0').join('') + (this.strings.length === 0 ? '\0\0' : '\0');
    const out = new Uint8Array(this.bytes.length + text.length);
    out.set(this.bytes);
    for (let i = 0; i < text.length; i++) out[this.bytes.length + i] = text.charCodeAt(i) & 0x7f;
    return out;
  }
}

/** The structures, in handle order. */
export function buildSmbiosStructures(c: SmbiosConfig): Uint8Array[] {
  const manufacturer = c.manufacturer ?? 'x86vm';
  const product = c.product ?? 'Standard PC (i440FX + PIIX, 1996)';
  const version = c.version ?? 'pc';
  const out: Structure[] = [];

  // Type 1, System Information (7.2): 1Bh bytes; wake-up type 06h = power switch.
  const t1 = new Structure(1, 0x1b, 0x0100).str(4, manufacturer).str(5, product).str(6, version).str(7, '');
  t1.bytes.set(c.uuid ?? new Uint8Array(16), 8);
  out.push(t1.u8(0x18, 0x06).str(0x19, '').str(0x1a, ''));

  // Type 3, System Enclosure (7.4): type 01h other; boot-up, power supply and thermal state 03h
  // safe; security status 02h unknown; no contained elements; SKU string last (2.7+): 16h bytes.
  out.push(new Structure(3, 0x16, 0x0300).str(4, manufacturer).u8(5, 0x01).str(6, version).str(7, '').str(8, '')
    .u8(9, 0x03).u8(0x0a, 0x03).u8(0x0b, 0x03).u8(0x0c, 0x02).u32(0x0d, 0).u8(0x11, 0).u8(0x12, 0)
    .u8(0x13, 0).u8(0x14, 0).str(0x15, ''));

  // Type 4, Processor Information (7.5), 2.6 layout (2Ah bytes): central processor, family 01h
  // (other, repeated in Processor Family 2), ID = CPUID.01H EAX and EDX, status 41h (socket
  // populated, CPU enabled), no cache structures (FFFFh), the cores of the one package.
  const cores = Math.min(c.cpus, 255);
  out.push(new Structure(4, 0x2a, 0x0400).str(4, 'CPU 0').u8(5, 0x03).u8(6, 0x01).str(7, manufacturer)
    .u32(8, c.cpuidSignature).u32(0x0c, c.cpuidFeatures).str(0x10, version).u8(0x11, 0)
    .u16(0x12, 0).u16(0x14, c.cpuMhz).u16(0x16, c.cpuMhz).u8(0x18, 0x41).u8(0x19, 0x01)
    .u16(0x1a, 0xffff).u16(0x1c, 0xffff).u16(0x1e, 0xffff).str(0x20, '').str(0x21, '').str(0x22, '')
    .u8(0x23, cores).u8(0x24, cores).u8(0x25, cores)
    // Characteristics: bit 2 64-bit capable, bit 3 multi-core.
    .u16(0x26, (c.longMode ? 0x04 : 0) | (c.cpus > 1 ? 0x08 : 0) || 0x02).u16(0x28, 0x01));

  // Type 16, Physical Memory Array (7.17), 17h bytes: location 01h other, use 03h system memory,
  // error correction 06h multi-bit ECC (as QEMU), capacity in KiB (or 80000000h + the extended
  // field in bytes), no error information (FFFEh), one device per DIMM.
  const total = c.ramBelow4g + c.ramAbove4g;
  const dimms = Math.max(1, Math.ceil(total / DIMM_MAX));
  const kib = total / 1024;
  out.push(new Structure(16, 0x17, 0x1000).u8(4, 0x01).u8(5, 0x03).u8(6, 0x06)
    .u32(7, kib < 0x80000000 ? kib : 0x80000000).u16(0x0b, 0xfffe).u16(0x0d, dimms)
    .u64(0x0f, kib < 0x80000000 ? 0 : total));

  // Type 17, Memory Device (7.18), 2.8 layout (28h bytes): widths unknown (FFFFh), size in MiB
  // (7FFFh + extended size when 32 GiB or more), form factor 09h DIMM, type 07h RAM, detail 0002h
  // other, speeds and voltages unknown.
  for (let i = 0; i < dimms; i++) {
    const mib = Math.min(DIMM_MAX, total - i * DIMM_MAX) / MIB;
    out.push(new Structure(17, 0x28, 0x1100 + i).u16(4, 0x1000).u16(6, 0xfffe).u16(8, 0xffff).u16(0x0a, 0xffff)
      .u16(0x0c, mib < 0x7fff ? mib : 0x7fff).u8(0x0e, 0x09).u8(0x0f, 0).str(0x10, `DIMM ${i}`).str(0x11, '')
      .u8(0x12, 0x07).u16(0x13, 0x0002).u16(0x15, 0).str(0x17, manufacturer).str(0x18, '').str(0x19, '').str(0x1a, '')
      .u8(0x1b, 0).u32(0x1c, mib < 0x7fff ? 0 : mib).u16(0x20, 0).u16(0x22, 0).u16(0x24, 0).u16(0x26, 0));
  }

  // Type 19, Memory Array Mapped Address (7.20), 1Fh bytes: the RAM ranges in KiB, end inclusive,
  // partition width 1.
  const ranges: [number, number][] = [[0, c.ramBelow4g]];
  if (c.ramAbove4g > 0) ranges.push([4 * GIB, c.ramAbove4g]);
  ranges.forEach(([start, length], i) => {
    out.push(new Structure(19, 0x1f, 0x1300 + i).u32(4, start / 1024).u32(8, (start + length) / 1024 - 1)
      .u16(0x0c, 0x1000).u8(0x0e, 1).u64(0x0f, 0).u64(0x17, 0));
  });

  // Type 32, System Boot Information (7.33): no errors detected.
  out.push(new Structure(32, 0x0b, 0x2000).u8(0x0a, 0));
  // Type 127, End-of-Table (7.44).
  out.push(new Structure(127, 4, 0x7f00));
  return out.map((s) => s.encode());
}

function byteSum(bytes: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i]!;
  return sum & 0xff;
}

/**
 * The SMBIOS 2.1 (32-bit) entry point (DSP0134 5.2.1) for `structures`: "_SM_", checksum, length
 * 1Fh, version, maximum structure size, revision 0, formatted area, "_DMI_", intermediate
 * checksum, table length, table address (`address`; the firmware sets it), structure count, BCD
 * revision. Both checksums make their ranges sum to zero.
 */
export function smbiosEntryPoint(structures: Uint8Array[], address = 0): Uint8Array {
  const ep = new Uint8Array(0x1f);
  const v = new DataView(ep.buffer);
  ep.set([0x5f, 0x53, 0x4d, 0x5f], 0); // _SM_
  ep[5] = 0x1f;
  ep[6] = SMBIOS_VERSION.major;
  ep[7] = SMBIOS_VERSION.minor;
  v.setUint16(8, Math.max(...structures.map((s) => s.length)), true);
  ep.set([0x5f, 0x44, 0x4d, 0x49, 0x5f], 0x10); // _DMI_
  v.setUint16(0x16, structures.reduce((n, s) => n + s.length, 0), true);
  v.setUint32(0x18, address, true);
  v.setUint16(0x1c, structures.length, true);
  ep[0x1e] = (SMBIOS_VERSION.major << 4) | SMBIOS_VERSION.minor;
  ep[0x15] = (0x100 - byteSum(ep, 0x10, 0x1f)) & 0xff;
  ep[4] = (0x100 - byteSum(ep, 0, 0x10)) & 0xff;
  return ep;
}

/** Put the tables and the entry point into fw_cfg under QEMU's names. */
export function installSmbios(fw: FwCfg, config: SmbiosConfig): void {
  const structures = buildSmbiosStructures(config);
  const tables = new Uint8Array(structures.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const s of structures) {
    tables.set(s, at);
    at += s.length;
  }
  fw.addFile(SMBIOS_TABLES_FILE, tables);
  fw.addFile(SMBIOS_ANCHOR_FILE, smbiosEntryPoint(structures));
}

/** A parsed structure (for tests and diagnostics). */
export interface SmbiosStructure {
  type: number;
  length: number;
  handle: number;
  formatted: Uint8Array;
  strings: string[];
}

/** Walk a structure table: formatted area, then strings up to the double NUL (DSP0134 6.1.3). */
export function parseSmbiosStructures(table: Uint8Array): SmbiosStructure[] {
  const out: SmbiosStructure[] = [];
  let at = 0;
  while (at + 4 <= table.length) {
    const type = table[at]!, length = table[at + 1]!;
    if (length < 4 || at + length > table.length) throw new Error(`SMBIOS structure at ${at}: bad length ${length}`);
    const formatted = table.subarray(at, at + length);
    let p = at + length;
    const strings: string[] = [];
    if (table[p] === 0 && table[p + 1] === 0) p += 2;
    else {
      for (;;) {
        let end = p;
        while (end < table.length && table[end] !== 0) end++;
        if (end >= table.length) throw new Error(`SMBIOS structure at ${at}: unterminated strings`);
        strings.push(String.fromCharCode(...table.subarray(p, end)));
        p = end + 1;
        if (table[p] === 0) { p++; break; }
      }
    }
    out.push({ type, length, handle: formatted[2]! | (formatted[3]! << 8), formatted, strings });
    at = p;
    if (type === 127) break;
  }
  return out;
}
