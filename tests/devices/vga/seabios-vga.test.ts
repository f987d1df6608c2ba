/**
 * Debian's SeaBIOS with Debian's vgabios-stdvga.bin (same package) on the pc board: SeaBIOS finds the
 * std VGA at 00:02.0, copies its option ROM out of the expansion ROM BAR and runs it; SeaVGABIOS finds
 * the DISPI interface and the framebuffer at BAR0; SeaBIOS then sets text mode 3 and prints its banner
 * through INT 10h, which must appear in the text grid.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { PcMachine } from '../../../src/machine/pc.js';
import { VirtualClock } from '../../../src/machine/clock.js';
import { textScreenLines } from '../../../src/devices/vga/text-render.js';

const BIOS = '/usr/share/seabios/bios-256k.bin';
const VGABIOS = '/usr/share/seabios/vgabios-stdvga.bin';
const skip = existsSync(BIOS) && existsSync(VGABIOS) ? false
  : `Debian's SeaBIOS not found at ${BIOS} / ${VGABIOS} (apt-get install seabios)`;

describe('SeaBIOS and SeaVGABIOS on the std VGA', { skip }, () => {
  it('runs the VGA option ROM and shows the SeaBIOS banner on the text screen', () => {
    let log = '';
    const pc = new PcMachine({
      ramSize: 128 << 20,
      bios: readFileSync(BIOS),
      clock: VirtualClock.deterministic(),
      debugConsole: (b) => { log += String.fromCharCode(b); },
      vga: { bios: readFileSync(VGABIOS) },
    });
    const result = pc.runFor(10e9, () => log.includes('No bootable device'));
    assert.notEqual(result, 'stopped', log.slice(-2000));
    assert.match(log, /PCI: init bdf=00:02\.0 id=1234:1111/);
    assert.match(log, /PCI: map device bdf=00:02\.0 {2}bar 0, addr [0-9a-f]+, size 01000000 \[prefmem\]/);
    assert.match(log, /Using 00:02\.0 for primary VGA/);
    assert.match(log, /Running option rom at c000:0003/);
    assert.match(log, /Start SeaVGABIOS \(version 1\.\d+/);
    assert.match(log, /VBE DISPI: lfb_addr=[0-9a-f]+, size 16 MB/);
    assert.match(log, /Turning on vga text mode console/);
    assert.doesNotMatch(log, /No VBE DISPI interface detected/);

    const vga = pc.vga!;
    assert.equal(vga.textMode, true);
    const screen = vga.textScreen();
    assert.deepEqual([screen.cols, screen.rows], [80, 25]);
    const lines = textScreenLines(screen);
    assert.match(lines[0]!, /^SeaBIOS \(version 1\.\d+/, lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('No bootable device')), lines.join('\n'));
    assert.equal(screen.cells[0]!.attr, 0x07, 'light grey on black');
    assert.equal(screen.cursor.visible, true);

    const frame = vga.render();
    assert.deepEqual([frame.width, frame.height], [720, 400]);
    let lit = 0;
    for (let i = 0; i < 720 * 16 * 4; i += 4) if (frame.rgba[i] !== 0) lit++;
    assert.ok(lit > 100, `the banner's glyphs are drawn (${lit} lit pixels in the first text row)`);
    assert.deepEqual([...pc.cpus[0]!.unimplementedCounts], [], 'every instruction the BIOSes used is executed');
  });
});
