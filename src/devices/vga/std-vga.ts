import { PciDevice } from '../pci/pci-device.js';
import type { PhysicalMemory, RegionHandle } from '../../mem/physical-memory.js';
import type { PortBus } from '../../bus/port-bus.js';
import { SIZE_1, SIZE_2, type IoHandler } from '../../mem/io-handler.js';
import { VgaRegisters } from './registers.js';
import { PlanarMemory, VGA_MEMORY_SIZE } from './planar-memory.js';
import { Vbe, DISPI_INDEX_COUNT } from './vbe.js';
import { textScreen, type TextScreen } from './text-render.js';
import { render, type Frame } from './graphics-render.js';

/**
 * The Bochs/QEMU "std VGA" (PCI 1234:1111, class 0300, QEMU hw/display/vga-pci.c): a VGA core
 * (registers at 0x3B0-0x3DF, the legacy window 0xA0000-0xBFFFF) with the Bochs VBE DISPI extension
 * (ports 0x1CE/0x1CF). BAR0 is the VRAM as a prefetchable linear framebuffer (mapped as RAM, so guest
 * framebuffer writes cost nothing), BAR2 the 4 KiB "mmio" window QEMU gives the stdvga (VGA ports at
 * 0x400, DISPI registers at 0x500, QEMU extended registers at 0x600), and the expansion ROM BAR holds
 * the VGA BIOS (SeaBIOS copies PCI option ROMs from there, as it does on QEMU's pc machine).
 *
 * The standard VGA's 256 KiB are the first 256 KiB of the VRAM (planes interleaved).
 */

export const STD_VGA_VENDOR = 0x1234, STD_VGA_DEVICE = 0x1111;
export const DEFAULT_VRAM_SIZE = 16 << 20;
const VGA_WINDOW = 0xa0000, VGA_WINDOW_SIZE = 0x20000;
const MMIO_BAR_SIZE = 0x1000;
const MMIO_VGA = 0x400, MMIO_DISPI = 0x500, MMIO_QEMU_EXT = 0x600;
/** QEMU extended registers: region size and framebuffer endianness (little). */
const QEXT_SIZE = 8, QEXT_LITTLE_ENDIAN = 0x1e1e1e1e;

export interface StdVgaOptions {
  physical: PhysicalMemory;
  ports: PortBus;
  /** The VRAM: a view into the machine's WebAssembly memory (a power of two, at least 256 KiB). */
  vram: Uint8Array;
  /** Offset of `vram` inside the WebAssembly memory, for mapping BAR0 as RAM. */
  vramHostOffset: number;
  /** The VGA BIOS image behind the expansion ROM BAR, or null for none. */
  bios?: Uint8Array | null;
  /** Guest time in ns (retrace bits of input status #1). */
  now?: () => number;
}

export class StdVga extends PciDevice {
  readonly regs: VgaRegisters;
  readonly planar: PlanarMemory;
  readonly vbe: Vbe;
  readonly vram: Uint8Array;
  private readonly physical: PhysicalMemory;
  private readonly vramHostOffset: number;
  private readonly rom: Uint8Array | null;
  private lfb: RegionHandle | null = null;
  private mmio: RegionHandle | null = null;
  private romRegion: RegionHandle | null = null;

  constructor(options: StdVgaOptions) {
    super(STD_VGA_VENDOR, STD_VGA_DEVICE, 0x030000, 0x02);
    const size = options.vram.length;
    if (size < VGA_MEMORY_SIZE || (size & (size - 1)) !== 0) throw new Error(`VGA memory must be a power of two of at least 256 KiB (got ${size})`);
    this.vram = options.vram;
    this.physical = options.physical;
    this.vramHostOffset = options.vramHostOffset;
    this.regs = new VgaRegisters(options.now);
    this.planar = new PlanarMemory(this.regs, this.vram);
    this.vbe = new Vbe(this.regs, this.vram);
    const v = new DataView(this.config.buffer);
    v.setUint16(0x2c, 0x1af4, true); // subsystem vendor (QEMU)
    v.setUint16(0x2e, 0x1100, true); // subsystem id
    this.defineBar(0, { size, io: false, prefetchable: true });
    this.defineBar(2, { size: MMIO_BAR_SIZE, io: false });
    const bios = options.bios ?? null;
    if (bios && bios.length > 0) {
      let romSize = 0x800;
      while (romSize < bios.length) romSize *= 2;
      this.rom = new Uint8Array(romSize);
      this.rom.set(bios);
      this.defineBar(6, { size: romSize, io: false });
    } else {
      this.rom = null;
    }
    this.onBarMapped = (bar, address) => this.barMapped(bar, address);

    options.ports.register('vga', 0x3b0, 0x30, this.vgaPorts, SIZE_1);
    options.ports.register('vbe-dispi', 0x1ce, 3, this.dispiPorts, SIZE_1 | SIZE_2);
    this.physical.mapMmio('vga-window', VGA_WINDOW, VGA_WINDOW_SIZE, this.window, SIZE_1);
  }

  reset(): void {
    this.regs.reset();
    this.vbe.reset();
  }

  /** The text screen (meaningful in alphanumeric modes). */
  textScreen(): TextScreen {
    return textScreen(this.regs, this.vram);
  }

  /** Whether the display shows an alphanumeric mode (VBE off, GR06 bit 0 clear). */
  get textMode(): boolean {
    return !this.vbe.enabled && (this.regs.gr[6]! & 1) === 0;
  }

  /** The picture as RGBA. */
  render(): Frame {
    return render(this.regs, this.vram, this.vbe);
  }

  // --- Legacy window -----------------------------------------------------------------------------

  readonly window: IoHandler = {
    read: (offset) => {
      const at = this.planar.windowOffset(VGA_WINDOW + offset);
      if (at < 0) return 0xff;
      if (this.vbe.enabled && this.vbe.bpp !== 4) return this.vram[(this.vbe.bankOffset + at) & (this.vram.length - 1)]!;
      return this.planar.read(at);
    },
    write: (offset, _size, value) => {
      const at = this.planar.windowOffset(VGA_WINDOW + offset);
      if (at < 0) return;
      if (this.vbe.enabled && this.vbe.bpp !== 4) {
        this.vram[(this.vbe.bankOffset + at) & (this.vram.length - 1)] = value;
        return;
      }
      this.planar.write(at, value);
    },
  };

  // --- Ports ------------------------------------------------------------------------------------

  readonly vgaPorts: IoHandler = {
    read: (offset) => this.regs.read(offset),
    write: (offset, _size, value) => this.regs.write(offset, value),
  };

  /** 0x1CE index, 0x1CF data (0x1D0 aliases the data register, as on QEMU's non-x86 targets). */
  readonly dispiPorts: IoHandler = {
    read: (offset, size) => {
      const value = offset === 0 ? this.vbe.index : this.vbe.readData();
      return size === 1 ? value & 0xff : value;
    },
    write: (offset, _size, value) => {
      if (offset === 0) this.vbe.index = value & 0xffff;
      else this.vbe.writeData(value);
    },
  };

  /** BAR2: VGA ports 0x3C0-0x3DF at 0x400, DISPI registers (16-bit, index x 2) at 0x500, QEMU extensions at 0x600. */
  readonly mmioBar: IoHandler = {
    read: (offset, size) => {
      if (offset >= MMIO_VGA && offset + size <= MMIO_VGA + 0x20) {
        let value = 0;
        for (let i = 0; i < size; i++) value |= this.regs.read(offset - MMIO_VGA + 0x10 + i) << (8 * i);
        return value >>> 0;
      }
      if (offset >= MMIO_DISPI && offset < MMIO_DISPI + 2 * DISPI_INDEX_COUNT && size === 2 && (offset & 1) === 0) {
        const saved = this.vbe.index;
        this.vbe.index = (offset - MMIO_DISPI) >> 1;
        const value = this.vbe.readData();
        this.vbe.index = saved;
        return value;
      }
      if (offset === MMIO_QEMU_EXT && size === 4) return QEXT_SIZE;
      if (offset === MMIO_QEMU_EXT + 4 && size === 4) return QEXT_LITTLE_ENDIAN;
      return 0;
    },
    write: (offset, size, value) => {
      if (offset >= MMIO_VGA && offset + size <= MMIO_VGA + 0x20) {
        for (let i = 0; i < size; i++) this.regs.write(offset - MMIO_VGA + 0x10 + i, (value >>> (8 * i)) & 0xff);
        return;
      }
      if (offset >= MMIO_DISPI && offset < MMIO_DISPI + 2 * DISPI_INDEX_COUNT && size === 2 && (offset & 1) === 0) {
        const saved = this.vbe.index;
        this.vbe.index = (offset - MMIO_DISPI) >> 1;
        this.vbe.writeData(value);
        this.vbe.index = saved;
      }
    },
  };

  private readonly romHandler: IoHandler = {
    read: (offset, size) => {
      const rom = this.rom!;
      let value = 0;
      for (let i = 0; i < size; i++) value += (rom[offset + i] ?? 0xff) * 2 ** (8 * i);
      return value;
    },
    write: () => {},
  };

  // --- BARs -------------------------------------------------------------------------------------

  private barMapped(bar: number, address: number | null): void {
    if (bar === 0) this.lfb = this.place(this.lfb, address, (at) => this.physical.mapRamHandle('vga-lfb', at, this.vram.length, this.vramHostOffset));
    else if (bar === 2) this.mmio = this.place(this.mmio, address, (at) => this.physical.mapMmio('vga-mmio', at, MMIO_BAR_SIZE, this.mmioBar));
    else if (bar === 6 && this.rom) this.romRegion = this.place(this.romRegion, address, (at) => this.physical.mapMmio('vga-rom', at, this.rom!.length, this.romHandler));
  }

  /**
   * Map, move or hide a BAR's region. A BAR placed over another region (the guest's mistake) or
   * outside the low 4 GiB does not decode.
   */
  private place(handle: RegionHandle | null, address: number | null, create: (at: number) => RegionHandle): RegionHandle | null {
    if (address === null || address >= 2 ** 32) {
      handle?.unmap();
      return handle;
    }
    try {
      if (handle) handle.move(address);
      else handle = create(address);
    } catch {
      handle?.unmap();
    }
    return handle;
  }
}
