import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pcAcpiConfig, piix3SlotPirq } from '../../../src/devices/acpi/config.js';
import { layoutAcpiAt } from '../../../src/devices/acpi/loader.js';
import { buildAcpiTables } from '../../../src/devices/acpi/tables.js';
import { byteSum, walkTables } from './reference-loader.js';

const BASE = 0x07fe0000;

function tablesOf(config = pcAcpiConfig(4, 0x08000000)) {
  const layout = layoutAcpiAt(BASE, config);
  const w = walkTables((a, n) => layout.bytes.subarray(a - BASE, a - BASE + n), layout.rsdpAddress);
  const get = (sig: string) => {
    const t = w.tables.get(sig);
    assert.ok(t, `${sig} present`);
    return { ...t, view: new DataView(t.bytes.buffer, t.bytes.byteOffset, t.bytes.length) };
  };
  return { w, get, layout };
}

/** The MADT's entries as [type, bytes]. */
function madtEntries(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 44; at < bytes.length; at += bytes[at + 1]!) out.push(bytes.subarray(at, at + bytes[at + 1]!));
  return out;
}

describe('ACPI tables', () => {
  it('every table sums to 0 and has the header length it occupies', () => {
    const { w } = tablesOf();
    for (const [sig, t] of w.tables) {
      if (sig === 'FACS') continue;
      assert.equal(byteSum(t.bytes), 0, `${sig} checksum`);
      assert.equal(new DataView(t.bytes.buffer, t.bytes.byteOffset).getUint32(4, true), t.bytes.length);
    }
    // Relocatable images carry checksum 0 until linked.
    for (const t of buildAcpiTables(pcAcpiConfig(1, 0x08000000)).tables) if (t.checksums.length) assert.equal(t.bytes[9], 0);
  });

  it('FADT: PIIX4 PM blocks, SCI, SMI command, century, reset register, flags, boot architecture', () => {
    const { get } = tablesOf();
    const f = get('FACP');
    assert.equal(f.bytes[8], 3, 'revision 3');
    assert.equal(f.bytes.length, 244);
    assert.equal(f.view.getUint32(36, true), get('FACS').address);
    assert.equal(f.view.getUint32(40, true), get('DSDT').address);
    assert.equal(f.view.getUint16(46, true), 9, 'SCI_INT');
    assert.equal(f.view.getUint32(48, true), 0xb2, 'SMI_CMD');
    assert.deepEqual([f.bytes[52], f.bytes[53]], [0xf1, 0xf0], 'ACPI_ENABLE / ACPI_DISABLE');
    assert.equal(f.view.getUint32(56, true), 0x600, 'PM1a_EVT_BLK');
    assert.equal(f.view.getUint32(64, true), 0x604, 'PM1a_CNT_BLK');
    assert.equal(f.view.getUint32(76, true), 0x608, 'PM_TMR_BLK');
    assert.equal(f.view.getUint32(80, true), 0xafe0, 'GPE0_BLK');
    assert.deepEqual([...f.bytes.subarray(88, 94)], [4, 2, 0, 4, 4, 0], 'block lengths');
    assert.equal(f.bytes[108], 0x32, 'CENTURY');
    assert.equal(f.view.getUint16(109, true), 3, 'IAPC_BOOT_ARCH: legacy devices + 8042');
    assert.equal(f.view.getUint32(112, true), 0x425, 'WBINVD | PROC_C1 | SLP_BUTTON | RESET_REG_SUP');
    assert.deepEqual([...f.bytes.subarray(116, 120)], [1, 8, 0, 1], 'RESET_REG: I/O, 8 bits, byte access');
    assert.equal(Number(f.view.getBigUint64(120, true)), 0xcf9);
    assert.equal(f.bytes[128], 6, 'RESET_VALUE');
    assert.equal(Number(f.view.getBigUint64(132, true)), 0, 'X_FIRMWARE_CTRL unused (FIRMWARE_CTRL holds the FACS)');
    for (const [at, addr, bits] of [[148, 0x600, 32], [172, 0x604, 16], [208, 0x608, 32], [220, 0xafe0, 32]] as const) {
      assert.equal(f.bytes[at], 1, 'X_ block in I/O space');
      assert.equal(f.bytes[at + 1], bits);
      assert.equal(Number(f.view.getBigUint64(at + 4, true)), addr);
    }
  });

  it('FADT forces physical APIC destination mode above 8 CPUs; SMI_CMD and GPE0 may be absent', () => {
    const f = tablesOf(pcAcpiConfig(16, 0x08000000)).get('FACP');
    assert.equal(f.view.getUint32(112, true), 0x80425);
    const base = pcAcpiConfig(1, 0x08000000);
    const g = tablesOf({ ...base, pm: { ...base.pm, smiCommand: null, gpe0: null } }).get('FACP');
    assert.equal(g.view.getUint32(48, true), 0);
    assert.deepEqual([g.bytes[52], g.bytes[53]], [0, 0]);
    assert.equal(g.view.getUint32(80, true), 0, 'no GPE0 block');
    assert.equal(g.bytes[92], 0);
    assert.equal(Number(g.view.getBigUint64(224, true)), 0);
  });

  it('MADT: LAPIC address, PCAT_COMPAT, one enabled LAPIC per CPU, IOAPIC, overrides, LINT1 NMI', () => {
    const m = tablesOf(pcAcpiConfig(6, 0x08000000)).get('APIC');
    assert.equal(m.view.getUint32(36, true), 0xfee00000);
    assert.equal(m.view.getUint32(40, true), 1);
    const entries = madtEntries(m.bytes);
    const lapics = entries.filter((e) => e[0] === 0);
    assert.deepEqual(lapics.map((e) => [e[2], e[3], e[4]]), [0, 1, 2, 3, 4, 5].map((i) => [i, i, 1]));
    const ioapic = entries.find((e) => e[0] === 1)!;
    const iv = new DataView(ioapic.buffer, ioapic.byteOffset, 12);
    assert.deepEqual([ioapic[2], iv.getUint32(4, true), iv.getUint32(8, true)], [6, 0xfec00000, 0]);
    const isos = entries.filter((e) => e[0] === 2).map((e) => {
      const v = new DataView(e.buffer, e.byteOffset, 10);
      return [e[2], e[3], v.getUint32(4, true), v.getUint16(8, true)];
    });
    assert.deepEqual(isos, [[0, 0, 2, 0], [0, 9, 9, 0x0d]]);
    const nmi = entries.filter((e) => e[0] === 4);
    assert.deepEqual(nmi.map((e) => [...e]), [[4, 6, 0xff, 0, 0, 1]]);
  });

  it('HPET: block ID from the comparator count, base address in system memory', () => {
    const h = tablesOf().get('HPET');
    assert.equal(h.view.getUint32(36, true), 0x8086a201);
    assert.equal(h.bytes[40], 0);
    assert.equal(Number(h.view.getBigUint64(44, true)), 0xfed00000);
    const base = pcAcpiConfig(1, 0x08000000);
    const h4 = tablesOf({ ...base, hpet: { ...base.hpet!, comparators: 4 } }).get('HPET');
    assert.equal(h4.view.getUint32(36, true), 0x8086a301);
  });

  it('DSDT: names SeaBIOS and OSes look up are where their parsers expect them', () => {
    const d = tablesOf().get('DSDT').bytes;
    const has = (hexString: string) => Buffer.from(d).toString('hex').includes(hexString);
    const ascii = (s: string) => Buffer.from(s, 'latin1').toString('hex');
    // SeaBIOS finds devices by `Name(_HID, <DWord EisaId>)`, i.e. 08 "_HID" 0C ...
    for (const id of ['41d00a03', '41d00303', '41d00f13', '41d00b00', '41d00501', '41d00100', '41d00000', '41d00103']) {
      assert.ok(has('08' + ascii('_HID') + '0c' + id), `_HID ${id}`);
    }
    assert.ok(has('08' + ascii('_S5_') + '1206040000' + '0000'), '_S5 = Package {0, 0, 0, 0}');
    for (let i = 0; i < 4; i++) assert.ok(has('5b830b' + ascii(`C00${i}`) + `0${i}` + '0000000000'), `Processor C00${i}`);
  });

  it('the PIIX3 swizzle routes INTA of slot 1 to PIRQA and rotates by slot', () => {
    assert.deepEqual([0, 1, 2, 3].map((p) => piix3SlotPirq(1, p)), [0, 1, 2, 3]);
    assert.deepEqual([0, 1, 2, 3].map((p) => piix3SlotPirq(2, p)), [1, 2, 3, 0]);
    assert.deepEqual([0, 1, 2, 3].map((p) => piix3SlotPirq(4, p)), [3, 0, 1, 2]);
  });
});
