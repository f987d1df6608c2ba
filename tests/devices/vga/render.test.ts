/** Text grid and RGBA rendering of the standard VGA modes, programmed with the IBM register tables. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { vgaBoard, setMode, loadEgaPalette, MODE_03, MODE_12, MODE_13, type VgaBoard } from './support.js';
import { textScreenLines } from '../../../src/devices/vga/text-render.js';
import type { Frame } from '../../../src/devices/vga/graphics-render.js';

const crtc = (b: VgaBoard, i: number, v: number) => b.out(0x3d4, (v << 8) | i, 2);
const putText = (b: VgaBoard, row: number, col: number, text: string, attr = 0x07) => {
  for (let i = 0; i < text.length; i++) b.mem.write(0xb8000 + (row * 80 + col + i) * 2, 2, (attr << 8) | text.charCodeAt(i));
};
const rgb = (f: Frame, x: number, y: number) => [...f.rgba.subarray((y * f.width + x) * 4, (y * f.width + x) * 4 + 3)];

/** Load an 8x16 glyph for `ch` into font map 0 of plane 2, the way the BIOS does. */
function loadGlyph(b: VgaBoard, ch: number, rows: number[]): void {
  b.out(0x3c4, 0x0402, 2); b.out(0x3c4, 0x0604, 2);
  b.out(0x3ce, 0x0204, 2); b.out(0x3ce, 0x0005, 2); b.out(0x3ce, 0x0406, 2);
  rows.forEach((v, i) => b.mem.write(0xa0000 + ch * 32 + i, 1, v));
  setMode(b, MODE_03);
}

describe('VGA text rendering', () => {
  it('80x25: characters from plane 0, attributes from plane 1, cursor from the CRTC', () => {
    const b = vgaBoard();
    setMode(b, MODE_03);
    putText(b, 0, 0, 'SeaBIOS (version test)');
    putText(b, 24, 70, 'bottom', 0x1e);
    crtc(b, 0x0e, 0x00); crtc(b, 0x0f, 80 * 3 + 5);
    const s = b.vga.textScreen();
    assert.equal(b.vga.textMode, true);
    assert.deepEqual([s.cols, s.rows], [80, 25]);
    const lines = textScreenLines(s);
    assert.equal(lines[0], 'SeaBIOS (version test)');
    assert.equal(lines[24], ' '.repeat(70) + 'bottom');
    assert.equal(s.cells[24 * 80 + 70]!.attr, 0x1e);
    assert.deepEqual(s.cursor, { row: 3, col: 5, visible: true, start: 0x0d, end: 0x0e });
    crtc(b, 0x0a, 0x20);
    assert.equal(b.vga.textScreen().cursor.visible, false, 'cursor disable bit');
  });

  it('80x50 with 8-line characters, and the start address scrolls the screen', () => {
    const b = vgaBoard();
    setMode(b, MODE_03);
    crtc(b, 0x09, 0x47);
    putText(b, 30, 0, 'line thirty');
    let s = b.vga.textScreen();
    assert.deepEqual([s.cols, s.rows], [80, 50]);
    assert.equal(textScreenLines(s)[30], 'line thirty');
    crtc(b, 0x0c, (80 * 10) >> 8); crtc(b, 0x0d, (80 * 10) & 0xff);
    s = b.vga.textScreen();
    assert.equal(textScreenLines(s)[20], 'line thirty');
  });

  it('renders glyphs from plane 2 in the attribute colours, 9 dots wide', () => {
    const b = vgaBoard();
    loadEgaPalette(b);
    setMode(b, MODE_03);
    loadGlyph(b, 0x41, [0x00, 0x18, 0x3c, 0x66, 0x66, 0x7e, 0x66, 0x66, 0x66, 0, 0, 0, 0, 0, 0, 0]);
    loadGlyph(b, 0xc4, [0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0]);
    putText(b, 0, 0, 'A', 0x1e); // yellow on blue
    putText(b, 0, 1, '\u00c4', 0x07);
    crtc(b, 0x0f, 40); // cursor elsewhere
    const f = b.vga.render();
    assert.deepEqual([f.width, f.height], [720, 400]);
    const yellow = [0xff, 0xff, 0x55], blue = [0, 0, 0xaa], grey = [0xaa, 0xaa, 0xaa], black = [0, 0, 0];
    assert.deepEqual(rgb(f, 0, 0), blue);
    assert.deepEqual(rgb(f, 3, 1), yellow, 'row 1 of the glyph: 0x18 sets dots 3 and 4');
    assert.deepEqual(rgb(f, 2, 1), blue);
    assert.deepEqual(rgb(f, 8, 5), blue, 'ninth column is background for letters');
    assert.deepEqual(rgb(f, 9 + 8, 7), grey, 'line-drawing characters extend into the ninth column');
    assert.deepEqual(rgb(f, 9 + 8, 6), black);
  });

  it('the screen is blank while the palette address source bit is clear', () => {
    const b = vgaBoard();
    loadEgaPalette(b);
    setMode(b, MODE_03);
    putText(b, 0, 0, '\u00db', 0x0f);
    b.inb(0x3da); b.out(0x3c0, 0x00); // PAS = 0
    const f = b.vga.render();
    assert.deepEqual(rgb(f, 0, 0), [0, 0, 0]);
  });
});

describe('VGA graphics rendering', () => {
  it('mode 13h: 320x200, one byte per pixel through chain-4, colours from the DAC', () => {
    const b = vgaBoard();
    setMode(b, MODE_13);
    b.out(0x3c8, 0x80); b.out(0x3c9, 0x3f); b.out(0x3c9, 0x00); b.out(0x3c9, 0x00);
    b.out(0x3c8, 0x81); b.out(0x3c9, 0x00); b.out(0x3c9, 0x3f); b.out(0x3c9, 0x00);
    b.mem.write(0xa0000 + 10 * 320 + 7, 1, 0x80);
    b.mem.write(0xa0000 + 199 * 320 + 319, 1, 0x81);
    const f = b.vga.render();
    assert.equal(b.vga.textMode, false);
    assert.deepEqual([f.width, f.height], [320, 200]);
    assert.deepEqual(rgb(f, 7, 10), [0xff, 0, 0]);
    assert.deepEqual(rgb(f, 319, 199), [0, 0xff, 0]);
    assert.deepEqual(rgb(f, 8, 10), [0, 0, 0]);
  });

  it('mode 12h: 640x480 16 colours from four planes through the attribute palette', () => {
    const b = vgaBoard();
    setMode(b, MODE_12);
    loadEgaPalette(b);
    b.out(0x3ce, 0x0205, 2); // write mode 2
    b.out(0x3ce, 0x2008, 2); // bit mask: pixel 2 of the byte
    b.mem.read(0xa0000 + 479 * 80 + 1, 1);
    b.mem.write(0xa0000 + 479 * 80 + 1, 1, 0x0e); // colour 14 → attribute 0x3e → yellow
    b.out(0x3ce, 0x0408, 2); // pixel 5
    b.mem.read(0xa0000, 1);
    b.mem.write(0xa0000, 1, 0x04); // colour 4: red
    const f = b.vga.render();
    assert.deepEqual([f.width, f.height], [640, 480]);
    assert.deepEqual(rgb(f, 8 + 2, 479), [0xff, 0xff, 0x55]);
    assert.deepEqual(rgb(f, 5, 0), [0xaa, 0, 0]);
    assert.deepEqual(rgb(f, 4, 0), [0, 0, 0]);
    // Colour plane enable (AR12) masks planes out of the pixel value.
    b.inb(0x3da); b.out(0x3c0, 0x32); b.out(0x3c0, 0x0b);
    assert.deepEqual(rgb(b.vga.render(), 5, 0), [0, 0, 0]);
  });
});
