/**
 * The Linux x86 boot protocol (Documentation/x86/boot.rst, protocol 2.02 and later) without a BIOS:
 * parse a bzImage's setup header, place the protected-mode kernel, the command line and the initrd
 * in guest RAM, fill `struct boot_params` (the "zero page") with the board's e820 map, and put
 * vCPU 0 at the kernel's 32-bit entry (flat protected mode, paging off, ESI = boot_params) or at
 * its 64-bit entry (long mode with identity-mapped page tables, RSI = boot_params).
 *
 * Low-memory layout used here (all below 640 KiB, in RAM the e820 map reports as usable, consumed
 * by the kernel before it reuses that memory):
 *   0x06000  GDT (__BOOT_CS 0x10, __BOOT_DS 0x18)
 *   0x07000  boot_params (4 KiB)
 *   0x09000  PML4, PDPT, 4 page directories mapping 0-4 GiB with 2 MiB pages (64-bit entry only)
 *   0x20000  command line (up to cmdline_size)
 * The kernel goes to 1 MiB, or to pref_address for a relocatable kernel; the initrd to the highest
 * page-aligned address below min(initrd_addr_max, top of RAM below 4 GiB) that fits it; the ACPI
 * tables (when the board describes ACPI) right below the top of low RAM, reserved in the e820 map.
 */
import type { Cpu } from '../../cpu/cpu.js';
import type { PhysicalMemory } from '../../mem/physical-memory.js';
import { setSegmentCache } from '../../cpu/exec/segment.js';
import {
  I_CPL, I_CR, I_EFER, I_GDTR_BASE, I_GDTR_LIMIT, I_GPR, I_HALTED, I_IDTR_BASE, I_IDTR_LIMIT, I_RFLAGS, I_RIP,
} from '../../cpu/state/cpu-state.js';
import type { AcpiConfig } from '../../devices/acpi/config.js';
import { layoutAcpiAt } from '../../devices/acpi/loader.js';
import { parseVmlinux } from './vmlinux.js';
import { extractVmlinux, UnsupportedPayload } from './bzimage-payload.js';
import { buildE820, E820Type, ramTopBelow4g, type BoardMemory, type E820Entry } from './e820.js';

/** Setup header fields (offsets into the bzImage = offsets into boot_params). */
const HDR = {
  setupSects: 0x1f1, rootFlags: 0x1f2, syssize: 0x1f4, vidMode: 0x1fa, bootFlag: 0x1fe, jump: 0x200,
  header: 0x202, version: 0x206, typeOfLoader: 0x210, loadflags: 0x211, code32Start: 0x214,
  ramdiskImage: 0x218, ramdiskSize: 0x21c, heapEndPtr: 0x224, cmdLinePtr: 0x228, initrdAddrMax: 0x22c,
  kernelAlignment: 0x230, relocatable: 0x234, minAlignment: 0x235, xloadflags: 0x236, cmdlineSize: 0x238,
  payloadOffset: 0x248, payloadLength: 0x24c, prefAddress: 0x258, initSize: 0x260,
} as const;

/** boot_params fields outside the setup header (arch/x86/include/uapi/asm/bootparam.h). */
const BP = {
  screenInfo: 0x000, acpiRsdpAddr: 0x070, extRamdiskImage: 0x0c0, extRamdiskSize: 0x0c4, extCmdLinePtr: 0x0c8,
  e820Entries: 0x1e8, e820Table: 0x2d0, size: 0x1000,
} as const;
const E820_MAX_ENTRIES_ZEROPAGE = 128;

export const HDRS_MAGIC = 0x53726448; // "HdrS"
export const LoadFlags = { LoadedHigh: 0x01, KaslrFlag: 0x02, QuietFlag: 0x20, KeepSegments: 0x40, CanUseHeap: 0x80 } as const;
export const XLoadFlags = {
  Kernel64: 0x01, CanBeLoadedAbove4g: 0x02, EfiHandover32: 0x04, EfiHandover64: 0x08, EfiKexec: 0x10,
} as const;

export const BOOT_CS = 0x10;
export const BOOT_DS = 0x18;
export const LOW_LAYOUT = { gdt: 0x6000, bootParams: 0x7000, pageTables: 0x9000, cmdline: 0x20000 } as const;

export interface BzImageHeader {
  /** Boot protocol version, e.g. 0x20f for 2.15. */
  protocol: number;
  /** Real-mode setup sectors (0 in the image means 4). */
  setupSects: number;
  /** Bytes of the real-mode part (boot sector + setup) = where the protected-mode kernel starts in the file. */
  setupSize: number;
  /** Size of the protected-mode kernel in the file. */
  kernelSize: number;
  loadflags: number;
  code32Start: number;
  /** Highest address the initrd may occupy (inclusive). */
  initrdAddrMax: number;
  kernelAlignment: number;
  relocatable: boolean;
  /** Maximum command line length, without the terminating NUL. */
  cmdlineSize: number;
  xloadflags: number;
  /** Preferred load address of a relocatable kernel. */
  prefAddress: number;
  /** Linear memory the kernel needs from its load address on, for decompression and its own setup. */
  initSize: number;
  /** End of the setup header in the file (0x202 + byte at 0x201). */
  headerEnd: number;
}

const u8 = (d: Uint8Array, at: number) => d[at]!;
const u16 = (d: Uint8Array, at: number) => d[at]! | (d[at + 1]! << 8);
const u32 = (d: Uint8Array, at: number) => (u16(d, at) | (u16(d, at + 2) << 16)) >>> 0;
const u64 = (d: Uint8Array, at: number) => u32(d, at) + u32(d, at + 4) * 2 ** 32;
function put(d: Uint8Array, at: number, bytes: number, value: number): void {
  for (let i = 0; i < bytes; i++) { d[at + i] = value % 256; value = Math.floor(value / 256); }
}

/** Parse and check the setup header of a bzImage; throws a one-line reason for anything else. */
export function parseBzImage(image: Uint8Array): BzImageHeader {
  if (image.length < 0x400) throw new Error('kernel image too small to be a bzImage');
  if (u32(image, HDR.header) !== HDRS_MAGIC) throw new Error('not a Linux kernel image (no "HdrS" setup header at 0x202)');
  const protocol = u16(image, HDR.version);
  if (protocol < 0x202) throw new Error(`Linux boot protocol ${protocol >> 8}.${(protocol & 0xff).toString().padStart(2, '0')} is too old (2.02 or later needed)`);
  const loadflags = u8(image, HDR.loadflags);
  if ((loadflags & LoadFlags.LoadedHigh) === 0) throw new Error('zImage kernels (loaded at 0x10000) are not supported: need a bzImage');
  const setupSects = u8(image, HDR.setupSects) || 4;
  const setupSize = (setupSects + 1) * 512;
  if (setupSize >= image.length) throw new Error('kernel image truncated: no protected-mode part after the setup sectors');
  const v = (min: number, read: () => number, fallback: number) => (protocol >= min ? read() : fallback);
  return {
    protocol,
    setupSects,
    setupSize,
    kernelSize: image.length - setupSize,
    loadflags,
    code32Start: u32(image, HDR.code32Start),
    initrdAddrMax: v(0x203, () => u32(image, HDR.initrdAddrMax), 0x37ffffff),
    kernelAlignment: v(0x205, () => u32(image, HDR.kernelAlignment), 0),
    relocatable: v(0x205, () => u8(image, HDR.relocatable), 0) !== 0,
    cmdlineSize: v(0x206, () => u32(image, HDR.cmdlineSize), 255),
    xloadflags: v(0x20c, () => u16(image, HDR.xloadflags), 0),
    prefAddress: v(0x20a, () => u64(image, HDR.prefAddress), 0x100000),
    initSize: v(0x20a, () => u32(image, HDR.initSize), 0),
    headerEnd: 0x202 + u8(image, HDR.jump + 1),
  };
}

export interface LinuxBootOptions {
  /** The bzImage. */
  kernel: Uint8Array;
  initrd?: Uint8Array | null;
  cmdline?: string;
  /** ACPI tables to lay out below the top of low RAM and hand over through acpi_rsdp_addr; null: none. */
  acpi?: AcpiConfig | null;
  /** Which entry point: the 64-bit one when the kernel has it (auto), or force 32/64. */
  entry?: 'auto' | 32 | 64;
  /**
   * The kernel's decompressed vmlinux (see `vmlinux.ts`): when given, its segments are placed
   * where the bzImage's decompressor would put them and the vCPU starts at vmlinux's own
   * startup_32/startup_64 (the entry mode follows the ELF class). Absent: the bzImage's
   * protected-mode part runs its decompressor in the guest.
   */
  vmlinux?: Uint8Array | null;
}

/** `bootLinux`'s options: the loader's, and where the kernel is decompressed. */
export interface LinuxBootSetup extends LinuxBootOptions {
  /**
   * 'host' (default): unpack the bzImage's payload once on the host and start the guest at
   * vmlinux's own entry (`bzimage-payload.ts`); kernels whose payload is not XZ fall back to
   * 'guest'. 'guest': run the kernel's decompressor in the guest, as firmware-loaded kernels do.
   */
  decompress?: 'host' | 'guest';
}

/** Where the loader put things, for diagnostics and tests. */
export interface LinuxBootInfo {
  header: BzImageHeader;
  entryMode: 32 | 64;
  entryPoint: number;
  kernelAddress: number;
  bootParams: number;
  cmdlineAddress: number;
  initrdAddress: number;
  initrdSize: number;
  rsdpAddress: number | null;
  e820: E820Entry[];
}

export interface LinuxBootTarget extends BoardMemory {
  physical: PhysicalMemory;
}

/** Space reserved for the ACPI tables at the top of RAM below 4 GiB. */
const ACPI_AREA = 0x20000;
const MIB = 0x100000;
const alignUp = (v: number, a: number) => (a > 0 ? Math.ceil(v / a) * a : v);

/**
 * Write the kernel, command line, initrd, ACPI tables and boot_params into guest memory. Returns
 * where everything went; `enterLinux` then starts a vCPU there.
 */
export function loadLinux(target: LinuxBootTarget, options: LinuxBootOptions): LinuxBootInfo {
  const image = options.kernel;
  const header = parseBzImage(image);
  const mem = target.physical;
  if (target.ramBelow4g < 16 * MIB) throw new Error('Linux needs at least 16 MiB of RAM');

  // ACPI tables at the top of low RAM (reserved in e820, as SeaBIOS/QEMU do).
  const reserved: E820Entry[] = [];
  let rsdpAddress: number | null = null;
  if (options.acpi) {
    const base = target.ramBelow4g - ACPI_AREA;
    const layout = layoutAcpiAt(base, options.acpi);
    if (layout.bytes.length > ACPI_AREA) throw new Error('ACPI tables larger than the reserved area');
    mem.load(base, layout.bytes);
    rsdpAddress = layout.rsdpAddress;
    reserved.push({ address: base, length: ACPI_AREA, type: E820Type.Reserved });
  }
  const e820 = buildE820(target, reserved);
  const ramTop = ramTopBelow4g(e820);

  // Protected-mode kernel: 1 MiB, or the preferred address of a relocatable kernel.
  let kernelAddress = 0x100000;
  if (header.relocatable && header.prefAddress > 0 && header.prefAddress < 2 ** 32) kernelAddress = header.prefAddress;
  if (header.relocatable) kernelAddress = alignUp(kernelAddress, header.kernelAlignment);
  const vmlinux = options.vmlinux ? parseVmlinux(options.vmlinux) : null;
  const kernelEnd = Math.max(kernelAddress + Math.max(header.initSize, header.kernelSize), vmlinux?.end ?? 0);
  if (kernelEnd > ramTop) throw new Error(`the kernel needs RAM up to ${hex(kernelEnd)}, the machine has ${hex(ramTop)}`);
  if (vmlinux) {
    if (vmlinux.start < MIB) throw new Error(`the decompressed kernel wants to load at ${hex(vmlinux.start)}, below 1 MiB`);
    for (const segment of vmlinux.segments) {
      mem.load(segment.physical, segment.data);
      if (segment.memSize > segment.data.length) mem.load(segment.physical + segment.data.length, new Uint8Array(segment.memSize - segment.data.length));
    }
  } else {
    mem.load(kernelAddress, image.subarray(header.setupSize));
  }

  // Command line.
  const cmdline = new TextEncoder().encode(options.cmdline ?? '');
  if (cmdline.length > header.cmdlineSize) throw new Error(`kernel command line longer than the kernel accepts (${header.cmdlineSize} bytes)`);
  const cmdlineBytes = new Uint8Array(cmdline.length + 1);
  cmdlineBytes.set(cmdline);
  mem.load(LOW_LAYOUT.cmdline, cmdlineBytes);

  // Initrd: as high as allowed, page aligned, above the kernel's working area.
  let initrdAddress = 0;
  const initrdSize = options.initrd?.length ?? 0;
  if (options.initrd && initrdSize > 0) {
    const limit = Math.min(header.initrdAddrMax + 1, ramTop);
    initrdAddress = Math.floor((limit - initrdSize) / 4096) * 4096;
    if (initrdAddress < kernelEnd) throw new Error(`the initrd (${initrdSize} bytes) does not fit between the kernel and ${hex(limit)}: give the machine more RAM`);
    mem.load(initrdAddress, options.initrd);
  }

  // boot_params: zero page, the setup header copied from the image, the loader's fields.
  const bp = new Uint8Array(BP.size);
  bp.set(image.subarray(HDR.setupSects, header.headerEnd), HDR.setupSects);
  bp[HDR.typeOfLoader] = 0xff;
  bp[HDR.loadflags] = (header.loadflags & ~(LoadFlags.QuietFlag | LoadFlags.KeepSegments)) | LoadFlags.CanUseHeap;
  put(bp, HDR.vidMode, 2, 0xffff); // "normal": no video mode change (serial console)
  put(bp, HDR.heapEndPtr, 2, 0xfe00);
  put(bp, HDR.cmdLinePtr, 4, LOW_LAYOUT.cmdline);
  put(bp, HDR.ramdiskImage, 4, initrdAddress);
  put(bp, HDR.ramdiskSize, 4, initrdSize);
  if (header.relocatable) put(bp, HDR.code32Start, 4, kernelAddress);
  // screen_info stays zero: no VGA text console (orig_video_lines/cols 0 make vgacon stand aside).
  if (rsdpAddress !== null) put(bp, BP.acpiRsdpAddr, 8, rsdpAddress);
  const entries = e820.slice(0, E820_MAX_ENTRIES_ZEROPAGE);
  bp[BP.e820Entries] = entries.length;
  entries.forEach((e, i) => {
    const at = BP.e820Table + i * 20;
    put(bp, at, 8, e.address);
    put(bp, at + 8, 8, e.length);
    put(bp, at + 16, 4, e.type);
  });
  mem.load(LOW_LAYOUT.bootParams, bp);

  const want = options.entry ?? 'auto';
  const has64 = (header.xloadflags & XLoadFlags.Kernel64) !== 0;
  if (want === 64 && !has64) throw new Error('the kernel has no 64-bit entry point (XLF_KERNEL_64 not set)');
  let entryMode: 32 | 64 = want === 32 ? 32 : want === 64 || has64 ? 64 : 32;
  let entryPoint = entryMode === 64 ? kernelAddress + 0x200 : header.relocatable ? kernelAddress : header.code32Start;
  if (vmlinux) {
    // A 64-bit vmlinux starts in long mode only (startup_64); a 32-bit one in protected mode.
    if (want !== 'auto' && want !== vmlinux.bits) throw new Error(`the decompressed kernel is ${vmlinux.bits}-bit: it has no ${want}-bit entry`);
    entryMode = vmlinux.bits;
    entryPoint = vmlinux.entry;
    kernelAddress = vmlinux.start;
  }
  return {
    header, entryMode, entryPoint, kernelAddress, bootParams: LOW_LAYOUT.bootParams, cmdlineAddress: LOW_LAYOUT.cmdline,
    initrdAddress, initrdSize, rsdpAddress, e820,
  };
}

/** GDT descriptors: null, null, __BOOT_CS, __BOOT_DS (flat 4 GiB). */
function writeBootGdt(mem: PhysicalMemory, at: number, code64: boolean): void {
  const gdt = new Uint8Array(32);
  const desc = (index: number, lo: number, hi: number) => { put(gdt, index * 8, 4, lo); put(gdt, index * 8 + 4, 4, hi); };
  desc(2, 0x0000ffff, code64 ? 0x00af9b00 : 0x00cf9b00);
  desc(3, 0x0000ffff, 0x00cf9300);
  mem.load(at, gdt);
}

/** PML4 → PDPT → four page directories of 2 MiB pages: an identity map of 0-4 GiB. Returns CR3. */
function writeIdentityMap4g(mem: PhysicalMemory, at: number): number {
  const tables = new Uint8Array(6 * 4096);
  const pml4 = 0, pdpt = 4096;
  put(tables, pml4, 8, at + pdpt + 0x3);
  for (let g = 0; g < 4; g++) {
    const pd = (2 + g) * 4096;
    put(tables, pdpt + g * 8, 8, at + pd + 0x3);
    for (let i = 0; i < 512; i++) put(tables, pd + i * 8, 8, (g * 512 + i) * 0x200000 + 0x83);
  }
  mem.load(at, tables);
  return at;
}

/**
 * Put `cpu` at the kernel entry with the state the boot protocol prescribes: interrupts off, the
 * GDT with __BOOT_CS/__BOOT_DS loaded, CS = 0x10, DS = ES = SS = 0x18, ESI/RSI = boot_params,
 * EBP = EDI = EBX = 0; 32-bit: protected mode with paging off; 64-bit: long mode with the first
 * 4 GiB identity-mapped (covering the kernel's init_size, boot_params and the command line).
 */
export function enterLinux(cpu: Cpu, info: LinuxBootInfo): void {
  const s = cpu.s;
  const mem = cpu.memory;
  const long = info.entryMode === 64;
  writeBootGdt(mem, LOW_LAYOUT.gdt, long);
  for (let i = 0; i < 32; i++) s[I_GPR + i] = 0;
  s[I_GPR + 2 * 6] = info.bootParams; // ESI/RSI
  s[I_CPL] = 0;
  s[I_RFLAGS] = 0x2;
  s[I_RFLAGS + 1] = 0;
  s[I_HALTED] = 0;
  s[I_GDTR_BASE] = LOW_LAYOUT.gdt;
  s[I_GDTR_BASE + 1] = 0;
  s[I_GDTR_LIMIT] = 31;
  s[I_IDTR_BASE] = 0;
  s[I_IDTR_BASE + 1] = 0;
  s[I_IDTR_LIMIT] = 0;
  if (long) {
    s[I_CR + 6] = writeIdentityMap4g(mem, LOW_LAYOUT.pageTables);
    s[I_CR + 8] = 1 << 5; // PAE
    s[I_EFER] = (1 << 8) | (1 << 10); // LME, LMA
    s[I_CR] = 0x80000011 | 0; // PG, ET, PE
  } else {
    s[I_CR + 8] = 0;
    s[I_EFER] = 0;
    s[I_CR] = 0x11; // ET, PE
  }
  for (const seg of [0, 2, 3, 4, 5]) setSegmentCache(cpu, seg, BOOT_DS, 0, 0xffffffff, 0xc093);
  setSegmentCache(cpu, 1, BOOT_CS, 0, 0xffffffff, long ? 0xa09b : 0xc09b);
  s[I_RIP] = info.entryPoint | 0;
  s[I_RIP + 1] = 0;
  cpu.updatePaging();
  cpu.updateMode();
  cpu.flushTlb();
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** The board-side surface the Linux loader needs (PcMachine has it). */
export interface LinuxBootBoard extends LinuxBootTarget {
  readonly cpus: readonly Cpu[];
  directBoot(boot: (() => void) | null): void;
}

/**
 * Boot `options.kernel` on the board without firmware: loads it now and again after every reset,
 * vCPU 0 starting at the kernel entry. Returns the layout of the first load.
 */
export function bootLinux(board: LinuxBootBoard, options: LinuxBootSetup): LinuxBootInfo {
  let first: LinuxBootInfo | null = null;
  let load: LinuxBootOptions = options;
  if ((options.decompress ?? 'host') === 'host' && !options.vmlinux) {
    const header = parseBzImage(options.kernel);
    try {
      load = { ...options, vmlinux: extractVmlinux(options.kernel, header.setupSize, header.protocol) };
    } catch (e) {
      if (!(e instanceof UnsupportedPayload)) throw e;
    }
  }
  board.directBoot(() => {
    const info = loadLinux(board, load);
    enterLinux(board.cpus[0]!, info);
    first ??= info;
  });
  return first!;
}
