/**
 * QEMU's way of booting a Multiboot kernel (-kernel with firmware, hw/i386/multiboot.c): everything
 * the kernel needs in memory travels as one fw_cfg blob, and QEMU's option ROM multiboot_dma.bin
 * (Debian's qemu-system-data, /usr/share/qemu), run by SeaBIOS as "genroms/multiboot_dma.bin"
 * first in "bootorder", copies it into RAM, completes the information structure (memory sizes and
 * the memory map from INT 15h E820 at 0x9000) and enters the kernel in flat protected mode with
 * EAX = 0x2BADB002, EBX = the structure. The guest then finds what a BIOS leaves: the 8259s and the
 * PIT programmed, the interrupt vector table, SeaBIOS's ACPI and MP tables.
 *
 * The blob (FW_CFG_KERNEL_ADDR/SIZE/DATA) is laid out as QEMU lays it out: the kernel from its load
 * address (bss zeroed), page-aligned; the module list (16 bytes per module); the strings (module
 * command lines, the kernel's, the boot loader name); page-aligned; each module, page-aligned. The
 * information structure (88 bytes) is FW_CFG_INITRD_DATA for 0x9500, FW_CFG_KERNEL_ENTRY the entry.
 */
import type { FwCfg } from '../../devices/fw-cfg.js';
import { FwCfgKey } from '../../devices/fw-cfg.js';
import { findMultibootHeader, MultibootInfoFlags, multibootKernelImage, type MultibootModule } from './multiboot.js';

export const MULTIBOOT_ROM_FILE = 'genroms/multiboot_dma.bin';
/** Where multiboot_dma.bin builds the E820 map and where QEMU puts the information structure. */
export const MULTIBOOT_MMAP_ADDRESS = 0x9000;
export const MULTIBOOT_INFO_ADDRESS = 0x9500;
const INFO_SIZE = 88;
const PAGE = 4096;

export interface FwCfgMultibootOptions {
  kernel: Uint8Array;
  /** The whole command line the kernel sees (QEMU: "kernel-file-name append-string"). */
  cmdline: string;
  modules?: readonly MultibootModule[];
  /** The option ROM image (multiboot_dma.bin). */
  rom: Uint8Array;
}

export interface FwCfgMultibootLayout {
  loadAddr: number;
  entry: number;
  /** Size of the blob copied to loadAddr. */
  size: number;
  modules: { start: number; end: number }[];
}

const alignPage = (n: number) => Math.ceil(n / PAGE) * PAGE;

function put32(d: Uint8Array, at: number, v: number): void {
  d[at] = v & 0xff; d[at + 1] = (v >>> 8) & 0xff; d[at + 2] = (v >>> 16) & 0xff; d[at + 3] = (v >>> 24) & 0xff;
}

export function installMultibootFwCfg(fw: FwCfg, options: FwCfgMultibootOptions): FwCfgMultibootLayout {
  const header = findMultibootHeader(options.kernel);
  if (!header) throw new Error('not a Multiboot kernel (no header with a valid checksum in the first 8 KiB)');
  if ((header.flags & 0xfffc) !== 0) throw new Error(`multiboot: the kernel requires unsupported features (flags 0x${header.flags.toString(16)})`);
  const kernel = multibootKernelImage(options.kernel, header);
  const modules = options.modules ?? [];
  const encoder = new TextEncoder();
  const cstr = (text: string) => { const b = encoder.encode(text); const out = new Uint8Array(b.length + 1); out.set(b); return out; };
  const moduleNames = modules.map((m) => cstr(m.cmdline ?? ''));
  const cmdline = cstr(options.cmdline);
  const loader = cstr('x86vm');

  const listOffset = alignPage(kernel.bytes.length);
  let stringsOffset = listOffset + 16 * modules.length;
  const headEnd = alignPage(stringsOffset + moduleNames.reduce((n, b) => n + b.length, 0) + cmdline.length + loader.length);
  const moduleOffsets: number[] = [];
  let size = headEnd;
  for (const m of modules) {
    moduleOffsets.push(size);
    size = alignPage(size + m.data.length);
  }
  if (kernel.loadAddr + size > 2 ** 32) throw new Error('multiboot: kernel and modules end above 4 GiB');
  const blob = new Uint8Array(size);
  blob.set(kernel.bytes, 0);
  const at = (offset: number) => kernel.loadAddr + offset;
  const addString = (bytes: Uint8Array): number => {
    blob.set(bytes, stringsOffset);
    stringsOffset += bytes.length;
    return at(stringsOffset - bytes.length);
  };
  const layout: FwCfgMultibootLayout = { loadAddr: kernel.loadAddr, entry: kernel.entry, size, modules: [] };
  modules.forEach((m, i) => {
    const start = at(moduleOffsets[i]!), end = start + m.data.length;
    blob.set(m.data, moduleOffsets[i]!);
    put32(blob, listOffset + 16 * i, start);
    put32(blob, listOffset + 16 * i + 4, end);
    put32(blob, listOffset + 16 * i + 8, addString(moduleNames[i]!));
    layout.modules.push({ start, end });
  });

  const info = new Uint8Array(INFO_SIZE);
  put32(info, 0, MultibootInfoFlags.Memory | MultibootInfoFlags.BootDevice | MultibootInfoFlags.Cmdline | MultibootInfoFlags.Modules
    | MultibootInfoFlags.MemoryMap | MultibootInfoFlags.BootLoaderName);
  put32(info, 12, 0x8000ffff);
  put32(info, 16, addString(cmdline));
  put32(info, 20, modules.length);
  put32(info, 24, at(listOffset));
  put32(info, 48, MULTIBOOT_MMAP_ADDRESS);
  put32(info, 64, addString(loader));

  fw.setNumber(FwCfgKey.KernelEntry, kernel.entry, 4);
  fw.setNumber(FwCfgKey.KernelAddr, kernel.loadAddr, 4);
  fw.setNumber(FwCfgKey.KernelSize, size, 4);
  fw.setItem(FwCfgKey.KernelData, blob);
  fw.setNumber(FwCfgKey.InitrdAddr, MULTIBOOT_INFO_ADDRESS, 4);
  fw.setNumber(FwCfgKey.InitrdSize, INFO_SIZE, 4);
  fw.setItem(FwCfgKey.InitrdData, info);
  fw.addFile(MULTIBOOT_ROM_FILE, options.rom);
  fw.addFile('bootorder', encoder.encode(`/rom@${MULTIBOOT_ROM_FILE}\n\0`));
  return layout;
}
