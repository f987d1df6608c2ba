/**
 * The planar memory model behind 0xA0000-0xBFFFF (IBM VGA Technical Reference, Graphics Controller
 * and Sequencer; FreeVGA "VGA Memory Organization", "Graphics Registers").
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { vgaBoard, setMode, MODE_12, MODE_13, MODE_03, type VgaBoard } from './support.js';

const A = 0xa0000;
const gr = (b: VgaBoard, i: number, v: number) => b.out(0x3ce, (v << 8) | i, 2);
const sr = (b: VgaBoard, i: number, v: number) => b.out(0x3c4, (v << 8) | i, 2);
/** Plane p, offset o of the planar memory. */
const plane = (b: VgaBoard, p: number, o: number) => b.vga.vram[o * 4 + p]!;
const setPlanes = (b: VgaBoard, o: number, bytes: number[]) => bytes.forEach((v, p) => { b.vga.vram[o * 4 + p] = v; });

function planar(): VgaBoard {
  const b = vgaBoard();
  setMode(b, MODE_12);
  return b;
}

describe('VGA planar memory', () => {
  it('write mode 0: map mask selects planes, data goes to each enabled plane', () => {
    const b = planar();
    sr(b, 2, 0x05);
    b.mem.write(A + 0x10, 1, 0xa5);
    assert.deepEqual([0, 1, 2, 3].map((p) => plane(b, p, 0x10)), [0xa5, 0, 0xa5, 0]);
  });

  it('write mode 0: set/reset for enabled planes, rotate, logical function and bit mask against the latches', () => {
    const b = planar();
    setPlanes(b, 0x20, [0xf0, 0x0f, 0xff, 0x00]);
    b.mem.read(A + 0x20, 1); // load the latches
    gr(b, 0, 0x03); // set/reset value: planes 0, 1 = 1s
    gr(b, 1, 0x06); // set/reset enabled for planes 1 and 2
    gr(b, 3, 0x01 | (3 << 3)); // rotate right by 1, XOR
    gr(b, 8, 0x3c); // bit mask
    b.mem.write(A + 0x20, 1, 0x81); // rotated: 0xC0
    // plane 0: (0xC0 ^ 0xF0) = 0x30 masked: (0x30 & 0x3c) | (0xf0 & 0xc3) = 0x30 | 0xc0 = 0xf0
    // plane 1: set/reset 0xFF ^ 0x0F = 0xF0 → (0xF0 & 0x3c) | (0x0f & 0xc3) = 0x30 | 0x03 = 0x33
    // plane 2: set/reset 0x00 ^ 0xFF = 0xFF → 0x3c | (0xff & 0xc3) = 0xff
    // plane 3: 0xC0 ^ 0x00 = 0xC0 → (0xc0 & 0x3c) | 0 = 0x00
    assert.deepEqual([0, 1, 2, 3].map((p) => plane(b, p, 0x20)), [0xf0, 0x33, 0xff, 0x00]);
  });

  it('logical functions AND and OR', () => {
    const b = planar();
    setPlanes(b, 0x30, [0xf0, 0xf0, 0xf0, 0xf0]);
    b.mem.read(A + 0x30, 1);
    gr(b, 3, 1 << 3); // AND
    b.mem.write(A + 0x31, 1, 0x3c);
    assert.equal(plane(b, 0, 0x31), 0x30);
    gr(b, 3, 2 << 3); // OR
    b.mem.write(A + 0x32, 1, 0x3c);
    assert.equal(plane(b, 3, 0x32), 0xfc);
  });

  it('write mode 1 copies the latches (a screen-to-screen copy of all four planes)', () => {
    const b = planar();
    setPlanes(b, 0x100, [1, 2, 3, 4]);
    gr(b, 5, 0x01);
    gr(b, 8, 0x00); // bit mask does not apply in mode 1
    b.mem.read(A + 0x100, 1);
    b.mem.write(A + 0x200, 1, 0x99);
    assert.deepEqual([0, 1, 2, 3].map((p) => plane(b, p, 0x200)), [1, 2, 3, 4]);
  });

  it('write mode 2: the low nibble of the data gives each plane all ones or zeros, through the bit mask', () => {
    const b = planar();
    setPlanes(b, 0x40, [0x00, 0xff, 0x00, 0xff]);
    b.mem.read(A + 0x40, 1);
    gr(b, 5, 0x02);
    gr(b, 8, 0x80); // one pixel
    b.mem.write(A + 0x40, 1, 0x0c); // colour 12 = planes 2 and 3
    assert.deepEqual([0, 1, 2, 3].map((p) => plane(b, p, 0x40)), [0x00, 0x7f, 0x80, 0xff]);
  });

  it('write mode 3: set/reset colour with the rotated data ANDed into the bit mask', () => {
    const b = planar();
    setPlanes(b, 0x50, [0, 0, 0, 0]);
    b.mem.read(A + 0x50, 1);
    gr(b, 5, 0x03);
    gr(b, 0, 0x09); // colour: planes 0 and 3
    gr(b, 8, 0xf0);
    gr(b, 3, 0x04); // rotate by 4
    b.mem.write(A + 0x50, 1, 0x3c); // rotated 0xC3, mask 0xF0 & 0xC3 = 0xC0
    assert.deepEqual([0, 1, 2, 3].map((p) => plane(b, p, 0x50)), [0xc0, 0, 0, 0xc0]);
  });

  it('read mode 0 returns the plane chosen by read map select and loads all four latches', () => {
    const b = planar();
    setPlanes(b, 0x60, [0x11, 0x22, 0x33, 0x44]);
    gr(b, 4, 2);
    assert.equal(b.mem.read(A + 0x60, 1), 0x33);
    assert.equal(b.vga.planar.latch, 0x44332211);
  });

  it('read mode 1: colour compare with colour don\'t care', () => {
    const b = planar();
    // Pixels (bit 7..0) colours: plane bytes chosen so bit 7 = colour 5, bit 6 = colour 4, others 0.
    setPlanes(b, 0x70, [0x80, 0x00, 0xc0, 0x00]);
    gr(b, 5, 0x08);
    gr(b, 2, 0x05); gr(b, 7, 0x0f);
    assert.equal(b.mem.read(A + 0x70, 1), 0x80, 'only pixel 7 is colour 5');
    gr(b, 7, 0x0e); // ignore plane 0
    assert.equal(b.mem.read(A + 0x70, 1), 0xc0, 'colours 4 and 5 match when plane 0 is "don\'t care"');
    gr(b, 2, 0x00); gr(b, 7, 0x0f);
    assert.equal(b.mem.read(A + 0x70, 1), 0x3f, 'colour 0');
    gr(b, 7, 0x00);
    assert.equal(b.mem.read(A + 0x70, 1), 0xff, 'nothing compared: every pixel matches');
  });

  it('chain-4: address bits 1:0 select the plane, the plane offset is the address with those bits clear', () => {
    const b = vgaBoard();
    setMode(b, MODE_13);
    for (let i = 0; i < 8; i++) b.mem.write(A + 0x100 + i, 1, 0x10 + i);
    assert.deepEqual([0, 1, 2, 3].map((p) => plane(b, p, 0x100)), [0x10, 0x11, 0x12, 0x13]);
    assert.deepEqual([0, 1, 2, 3].map((p) => plane(b, p, 0x104)), [0x14, 0x15, 0x16, 0x17]);
    assert.equal(b.mem.read(A + 0x106, 1), 0x16);
    assert.equal(b.mem.read(A + 0x100, 4), 0x13121110, 'dword reads split into bytes');
    sr(b, 2, 0x0e); // map mask still applies
    b.mem.write(A + 0x100, 1, 0xee);
    assert.equal(plane(b, 0, 0x100), 0x10);
  });

  it('odd/even: even addresses reach planes 0/2, odd ones planes 1/3, in the text window at B8000', () => {
    const b = vgaBoard();
    setMode(b, MODE_03);
    b.mem.write(0xb8000, 2, 0x1f41); // 'A' on white-on-blue
    b.mem.write(0xb8002, 2, 0x2e42);
    assert.equal(plane(b, 0, 0), 0x41);
    assert.equal(plane(b, 1, 0), 0x1f);
    assert.equal(plane(b, 0, 2), 0x42);
    assert.equal(plane(b, 1, 2), 0x2e);
    assert.equal(b.mem.read(0xb8002, 2), 0x2e42, 'odd/even reads');
    assert.equal(b.mem.read(0xa0000, 1), 0xff, 'A0000 is outside the B8000 window');
    b.mem.write(0xa0000, 1, 0x55);
    assert.equal(plane(b, 0, 0), 0x41);
  });

  it('memory map select (GR06 bits 3:2) chooses A0000/128K, A0000/64K, B0000/32K or B8000/32K', () => {
    const b = planar();
    const expectations: [number, number[], number[]][] = [
      [0, [0xa0000, 0xaffff, 0xb0000, 0xbffff], []],
      [1, [0xa0000, 0xaffff], [0xb0000, 0xb8000]],
      [2, [0xb0000, 0xb7fff], [0xa0000, 0xb8000]],
      [3, [0xb8000, 0xbffff], [0xa0000, 0xb0000]],
    ];
    for (const [map, inside, outside] of expectations) {
      gr(b, 6, (map << 2) | 1);
      for (const a of inside) {
        b.mem.write(a, 1, 0x5a);
        assert.equal(b.mem.read(a, 1), 0x5a, `map ${map}: 0x${a.toString(16)} decoded`);
      }
      for (const a of outside) assert.equal(b.mem.read(a, 1), 0xff, `map ${map}: 0x${a.toString(16)} not decoded`);
    }
  });
});
