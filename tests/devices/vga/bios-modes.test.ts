/**
 * Graphics modes set by Debian's SeaVGABIOS itself: an option ROM (fw_cfg "genroms/", run by SeaBIOS
 * after the VGA ROM) asks INT 10h for mode 13h, mode 12h (pixels drawn by the BIOS's planar write
 * function) and a VBE linear-framebuffer mode; the test checks each picture, then lets the ROM go on.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { PcMachine } from '../../../src/machine/pc.js';
import { VirtualClock } from '../../../src/machine/clock.js';
import { textScreenLines } from '../../../src/devices/vga/text-render.js';
import type { Frame } from '../../../src/devices/vga/graphics-render.js';
import { assemble } from '../../support/nasm.js';

const BIOS = '/usr/share/seabios/bios-256k.bin';
const VGABIOS = '/usr/share/seabios/vgabios-stdvga.bin';
const hasNasm = (() => { try { execFileSync('nasm', ['-v'], { stdio: 'ignore' }); return true; } catch { return false; } })();
const skip = !existsSync(BIOS) || !existsSync(VGABIOS) ? `Debian's SeaBIOS not found at ${BIOS} / ${VGABIOS} (apt-get install seabios)`
  : !hasNasm ? 'nasm not installed' : false;

const ROM_SOURCE = `
  db 0x55, 0xaa, 4
  jmp init
init:
  pushad
  push ds
  push es
  mov ax, 0x0013
  int 0x10
  mov ax, 0xa000
  mov es, ax
  mov byte [es:0], 4
  mov byte [es:320*199+319], 14
  mov si, m13
  call sync
  mov ax, 0x0012
  int 0x10
  mov ax, 0x0c09          ; write pixel, colour 9
  xor bx, bx
  mov cx, 100
  mov dx, 50
  int 0x10
  mov si, m12
  call sync
  mov ax, 0x4f02
  mov bx, 0x4111          ; 640x480x16, linear framebuffer
  int 0x10
  mov [cs:status], ax
  mov ax, 0xa000
  mov es, ax
  mov word [es:2], 0x07e0 ; pixel 1: green, through the 64 KiB window
  mov si, mvbe
  call sync
  mov ax, 0x0003
  int 0x10
  pop es
  pop ds
  popad
  retf
sync:                     ; print the marker on the debug port, wait for the test to set 0:0500
  mov dx, 0x402
.print:
  cs lodsb
  test al, al
  jz .wait
  out dx, al
  jmp .print
.wait:
  xor ax, ax
  mov ds, ax
.spin:
  cmp byte [0x500], 0
  je .spin
  mov byte [0x500], 0
  ret
status: dw 0
m13: db "<MODE13>", 10, 0
m12: db "<MODE12>", 10, 0
mvbe: db "<VBE>", 10, 0
  times 2047-($-$$) db 0
  db 0
`;

function optionRom(): Uint8Array {
  const rom = new Uint8Array(assemble(ROM_SOURCE, 16));
  let sum = 0;
  for (const b of rom) sum += b;
  rom[rom.length - 1] = (0x100 - (sum & 0xff)) & 0xff;
  return rom;
}

const rgb = (f: Frame, x: number, y: number) => [...f.rgba.subarray((y * f.width + x) * 4, (y * f.width + x) * 4 + 3)];

describe('SeaVGABIOS mode sets on the std VGA', { skip }, () => {
  it('mode 13h, mode 12h and a VBE LFB mode render what the guest drew', () => {
    let log = '';
    const pc = new PcMachine({
      ramSize: 64 << 20,
      bios: readFileSync(BIOS),
      clock: VirtualClock.deterministic(),
      debugConsole: (b) => { log += String.fromCharCode(b); },
      vga: { bios: readFileSync(VGABIOS) },
    });
    pc.fwCfg.addFile('genroms/vgatest.bin', optionRom());
    const step = (marker: string) => {
      const result = pc.runFor(10e9, () => log.includes(marker));
      assert.ok(log.includes(marker), `${marker} not reached (${result}):\n${log.slice(-1500)}`);
    };
    const proceed = () => { pc.ramView(0x500, 1)[0] = 1; };
    const vga = pc.vga!;

    step('<MODE13>');
    let f = vga.render();
    assert.equal(vga.textMode, false);
    assert.deepEqual([f.width, f.height], [320, 200]);
    assert.deepEqual(rgb(f, 0, 0), [0xaa, 0, 0], 'colour 4 of the default palette');
    assert.deepEqual(rgb(f, 319, 199), [0xff, 0xff, 0x55], 'colour 14');
    assert.deepEqual(rgb(f, 1, 0), [0, 0, 0]);
    proceed();

    step('<MODE12>');
    f = vga.render();
    assert.deepEqual([f.width, f.height], [640, 480]);
    assert.deepEqual(rgb(f, 100, 50), [0x55, 0x55, 0xff], 'colour 9 (light blue) drawn by INT 10h AH=0Ch');
    assert.deepEqual(rgb(f, 101, 50), [0, 0, 0]);
    proceed();

    step('<VBE>');
    const lfb = vga.barAddress(0)!;
    pc.physical.write(lfb + (479 * 640 + 639) * 2, 2, 0x001f); // last pixel blue, through the LFB
    f = vga.render();
    assert.deepEqual([f.width, f.height], [640, 480]);
    assert.deepEqual(rgb(f, 1, 0), [0, 0xff, 0], 'green written through the banked window');
    assert.deepEqual(rgb(f, 639, 479), [0, 0, 0xff], 'blue written through the linear framebuffer');
    assert.deepEqual(rgb(f, 0, 0), [0, 0, 0], 'mode set cleared the screen');
    proceed();

    const result = pc.runFor(10e9, () => log.includes('No bootable device'));
    assert.notEqual(result, 'stopped');
    assert.equal(vga.textMode, true, 'back in text mode');
    assert.ok(textScreenLines(vga.textScreen()).some((l) => l.startsWith('No bootable device')));
  });
});
