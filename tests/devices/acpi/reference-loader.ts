/**
 * Test-side reference for the fw_cfg ACPI linker/loader script, written from the documented command
 * semantics (SeaBIOS romfile_loader, QEMU bios-linker-loader) independently of src/: it parses the
 * 128-byte entries, allocates each file in a simulated guest memory (high zone below a ceiling, F
 * segment from 0xF0000), patches pointers, fixes checksums, and then offers the memory to a walker
 * that finds the RSDP the way an OS does (16-byte scan of 0xE0000-0xFFFFF).
 */

export interface Allocation { address: number; data: Uint8Array }

export class GuestMemory {
  readonly allocations = new Map<string, Allocation>();

  read(address: number, length: number): Uint8Array {
    for (const a of this.allocations.values()) {
      if (address >= a.address && address + length <= a.address + a.data.length) {
        return a.data.subarray(address - a.address, address - a.address + length);
      }
    }
    throw new Error(`no allocation holds 0x${address.toString(16)}+${length}`);
  }

  has(address: number, length: number): boolean {
    try { this.read(address, length); return true; } catch { return false; }
  }
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  if (end < 0) throw new Error('file name not NUL-terminated within 56 bytes');
  return new TextDecoder().decode(bytes.subarray(0, end));
}

export interface LoaderRun {
  memory: GuestMemory;
  commands: { command: number; file?: string; dest?: string; src?: string }[];
}

/** Execute `script` against `files`; high allocations grow down from `highTop`. */
export function runLoaderScript(script: Uint8Array, files: Map<string, Uint8Array>, highTop = 0x08000000): LoaderRun {
  if (script.length % 128 !== 0) throw new Error('script length is not a multiple of 128');
  const view = new DataView(script.buffer, script.byteOffset, script.length);
  const memory = new GuestMemory();
  const commands: LoaderRun['commands'] = [];
  let high = highTop, fseg = 0xf0000;
  for (let at = 0; at < script.length; at += 128) {
    const command = view.getUint32(at, true);
    const arg = at + 4;
    if (command === 1) {
      const file = cString(script.subarray(arg, arg + 56));
      const align = view.getUint32(arg + 56, true);
      const zone = script[arg + 60]!;
      if (align & (align - 1)) throw new Error('alignment is not a power of 2');
      const content = files.get(file);
      if (!content) throw new Error(`ALLOCATE of unknown file ${file}`);
      if (memory.allocations.has(file)) throw new Error(`${file} allocated twice`);
      let address: number;
      if (zone === 1) { high = Math.floor((high - content.length) / align) * align; address = high; }
      else if (zone === 2) { fseg = Math.ceil(fseg / align) * align; address = fseg; fseg += content.length; }
      else throw new Error(`bad zone ${zone}`);
      memory.allocations.set(file, { address, data: Uint8Array.from(content) });
      commands.push({ command, file });
    } else if (command === 2) {
      const dest = cString(script.subarray(arg, arg + 56));
      const src = cString(script.subarray(arg + 56, arg + 112));
      const offset = view.getUint32(arg + 112, true);
      const size = script[arg + 116]!;
      const d = memory.allocations.get(dest), s = memory.allocations.get(src);
      if (!d || !s) throw new Error('ADD_POINTER before ALLOCATE');
      if (![1, 2, 4, 8].includes(size) || offset + size > d.data.length) throw new Error('bad pointer');
      let value = 0n;
      for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(d.data[offset + i]!);
      value = (value + BigInt(s.address)) & ((1n << BigInt(8 * size)) - 1n);
      for (let i = 0; i < size; i++) { d.data[offset + i] = Number(value & 0xffn); value >>= 8n; }
      commands.push({ command, dest, src });
    } else if (command === 3) {
      const file = cString(script.subarray(arg, arg + 56));
      const offset = view.getUint32(arg + 56, true);
      const start = view.getUint32(arg + 60, true);
      const length = view.getUint32(arg + 64, true);
      const f = memory.allocations.get(file);
      if (!f || offset >= f.data.length || start + length > f.data.length) throw new Error('bad checksum');
      let sum = 0;
      for (let i = start; i < start + length; i++) sum += f.data[i]!;
      f.data[offset] = (f.data[offset]! - sum) & 0xff;
      commands.push({ command, file });
    } else {
      throw new Error(`unknown command ${command}`);
    }
  }
  return { memory, commands };
}

export const byteSum = (b: Uint8Array) => b.reduce((s, x) => (s + x) & 0xff, 0);

export interface WalkedTables {
  rsdpAddress: number;
  rsdp: Uint8Array;
  rsdt: Uint8Array;
  xsdt: Uint8Array;
  /** Tables listed by the RSDT, by signature, and their addresses. */
  rsdtEntries: Map<string, number>;
  xsdtEntries: Map<string, number>;
  /** Every table reachable from the RSDP (incl. DSDT and FACS), by signature. */
  tables: Map<string, { address: number; bytes: Uint8Array }>;
}

const sig = (b: Uint8Array) => String.fromCharCode(...b.subarray(0, 4));

/** Walk RSDP → RSDT/XSDT → tables → FADT's DSDT and FACS. */
export function walkTables(read: (address: number, length: number) => Uint8Array, rsdpAddress: number): WalkedTables {
  const rsdp = read(rsdpAddress, 36);
  const rv = new DataView(rsdp.buffer, rsdp.byteOffset, 36);
  const table = (address: number) => {
    const head = read(address, 8);
    const length = new DataView(head.buffer, head.byteOffset, 8).getUint32(4, true);
    return read(address, length);
  };
  const tables = new Map<string, { address: number; bytes: Uint8Array }>();
  const add = (address: number) => { const bytes = table(address); tables.set(sig(bytes), { address, bytes }); return sig(bytes); };
  const rsdtAddress = rv.getUint32(16, true);
  const xsdtAddress = Number(rv.getBigUint64(24, true));
  const rsdt = table(rsdtAddress), xsdt = table(xsdtAddress);
  tables.set('RSDT', { address: rsdtAddress, bytes: rsdt });
  tables.set('XSDT', { address: xsdtAddress, bytes: xsdt });
  const rsdtEntries = new Map<string, number>(), xsdtEntries = new Map<string, number>();
  const rdv = new DataView(rsdt.buffer, rsdt.byteOffset, rsdt.length);
  for (let o = 36; o < rsdt.length; o += 4) { const a = rdv.getUint32(o, true); rsdtEntries.set(add(a), a); }
  const xdv = new DataView(xsdt.buffer, xsdt.byteOffset, xsdt.length);
  for (let o = 36; o < xsdt.length; o += 8) { const a = Number(xdv.getBigUint64(o, true)); xsdtEntries.set(add(a), a); }
  const fadt = tables.get('FACP');
  if (fadt) {
    const fv = new DataView(fadt.bytes.buffer, fadt.bytes.byteOffset, fadt.bytes.length);
    add(fv.getUint32(40, true));
    const facsAddress = fv.getUint32(36, true);
    tables.set('FACS', { address: facsAddress, bytes: read(facsAddress, 64) });
  }
  return { rsdpAddress, rsdp, rsdt, xsdt, rsdtEntries, xsdtEntries, tables };
}

/** The OS's RSDP search: "RSD PTR " on a 16-byte boundary in 0xE0000-0xFFFFF with a valid checksum. */
export function findRsdp(memory: GuestMemory): number | null {
  for (let a = 0xe0000; a < 0x100000; a += 16) {
    if (!memory.has(a, 20)) continue;
    const b = memory.read(a, 20);
    if (String.fromCharCode(...b.subarray(0, 8)) === 'RSD PTR ' && byteSum(b) === 0) return a;
  }
  return null;
}
