/**
 * Multiboot 1 (the Multiboot Specification 0.6.96): find the header in the first 8 KiB of the
 * kernel, load an ELF32 kernel by its program headers or an "a.out kludge" kernel by the header's
 * address fields, build the Multiboot information structure (memory sizes, the BIOS-style memory
 * map, boot device, command line, modules, boot loader name) and enter in flat 32-bit protected mode
 * with paging off: EAX = 0x2BADB002, EBX = the information structure.
 *
 * Layout, as QEMU's loader does it: nothing at fixed addresses (kernels are linked anywhere, e.g.
 * kvm-unit-tests' realmode test at 32 KiB). The modules follow the kernel image (with its bss),
 * page-aligned; then, on the next page, the information structure and everything it points to
 * (strings, module list, memory map) and the GDT of the entry state (code 0x10, data 0x18, as the
 * Linux loader). Whatever would run into the EBDA/VGA hole below 1 MiB moves to 1 MiB.
 */
import type { Cpu } from '../../cpu/cpu.js';
import type { PhysicalMemory } from '../../mem/physical-memory.js';
import { setSegmentCache } from '../../cpu/exec/segment.js';
import {
  I_CPL, I_CR, I_EFER, I_GDTR_BASE, I_GDTR_LIMIT, I_GPR, I_HALTED, I_IDTR_BASE, I_IDTR_LIMIT, I_RFLAGS, I_RIP,
} from '../../cpu/state/cpu-state.js';
import { buildE820, E820Type, type BoardMemory, type E820Entry } from './e820.js';

export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const SEARCH_LIMIT = 8192;

export const MultibootHeaderFlags = { PageAlignModules: 1 << 0, MemoryInfo: 1 << 1, VideoMode: 1 << 2, AoutKludge: 1 << 16 } as const;
export const MultibootInfoFlags = {
  Memory: 1 << 0, BootDevice: 1 << 1, Cmdline: 1 << 2, Modules: 1 << 3, MemoryMap: 1 << 6, BootLoaderName: 1 << 9,
} as const;

export interface MultibootHeader {
  /** File offset of the header. */
  offset: number;
  flags: number;
  /** a.out kludge address fields (valid when flags bit 16 is set). */
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

const u32 = (d: Uint8Array, at: number) => (d[at]! | (d[at + 1]! << 8) | (d[at + 2]! << 16) | (d[at + 3]! << 24)) >>> 0;
const u16 = (d: Uint8Array, at: number) => d[at]! | (d[at + 1]! << 8);
function put32(d: Uint8Array, at: number, v: number): void {
  d[at] = v & 0xff; d[at + 1] = (v >>> 8) & 0xff; d[at + 2] = (v >>> 16) & 0xff; d[at + 3] = (v >>> 24) & 0xff;
}

/** The Multiboot header, or null when the image has none in its first 8 KiB. */
export function findMultibootHeader(image: Uint8Array): MultibootHeader | null {
  const end = Math.min(image.length, SEARCH_LIMIT) - 12;
  for (let at = 0; at <= end; at += 4) {
    if (u32(image, at) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = u32(image, at + 4);
    if (((MULTIBOOT_HEADER_MAGIC + flags + u32(image, at + 8)) >>> 0) !== 0) continue;
    const field = (i: number) => (at + 12 + i * 4 + 4 <= image.length ? u32(image, at + 12 + i * 4) : 0);
    return { offset: at, flags, headerAddr: field(0), loadAddr: field(1), loadEndAddr: field(2), bssEndAddr: field(3), entryAddr: field(4) };
  }
  return null;
}

export interface MultibootModule {
  data: Uint8Array;
  /** The module's string (conventionally its command line). */
  cmdline?: string;
}

export interface MultibootOptions {
  kernel: Uint8Array;
  cmdline?: string;
  modules?: readonly MultibootModule[];
  /** boot_device: BIOS drive in the top byte, then partitions (default 0x8000FFFF: first hard disk, QEMU's value). */
  bootDevice?: number;
}

export interface MultibootInfo {
  header: MultibootHeader;
  format: 'elf32' | 'aout-kludge';
  entryPoint: number;
  /** Highest address the kernel image (with bss) occupies, exclusive. */
  kernelEnd: number;
  infoAddress: number;
  /** The GDT of the entry state (inside the information area). */
  gdtAddress: number;
  modules: { start: number; end: number }[];
  e820: E820Entry[];
}

export interface MultibootTarget extends BoardMemory {
  physical: PhysicalMemory;
}

const PAGE = 4096;
const MIB = 0x100000;
/** Where usable low memory ends on the board (e820.ts): the EBDA and the VGA/BIOS hole follow. */
const LOW_RAM_END = 0x9fc00;

/** `size` bytes at `at` (page-aligned up), or at 1 MiB if they would run into the hole below it. */
function place(at: number, size: number): number {
  const start = Math.ceil(at / PAGE) * PAGE;
  return start < MIB && start + size > LOW_RAM_END ? MIB : start;
}

/**
 * The kernel as it sits in memory: from its lowest to its highest loaded address, bss included and
 * zeroed (the a.out kludge's load/bss range, or the span of the ELF32 PT_LOAD segments, gaps zeroed,
 * as QEMU's loader flattens it), with the entry point.
 */
export function multibootKernelImage(image: Uint8Array, header: MultibootHeader): { format: MultibootInfo['format']; loadAddr: number; entry: number; bytes: Uint8Array } {
  if ((header.flags & MultibootHeaderFlags.AoutKludge) !== 0) {
    const { headerAddr, loadAddr, entryAddr } = header;
    if (loadAddr > headerAddr) throw new Error('multiboot: load_addr above header_addr');
    const fileStart = header.offset - (headerAddr - loadAddr);
    if (fileStart < 0) throw new Error('multiboot: header address fields point before the start of the file');
    const loadEnd = header.loadEndAddr === 0 ? loadAddr + (image.length - fileStart) : header.loadEndAddr;
    if (loadEnd < loadAddr || fileStart + (loadEnd - loadAddr) > image.length) throw new Error('multiboot: load_end_addr beyond the file');
    const bssEnd = header.bssEndAddr === 0 ? loadEnd : header.bssEndAddr;
    const bytes = new Uint8Array(Math.max(loadEnd, bssEnd) - loadAddr);
    bytes.set(image.subarray(fileStart, fileStart + (loadEnd - loadAddr)));
    return { format: 'aout-kludge', loadAddr, entry: entryAddr, bytes };
  }
  // ELF32: PT_LOAD segments at their physical addresses.
  if (u32(image, 0) !== 0x464c457f) throw new Error('multiboot: kernel is neither ELF nor has the a.out kludge address fields');
  if (image[4] !== 1) throw new Error('multiboot: only ELF32 kernels are loaded (this is ELF64; use the a.out kludge)');
  if (u16(image, 18) !== 3) throw new Error('multiboot: ELF machine is not i386');
  const phoff = u32(image, 28), phentsize = u16(image, 42), phnum = u16(image, 44);
  const segments: { offset: number; paddr: number; filesz: number; memsz: number }[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (u32(image, ph) !== 1) continue; // PT_LOAD
    const seg = { offset: u32(image, ph + 4), paddr: u32(image, ph + 12), filesz: u32(image, ph + 16), memsz: u32(image, ph + 20) };
    if (seg.offset + seg.filesz > image.length) throw new Error('multiboot: ELF segment beyond the end of the file');
    if (seg.memsz > 0) segments.push(seg);
  }
  if (segments.length === 0) throw new Error('multiboot: ELF kernel without loadable segments');
  const low = Math.min(...segments.map((g) => g.paddr)), high = Math.max(...segments.map((g) => g.paddr + g.memsz));
  if (high - low > 0x40000000) throw new Error('multiboot: ELF segments spread over more than 1 GiB');
  const bytes = new Uint8Array(high - low);
  for (const g of segments) bytes.set(image.subarray(g.offset, g.offset + Math.min(g.filesz, g.memsz)), g.paddr - low);
  return { format: 'elf32', loadAddr: low, entry: u32(image, 24), bytes };
}

/** Load the kernel image into memory; returns its format, entry point and end. */
function loadKernel(mem: PhysicalMemory, image: Uint8Array, header: MultibootHeader): { format: MultibootInfo['format']; entry: number; end: number } {
  const k = multibootKernelImage(image, header);
  mem.load(k.loadAddr, k.bytes);
  return { format: k.format, entry: k.entry, end: k.loadAddr + k.bytes.length };
}

/** Load kernel and modules, write the information structure. */
export function loadMultiboot(target: MultibootTarget, options: MultibootOptions): MultibootInfo {
  const header = findMultibootHeader(options.kernel);
  if (!header) throw new Error('not a Multiboot kernel (no header with a valid checksum in the first 8 KiB)');
  if ((header.flags & 0xfffc) !== 0) throw new Error(`multiboot: the kernel requires unsupported features (flags 0x${header.flags.toString(16)})`);
  const mem = target.physical;
  const kernel = loadKernel(mem, options.kernel, header);
  const e820 = buildE820(target);
  const upper = e820.find((e) => e.address === MIB && e.type === E820Type.Ram);
  const low = e820.find((e) => e.address === 0 && e.type === E820Type.Ram);
  const ramEnd = upper ? upper.address + upper.length : 0;

  // Modules, page-aligned after the kernel.
  let next = kernel.end;
  const modules: { start: number; end: number }[] = [];
  for (const m of options.modules ?? []) {
    const start = place(next, m.data.length);
    if (start + m.data.length > ramEnd) throw new Error('multiboot: kernel and modules do not fit in RAM');
    mem.load(start, m.data);
    modules.push({ start, end: start + m.data.length });
    next = start + m.data.length;
  }

  // The information area: the structure (0x80 bytes), then what it points to, then the GDT.
  const encoder = new TextEncoder();
  const cstr = (text: string) => { const b = encoder.encode(text); const out = new Uint8Array(b.length + 1); out.set(b); return out; };
  const pieces: Uint8Array[] = [];
  const offsets: number[] = [];
  let used = 0x80;
  const alloc = (bytes: Uint8Array, align = 4): number => {
    used = Math.ceil(used / align) * align;
    offsets.push(used);
    pieces.push(bytes);
    const at = used;
    used += bytes.length;
    return at;
  };
  const mbi = new Uint8Array(0x80);
  const flags = MultibootInfoFlags.Memory | MultibootInfoFlags.BootDevice | MultibootInfoFlags.Cmdline | MultibootInfoFlags.Modules
    | MultibootInfoFlags.MemoryMap | MultibootInfoFlags.BootLoaderName;
  // mem_lower: KiB from 0 (640 KiB max, minus the EBDA); mem_upper: KiB from 1 MiB to the first hole.
  put32(mbi, 4, Math.floor((low?.length ?? 0) / 1024));
  put32(mbi, 8, Math.floor((upper?.length ?? 0) / 1024));
  put32(mbi, 12, options.bootDevice ?? 0x8000ffff);
  const cmdlineAt = alloc(cstr(options.cmdline ?? ''));
  const moduleStrings = (options.modules ?? []).map((m) => alloc(cstr(m.cmdline ?? '')));
  const list = new Uint8Array(16 * modules.length);
  const listAt = modules.length ? alloc(list) : -1;
  const mmap = new Uint8Array(24 * e820.length);
  e820.forEach((e, i) => {
    put32(mmap, i * 24, 20);
    put32(mmap, i * 24 + 4, e.address % 2 ** 32);
    put32(mmap, i * 24 + 8, Math.floor(e.address / 2 ** 32));
    put32(mmap, i * 24 + 12, e.length % 2 ** 32);
    put32(mmap, i * 24 + 16, Math.floor(e.length / 2 ** 32));
    put32(mmap, i * 24 + 20, e.type);
  });
  const mmapAt = alloc(mmap);
  const nameAt = alloc(cstr('x86vm'));
  const gdt = new Uint8Array(32);
  put32(gdt, 16, 0x0000ffff); put32(gdt, 20, 0x00cf9b00);
  put32(gdt, 24, 0x0000ffff); put32(gdt, 28, 0x00cf9300);
  const gdtAt = alloc(gdt, 16);

  const base = place(next, used);
  if (base + used > ramEnd) throw new Error('multiboot: kernel and modules do not fit in RAM');
  put32(mbi, 16, base + cmdlineAt);
  modules.forEach((m, i) => {
    put32(list, i * 16, m.start);
    put32(list, i * 16 + 4, m.end);
    put32(list, i * 16 + 8, base + moduleStrings[i]!);
  });
  put32(mbi, 20, modules.length);
  put32(mbi, 24, modules.length ? base + listAt : 0);
  put32(mbi, 44, mmap.length);
  put32(mbi, 48, base + mmapAt);
  put32(mbi, 64, base + nameAt);
  put32(mbi, 0, flags);
  const area = new Uint8Array(used);
  area.set(mbi, 0);
  pieces.forEach((bytes, i) => area.set(bytes, offsets[i]!));
  mem.load(base, area);
  return {
    header, format: kernel.format, entryPoint: kernel.entry, kernelEnd: kernel.end, infoAddress: base, gdtAddress: base + gdtAt, modules, e820,
  };
}

/** The Multiboot machine state: flat 32-bit protected mode, paging and interrupts off, EAX/EBX set. */
export function enterMultiboot(cpu: Cpu, info: MultibootInfo): void {
  const s = cpu.s;
  for (let i = 0; i < 32; i++) s[I_GPR + i] = 0;
  s[I_GPR + 0] = MULTIBOOT_BOOTLOADER_MAGIC | 0; // EAX
  s[I_GPR + 2 * 3] = info.infoAddress; // EBX
  s[I_CPL] = 0;
  s[I_RFLAGS] = 0x2;
  s[I_RFLAGS + 1] = 0;
  s[I_HALTED] = 0;
  s[I_GDTR_BASE] = info.gdtAddress; s[I_GDTR_BASE + 1] = 0; s[I_GDTR_LIMIT] = 31;
  s[I_IDTR_BASE] = 0; s[I_IDTR_BASE + 1] = 0; s[I_IDTR_LIMIT] = 0x3ff;
  s[I_CR + 8] = 0;
  s[I_EFER] = 0;
  s[I_CR] = 0x11;
  for (const seg of [0, 2, 3, 4, 5]) setSegmentCache(cpu, seg, 0x18, 0, 0xffffffff, 0xc093);
  setSegmentCache(cpu, 1, 0x10, 0, 0xffffffff, 0xc09b);
  s[I_RIP] = info.entryPoint | 0;
  s[I_RIP + 1] = 0;
  cpu.updatePaging();
  cpu.updateMode();
  cpu.flushTlb();
}

export interface MultibootBoard extends MultibootTarget {
  readonly cpus: readonly Cpu[];
  directBoot(boot: (() => void) | null): void;
}

/** Boot a Multiboot kernel on the board without firmware (again after every reset). */
export function bootMultiboot(board: MultibootBoard, options: MultibootOptions): MultibootInfo {
  let first: MultibootInfo | null = null;
  board.directBoot(() => {
    const info = loadMultiboot(board, options);
    enterMultiboot(board.cpus[0]!, info);
    first ??= info;
  });
  return first!;
}
