/** Bochs VBE DISPI interface, the linear framebuffer at BAR0, the BAR2 "mmio" window and the ROM BAR. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { vgaBoard, VRAM_SIZE, type VgaBoard } from './support.js';

const dispi = (b: VgaBoard, index: number, value?: number): number => {
  b.out(0x1ce, index, 2);
  if (value !== undefined) { b.out(0x1cf, value, 2); return 0; }
  return b.ports.read(0x1cf, 2);
};
const ID = 0, XRES = 1, YRES = 2, BPP = 3, ENABLE = 4, BANK = 5, VIRT_WIDTH = 6, VIRT_HEIGHT = 7,
  X_OFFSET = 8, Y_OFFSET = 9, VIDEO_MEMORY_64K = 10;

function mapBars(b: VgaBoard, lfb = 0xe0000000): void {
  b.conf(0x10, 4, lfb);
  b.conf(0x18, 4, 0xe1000000);
  b.conf(0x04, 2, 0x0003);
}

describe('Bochs VBE DISPI', () => {
  it('identifies as 0xB0C5 and accepts the ID0-ID5 versions only', () => {
    const b = vgaBoard();
    assert.equal(dispi(b, ID), 0xb0c5);
    dispi(b, ID, 0xb0c0);
    assert.equal(dispi(b, ID), 0xb0c0);
    dispi(b, ID, 0x1234);
    assert.equal(dispi(b, ID), 0xb0c0);
    assert.equal(dispi(b, VIDEO_MEMORY_64K), VRAM_SIZE / 65536);
  });

  it('sets resolution and depth while disabled, reports capabilities with GETCAPS', () => {
    const b = vgaBoard();
    dispi(b, XRES, 800); dispi(b, YRES, 600); dispi(b, BPP, 16);
    assert.deepEqual([dispi(b, XRES), dispi(b, YRES), dispi(b, BPP)], [800, 600, 16]);
    dispi(b, BPP, 12);
    assert.equal(dispi(b, BPP), 16, 'invalid depth ignored');
    dispi(b, XRES, 801);
    assert.equal(dispi(b, XRES), 800, 'widths are multiples of 8');
    dispi(b, ENABLE, 0x02);
    assert.deepEqual([dispi(b, XRES), dispi(b, YRES), dispi(b, BPP)], [16000, 12000, 32]);
    dispi(b, ENABLE, 0x00);
    assert.equal(dispi(b, XRES), 800);
  });

  it('enabling sets the virtual size and clears the screen unless NOCLEARMEM; mode registers lock while enabled', () => {
    const b = vgaBoard();
    b.vga.vram.fill(0x77, 0, 0x1000);
    dispi(b, XRES, 640); dispi(b, YRES, 480); dispi(b, BPP, 32);
    dispi(b, ENABLE, 0x41);
    assert.equal(b.vga.vram[0], 0, 'cleared');
    assert.equal(dispi(b, ENABLE), 0x41);
    assert.equal(dispi(b, VIRT_WIDTH), 640);
    assert.equal(dispi(b, VIRT_HEIGHT), Math.floor(VRAM_SIZE / (640 * 4)));
    dispi(b, XRES, 1024);
    assert.equal(dispi(b, XRES), 640, 'locked while enabled');
    dispi(b, ENABLE, 0);
    b.vga.vram.fill(0x77, 0, 0x1000);
    dispi(b, ENABLE, 0xc1);
    assert.equal(b.vga.vram[0], 0x77, 'NOCLEARMEM keeps the contents');
    dispi(b, ENABLE, 0);
    dispi(b, XRES, 8000); dispi(b, YRES, 8000); dispi(b, BPP, 32);
    dispi(b, ENABLE, 0x41);
    assert.equal(dispi(b, YRES), Math.floor(VRAM_SIZE / (8000 * 4)), 'the visible screen is clamped to the VRAM');
    const f = b.vga.render();
    assert.deepEqual([f.width, f.height], [8000, Math.floor(VRAM_SIZE / (8000 * 4))]);
  });

  it('the bank register selects which 64 KiB of VRAM the A0000 window shows', () => {
    const b = vgaBoard();
    dispi(b, XRES, 1024); dispi(b, YRES, 768); dispi(b, BPP, 8);
    dispi(b, ENABLE, 0x01);
    b.mem.write(0xa0000, 1, 0x11);
    dispi(b, BANK, 3);
    assert.equal(dispi(b, BANK), 3);
    b.mem.write(0xa0010, 2, 0x3322);
    assert.equal(b.vga.vram[0], 0x11);
    assert.equal(b.vga.vram[3 * 0x10000 + 0x10], 0x22);
    assert.equal(b.vga.vram[3 * 0x10000 + 0x11], 0x33);
    assert.equal(b.mem.read(0xa0010, 2), 0x3322);
  });

  it('BAR0 is a prefetchable 16-MiB-style memory BAR whose bytes are the VRAM, mapped as RAM', () => {
    const b = vgaBoard();
    b.conf(0x10, 4, 0xffffffff);
    assert.equal(b.conf(0x10, 4) >>> 0, (~(VRAM_SIZE - 1) | 0x8) >>> 0);
    mapBars(b);
    const region = b.mem.regionAt(0xe0000000);
    assert.equal(region?.name, 'vga-lfb');
    assert.ok(b.mem.writableHostOffset(0xe0000000) >= 0, 'guest writes go straight to memory');
    b.mem.write(0xe0000000 + 0x1234, 4, 0xdeadbeef);
    assert.equal(b.vga.vram[0x1234], 0xef);
    b.vga.vram[VRAM_SIZE - 1] = 0x5a;
    assert.equal(b.mem.read(0xe0000000 + VRAM_SIZE - 1, 1), 0x5a);
    // Move, disable decode, re-enable.
    b.conf(0x10, 4, 0xd0000000);
    assert.equal(b.mem.read(0xe0000000 + 0x1234, 4), 0xffffffff);
    assert.equal(b.mem.read(0xd0000000 + 0x1234, 4), 0xdeadbeef);
    b.conf(0x04, 2, 0);
    assert.equal(b.mem.read(0xd0000000 + 0x1234, 4), 0xffffffff);
    b.conf(0x04, 2, 2);
    assert.equal(b.mem.read(0xd0000000 + 0x1234, 4), 0xdeadbeef);
  });

  it('a BAR placed over other memory does not decode and does not disturb it', () => {
    const b = vgaBoard();
    b.conf(0x10, 4, 0x00000000);
    b.conf(0x18, 4, 0x00001000); // over RAM
    b.conf(0x04, 2, 2);
    assert.equal(b.mem.regionAt(0x1000)?.name, 'ram');
    b.conf(0x18, 4, 0xe1000000);
    assert.equal(b.mem.regionAt(0xe1000000)?.name, 'vga-mmio');
    for (let i = 0; i < 100; i++) b.conf(0x18, 4, (i & 1) ? 0xe1000000 : 0x00002000);
    assert.equal(b.mem.regionAt(0xe1000000)?.name, 'vga-mmio', 'BAR toggled between a clash and a free address');
    assert.equal(b.mem.regionAt(0x2000)?.name, 'ram');
    assert.ok(b.mem.regions.length < 20, 'moving a BAR reuses its region');
  });

  it('32, 16 and 8 bpp linear modes render from the framebuffer', () => {
    const b = vgaBoard();
    mapBars(b);
    dispi(b, XRES, 64); dispi(b, YRES, 32); dispi(b, BPP, 32); dispi(b, ENABLE, 0x41);
    b.mem.write(0xe0000000 + (5 * 64 + 3) * 4, 4, 0x00123456);
    let f = b.vga.render();
    assert.deepEqual([f.width, f.height], [64, 32]);
    const px = (x: number, y: number) => [...f.rgba.subarray((y * f.width + x) * 4, (y * f.width + x) * 4 + 4)];
    assert.deepEqual(px(3, 5), [0x12, 0x34, 0x56, 0xff]);
    // Display start: Y offset 5 moves that line to the top.
    dispi(b, Y_OFFSET, 5);
    f = b.vga.render();
    assert.deepEqual(px(3, 0), [0x12, 0x34, 0x56, 0xff]);

    dispi(b, ENABLE, 0);
    dispi(b, BPP, 16); dispi(b, ENABLE, 0x41);
    b.mem.write(0xe0000000 + 2 * 2, 2, 0xf800); // pure red in 5:6:5
    f = b.vga.render();
    assert.deepEqual(px(2, 0), [0xff, 0, 0, 0xff]);

    dispi(b, ENABLE, 0);
    dispi(b, BPP, 8); dispi(b, ENABLE, 0x41);
    b.out(0x3c8, 7); b.out(0x3c9, 0x3f); b.out(0x3c9, 0); b.out(0x3c9, 0x3f);
    b.mem.write(0xe0000000 + 64 + 1, 1, 7);
    f = b.vga.render();
    assert.deepEqual(px(1, 1), [0xff, 0, 0xff, 0xff]);
    // The 8-bit DAC switch keeps all eight bits of palette writes.
    dispi(b, ENABLE, 0x61);
    b.out(0x3c8, 7); b.out(0x3c9, 0x80); b.out(0x3c9, 0x40); b.out(0x3c9, 0x20);
    f = b.vga.render();
    assert.deepEqual(px(1, 1), [0x80, 0x40, 0x20, 0xff]);
  });

  it('BAR2 mmio: VGA ports at 0x400, DISPI registers at 0x500, QEMU extended registers at 0x600', () => {
    const b = vgaBoard();
    mapBars(b);
    const M = 0xe1000000;
    assert.equal(b.mem.read(M + 0x500, 2), 0xb0c5);
    b.mem.write(M + 0x500 + 2 * XRES, 2, 1024);
    assert.equal(dispi(b, XRES), 1024);
    b.mem.write(M + 0x400 + 0x08, 1, 0x05); // 3C8
    b.mem.write(M + 0x400 + 0x09, 1, 0x2a); // 3C9
    assert.equal(b.vga.regs.palette[15], 0x2a);
    b.mem.write(M + 0x400 + 0x04, 2, 0x0f02); // 3C4/3C5 as one word
    assert.equal(b.vga.regs.seq[2], 0x0f);
    assert.equal(b.mem.read(M + 0x604, 4), 0x1e1e1e1e, 'little-endian framebuffer');
    assert.equal(dispi(b, X_OFFSET), 0);
  });

  it('the expansion ROM BAR exposes the VGA BIOS when enabled', () => {
    const rom = new Uint8Array(0x9c00);
    rom[0] = 0x55; rom[1] = 0xaa; rom[2] = 0x4e; rom[0x9bff] = 0x42;
    const b = vgaBoard(rom);
    b.conf(0x30, 4, 0xfffff800);
    assert.equal(b.conf(0x30, 4) >>> 0, 0xffff0000, '64 KiB ROM BAR');
    b.conf(0x30, 4, 0xfebe0001);
    b.conf(0x04, 2, 2);
    assert.equal(b.mem.read(0xfebe0000, 2), 0xaa55);
    assert.equal(b.mem.read(0xfebe9bff, 1), 0x42);
    b.conf(0x30, 4, 0xfebe0000); // enable bit clear
    assert.equal(b.mem.read(0xfebe0000, 2), 0xffff);
  });
});
