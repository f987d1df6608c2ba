import type { VgaRegisters } from './registers.js';
import { Vbe, bytesPerPixel, DISPI_INDEX_XRES, DISPI_INDEX_YRES } from './vbe.js';
import { charHeight, crtcAddress, scanLines } from './text-render.js';

/**
 * The display as an RGBA image: VBE linear modes (8/15/16/24/32 bpp) from the framebuffer, and the
 * VGA modes through the CRTC, attribute controller and DAC: 16-colour planar, 256-colour (GR05 bit 6),
 * CGA-style 4-colour (GR05 bit 5 shift-register interleave) and text (glyphs from plane 2).
 *
 * Sizes are the modes' logical resolutions: double scanning (CR09 bit 7) and scan-line repetition in
 * graphics modes (CR09 maximum scan line when the row scan counter does not select memory) are folded,
 * so mode 13h is 320x200, mode 12h 640x480, 80x25 text 720x400.
 * Not modelled: horizontal pel panning (AR13), blinking, split-screen pixel panning mode.
 */

export interface Frame {
  width: number;
  height: number;
  /** width x height x 4 bytes, row-major RGBA. */
  rgba: Uint8Array;
}

/** Largest picture rendered (guards against absurd register values). */
const MAX_PIXELS = 4096 * 4096;

export function render(regs: VgaRegisters, vram: Uint8Array, vbe: Vbe): Frame {
  if (vbe.enabled && vbe.bpp !== 4) return renderVbe(regs, vram, vbe);
  const graphics = (regs.gr[6]! & 1) !== 0;
  if (!graphics) return renderText(regs, vram);
  return renderPlanar(regs, vram, vbe);
}

function frame(width: number, height: number): Frame {
  width = Math.max(1, width | 0);
  height = Math.max(1, height | 0);
  if (width * height > MAX_PIXELS) height = Math.max(1, Math.floor(MAX_PIXELS / width));
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 0xff;
  return { width, height, rgba };
}

/** DAC entries 0-255 as packed RGB. */
function dacTable(regs: VgaRegisters): Uint32Array {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = regs.dacColor(i);
    table[i] = (r << 16) | (g << 8) | b;
  }
  return table;
}

/** 4-bit pixel value → DAC index through the attribute controller (AR00-AR0F, AR10 bit 7, AR12, AR14). */
function attributeTable(regs: VgaRegisters): Uint8Array {
  const ar = regs.ar, table = new Uint8Array(16);
  const select = ar[0x14]!;
  for (let v = 0; v < 16; v++) {
    const p = ar[v & ar[0x12]! & 0x0f]!;
    const low = (ar[0x10]! & 0x80) !== 0 ? (p & 0x0f) | ((select & 3) << 4) : p & 0x3f;
    table[v] = low | ((select & 0x0c) << 4);
  }
  return table;
}

function put(rgba: Uint8Array, at: number, rgb: number): void {
  rgba[at] = rgb >>> 16;
  rgba[at + 1] = (rgb >>> 8) & 0xff;
  rgba[at + 2] = rgb & 0xff;
}

/** Whether the palette address source bit (3C0 index bit 5) is clear: the screen shows black. */
function blanked(regs: VgaRegisters): boolean {
  return (regs.arIndex & 0x20) === 0;
}

function renderVbe(regs: VgaRegisters, vram: Uint8Array, vbe: Vbe): Frame {
  const width = vbe.regs[DISPI_INDEX_XRES]!, height = vbe.regs[DISPI_INDEX_YRES]!;
  const f = frame(width, height);
  const bpp = vbe.bpp, bytes = bytesPerPixel(bpp), line = vbe.lineBytes(), start = vbe.displayStart();
  const dac = bpp === 8 ? dacTable(regs) : null;
  const rgba = f.rgba, limit = vram.length;
  for (let y = 0; y < f.height; y++) {
    let src = start + y * line, dst = y * f.width * 4;
    for (let x = 0; x < f.width; x++, src += bytes, dst += 4) {
      if (src + bytes > limit) continue;
      let rgb: number;
      switch (bpp) {
        case 8: rgb = dac![vram[src]!]!; break;
        case 15: {
          const v = vram[src]! | (vram[src + 1]! << 8);
          rgb = (c5(v >> 10) << 16) | (c5(v >> 5) << 8) | c5(v);
          break;
        }
        case 16: {
          const v = vram[src]! | (vram[src + 1]! << 8);
          rgb = (c5(v >> 11) << 16) | (c6(v >> 5) << 8) | c5(v);
          break;
        }
        default: // 24 and 32 bpp: blue, green, red (, unused)
          rgb = (vram[src + 2]! << 16) | (vram[src + 1]! << 8) | vram[src]!;
      }
      put(rgba, dst, rgb);
    }
  }
  return f;
}

function c5(v: number): number {
  v &= 0x1f;
  return (v << 3) | (v >> 2);
}

function c6(v: number): number {
  v &= 0x3f;
  return (v << 2) | (v >> 4);
}

/** VGA graphics modes (and the VBE 4 bpp planar modes). */
function renderPlanar(regs: VgaRegisters, vram: Uint8Array, vbe: Vbe): Frame {
  const mode256 = (regs.gr[5]! & 0x40) !== 0;
  const interleave = !mode256 && (regs.gr[5]! & 0x20) !== 0;
  const cellHeight = charHeight(regs);
  const cga = (regs.crtc[0x17]! & 3) !== 3;
  const repeat = cga ? 1 : cellHeight;
  let width = (regs.crtc[1]! + 1) * (mode256 ? 4 : 8);
  let height = Math.floor(scanLines(regs) / repeat);
  let stride = regs.crtc[0x13]! * 2;
  let start = regs.startAddress();
  const planarVbe = vbe.enabled && vbe.bpp === 4;
  if (planarVbe) {
    width = vbe.regs[DISPI_INDEX_XRES]!;
    height = vbe.regs[DISPI_INDEX_YRES]!;
    stride = vbe.lineBytes();
    start = vbe.displayStart();
  }
  const f = frame(width, height);
  if (blanked(regs)) return f;
  const dac = dacTable(regs), attr = attributeTable(regs), rgba = f.rgba;
  const doubleScan = (regs.crtc[9]! & 0x80) !== 0 ? 2 : 1;
  const lineCompare = regs.lineCompare();
  const clocks = mode256 ? Math.ceil(f.width / 4) : Math.ceil(f.width / 8);
  for (let y = 0; y < f.height; y++) {
    const scan = y * repeat;
    let ma: number, rowScan: number;
    if (!planarVbe && scan * doubleScan > lineCompare) {
      const s = scan - (Math.floor(lineCompare / doubleScan) + 1);
      ma = Math.floor(s / cellHeight) * stride;
      rowScan = s % cellHeight;
    } else if (planarVbe) {
      ma = start + y * stride;
      rowScan = 0;
    } else {
      ma = start + Math.floor(scan / cellHeight) * stride;
      rowScan = scan % cellHeight;
    }
    let dst = y * f.width * 4, x = 0;
    for (let c = 0; c < clocks; c++) {
      const at = (planarVbe ? (ma + c) & 0xffff : crtcAddress(regs, ma + c, rowScan)) * 4;
      const p0 = vram[at]!, p1 = vram[at + 1]!, p2 = vram[at + 2]!, p3 = vram[at + 3]!;
      if (mode256) {
        for (const v of [p0, p1, p2, p3]) {
          if (x++ < f.width) { put(rgba, dst, dac[v]!); dst += 4; }
        }
      } else if (interleave) {
        for (let i = 0; i < 8; i++) {
          const lo = i < 4 ? p0 : p1, hi = i < 4 ? p2 : p3, shift = 6 - 2 * (i & 3);
          const v = ((lo >> shift) & 3) | (((hi >> shift) & 3) << 2);
          if (x++ < f.width) { put(rgba, dst, dac[attr[v]!]!); dst += 4; }
        }
      } else {
        for (let bit = 7; bit >= 0; bit--) {
          const v = ((p0 >> bit) & 1) | (((p1 >> bit) & 1) << 1) | (((p2 >> bit) & 1) << 2) | (((p3 >> bit) & 1) << 3);
          if (x++ < f.width) { put(rgba, dst, dac[attr[v]!]!); dst += 4; }
        }
      }
    }
  }
  return f;
}

/** Offsets in plane 2 of the eight character maps (SR03 map select values 0-7). */
const FONT_MAPS = [0x0000, 0x4000, 0x8000, 0xc000, 0x2000, 0x6000, 0xa000, 0xe000];

function renderText(regs: VgaRegisters, vram: Uint8Array): Frame {
  const cols = regs.crtc[1]! + 1;
  const cellWidth = (regs.seq[1]! & 1) !== 0 ? 8 : 9;
  const cellHeight = charHeight(regs);
  const f = frame(cols * cellWidth, scanLines(regs));
  if (blanked(regs)) return f;
  const dac = dacTable(regs), attr = attributeTable(regs), rgba = f.rgba;
  const stride = regs.crtc[0x13]! * 2, start = regs.startAddress();
  const sr3 = regs.seq[3]!;
  const mapA = FONT_MAPS[((sr3 >> 3) & 4) | ((sr3 >> 2) & 3)]!;
  const mapB = FONT_MAPS[((sr3 >> 2) & 4) | (sr3 & 3)]!;
  const blink = (regs.ar[0x10]! & 0x08) !== 0;
  const lineGraphics = (regs.ar[0x10]! & 0x04) !== 0;
  const cursorAddr = regs.cursorAddress();
  const cursorOn = (regs.crtc[0x0a]! & 0x20) === 0;
  const cursorStart = regs.crtc[0x0a]! & 0x1f, cursorEnd = regs.crtc[0x0b]! & 0x1f;
  const rows = Math.ceil(f.height / cellHeight);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const ma = start + r * stride + c;
      const at = crtcAddress(regs, ma, 0) * 4;
      const ch = vram[at]!, a = vram[at + 1]!;
      const font = (a & 0x08) !== 0 ? mapA : mapB;
      const fg = dac[attr[a & 0x0f]!]!;
      const bg = dac[attr[blink ? (a >> 4) & 7 : a >> 4]!]!;
      const isCursor = cursorOn && ma === cursorAddr;
      for (let line = 0; line < cellHeight; line++) {
        const y = r * cellHeight + line;
        if (y >= f.height) break;
        let glyph = vram[((font + ch * 32 + line) & 0xffff) * 4 + 2]!;
        if (isCursor && line >= cursorStart && line <= cursorEnd) glyph = 0xff;
        let dst = (y * f.width + c * cellWidth) * 4;
        for (let bit = 7; bit >= 0; bit--, dst += 4) put(rgba, dst, (glyph >> bit) & 1 ? fg : bg);
        if (cellWidth === 9) {
          const ninth = lineGraphics && ch >= 0xc0 && ch <= 0xdf ? glyph & 1 : isCursor && line >= cursorStart && line <= cursorEnd ? 1 : 0;
          put(rgba, dst, ninth ? fg : bg);
        }
      }
    }
  }
  return f;
}
