/**
 * SeaBIOS with 4 vCPUs on the pc board: it enables the BSP's local APIC, sends INIT and start-up
 * IPIs to all other processors, counts the APs that ran its trampoline, builds the MP table from
 * them, and finds the ACPI tables (MADT with 4 local APICs, the I/O APIC, HPET) in fw_cfg.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { PcMachine } from '../../src/machine/pc.js';
import { VirtualClock } from '../../src/machine/clock.js';

const BIOS = '/usr/share/seabios/bios-256k.bin';
const skip = existsSync(BIOS) ? false : `Debian's SeaBIOS not found at ${BIOS} (apt-get install seabios)`;

describe('SeaBIOS with -smp 4', { skip }, () => {
  it('starts the APs with INIT/SIPI and reports 4 CPUs', () => {
    let log = '';
    const pc = new PcMachine({
      ramSize: 128 << 20, cpus: 4, bios: readFileSync(BIOS), clock: VirtualClock.deterministic(),
      debugConsole: (b) => { log += String.fromCharCode(b); },
    });
    const result = pc.runFor(10e9, () => log.includes('No bootable device') || log.includes('Booting from'));
    assert.notEqual(result, 'stopped', log.slice(-2000));
    assert.match(log, /Found 4 cpu\(s\) max supported 4 cpu\(s\)/, log.slice(0, 3000));
    assert.match(log, /Copying MPTABLE/);
    assert.match(log, /table\(50434146\)=0x[0-9a-f]+ \(via xsdt\)/, "the FADT from the fw_cfg ACPI tables");
    assert.match(log, /ACPI: parse DSDT/);
    // The APs went back to sleep (HLT with interrupts off) after counting themselves.
    for (const cpu of pc.cpus.slice(1)) assert.equal(cpu.waitingForSipi, false);
  });
});
