import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AcpiConfig, pcAcpiConfig } from '../../../src/devices/acpi/config.js';
import { layoutAcpiAt } from '../../../src/devices/acpi/loader.js';
import { walkTables } from './reference-loader.js';

/**
 * Independent check with ACPICA's iasl (Debian package acpica-tools): each table, laid out and
 * linked, is disassembled with `iasl -d`; iasl must report no error or warning (it also verifies
 * each checksum) and the disassembly must show the objects and fields we meant to describe. The
 * disassembled DSDT is compiled back with iasl, which validates the ASL, including the resource
 * descriptors' field consistency. (iasl 20200925 does not disassemble a stand-alone RSDP; the
 * RSDP is covered by loader.test.ts.)
 */

const iasl = spawnSync('iasl', ['-v'], { encoding: 'utf8' });
const skip = iasl.error ? 'iasl not installed (Debian package acpica-tools; .ci/run installs it)' : false;

function runIasl(dir: string, args: string[]): string {
  const r = spawnSync('iasl', args, { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, `iasl ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}\n${r.stderr}`;
}

/** Lay the tables out, write each one to `dir`, disassemble it; returns the .dsl text by signature. */
function disassembleAll(config: AcpiConfig, dir: string): { dsl: Map<string, string>; addresses: Map<string, number> } {
  const base = 0x07fe0000;
  const layout = layoutAcpiAt(base, config);
  const w = walkTables((a, n) => layout.bytes.subarray(a - base, a - base + n), layout.rsdpAddress);
  const dsl = new Map<string, string>();
  const addresses = new Map<string, number>();
  for (const [sig, t] of w.tables) {
    const file = `${sig.toLowerCase()}.dat`;
    writeFileSync(join(dir, file), t.bytes);
    const out = runIasl(dir, ['-d', file]);
    assert.doesNotMatch(out, /error|warning|incorrect/i, `iasl -d ${sig}:\n${out}`);
    const text = readFileSync(join(dir, `${sig.toLowerCase()}.dsl`), 'utf8');
    assert.doesNotMatch(text, /incorrect checksum|unknown|invalid/i, `${sig} disassembly flags a problem`);
    dsl.set(sig, text);
    addresses.set(sig, t.address);
  }
  return { dsl, addresses };
}

/** The value iasl prints for a data-table field: "[off dec len]   Name : value". */
function field(text: string, name: string): string[] {
  const re = new RegExp(`^\\[[0-9A-F]+h [0-9]+ +[0-9]+\\] +${name.replace(/[()]/g, '\\$&')} : (\\S+)`, 'gm');
  return [...text.matchAll(re)].map((m) => m[1]!);
}

const hex = (v: number, digits: number) => v.toString(16).toUpperCase().padStart(digits, '0');

describe('ACPI tables under ACPICA iasl', { skip }, () => {
  for (const cpus of [4, 16]) {
    it(`disassemble cleanly and describe the machine (${cpus} CPUs)`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'x86vm-acpi-'));
      try {
        const config = pcAcpiConfig(cpus, 0x08000000);
        const { dsl, addresses } = disassembleAll(config, dir);
        assert.deepEqual([...dsl.keys()].sort(), ['APIC', 'DSDT', 'FACP', 'FACS', 'HPET', 'RSDT', 'XSDT']);

        // RSDT / XSDT
        const listed = [addresses.get('FACP')!, addresses.get('APIC')!, addresses.get('HPET')!];
        assert.deepEqual(field(dsl.get('RSDT')!, 'ACPI Table Address +[0-9]+'), listed.map((a) => hex(a, 8)));
        assert.deepEqual(field(dsl.get('XSDT')!, 'ACPI Table Address +[0-9]+'), listed.map((a) => hex(a, 16)));

        // FADT
        const fadt = dsl.get('FACP')!;
        const f = (n: string) => field(fadt, n);
        assert.deepEqual(f('Revision'), ['03']);
        assert.deepEqual(f('FACS Address'), [hex(addresses.get('FACS')!, 8), '0000000000000000']);
        assert.deepEqual(f('DSDT Address'), [hex(addresses.get('DSDT')!, 8), hex(addresses.get('DSDT')!, 16)]);
        assert.deepEqual(f('SCI Interrupt'), ['0009']);
        assert.deepEqual(f('SMI Command Port'), ['000000B2']);
        assert.deepEqual(f('ACPI Enable Value'), ['F1']);
        assert.deepEqual(f('PM1A Event Block Address'), ['00000600']);
        assert.deepEqual(f('PM1A Control Block Address'), ['00000604']);
        assert.deepEqual(f('PM Timer Block Address'), ['00000608']);
        assert.deepEqual(f('GPE0 Block Address'), ['0000AFE0']);
        assert.deepEqual(f('GPE0 Block Length'), ['04']);
        assert.deepEqual(f('RTC Century Index'), ['32']);
        assert.deepEqual(f('Value to cause reset'), ['06']);
        assert.match(fadt, /Reset Register : \[Generic Address Structure\]\n.*Space ID : 01 \[SystemIO\][\s\S]*?Address : 0000000000000CF9/);
        assert.match(fadt, /Legacy Devices Supported \(V2\) : 1/);
        assert.match(fadt, /8042 Present on ports 60\/64 \(V2\) : 1/);
        for (const flag of ['WBINVD instruction is operational \\(V1\\)', 'All CPUs support C1 \\(V1\\)',
          'Control Method Sleep Button \\(V1\\)', 'Reset Register Supported \\(V2\\)']) {
          assert.match(fadt, new RegExp(`${flag} : 1`));
        }
        assert.match(fadt, new RegExp(`Use APIC Physical Destination Mode \\(V4\\) : ${cpus > 8 ? 1 : 0}`));

        // FACS
        assert.deepEqual(field(dsl.get('FACS')!, 'Version'), ['02']);

        // MADT
        const madt = dsl.get('APIC')!;
        assert.deepEqual(field(madt, 'Local Apic Address'), ['FEE00000']);
        assert.match(madt, /PC-AT Compatibility : 1/);
        const ids = Array.from({ length: cpus }, (_, i) => hex(i, 2));
        assert.deepEqual(field(madt, 'Processor ID'), [...ids, 'FF'], 'LAPIC UIDs, then the NMI entry for all');
        assert.deepEqual(field(madt, 'Local Apic ID'), ids);
        assert.equal(field(madt, 'Processor Enabled').length, 0, 'flags are decoded below');
        assert.equal([...madt.matchAll(/Processor Enabled : 1/g)].length, cpus);
        assert.deepEqual(field(madt, 'I/O Apic ID'), [hex(cpus, 2)]);
        assert.deepEqual(field(madt, 'Address'), ['FEC00000']);
        assert.deepEqual(field(madt, 'Source'), ['00', '09']);
        assert.deepEqual(field(madt, 'Interrupt'), ['00000000', '00000002', '00000009'], 'IOAPIC GSI base, then the overrides');
        assert.deepEqual(field(madt, 'Flags (decoded below)'), ['00000001', ...ids.map(() => '00000001'), '0000', '000D', '0000']);
        assert.deepEqual(field(madt, 'Interrupt Input LINT'), ['01']);

        // HPET
        const hpet = dsl.get('HPET')!;
        assert.deepEqual(field(hpet, 'Hardware Block ID'), ['8086A201']);
        assert.deepEqual(field(hpet, 'Address'), ['00000000FED00000']);

        // DSDT
        const dsdt = dsl.get('DSDT')!;
        assert.match(dsdt, /Device \(PCI0\)\s*\{\s*Name \(_HID, EisaId \("PNP0A03"\)/);
        assert.match(dsdt, /Name \(_S5, Package \(0x04\)[^{]*\{\s*Zero,\s*Zero,\s*Zero,\s*Zero\s*\}/);
        assert.match(dsdt, /Method \(_PIC, 1, NotSerialized\)[^{]*\{\s*PICF = Arg0\s*\}/);
        // Resource templates, with comments dropped and white space collapsed ("EisaId ("PNP0A03") )"
        // keeps the blank where iasl's /* description */ was).
        const flat = dsdt.replace(/\/\/[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s+/g, ' ');
        const crs = flat.slice(flat.indexOf('Device (PCI0)'), flat.indexOf('Name (_PRT'));
        for (const d of [
          'WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0x0000, 0x0000, 0x00FF, 0x0000, 0x0100,',
          'IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08, )',
          'WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8,',
          'WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300,',
          'DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite, 0x00000000, 0x000A0000, 0x000BFFFF, 0x00000000, 0x00020000,',
          'DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0x00000000, 0xE0000000, 0xFEBFFFFF, 0x00000000, 0x1EC00000,',
        ]) assert.ok(crs.includes(d), `PCI0._CRS has ${d}`);
        assert.match(crs, /Name \(_HID, EisaId \("PNP0A03"\) \) Name \(_BBN, Zero\) Name \(_UID, Zero\)/);

        // _PRT: every slot 1-31, pins 0-3, Source Zero, GSI per the PIIX3 swizzle and PIRQ routing.
        const prt = [...dsdt.matchAll(/Package \(0x04\)\s*\{\s*0x00([0-9A-F]{2})FFFF,\s*(Zero|One|0x0[23]),\s*Zero,\s*0x([0-9A-F]{2})\s*\}/g)]
          .map((m) => [parseInt(m[1]!, 16), m[2] === 'Zero' ? 0 : m[2] === 'One' ? 1 : parseInt(m[2]!, 16), parseInt(m[3]!, 16)]);
        const expected: number[][] = [];
        for (let slot = 1; slot < 32; slot++) for (let pin = 0; pin < 4; pin++) expected.push([slot, pin, [10, 10, 11, 11][(slot + pin - 1) & 3]!]);
        assert.deepEqual(prt, expected);
        assert.match(dsdt, /Name \(_PRT, Package \(0x7C\)/);

        const isa = dsdt.slice(dsdt.indexOf('Device (ISA)'));
        const dev = (seg: string, hid: string, body: RegExp) => {
          const m = isa.match(new RegExp(`Device \\(${seg}\\)\\s*\\{\\s*Name \\(_HID, EisaId \\("${hid}"\\)([\\s\\S]*?)\\n {16}\\}`));
          assert.ok(m, `ISA device ${seg} (${hid})`);
          assert.match(m[1]!, body, `${seg} resources`);
        };
        assert.match(isa, /^Device \(ISA\)\s*\{\s*Name \(_ADR, 0x00010000\)/);
        dev('KBD', 'PNP0303', /0x0060,[\s\S]*0x0064,[\s\S]*IRQNoFlags \(\)\s*\{1\}/);
        assert.ok(flat.includes('Name (_HID, EisaId ("PNP0303") ) Name (_CRS, ResourceTemplate () { IO (Decode16, 0x0060, 0x0060, 0x01, 0x01, ) IO (Decode16, 0x0064, 0x0064, 0x01, 0x01, ) IRQNoFlags () {1} })'));
        assert.ok(flat.includes('Name (_HID, EisaId ("PNP0501") ) Name (_UID, One) Name (_CRS, ResourceTemplate () { IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08, ) IRQNoFlags () {4} })'));
        dev('MOU', 'PNP0F13', /IRQNoFlags \(\)\s*\{12\}/);
        dev('RTC', 'PNP0B00', /0x0070,[\s\S]*IRQNoFlags \(\)\s*\{8\}/);
        dev('TMR', 'PNP0100', /0x0040,[\s\S]*IRQNoFlags \(\)\s*\{0\}/);
        dev('PIC', 'PNP0000', /0x0020,[\s\S]*0x00A0,[\s\S]*IRQNoFlags \(\)\s*\{2\}/);
        dev('COM1', 'PNP0501', /0x03F8,[\s\S]*IRQNoFlags \(\)\s*\{4\}/);
        dev('HPET', 'PNP0103', /Return \(0x0F\)[\s\S]*Memory32Fixed \(ReadOnly,\s*0xFED00000,\s*\/\/ Address Base\s*0x00000400,/);

        const procs = [...dsdt.matchAll(/Processor \((C[0-9A-F]{3}), 0x([0-9A-F]{2}), 0x00000000, 0x00\)/g)].map((m) => [m[1], parseInt(m[2]!, 16)]);
        assert.deepEqual(procs, Array.from({ length: cpus }, (_, i) => [`C${hex(i, 3)}`, i]));

        // Compile the disassembly back: no errors, and no warnings but the deprecation of Processor().
        const out = runIasl(dir, ['-p', 'recompiled', 'dsdt.dsl']);
        assert.match(out, /Compilation successful\. 0 Errors/);
        const warnings = [...out.matchAll(/^(Warning|Error|Remark)\s+(\d+)/gm)].map((m) => m[2]);
        assert.deepEqual([...new Set(warnings)], ['3168'], 'only "Legacy Processor() keyword detected"');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('with Device(ACPI0007) processors and no HPET the DSDT recompiles without any warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'x86vm-acpi-'));
    try {
      const config: AcpiConfig = { ...pcAcpiConfig(2, 0x08000000), cpuObjects: 'device', hpet: null };
      const { dsl } = disassembleAll(config, dir);
      assert.ok(!dsl.has('HPET'));
      const dsdt = dsl.get('DSDT')!;
      assert.match(dsdt, /Device \(C000\)\s*\{\s*Name \(_HID, "ACPI0007"[^\n]*\n\s*Name \(_UID, Zero\)/);
      assert.match(dsdt, /Device \(C001\)\s*\{\s*Name \(_HID, "ACPI0007"[^\n]*\n\s*Name \(_UID, One\)/);
      assert.doesNotMatch(dsdt, /PNP0103/);
      const out = runIasl(dir, ['-p', 'recompiled', 'dsdt.dsl']);
      assert.match(out, /Compilation successful\. 0 Errors, 0 Warnings/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
