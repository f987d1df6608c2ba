/** VGA register semantics (IBM VGA Technical Reference; FreeVGA) through the I/O ports. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { vgaBoard } from './support.js';

describe('VGA registers', () => {
  it('attribute controller: index/data flip-flop, reset by reading input status #1', () => {
    const b = vgaBoard();
    b.out(0x3c2, 0x01); // colour I/O addresses
    b.inb(0x3da);
    b.out(0x3c0, 0x05); // index 5
    b.out(0x3c0, 0x2a); // data
    assert.equal(b.inb(0x3c0), 0x05, '3C0 reads the index');
    assert.equal(b.inb(0x3c1), 0x2a, '3C1 reads the data of the indexed register');
    b.out(0x3c0, 0x06); // flip-flop is back on "index"
    assert.equal(b.inb(0x3c0), 0x06);
    // Leave the flip-flop on "data", then reset it through 3DA: the next write is an index again.
    b.inb(0x3da);
    b.out(0x3c0, 0x07);
    b.inb(0x3da);
    b.out(0x3c0, 0x31); // index 0x11 with the palette address source bit
    b.out(0x3c0, 0x99);
    assert.equal(b.inb(0x3c0), 0x31);
    assert.equal(b.vga.regs.ar[0x11], 0x99, 'overscan colour written');
    assert.equal(b.vga.regs.ar[7], 0, 'register 7 untouched: the 0x31 went to the index');
  });

  it('the monochrome status port resets the flip-flop only in monochrome addressing', () => {
    const b = vgaBoard();
    b.out(0x3c2, 0x00); // 3Bx
    b.out(0x3c0, 0x02); // index, flip-flop now "data"
    assert.equal(b.inb(0x3da), 0xff, '3DA is not decoded in monochrome mode');
    b.out(0x3c0, 0x15); // data for index 2
    assert.equal(b.vga.regs.ar[2], 0x15);
    b.out(0x3c0, 0x03); // index
    b.inb(0x3ba);
    b.out(0x3c0, 0x04); // index again after the reset
    b.out(0x3c0, 0x3f);
    assert.equal(b.vga.regs.ar[4], 0x3f);
    assert.equal(b.vga.regs.ar[3], 0);
  });

  it('CRTC at 3B4/3B5 or 3D4/3D5 according to misc output bit 0', () => {
    const b = vgaBoard();
    b.out(0x3c2, 0x01);
    b.out(0x3d4, 0x0e); b.out(0x3d5, 0x12);
    assert.equal(b.inb(0x3d5), 0x12);
    assert.equal(b.inb(0x3b5), 0xff, 'mono CRTC not decoded');
    b.out(0x3b4, 0x0e); b.out(0x3b5, 0x77); // ignored
    assert.equal(b.vga.regs.crtc[0x0e], 0x12);
    assert.equal(b.inb(0x3cc), 0x01, 'misc output reads back at 3CC');
    b.out(0x3c2, 0x00);
    b.out(0x3b4, 0x0e); b.out(0x3b5, 0x34);
    assert.equal(b.inb(0x3b5), 0x34);
    assert.equal(b.inb(0x3d5), 0xff);
  });

  it('CRTC protect bit (CR11 bit 7) locks CR00-CR07 except the line compare bit of CR07', () => {
    const b = vgaBoard();
    b.out(0x3c2, 0x01);
    for (let i = 0; i < 8; i++) b.out(0x3d4, (0x11 << 8) | i, 2); // fill 0..7 with 0x11 while unlocked
    b.out(0x3d4, 0x8011, 2); // protect
    for (let i = 0; i < 8; i++) b.out(0x3d4, (0xee << 8) | i, 2);
    for (let i = 0; i < 7; i++) { b.out(0x3d4, i); assert.equal(b.inb(0x3d5), 0x11, `CR0${i} protected`); }
    b.out(0x3d4, 7);
    assert.equal(b.inb(0x3d5), (0x11 & ~0x10) | (0xee & 0x10), 'CR07 bit 4 stays writable');
    b.out(0x3d4, 0x09); b.out(0x3d5, 0x4f);
    assert.equal(b.inb(0x3d5), 0x4f, 'CR08 and above are not protected');
    b.out(0x3d4, 0x0011, 2); // unlock
    b.out(0x3d4, 0x5501, 2);
    b.out(0x3d4, 1);
    assert.equal(b.inb(0x3d5), 0x55);
  });

  it('DAC: write index auto-increments after three components, read index likewise, 6-bit values', () => {
    const b = vgaBoard();
    b.out(0x3c8, 0x10);
    for (const v of [0x3f, 0x20, 0x01, 0x02, 0x03, 0xff]) b.out(0x3c9, v);
    assert.equal(b.inb(0x3c8), 0x12, 'write index advanced by two entries');
    assert.equal(b.inb(0x3c7), 0x00, 'DAC state: write mode');
    b.out(0x3c7, 0x10);
    assert.equal(b.inb(0x3c7), 0x03, 'DAC state: read mode');
    const got = Array.from({ length: 6 }, () => b.inb(0x3c9));
    assert.deepEqual(got, [0x3f, 0x20, 0x01, 0x02, 0x03, 0x3f], 'components are six bits');
    assert.equal(b.inb(0x3c9), 0, 'third entry');
    // Writing an index restarts the component sequence.
    b.out(0x3c8, 0xff); b.out(0x3c9, 1); b.out(0x3c8, 0xff);
    b.out(0x3c9, 7); b.out(0x3c9, 8); b.out(0x3c9, 9);
    assert.equal(b.inb(0x3c8), 0x00, 'index wraps at 255');
    assert.deepEqual([...b.vga.regs.palette.subarray(255 * 3)], [7, 8, 9]);
    b.out(0x3c6, 0x0f);
    assert.equal(b.inb(0x3c6), 0x0f, 'PEL mask');
  });

  it('sequencer and graphics registers keep only their implemented bits; 16-bit index+data writes', () => {
    const b = vgaBoard();
    b.out(0x3c4, 0xff04, 2);
    assert.equal(b.inb(0x3c4), 0x04);
    assert.equal(b.inb(0x3c5), 0x0e);
    b.out(0x3ce, 0xff05, 2);
    assert.equal(b.inb(0x3cf), 0x7b);
    b.out(0x3ce, 0xff08, 2);
    assert.equal(b.inb(0x3cf), 0xff);
  });

  it('input status #1: vertical retrace and display-disabled bits follow the display timing', () => {
    const b = vgaBoard();
    b.out(0x3c2, 0x01);
    const seen = new Set<number>();
    let retraceEdges = 0, last = 0;
    for (let t = 0; t < 50e6; t += 10_000) {
      b.time.now = t;
      const v = b.inb(0x3da) & 0x09;
      seen.add(v);
      if ((v & 8) && !(last & 8)) retraceEdges++;
      last = v;
    }
    assert.ok(seen.has(0x00) && seen.has(0x01) && seen.has(0x09), `states seen: ${[...seen]}`);
    assert.ok(retraceEdges >= 2 && retraceEdges <= 4, `about 60 Hz: ${retraceEdges} retraces in 50 ms`);
  });

  it('a guest polling the status register with time standing still still sees retrace come and go', () => {
    const b = vgaBoard();
    b.out(0x3c2, 0x01);
    b.time.now = 1000;
    let reads = 0;
    while ((b.inb(0x3da) & 8) === 0) if (++reads > 1e6) break;
    while ((b.inb(0x3da) & 8) !== 0) if (++reads > 1e6) break;
    assert.ok(reads < 1e6);
  });
});
