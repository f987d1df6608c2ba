import type { VgaRegisters } from './registers.js';

/**
 * Alphanumeric (text) modes as a character grid (IBM VGA Technical Reference, "CRT Controller"):
 * columns from the horizontal display end (CR01), character height from the maximum scan line
 * (CR09), rows from the vertical display end (CR12/CR07), each row CR13 x 2 character positions after
 * the previous one, starting at the start address (CR0C/CR0D). The character code is in plane 0 and
 * the attribute in plane 1 at the address the CRTC generates (byte, word or doubleword mode). The
 * cursor comes from CR0A/CR0B (shape, disable bit) and CR0E/CR0F (location).
 */

export interface TextCell {
  /** Character code (code page of the loaded font; CP437 for the BIOS fonts). */
  char: number;
  /** Attribute byte: foreground bits 3:0, background bits 6:4, blink/intensity bit 7. */
  attr: number;
}

export interface TextCursor {
  row: number;
  col: number;
  visible: boolean;
  /** First and last scan line of the cursor inside the character cell. */
  start: number;
  end: number;
}

export interface TextScreen {
  cols: number;
  rows: number;
  /** Row-major, cols x rows cells. */
  cells: TextCell[];
  cursor: TextCursor;
}

/** Plane offset the CRTC fetches for memory-address counter value `ma` on row scan line `rowScan`. */
export function crtcAddress(regs: VgaRegisters, ma: number, rowScan: number): number {
  const mode = regs.crtc[0x17]!;
  let addr: number;
  if ((regs.crtc[0x14]! & 0x40) !== 0) addr = ma << 2;
  else if ((mode & 0x40) === 0) addr = (ma << 1) | ((mode & 0x20) !== 0 ? (ma >> 15) & 1 : (ma >> 13) & 1);
  else addr = ma;
  if ((mode & 0x01) === 0) addr = (addr & ~0x2000) | ((rowScan & 1) << 13);
  if ((mode & 0x02) === 0) addr = (addr & ~0x4000) | ((rowScan & 2) << 13);
  return addr & 0xffff;
}

/** Height of a character cell in scan lines (CR09 bits 4:0 + 1). */
export function charHeight(regs: VgaRegisters): number {
  return (regs.crtc[9]! & 0x1f) + 1;
}

/** Displayed scan lines after double scanning (CR09 bit 7) is undone. */
export function scanLines(regs: VgaRegisters): number {
  const lines = regs.verticalDisplayEnd() + 1;
  return (regs.crtc[9]! & 0x80) !== 0 ? lines >> 1 : lines;
}

/** The text screen as the CRTC would display it. */
export function textScreen(regs: VgaRegisters, vram: Uint8Array): TextScreen {
  const cols = regs.crtc[1]! + 1;
  const rows = Math.max(1, Math.floor(scanLines(regs) / charHeight(regs)));
  const stride = regs.crtc[0x13]! * 2;
  const start = regs.startAddress();
  const cells: TextCell[] = new Array(cols * rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const at = crtcAddress(regs, start + r * stride + c, 0) * 4;
      cells[r * cols + c] = { char: vram[at]!, attr: vram[at + 1]! };
    }
  }
  const distance = regs.cursorAddress() - start;
  const row = stride > 0 ? Math.floor(distance / stride) : 0;
  const col = stride > 0 ? distance - row * stride : distance;
  const cursorStart = regs.crtc[0x0a]! & 0x1f, cursorEnd = regs.crtc[0x0b]! & 0x1f;
  const visible = (regs.crtc[0x0a]! & 0x20) === 0 && distance >= 0 && row < rows && col < cols && cursorStart <= cursorEnd;
  return { cols, rows, cells, cursor: { row, col, visible, start: cursorStart, end: cursorEnd } };
}

/** Unicode for the CP437 character set of the VGA BIOS fonts (control codes as their glyphs). */
export const CP437 = " ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼ !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~⌂ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ";

/** The screen as lines of text (trailing spaces removed), for the CLI and tests. */
export function textScreenLines(screen: TextScreen): string[] {
  const lines: string[] = [];
  for (let r = 0; r < screen.rows; r++) {
    let line = '';
    for (let c = 0; c < screen.cols; c++) line += CP437[screen.cells[r * screen.cols + c]!.char];
    lines.push(line.replace(/[ \u0000]+$/, ''));
  }
  return lines;
}
