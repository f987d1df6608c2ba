/**
 * QEMU's way of booting a Linux kernel under the firmware (-kernel with -bios): the kernel's
 * real-mode setup, its protected-mode part, the initrd and the command line are fw_cfg items
 * (FW_CFG_SETUP_*, KERNEL_*, INITRD_*, CMDLINE_*), and an option ROM, QEMU's linuxboot_dma.bin
 * (Debian package qemu-system-data, /usr/share/qemu), given to SeaBIOS as "genroms/linuxboot_dma.bin"
 * and first in "bootorder", copies them into RAM and jumps to the setup code at real_addr:0x200.
 * The setup header is patched as QEMU's x86_load_linux does for protocol 2.02+: setup at 0x10000,
 * command line at 0x20000, kernel at 1 MiB, initrd at the top of RAM below initrd_addr_max.
 */
import type { FwCfg } from '../../devices/fw-cfg.js';
import { FwCfgKey } from '../../devices/fw-cfg.js';
import { parseBzImage, LoadFlags, type BzImageHeader } from './linux.js';

export const LINUXBOOT_ROM_FILE = 'genroms/linuxboot_dma.bin';
const REAL_ADDR = 0x10000, CMDLINE_ADDR = 0x20000, PROT_ADDR = 0x100000;
/** QEMU keeps this much below the top of low RAM free for the firmware's ACPI tables. */
const ACPI_DATA_SIZE = 0x20000;

export interface FwCfgLinuxOptions {
  kernel: Uint8Array;
  initrd?: Uint8Array | null;
  cmdline?: string;
  /** The option ROM image (linuxboot_dma.bin). */
  linuxboot: Uint8Array;
  /** RAM below 4 GiB (for the initrd placement). */
  ramBelow4g: number;
}

function put(d: Uint8Array, at: number, bytes: number, value: number): void {
  for (let i = 0; i < bytes; i++) { d[at + i] = value & 0xff; value >>>= 8; }
}

export function installLinuxFwCfg(fw: FwCfg, options: FwCfgLinuxOptions): BzImageHeader {
  const image = options.kernel;
  const header = parseBzImage(image);
  const cmdline = new TextEncoder().encode(options.cmdline ?? '');
  if (cmdline.length > header.cmdlineSize) throw new Error(`kernel command line longer than the kernel accepts (${header.cmdlineSize} bytes)`);
  const setup = image.slice(0, header.setupSize);
  put(setup, 0x228, 4, CMDLINE_ADDR);
  setup[0x210] = 0xb0; // QEMU's loader id
  put(setup, 0x224, 2, CMDLINE_ADDR - REAL_ADDR - 0x200);
  setup[0x211] = setup[0x211]! | LoadFlags.CanUseHeap;
  const initrd = options.initrd ?? null;
  let initrdAddr = 0;
  if (initrd && initrd.length > 0) {
    const max = Math.min(header.initrdAddrMax, options.ramBelow4g - ACPI_DATA_SIZE - 1);
    initrdAddr = Math.floor((max - initrd.length + 1) / 4096) * 4096;
    if (initrdAddr < PROT_ADDR + Math.max(header.initSize, header.kernelSize)) throw new Error('the initrd does not fit above the kernel: give the machine more RAM');
    fw.setNumber(FwCfgKey.InitrdAddr, initrdAddr, 4);
    fw.setNumber(FwCfgKey.InitrdSize, initrd.length, 4);
    fw.setItem(FwCfgKey.InitrdData, initrd);
  }
  put(setup, 0x218, 4, initrdAddr);
  put(setup, 0x21c, 4, initrd?.length ?? 0);
  const cmdlineData = new Uint8Array(cmdline.length + 1);
  cmdlineData.set(cmdline);
  fw.setNumber(FwCfgKey.KernelAddr, PROT_ADDR, 4);
  fw.setNumber(FwCfgKey.KernelSize, header.kernelSize, 4);
  fw.setItem(FwCfgKey.KernelData, image.slice(header.setupSize));
  fw.setNumber(FwCfgKey.SetupAddr, REAL_ADDR, 4);
  fw.setNumber(FwCfgKey.SetupSize, setup.length, 4);
  fw.setItem(FwCfgKey.SetupData, setup);
  fw.setNumber(FwCfgKey.CmdlineAddr, CMDLINE_ADDR, 4);
  fw.setNumber(FwCfgKey.CmdlineSize, cmdlineData.length, 4);
  fw.setItem(FwCfgKey.CmdlineData, cmdlineData);
  fw.addFile(LINUXBOOT_ROM_FILE, options.linuxboot);
  fw.addFile('bootorder', new TextEncoder().encode(`/rom@${LINUXBOOT_ROM_FILE}\n\0`));
  return header;
}
