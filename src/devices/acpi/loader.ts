import type { FwCfg } from '../fw-cfg.js';
import type { AcpiConfig } from './config.js';
import { type AcpiTable, buildAcpiTables } from './tables.js';

/**
 * Delivery of the ACPI tables, the way QEMU does it: two fw_cfg files holding the table images and
 * a linker/loader script telling the firmware how to place them and fix them up (the command
 * format SeaBIOS's romfile_loader and OVMF's QemuLoader implement):
 *
 *   etc/acpi/tables   FACS, DSDT, FADT, MADT, HPET, RSDT, XSDT, one after the other
 *   etc/acpi/rsdp     the RSDP
 *   etc/table-loader  128-byte little-endian entries:
 *     u32 command, then
 *     1 ALLOCATE      char file[56], u32 align (power of 2), u8 zone (1 = high memory, 2 = F segment):
 *                     copy the file into memory at a fresh address with that alignment
 *     2 ADD_POINTER   char dest[56], char src[56], u32 offset, u8 size (1/2/4/8): add the address of
 *                     src to the size-byte little-endian value at dest+offset
 *     3 ADD_CHECKSUM  char file[56], u32 offset, u32 start, u32 length: subtract the byte sum of
 *                     [start, start+length) from the byte at offset, so that the range sums to 0
 *
 * Each pointer field is pre-filled with the offset of its target inside the target's file, so that
 * adding the file's address yields the target's address. Checksum bytes are 0 in the files.
 *
 * For boots without firmware, `layoutAcpiAt` runs the same commands itself at a given address.
 */

export const ACPI_TABLES_FILE = 'etc/acpi/tables';
export const ACPI_RSDP_FILE = 'etc/acpi/rsdp';
export const TABLE_LOADER_FILE = 'etc/table-loader';

export const LoaderCommand = { Allocate: 1, AddPointer: 2, AddChecksum: 3 } as const;
export const AllocZone = { High: 1, FSeg: 2 } as const;
export const LOADER_ENTRY_SIZE = 128;
export const LOADER_FILE_NAME_SIZE = 56;

export type LoaderEntry =
  | { command: 'allocate'; file: string; align: number; zone: number }
  | { command: 'addPointer'; dest: string; src: string; offset: number; size: 1 | 2 | 4 | 8 }
  | { command: 'addChecksum'; file: string; offset: number; start: number; length: number };

export interface AcpiFiles {
  /** Contents of etc/acpi/tables and etc/acpi/rsdp, with pointer fields holding in-file offsets. */
  files: Map<string, Uint8Array>;
  /** The loader script as commands, in order. */
  entries: LoaderEntry[];
  /** Where each table starts inside its file. */
  placement: Map<string, { file: string; offset: number; length: number }>;
}

const alignUp = (v: number, a: number) => Math.ceil(v / a) * a;

interface FileSpec { name: string; zone: number; tables: AcpiTable[] }

/** Lay the tables out into their files and derive the loader commands. */
export function buildAcpiFiles(config: AcpiConfig): AcpiFiles {
  const set = buildAcpiTables(config);
  const specs: FileSpec[] = [
    { name: ACPI_TABLES_FILE, zone: AllocZone.High, tables: set.tables },
    { name: ACPI_RSDP_FILE, zone: AllocZone.FSeg, tables: [set.rsdp] },
  ];
  const placement = new Map<string, { file: string; offset: number; length: number }>();
  const files = new Map<string, Uint8Array>();
  const entries: LoaderEntry[] = [];

  for (const spec of specs) {
    let size = 0;
    for (const t of spec.tables) {
      if (placement.has(t.key)) throw new Error(`ACPI: duplicate table ${t.key}`);
      size = alignUp(size, t.align);
      placement.set(t.key, { file: spec.name, offset: size, length: t.bytes.length });
      size += t.bytes.length;
    }
    const data = new Uint8Array(size);
    for (const t of spec.tables) data.set(t.bytes, placement.get(t.key)!.offset);
    files.set(spec.name, data);
    entries.push({ command: 'allocate', file: spec.name, align: Math.max(...spec.tables.map((t) => t.align)), zone: spec.zone });
  }

  const all = specs.flatMap((s) => s.tables);
  // Pointers first: every checksum must see the final pointer values.
  for (const t of all) {
    const at = placement.get(t.key)!;
    for (const p of t.pointers) {
      const target = placement.get(p.target);
      if (!target) throw new Error(`ACPI: ${t.key} points to missing table ${p.target}`);
      writeLe(files.get(at.file)!, at.offset + p.at, p.size, BigInt(target.offset));
      entries.push({ command: 'addPointer', dest: at.file, src: target.file, offset: at.offset + p.at, size: p.size });
    }
  }
  for (const t of all) {
    const at = placement.get(t.key)!;
    for (const c of t.checksums) {
      entries.push({ command: 'addChecksum', file: at.file, offset: at.offset + c.at, start: at.offset + c.start, length: c.length });
    }
  }
  return { files, entries, placement };
}

function writeLe(data: Uint8Array, at: number, size: number, value: bigint): void {
  for (let i = 0; i < size; i++) { data[at + i] = Number(value & 0xffn); value >>= 8n; }
}

function readLe(data: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[at + i]!);
  return v;
}

function fileName(out: Uint8Array, at: number, name: string): void {
  if (name.length >= LOADER_FILE_NAME_SIZE) throw new Error(`loader: file name too long: ${name}`);
  for (let i = 0; i < name.length; i++) out[at + i] = name.charCodeAt(i);
}

/** Encode the commands as the `etc/table-loader` file. */
export function encodeLoaderScript(entries: readonly LoaderEntry[]): Uint8Array {
  const out = new Uint8Array(entries.length * LOADER_ENTRY_SIZE);
  const view = new DataView(out.buffer);
  entries.forEach((e, i) => {
    const at = i * LOADER_ENTRY_SIZE;
    const arg = at + 4;
    switch (e.command) {
      case 'allocate':
        view.setUint32(at, LoaderCommand.Allocate, true);
        fileName(out, arg, e.file);
        view.setUint32(arg + 56, e.align, true);
        out[arg + 60] = e.zone;
        break;
      case 'addPointer':
        view.setUint32(at, LoaderCommand.AddPointer, true);
        fileName(out, arg, e.dest);
        fileName(out, arg + 56, e.src);
        view.setUint32(arg + 112, e.offset, true);
        out[arg + 116] = e.size;
        break;
      case 'addChecksum':
        view.setUint32(at, LoaderCommand.AddChecksum, true);
        fileName(out, arg, e.file);
        view.setUint32(arg + 56, e.offset, true);
        view.setUint32(arg + 60, e.start, true);
        view.setUint32(arg + 64, e.length, true);
        break;
    }
  });
  return out;
}

export interface AcpiBlobs {
  tables: Uint8Array;
  rsdp: Uint8Array;
  loader: Uint8Array;
}

/** The three fw_cfg file contents. */
export function buildAcpiBlobs(config: AcpiConfig): AcpiBlobs {
  const { files, entries } = buildAcpiFiles(config);
  return { tables: files.get(ACPI_TABLES_FILE)!, rsdp: files.get(ACPI_RSDP_FILE)!, loader: encodeLoaderScript(entries) };
}

/** Add etc/acpi/tables, etc/acpi/rsdp and etc/table-loader to the machine's fw_cfg. */
export function installAcpi(fwCfg: FwCfg, config: AcpiConfig): AcpiBlobs {
  const blobs = buildAcpiBlobs(config);
  fwCfg.addFile(ACPI_TABLES_FILE, blobs.tables);
  fwCfg.addFile(ACPI_RSDP_FILE, blobs.rsdp);
  fwCfg.addFile(TABLE_LOADER_FILE, blobs.loader);
  return blobs;
}

/**
 * Apply the loader commands to copies of the files placed at the given guest-physical addresses
 * (the semantics of the script, with the firmware's allocator replaced by `addresses`).
 */
export function applyLoaderEntries(
  files: ReadonlyMap<string, Uint8Array>, entries: readonly LoaderEntry[], addresses: ReadonlyMap<string, number>,
): Map<string, Uint8Array> {
  const placed = new Map<string, Uint8Array>();
  for (const e of entries) {
    if (e.command === 'allocate') {
      const address = addresses.get(e.file);
      if (address === undefined || address % e.align !== 0) throw new Error(`loader: bad address for ${e.file}`);
      placed.set(e.file, Uint8Array.from(files.get(e.file)!));
    } else if (e.command === 'addPointer') {
      const dest = placed.get(e.dest)!;
      const sum = readLe(dest, e.offset, e.size) + BigInt(addresses.get(e.src)!);
      if (sum >= 1n << BigInt(8 * e.size)) throw new Error(`loader: ${e.src} does not fit a ${e.size}-byte pointer`);
      writeLe(dest, e.offset, e.size, sum);
    } else {
      const data = placed.get(e.file)!;
      let sum = 0;
      for (let i = e.start; i < e.start + e.length; i++) sum += data[i]!;
      data[e.offset] = (data[e.offset]! - sum) & 0xff;
    }
  }
  return placed;
}

export interface AcpiLayout {
  /** The bytes to copy to guest memory at `physBase` (tables, then the RSDP, 16-byte aligned). */
  bytes: Uint8Array;
  rsdpAddress: number;
}

/**
 * For boots without firmware (the Linux boot protocol): the tables laid out at `physBase` (a
 * multiple of 64, below 4 GiB) with pointers and checksums resolved. The caller copies `bytes` to
 * guest memory, reserves the range in the e820 map (ACPI reclaimable; the FACS wants NVS or
 * reserved memory, it is at `physBase`) and passes `rsdpAddress` to the kernel.
 */
export function layoutAcpiAt(physBase: number, config: AcpiConfig): AcpiLayout {
  if (physBase % 64 !== 0) throw new Error('ACPI: layout base must be 64-byte aligned (FACS)');
  const { files, entries } = buildAcpiFiles(config);
  const tables = files.get(ACPI_TABLES_FILE)!, rsdp = files.get(ACPI_RSDP_FILE)!;
  const rsdpOffset = alignUp(tables.length, 16);
  const size = rsdpOffset + rsdp.length;
  if (physBase + size > 2 ** 32) throw new Error('ACPI: tables must lie below 4 GiB (RSDT has 32-bit pointers)');
  const addresses = new Map([[ACPI_TABLES_FILE, physBase], [ACPI_RSDP_FILE, physBase + rsdpOffset]]);
  const placed = applyLoaderEntries(files, entries, addresses);
  const bytes = new Uint8Array(size);
  bytes.set(placed.get(ACPI_TABLES_FILE)!, 0);
  bytes.set(placed.get(ACPI_RSDP_FILE)!, rsdpOffset);
  return { bytes, rsdpAddress: physBase + rsdpOffset };
}
