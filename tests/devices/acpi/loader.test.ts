import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FwCfg, FwCfgKey, FW_CFG_PORT_DATA, FW_CFG_PORT_SELECTOR } from '../../../src/devices/fw-cfg.js';
import { PortBus } from '../../../src/bus/port-bus.js';
import { pcAcpiConfig } from '../../../src/devices/acpi/config.js';
import {
  ACPI_RSDP_FILE, ACPI_TABLES_FILE, TABLE_LOADER_FILE, buildAcpiBlobs, installAcpi, layoutAcpiAt,
} from '../../../src/devices/acpi/loader.js';
import { byteSum, findRsdp, runLoaderScript, walkTables } from './reference-loader.js';

/** Read every fw_cfg file through the selector/data ports, as firmware does. */
function readFwCfgFiles(fw: FwCfg): Map<string, Uint8Array> {
  const ports = new PortBus();
  ports.register('fw_cfg', FW_CFG_PORT_SELECTOR, 12, fw);
  const read = (key: number, length: number) => {
    ports.write(FW_CFG_PORT_SELECTOR, 2, key);
    return Uint8Array.from({ length }, () => ports.read(FW_CFG_PORT_DATA, 1));
  };
  const count = new DataView(read(FwCfgKey.FileDir, 4).buffer).getUint32(0);
  const dir = read(FwCfgKey.FileDir, 4 + 64 * count);
  const view = new DataView(dir.buffer);
  const files = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const at = 4 + 64 * i;
    const size = view.getUint32(at), key = view.getUint16(at + 4);
    const raw = dir.subarray(at + 8, at + 64);
    const name = new TextDecoder().decode(raw.subarray(0, raw.indexOf(0)));
    files.set(name, read(key, size));
  }
  return files;
}

function checkResolved(read: (a: number, n: number) => Uint8Array, rsdpAddress: number, withHpet: boolean) {
  const w = walkTables(read, rsdpAddress);
  assert.equal(byteSum(w.rsdp.subarray(0, 20)), 0, 'RSDP checksum (20 bytes)');
  assert.equal(byteSum(w.rsdp), 0, 'RSDP extended checksum (36 bytes)');
  assert.equal(w.rsdp[15], 2, 'RSDP revision 2');
  const expected = withHpet ? ['FACP', 'APIC', 'HPET'] : ['FACP', 'APIC'];
  assert.deepEqual([...w.rsdtEntries.keys()], expected, 'RSDT lists FADT, MADT (, HPET)');
  assert.deepEqual([...w.xsdtEntries.keys()], expected, 'XSDT lists the same tables');
  assert.deepEqual([...w.rsdtEntries.values()], [...w.xsdtEntries.values()], 'RSDT and XSDT agree on addresses');
  for (const [name, t] of w.tables) {
    if (name !== 'FACS') assert.equal(byteSum(t.bytes), 0, `${name} checksum`);
  }
  const facs = w.tables.get('FACS')!;
  assert.equal(String.fromCharCode(...facs.bytes.subarray(0, 4)), 'FACS');
  assert.equal(facs.address % 64, 0, 'FACS is 64-byte aligned');
  const fadt = w.tables.get('FACP')!;
  const fv = new DataView(fadt.bytes.buffer, fadt.bytes.byteOffset, fadt.bytes.length);
  const dsdt = w.tables.get('DSDT')!;
  assert.equal(Number(fv.getBigUint64(140, true)), dsdt.address, 'X_DSDT = DSDT');
  assert.ok(dsdt.bytes.length > 36);
  return w;
}

describe('ACPI linker/loader delivery', () => {
  const config = pcAcpiConfig(4, 0x08000000);

  it('puts the three files into fw_cfg, readable through the ports', () => {
    const fw = new FwCfg(null);
    const blobs = installAcpi(fw, config);
    const files = readFwCfgFiles(fw);
    assert.deepEqual(files.get(ACPI_TABLES_FILE), blobs.tables);
    assert.deepEqual(files.get(ACPI_RSDP_FILE), blobs.rsdp);
    assert.deepEqual(files.get(TABLE_LOADER_FILE), blobs.loader);
    assert.equal(blobs.loader.length % 128, 0, 'the script is whole 128-byte entries');
  });

  it('allocates both files before any pointer and patches pointers before checksums', () => {
    const blobs = buildAcpiBlobs(config);
    const run = runLoaderScript(blobs.loader, new Map([[ACPI_TABLES_FILE, blobs.tables], [ACPI_RSDP_FILE, blobs.rsdp]]));
    const kinds = run.commands.map((c) => c.command);
    assert.deepEqual(kinds.slice(0, 2), [1, 1]);
    assert.equal(kinds.lastIndexOf(2) < kinds.indexOf(3), true);
    assert.deepEqual(run.commands.slice(0, 2).map((c) => c.file), [ACPI_TABLES_FILE, ACPI_RSDP_FILE]);
  });

  for (const hpet of [true, false]) {
    it(`resolves under the reference interpreter into a consistent table tree (HPET ${hpet ? 'present' : 'absent'})`, () => {
      const cfg = hpet ? config : { ...config, hpet: null };
      const fw = new FwCfg(null);
      installAcpi(fw, cfg);
      const files = readFwCfgFiles(fw);
      const run = runLoaderScript(files.get(TABLE_LOADER_FILE)!, files);
      const rsdpAddress = findRsdp(run.memory);
      assert.ok(rsdpAddress !== null, 'the RSDP is found by scanning the F segment');
      assert.equal(rsdpAddress, run.memory.allocations.get(ACPI_RSDP_FILE)!.address);
      const w = checkResolved((a, n) => run.memory.read(a, n), rsdpAddress, hpet);
      const tablesAt = run.memory.allocations.get(ACPI_TABLES_FILE)!.address;
      assert.equal(w.tables.get('FACS')!.address, tablesAt, 'FACS first in etc/acpi/tables');
    });
  }

  it('resolves the same way wherever the firmware allocates', () => {
    const blobs = buildAcpiBlobs(config);
    const files = new Map([[ACPI_TABLES_FILE, blobs.tables], [ACPI_RSDP_FILE, blobs.rsdp]]);
    const a = runLoaderScript(blobs.loader, files, 0x08000000);
    const b = runLoaderScript(blobs.loader, files, 0xbfff0000);
    const ta = a.memory.allocations.get(ACPI_TABLES_FILE)!, tb = b.memory.allocations.get(ACPI_TABLES_FILE)!;
    assert.notEqual(ta.address, tb.address);
    const wb = checkResolved((x, n) => b.memory.read(x, n), findRsdp(b.memory)!, true);
    assert.equal(wb.tables.get('DSDT')!.address - tb.address, checkResolved((x, n) => a.memory.read(x, n), findRsdp(a.memory)!, true).tables.get('DSDT')!.address - ta.address);
  });

  it('layoutAcpiAt gives the tables at a fixed address with pointers and checksums resolved', () => {
    const base = 0x000e0000;
    const layout = layoutAcpiAt(base, config);
    const read = (a: number, n: number) => {
      assert.ok(a >= base && a + n <= base + layout.bytes.length, `read 0x${a.toString(16)} inside the layout`);
      return layout.bytes.subarray(a - base, a - base + n);
    };
    assert.equal(layout.rsdpAddress % 16, 0);
    checkResolved(read, layout.rsdpAddress, true);
    // Same bytes as the reference interpreter with the same placement.
    const blobs = buildAcpiBlobs(config);
    const run = runLoaderScript(blobs.loader, new Map([[ACPI_TABLES_FILE, blobs.tables], [ACPI_RSDP_FILE, blobs.rsdp]]), base + blobs.tables.length);
    // The interpreter allocates the tables just below the given top, so here exactly at `base`.
    assert.equal(run.memory.allocations.get(ACPI_TABLES_FILE)!.address, base);
    assert.deepEqual(layout.bytes.subarray(0, blobs.tables.length), run.memory.allocations.get(ACPI_TABLES_FILE)!.data);
    assert.throws(() => layoutAcpiAt(0x1010, config), /aligned/);
  });
});
