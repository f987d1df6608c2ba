/**
 * The MP tables of a firmware-less pc board, read back the way an OS finds them (MP spec 1.4, 4.1:
 * scan 0xF0000-0xFFFFF on 16-byte boundaries for "_MP_") and parsed entry by entry.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PcMachine } from '../../../src/machine/pc.js';
import { VirtualClock } from '../../../src/machine/clock.js';
import { buildMpTables, MpEntryType, MpInterruptType, MpIntFlags } from '../../../src/machine/boot/mptable.js';
import { pcAcpiConfig } from '../../../src/devices/acpi/config.js';
import { walkTables } from '../../devices/acpi/reference-loader.js';

interface Parsed {
  pointer: number;
  entries: number[][];
  localApic: number;
  oem: string;
}

function findMpTables(read8: (addr: number) => number): Parsed | null {
  const sum = (at: number, n: number) => { let s = 0; for (let i = 0; i < n; i++) s += read8(at + i); return s & 0xff; };
  const read32 = (at: number) => (read8(at) | (read8(at + 1) << 8) | (read8(at + 2) << 16) | (read8(at + 3) << 24)) >>> 0;
  const read16 = (at: number) => read8(at) | (read8(at + 1) << 8);
  for (let at = 0xf0000; at < 0x100000; at += 16) {
    if (read32(at) !== 0x5f504d5f) continue; // "_MP_"
    assert.equal(read8(at + 8), 1, 'floating pointer length: 1 paragraph');
    assert.equal(read8(at + 9), 4, 'spec revision 1.4');
    assert.equal(sum(at, 16), 0, 'floating pointer checksum');
    assert.equal(read8(at + 11), 0, 'a configuration table is present (no default configuration)');
    const table = read32(at + 4);
    assert.equal(read32(table), 0x504d4350, '"PCMP"');
    const length = read16(table + 4);
    assert.equal(sum(table, length), 0, 'configuration table checksum');
    const count = read16(table + 34);
    const entries: number[][] = [];
    let p = table + 44;
    for (let i = 0; i < count; i++) {
      const size = read8(p) === MpEntryType.Processor ? 20 : 8;
      entries.push(Array.from({ length: size }, (_, k) => read8(p + k)));
      p += size;
    }
    assert.equal(p, table + length, 'entry count and base table length agree');
    const oem = String.fromCharCode(...Array.from({ length: 8 }, (_, k) => read8(table + 8 + k)));
    return { pointer: at, entries, localApic: read32(table + 36), oem };
  }
  return null;
}

describe('MP tables (firmware-less boots)', () => {
  it('the board without firmware has them in the F segment: processors, buses, I/O APIC, interrupts', () => {
    const pc = new PcMachine({ ramSize: 32 << 20, cpus: 4, clock: VirtualClock.deterministic() });
    const mp = findMpTables((a) => pc.physical.read(a, 1));
    assert.ok(mp, 'found "_MP_" in 0xF0000-0xFFFFF');
    assert.equal(mp.localApic, 0xfee00000);
    const types = mp.entries.map((e) => e[0]);
    assert.deepEqual([...types].sort((a, b) => a! - b!), types, 'entries sorted by type');

    const cpus = mp.entries.filter((e) => e[0] === MpEntryType.Processor);
    assert.deepEqual(cpus.map((e) => e[1]), [0, 1, 2, 3], 'local APIC IDs');
    assert.deepEqual(cpus.map((e) => e[3]), [3, 1, 1, 1], 'all enabled, vCPU 0 is the BSP');
    assert.ok(cpus.every((e) => e[2] === 0x14), 'local APIC version');
    assert.notEqual(cpus[0]![9]! & (1 << 1), 0, 'CPUID feature flags (APIC, bit 9 of EDX) in the entry');

    const buses = mp.entries.filter((e) => e[0] === MpEntryType.Bus).map((e) => [e[1], String.fromCharCode(...e.slice(2, 8))]);
    assert.deepEqual(buses, [[0, 'PCI   '], [1, 'ISA   ']]);
    const ioApics = mp.entries.filter((e) => e[0] === MpEntryType.IoApic);
    assert.equal(ioApics.length, 1);
    assert.deepEqual(ioApics[0]!.slice(1, 4), [4, 0x11, 1], 'I/O APIC ID = vCPU count (as the MADT), version, enabled');
    assert.equal((ioApics[0]![4]! | (ioApics[0]![5]! << 8) | (ioApics[0]![6]! << 16) | (ioApics[0]![7]! << 24)) >>> 0, 0xfec00000);

    const ioInts = mp.entries.filter((e) => e[0] === MpEntryType.IoInterrupt);
    const isa = new Map(ioInts.filter((e) => e[4] === 1).map((e) => [e[5]!, e]));
    assert.equal(isa.get(0)![7], 2, 'ISA IRQ0 on I/O APIC input 2 (the MADT override)');
    assert.equal(isa.has(2), false, 'no entry for the cascade');
    assert.equal(isa.get(4)![7], 4, 'COM1');
    assert.equal(isa.get(14)![7], 14, 'IDE');
    assert.equal(isa.get(9)![2], MpIntFlags.ActiveHigh | MpIntFlags.Level, 'SCI level, active high (as the MADT)');
    assert.equal(isa.get(1)![2], MpIntFlags.Conforms);
    assert.ok(ioInts.every((e) => e[1] === MpInterruptType.Int && e[6] === 4), 'INT entries to the I/O APIC');

    const local = mp.entries.filter((e) => e[0] === MpEntryType.LocalInterrupt).map((e) => [e[1], e[6], e[7]]);
    assert.deepEqual(local, [[MpInterruptType.ExtInt, 0xff, 0], [MpInterruptType.Nmi, 0xff, 1]], 'LINT0 ExtINT, LINT1 NMI on every local APIC');
  });

  it('PCI INTx entries follow the PIRQ routing and replace the ISA entries of those IRQs', () => {
    const acpi = pcAcpiConfig(2, 32 << 20);
    const bytes = buildMpTables({ acpi, cpuSignature: 0x6f1, cpuFeatures: 0x200, pciInterrupts: [{ slot: 3, pin: 0 }, { slot: 3, pin: 0 }, { slot: 4, pin: 1 }] });
    const mp = findMpTables((a) => bytes[a - 0xf0000] ?? 0);
    assert.ok(mp);
    const ioInts = mp.entries.filter((e) => e[0] === MpEntryType.IoInterrupt);
    const pci = ioInts.filter((e) => e[4] === 0);
    // Slot 3 INTA: PIRQ (3 + 0) & 3 = D → IRQ 11; slot 4 INTB: PIRQ (4 + 1) & 3 = B → IRQ 10.
    assert.deepEqual(pci.map((e) => [e[5], e[7], e[2]]), [[3 << 2, 11, 0xd], [(4 << 2) | 1, 10, 0xd]], 'one entry per device pin, level active high');
    const isaIrqs = ioInts.filter((e) => e[4] === 1).map((e) => e[5]);
    assert.equal(isaIrqs.includes(10) || isaIrqs.includes(11), false, 'no ISA entry for the IRQs PCI uses');
    assert.throws(() => buildMpTables({ acpi, cpuSignature: 0, cpuFeatures: 0, pciInterrupts: [] }, 0xf0008), /16-byte aligned/);
  });

  it('a board with firmware leaves the F segment to it', () => {
    const bios = new Uint8Array(0x10000).fill(0x90);
    bios.set([0xf4], 0xfff0);
    const pc = new PcMachine({ ramSize: 32 << 20, cpus: 2, bios, clock: VirtualClock.deterministic() });
    assert.equal(findMpTables((a) => pc.physical.read(a, 1)), null);
  });

  it('the ACPI tables are there too: an RSDP found by the 0xE0000-0xFFFFF scan leads to FADT, MADT, HPET', () => {
    const pc = new PcMachine({ ramSize: 32 << 20, cpus: 3, clock: VirtualClock.deterministic() });
    const read = (a: number, n: number) => pc.physical.dump(a, n);
    // The OS's scan: "RSD PTR " on a 16-byte boundary of 0xE0000-0xFFFFF, checksum over 20 bytes.
    let rsdp: number | null = null;
    for (let a = 0xe0000; a < 0x100000 && rsdp === null; a += 16) {
      const b = read(a, 20);
      if (String.fromCharCode(...b.subarray(0, 8)) === 'RSD PTR ' && (b.reduce((x, y) => x + y, 0) & 0xff) === 0) rsdp = a;
    }
    assert.ok(rsdp !== null, 'RSDP found');
    const w = walkTables(read, rsdp);
    assert.deepEqual([...w.rsdtEntries.keys()], ['FACP', 'APIC', 'HPET']);
    for (const [name, t] of w.tables) if (name !== 'FACS') assert.equal(t.bytes.reduce((a, b) => a + b, 0) & 0xff, 0, `${name} checksum`);
    const madt = w.tables.get('APIC')!.bytes;
    const cpus = [];
    for (let o = 44; o < madt.length; o += madt[o + 1]!) if (madt[o] === 0) cpus.push(madt[o + 3]);
    assert.deepEqual(cpus, [0, 1, 2], 'MADT: the three local APICs');
    const fadt = w.tables.get('FACP')!.bytes;
    assert.equal(new DataView(fadt.buffer, fadt.byteOffset).getUint32(76, true), 0x608, 'FADT PM timer block');
    assert.ok(w.rsdpAddress >= 0xf0000 && [...w.tables.values()].every((t) => t.address >= 0xf0000 && t.address < 0x100000), 'all in the ROM F segment');
    assert.deepEqual([...pc.physical.dump(0xe0000, 16)], new Array(16).fill(0xff), 'a 64 KiB ROM leaves the E segment open bus');
  });
});
