import type { VgaRegisters } from './registers.js';

/**
 * The Bochs VBE "DISPI" interface (Bochs vbe.h, QEMU hw/display/vga.c): an index register at port
 * 0x1CE and a 16-bit data register at 0x1CF selecting resolution, depth, the 64 KiB bank seen in the
 * legacy window, the virtual (scanline) size, the display offset and the video memory size. The
 * linear framebuffer is the VRAM itself (the PCI BAR0 of the std VGA).
 */

export const DISPI_INDEX_ID = 0, DISPI_INDEX_XRES = 1, DISPI_INDEX_YRES = 2, DISPI_INDEX_BPP = 3,
  DISPI_INDEX_ENABLE = 4, DISPI_INDEX_BANK = 5, DISPI_INDEX_VIRT_WIDTH = 6, DISPI_INDEX_VIRT_HEIGHT = 7,
  DISPI_INDEX_X_OFFSET = 8, DISPI_INDEX_Y_OFFSET = 9, DISPI_INDEX_VIDEO_MEMORY_64K = 10;
export const DISPI_INDEX_COUNT = 11;

export const DISPI_ID0 = 0xb0c0, DISPI_ID5 = 0xb0c5;
export const DISPI_ENABLED = 0x01, DISPI_GETCAPS = 0x02, DISPI_8BIT_DAC = 0x20, DISPI_LFB_ENABLED = 0x40,
  DISPI_NOCLEARMEM = 0x80;
export const DISPI_MAX_XRES = 16000, DISPI_MAX_YRES = 12000, DISPI_MAX_BPP = 32;

const VALID_BPP = new Set([4, 8, 15, 16, 24, 32]);

export function bytesPerPixel(bpp: number): number {
  return bpp === 15 ? 2 : bpp / 8;
}

export class Vbe {
  index = 0;
  readonly regs = new Uint16Array(DISPI_INDEX_COUNT);

  constructor(private readonly vga: VgaRegisters, private readonly vram: Uint8Array) {
    this.reset();
  }

  reset(): void {
    this.index = 0;
    this.regs.fill(0);
    this.regs[DISPI_INDEX_ID] = DISPI_ID5;
    this.regs[DISPI_INDEX_XRES] = 640;
    this.regs[DISPI_INDEX_YRES] = 480;
    this.regs[DISPI_INDEX_BPP] = 8;
    this.regs[DISPI_INDEX_VIDEO_MEMORY_64K] = Math.min(0xffff, this.vram.length >>> 16);
  }

  get enabled(): boolean {
    return (this.regs[DISPI_INDEX_ENABLE]! & DISPI_ENABLED) !== 0;
  }

  get bpp(): number {
    return this.regs[DISPI_INDEX_BPP]!;
  }

  /** Byte offset of the 64 KiB bank mapped at the legacy window. */
  get bankOffset(): number {
    return this.regs[DISPI_INDEX_BANK]! * 0x10000;
  }

  /** Bytes per scanline of the virtual screen (planar 4 bpp: per plane). */
  lineBytes(): number {
    const bpp = this.bpp, w = this.regs[DISPI_INDEX_VIRT_WIDTH]!;
    return bpp === 4 ? w >>> 3 : w * bytesPerPixel(bpp);
  }

  /** Byte offset in VRAM of the first displayed pixel. */
  displayStart(): number {
    const bpp = this.bpp, x = this.regs[DISPI_INDEX_X_OFFSET]!, y = this.regs[DISPI_INDEX_Y_OFFSET]!;
    return y * this.lineBytes() + (bpp === 4 ? x >>> 3 : x * bytesPerPixel(bpp));
  }

  readData(): number {
    const i = this.index;
    if ((this.regs[DISPI_INDEX_ENABLE]! & DISPI_GETCAPS) !== 0) {
      if (i === DISPI_INDEX_XRES) return DISPI_MAX_XRES;
      if (i === DISPI_INDEX_YRES) return DISPI_MAX_YRES;
      if (i === DISPI_INDEX_BPP) return DISPI_MAX_BPP;
    }
    return i < DISPI_INDEX_COUNT ? this.regs[i]! : 0;
  }

  writeData(value: number): void {
    value &= 0xffff;
    const r = this.regs;
    switch (this.index) {
      case DISPI_INDEX_ID:
        if (value >= DISPI_ID0 && value <= DISPI_ID5) r[DISPI_INDEX_ID] = value;
        return;
      case DISPI_INDEX_XRES:
        if (!this.enabled && value > 0 && value <= DISPI_MAX_XRES && (value & 7) === 0) r[DISPI_INDEX_XRES] = value;
        return;
      case DISPI_INDEX_YRES:
        if (!this.enabled && value > 0 && value <= DISPI_MAX_YRES) r[DISPI_INDEX_YRES] = value;
        return;
      case DISPI_INDEX_BPP:
        if (value === 0) value = 8;
        if (!this.enabled && VALID_BPP.has(value)) r[DISPI_INDEX_BPP] = value;
        return;
      case DISPI_INDEX_BANK: {
        const banks = Math.max(1, this.vram.length >>> 16);
        r[DISPI_INDEX_BANK] = value & (banks - 1);
        return;
      }
      case DISPI_INDEX_ENABLE:
        this.writeEnable(value);
        return;
      case DISPI_INDEX_VIRT_WIDTH:
        if (value > 0 && value <= DISPI_MAX_XRES) {
          r[DISPI_INDEX_VIRT_WIDTH] = value;
          this.fixup();
        }
        return;
      case DISPI_INDEX_X_OFFSET:
      case DISPI_INDEX_Y_OFFSET:
        r[this.index] = value;
        this.fixup();
        return;
      default:
        // VIRT_HEIGHT and VIDEO_MEMORY_64K are computed; other indexes do not exist.
    }
  }

  private writeEnable(value: number): void {
    const r = this.regs;
    const wasEnabled = this.enabled;
    value &= DISPI_ENABLED | DISPI_GETCAPS | DISPI_8BIT_DAC | DISPI_LFB_ENABLED | DISPI_NOCLEARMEM;
    if ((value & DISPI_ENABLED) !== 0 && !wasEnabled) {
      r[DISPI_INDEX_VIRT_WIDTH] = r[DISPI_INDEX_XRES]!;
      r[DISPI_INDEX_X_OFFSET] = 0;
      r[DISPI_INDEX_Y_OFFSET] = 0;
      r[DISPI_INDEX_ENABLE] = value;
      this.fixup();
      if ((value & DISPI_NOCLEARMEM) === 0) {
        this.vram.fill(0, 0, Math.min(this.vram.length, this.lineBytes() * (this.bpp === 4 ? 4 : 1) * r[DISPI_INDEX_YRES]!));
      }
      this.setVgaGraphicsMode();
    } else if ((value & DISPI_ENABLED) === 0) {
      r[DISPI_INDEX_BANK] = 0;
    }
    r[DISPI_INDEX_ENABLE] = value;
    if (this.vga.dac8bit !== ((value & DISPI_8BIT_DAC) !== 0)) {
      this.vga.dac8bit = (value & DISPI_8BIT_DAC) !== 0;
      this.vga.paletteVersion++;
    }
  }

  /** Virtual height from the memory left for the chosen scanline length; offsets kept in range. */
  private fixup(): void {
    const r = this.regs;
    if (r[DISPI_INDEX_VIRT_WIDTH]! < r[DISPI_INDEX_XRES]!) r[DISPI_INDEX_VIRT_WIDTH] = r[DISPI_INDEX_XRES]!;
    const line = this.lineBytes() * (this.bpp === 4 ? 4 : 1);
    const height = line > 0 ? Math.min(0xffff, Math.floor(this.vram.length / line)) : 0;
    r[DISPI_INDEX_VIRT_HEIGHT] = Math.max(height, 0);
    // The visible screen must fit in the VRAM (QEMU clamps the height the same way).
    if (this.enabled && r[DISPI_INDEX_YRES]! > r[DISPI_INDEX_VIRT_HEIGHT]!) r[DISPI_INDEX_YRES] = r[DISPI_INDEX_VIRT_HEIGHT]!;
    if (r[DISPI_INDEX_X_OFFSET]! > r[DISPI_INDEX_VIRT_WIDTH]!) r[DISPI_INDEX_X_OFFSET] = 0;
    if (r[DISPI_INDEX_Y_OFFSET]! > r[DISPI_INDEX_VIRT_HEIGHT]!) r[DISPI_INDEX_Y_OFFSET] = 0;
  }

  /** Enabling DISPI puts the VGA core in a graphics mode with the 64 KiB window at A0000 (as QEMU does). */
  private setVgaGraphicsMode(): void {
    const v = this.vga;
    v.gr[6] = (v.gr[6]! & ~0x0c) | 0x04 | 0x01;
    if (this.bpp !== 4) {
      v.seq[4] = v.seq[4]! | 0x08;
      v.seq[2] = v.seq[2]! | 0x0f;
    }
  }
}
