import { type AcpiConfig, apicIdOf } from './config.js';
import { dsdtBody } from './dsdt.js';

/**
 * The machine's ACPI tables (ACPI 6.4 chapter 5.2) as relocatable byte images. A table does not
 * know where it will live: each pointer field holds 0 and is listed in `pointers` (the linker adds
 * the target table's address), each checksum byte holds 0 and is listed in `checksums` (the linker
 * makes the range sum to 0 after the pointers are in place). loader.ts turns this into QEMU's
 * linker/loader script or lays the tables out at a fixed address.
 */

export interface TablePointer {
  /** Offset of the pointer field in this table. */
  at: number;
  size: 4 | 8;
  /** Key of the table it points to. */
  target: string;
}

export interface TableChecksum {
  /** Offset of the checksum byte, and the range [start, start + length) that must sum to 0. */
  at: number;
  start: number;
  length: number;
}

export interface AcpiTable {
  /** The signature, which also names the table for pointers ("FACP", "APIC", ...). */
  key: string;
  bytes: Uint8Array;
  pointers: TablePointer[];
  checksums: TableChecksum[];
  /** Required alignment of the table's address. */
  align: number;
}

export const SDT_HEADER_LENGTH = 36;
const CREATOR_ID = 'XVMB';
const CREATOR_REVISION = 1;
const OEM_REVISION = 1;

class Writer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(at: number, v: number): void { this.view.setUint8(at, v); }
  u16(at: number, v: number): void { this.view.setUint16(at, v, true); }
  u32(at: number, v: number): void { this.view.setUint32(at, v >>> 0, true); }
  u64(at: number, v: number | bigint): void { this.view.setBigUint64(at, BigInt(v), true); }
  ascii(at: number, text: string, length: number): void {
    if (text.length > length) throw new Error(`ACPI: "${text}" is longer than ${length} characters`);
    for (let i = 0; i < length; i++) this.bytes[at + i] = i < text.length ? text.charCodeAt(i) : 0x20;
  }
  /** Generic Address Structure (5.2.3.2): space ID, bit width, bit offset, access size, address. */
  gas(at: number, space: number, bitWidth: number, bitOffset: number, accessSize: number, address: number | bigint): void {
    this.u8(at, space);
    this.u8(at + 1, bitWidth);
    this.u8(at + 2, bitOffset);
    this.u8(at + 3, accessSize);
    this.u64(at + 4, address);
  }
}

const GAS_SYSTEM_MEMORY = 0, GAS_SYSTEM_IO = 1;
const ACCESS_UNDEFINED = 0, ACCESS_BYTE = 1;

/** A system description table with its 36-byte header (5.2.6); the checksum is at offset 9. */
function sdt(config: AcpiConfig, signature: string, revision: number, length: number): { w: Writer; table: AcpiTable } {
  const w = new Writer(length);
  w.ascii(0, signature, 4);
  w.u32(4, length);
  w.u8(8, revision);
  w.ascii(10, config.oemId, 6);
  w.ascii(16, config.oemTableId, 8);
  w.u32(24, OEM_REVISION);
  w.ascii(28, CREATOR_ID, 4);
  w.u32(32, CREATOR_REVISION);
  return { w, table: { key: signature, bytes: w.bytes, pointers: [], checksums: [{ at: 9, start: 0, length }], align: 1 } };
}

/** RSDP (5.2.5.3), revision 2: RSDT and XSDT addresses, checksum over 20 bytes and extended checksum over 36. */
export function buildRsdp(config: AcpiConfig): AcpiTable {
  const w = new Writer(36);
  w.ascii(0, 'RSD PTR ', 8);
  w.ascii(9, config.oemId, 6);
  w.u8(15, 2);
  w.u32(20, 36);
  return {
    key: 'RSDP',
    bytes: w.bytes,
    pointers: [{ at: 16, size: 4, target: 'RSDT' }, { at: 24, size: 8, target: 'XSDT' }],
    // The first checksum must be final before the extended one, which covers it.
    checksums: [{ at: 8, start: 0, length: 20 }, { at: 32, start: 0, length: 36 }],
    align: 16,
  };
}

/** RSDT (5.2.7): 32-bit pointers to the other tables. */
export function buildRsdt(config: AcpiConfig, keys: readonly string[]): AcpiTable {
  const { table } = sdt(config, 'RSDT', 1, SDT_HEADER_LENGTH + 4 * keys.length);
  table.pointers = keys.map((target, i) => ({ at: SDT_HEADER_LENGTH + 4 * i, size: 4 as const, target }));
  return table;
}

/** XSDT (5.2.8): 64-bit pointers to the other tables. */
export function buildXsdt(config: AcpiConfig, keys: readonly string[]): AcpiTable {
  const { table } = sdt(config, 'XSDT', 1, SDT_HEADER_LENGTH + 8 * keys.length);
  table.pointers = keys.map((target, i) => ({ at: SDT_HEADER_LENGTH + 8 * i, size: 8 as const, target }));
  return table;
}

/** FADT flags (5.2.9, table 5.10). */
export const FadtFlag = {
  WBINVD: 1 << 0,
  PROC_C1: 1 << 2,
  PWR_BUTTON: 1 << 4,
  SLP_BUTTON: 1 << 5,
  RESET_REG_SUP: 1 << 10,
  FORCE_APIC_PHYSICAL_DESTINATION_MODE: 1 << 19,
} as const;

/** IA-PC boot architecture flags (5.2.9.3). */
export const BootArch = { LEGACY_DEVICES: 1 << 0, I8042: 1 << 1 } as const;

export const FADT_REVISION = 3;
export const FADT_LENGTH = 244;

/**
 * FADT (5.2.9), revision 3 (ACPI 2.0 layout, 244 bytes) with the X_ fields. The PM blocks are those
 * of the PIIX4 PM function at `pm.ioBase`: PM1a event (4 bytes) at +0, PM1a control (2) at +4, PM
 * timer (4, 24-bit) at +8; the GPE0 block if configured. No PM1b, PM2 or GPE1 blocks.
 *
 * SMI_CMD: by default QEMU's choice, the APM control port 0xB2 with ACPI_ENABLE 0xF1 / ACPI_DISABLE
 * 0xF0; the OS writes ACPI_ENABLE there and waits for PM1_CNT.SCI_EN, so the board must turn such a
 * write into SCI_EN (as QEMU's PIIX4 does). With `smiCommand: null` SMI_CMD is 0 and the OS assumes
 * ACPI mode from the start: the PM model must then come out of reset with SCI_EN set.
 */
export function buildFadt(config: AcpiConfig): AcpiTable {
  const { w, table } = sdt(config, 'FACP', FADT_REVISION, FADT_LENGTH);
  const pm = config.pm;
  const pm1Evt = pm.ioBase, pm1Cnt = pm.ioBase + 4, pmTmr = pm.ioBase + 8;
  // 36 FIRMWARE_CTRL and 40 DSDT: pointers. 44: reserved (ACPI 1.0 INT_MODEL), 45: profile unspecified.
  w.u16(46, pm.sciIrq);
  w.u32(48, pm.smiCommand?.port ?? 0);
  w.u8(52, pm.smiCommand?.acpiEnable ?? 0);
  w.u8(53, pm.smiCommand?.acpiDisable ?? 0);
  // 54 S4BIOS_REQ, 55 PSTATE_CNT: 0.
  w.u32(56, pm1Evt);
  w.u32(64, pm1Cnt);
  w.u32(76, pmTmr);
  if (pm.gpe0) w.u32(80, pm.gpe0.address);
  w.u8(88, 4); // PM1_EVT_LEN
  w.u8(89, 2); // PM1_CNT_LEN
  w.u8(91, 4); // PM_TMR_LEN
  w.u8(92, pm.gpe0?.length ?? 0);
  w.u16(96, 0x0fff); // P_LVL2_LAT > 100: C2 not supported
  w.u16(98, 0x0fff); // P_LVL3_LAT > 1000: C3 not supported
  w.u8(108, config.rtcCentury);
  w.u16(109, BootArch.LEGACY_DEVICES | BootArch.I8042);
  let flags = FadtFlag.WBINVD | FadtFlag.PROC_C1 | FadtFlag.SLP_BUTTON | FadtFlag.RESET_REG_SUP;
  // xAPIC logical flat mode addresses at most 8 processors.
  if (config.cpus > 8) flags |= FadtFlag.FORCE_APIC_PHYSICAL_DESTINATION_MODE;
  w.u32(112, flags);
  w.gas(116, GAS_SYSTEM_IO, 8, 0, ACCESS_BYTE, config.reset.port);
  w.u8(128, config.reset.value);
  // 132 X_FIRMWARE_CTRL stays 0 (the 32-bit FIRMWARE_CTRL is used); 140 X_DSDT: pointer.
  w.gas(148, GAS_SYSTEM_IO, 32, 0, ACCESS_UNDEFINED, pm1Evt);
  w.gas(172, GAS_SYSTEM_IO, 16, 0, ACCESS_UNDEFINED, pm1Cnt);
  w.gas(208, GAS_SYSTEM_IO, 32, 0, ACCESS_UNDEFINED, pmTmr);
  if (pm.gpe0) w.gas(220, GAS_SYSTEM_IO, pm.gpe0.length * 8, 0, ACCESS_UNDEFINED, pm.gpe0.address);
  table.pointers = [
    { at: 36, size: 4, target: 'FACS' },
    { at: 40, size: 4, target: 'DSDT' },
    { at: 140, size: 8, target: 'DSDT' },
  ];
  return table;
}

/** FACS (5.2.10): 64 bytes, 64-byte aligned, version 2, no checksum. */
export function buildFacs(): AcpiTable {
  const w = new Writer(64);
  w.ascii(0, 'FACS', 4);
  w.u32(4, 64);
  w.u8(32, 2);
  return { key: 'FACS', bytes: w.bytes, pointers: [], checksums: [], align: 64 };
}

/** DSDT (5.2.11.1), revision 2 (64-bit integers). */
export function buildDsdt(config: AcpiConfig): AcpiTable {
  const body = dsdtBody(config);
  const { w, table } = sdt(config, 'DSDT', 2, SDT_HEADER_LENGTH + body.length);
  w.bytes.set(body, SDT_HEADER_LENGTH);
  return table;
}

/** MADT interrupt flags (5.2.12.5, table 5.26): polarity bits 1:0, trigger mode bits 3:2. */
export const MpsIntiFlags = {
  CONFORMS: 0,
  ACTIVE_HIGH: 1,
  ACTIVE_LOW: 3,
  EDGE: 1 << 2,
  LEVEL: 3 << 2,
} as const;

/**
 * MADT (5.2.12), revision 3: the local APIC address and PCAT_COMPAT (dual 8259s present), one
 * Processor Local APIC per vCPU (UID = index, enabled), the IOAPIC, interrupt source overrides for
 * IRQ0 → GSI 2 (the PIT on IOAPIC pin 2) and the SCI (level, active high), and LINT1 as NMI on all
 * processors.
 */
export function buildMadt(config: AcpiConfig): AcpiTable {
  if (config.cpus < 1 || config.cpus > 255) throw new Error('ACPI: 1-255 CPUs');
  const entries: number[][] = [];
  const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  for (let i = 0; i < config.cpus; i++) {
    const apicId = apicIdOf(config, i);
    if (apicId > 254) throw new Error('ACPI: xAPIC IDs are 0-254 (x2APIC entries not generated)');
    entries.push([0, 8, i, apicId, ...u32(1)]); // Processor Local APIC, Enabled
  }
  const ioa = config.ioApic;
  entries.push([1, 12, ioa.id, 0, ...u32(ioa.address), ...u32(ioa.gsiBase)]);
  const iso = (source: number, gsi: number, flags: number) => [2, 10, 0, source, ...u32(gsi), flags & 0xff, flags >> 8];
  entries.push(iso(0, 2, MpsIntiFlags.CONFORMS));
  entries.push(iso(config.pm.sciIrq, config.pm.sciIrq, MpsIntiFlags.ACTIVE_HIGH | MpsIntiFlags.LEVEL));
  entries.push([4, 6, 0xff, MpsIntiFlags.CONFORMS, 0, 1]); // Local APIC NMI, all processors, LINT1
  const body = entries.flat();
  const { w, table } = sdt(config, 'APIC', 3, SDT_HEADER_LENGTH + 8 + body.length);
  w.u32(36, config.localApicAddress);
  w.u32(40, 1); // PCAT_COMPAT
  w.bytes.set(body, SDT_HEADER_LENGTH + 8);
  return table;
}

/**
 * HPET description table (IA-PC HPET specification 1.0a, 3.2.4): event timer block ID (vendor
 * 8086h in bits 31:16, legacy replacement capable, 64-bit counter, comparators - 1 in bits 12:8,
 * hardware revision 1), the base address as a system-memory GAS, HPET number 0, minimum tick.
 */
export function buildHpet(config: AcpiConfig): AcpiTable {
  const hpet = config.hpet;
  if (!hpet) throw new Error('ACPI: no HPET configured');
  if (hpet.comparators < 1 || hpet.comparators > 32) throw new Error('ACPI: HPET has 1-32 comparators');
  const { w, table } = sdt(config, 'HPET', 1, 56);
  w.u32(36, (0x8086 << 16) | 0x8000 | 0x2000 | ((hpet.comparators - 1) << 8) | 0x01);
  w.gas(40, GAS_SYSTEM_MEMORY, 64, 0, ACCESS_UNDEFINED, hpet.address);
  w.u8(52, 0);
  w.u16(53, hpet.minimumTick);
  w.u8(55, 0); // no page protection guarantee
  return table;
}

export interface AcpiTableSet {
  /** The tables of `etc/acpi/tables`, in blob order (FACS first for its alignment). */
  tables: AcpiTable[];
  rsdp: AcpiTable;
}

/** Every table of the machine, RSDT/XSDT listing FADT, MADT and (if present) HPET. */
export function buildAcpiTables(config: AcpiConfig): AcpiTableSet {
  const described = [buildFadt(config), buildMadt(config)];
  if (config.hpet) described.push(buildHpet(config));
  const keys = described.map((t) => t.key);
  return {
    tables: [buildFacs(), buildDsdt(config), ...described, buildRsdt(config, keys), buildXsdt(config, keys)],
    rsdp: buildRsdp(config),
  };
}
