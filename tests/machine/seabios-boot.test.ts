/**
 * Debian's unmodified SeaBIOS (package `seabios`, installed by .ci/run) on the pc board: it must
 * find fw_cfg with DMA, read the e820 map, enumerate the i440FX and PIIX3, use COM1 as its console
 * (etc/sercon-port) and print its banner there, then report that nothing is bootable. Deterministic
 * clock: the run is reproducible.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { PcMachine } from '../../src/machine/pc.js';
import { VirtualClock } from '../../src/machine/clock.js';
import { BufferCharBackend } from '../../src/backends/char.js';

const BIOS = '/usr/share/seabios/bios-256k.bin';
const skip = existsSync(BIOS) ? false : `Debian's SeaBIOS not found at ${BIOS} (apt-get install seabios)`;

describe('SeaBIOS on the pc board', { skip }, () => {
  it('prints its banner on COM1 and the debug port, enumerates PCI, and reports no bootable device', () => {
    let log = '';
    const serial = new BufferCharBackend();
    const pc = new PcMachine({
      ramSize: 128 << 20,
      bios: readFileSync(BIOS),
      clock: VirtualClock.deterministic(),
      serial,
      serialConsole: true,
      debugConsole: (b) => { log += String.fromCharCode(b); },
    });
    const result = pc.runFor(10e9, () => log.includes('No bootable device'));
    assert.notEqual(result, 'stopped', log.slice(-2000));
    const console = Buffer.from(serial.output).toString('latin1');
    assert.match(console, /SeaBIOS \(version 1\.\d+/);
    assert.match(console, /No bootable device/);
    assert.match(log, /QEMU fw_cfg DMA interface supported/);
    assert.match(log, /qemu\/e820: addr 0x0000000000000000 len 0x0000000008000000 \[RAM\]/);
    assert.match(log, /PCI: init bdf=00:00\.0 id=8086:1237/);
    assert.match(log, /PCI: init bdf=00:01\.0 id=8086:7000/);
    assert.match(log, /sercon: using ioport 0x3f8/);
    assert.match(log, /PS2 keyboard initialized/, 'the 8042 and its keyboard answer SeaBIOS');
    assert.doesNotMatch(log, /Timeout at i8042/);
    assert.deepEqual([...pc.cpus[0]!.unimplementedCounts], [], 'every instruction SeaBIOS used is executed');
  });
});
