/**
 * SMBIOS 2.8 tables (DSP0134) in fw_cfg: structure lengths of the 2.8 layouts, string sets, unique
 * handles, the 2.1 entry point's checksums and counts; and Debian's SeaBIOS taking them from
 * etc/smbios/* (adding its type 0) and installing an entry point in the F segment, as Linux's
 * dmi_scan looks for it. dmidecode (when installed) is the independent reader of the format.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildSmbiosStructures, parseSmbiosStructures, smbiosEntryPoint, SMBIOS_ANCHOR_FILE, SMBIOS_TABLES_FILE, type SmbiosConfig,
} from '../../src/devices/smbios/smbios.js';
import { FwCfg } from '../../src/devices/fw-cfg.js';
import { PcMachine } from '../../src/machine/pc.js';
import { VirtualClock } from '../../src/machine/clock.js';

const GIB = 2 ** 30;
let haveDmidecode = true;
try { execFileSync('dmidecode', ['--version'], { stdio: 'ignore' }); } catch { haveDmidecode = false; }
const config: SmbiosConfig = {
  cpus: 4, ramBelow4g: 512 * 2 ** 20, ramAbove4g: 0, cpuidSignature: 0x000806c1, cpuidFeatures: 0x078bfbff,
  longMode: true, cpuMhz: 1000,
};

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const sum = (b: Uint8Array) => b.reduce((a, x) => (a + x) & 0xff, 0);
const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

/** Formatted-area lengths of the SMBIOS 2.8 layouts. */
const LENGTHS: Record<number, number> = { 1: 0x1b, 3: 0x16, 4: 0x2a, 16: 0x17, 17: 0x28, 19: 0x1f, 32: 0x0b, 127: 4 };

describe('SMBIOS tables', () => {
  it('types 1, 3, 4, 16, 17, 19, 32, 127 with the 2.8 lengths, unique handles, string references in range', () => {
    const parsed = parseSmbiosStructures(concat(buildSmbiosStructures(config)));
    assert.deepEqual(parsed.map((s) => s.type), [1, 3, 4, 16, 17, 19, 32, 127]);
    for (const s of parsed) assert.equal(s.length, LENGTHS[s.type], `type ${s.type} length`);
    assert.equal(new Set(parsed.map((s) => s.handle)).size, parsed.length);
    const [t1, t3, t4, t16, t17, t19] = parsed;
    assert.deepEqual([t1!.strings[t1!.formatted[4]! - 1], t1!.strings[t1!.formatted[5]! - 1]], ['x86vm', 'Standard PC (i440FX + PIIX, 1996)']);
    assert.equal(t1!.formatted[7], 0, 'no serial number string');
    assert.equal(t3!.formatted[5], 0x01);
    // Processor: ID = CPUID.01H EAX, EDX; 1000 MHz; populated and enabled; 4 cores of one package.
    assert.equal(u32(t4!.formatted, 8), 0x000806c1);
    assert.equal(u32(t4!.formatted, 12), 0x078bfbff);
    assert.deepEqual([u16(t4!.formatted, 0x14), u16(t4!.formatted, 0x16), t4!.formatted[0x18]], [1000, 1000, 0x41]);
    assert.deepEqual([...t4!.formatted.subarray(0x23, 0x26)], [4, 4, 4]);
    assert.equal(u16(t4!.formatted, 0x26) & 0x0c, 0x0c, '64-bit capable, multi-core');
    assert.equal(u32(t16!.formatted, 7), 512 * 1024, 'array capacity in KiB');
    assert.equal(u16(t16!.formatted, 0x0d), 1);
    assert.equal(u16(t17!.formatted, 4), t16!.handle, 'the device belongs to the array');
    assert.equal(u16(t17!.formatted, 0x0c), 512, 'size in MiB');
    assert.equal(t17!.strings[t17!.formatted[0x10]! - 1], 'DIMM 0');
    assert.deepEqual([u32(t19!.formatted, 4), u32(t19!.formatted, 8)], [0, 512 * 1024 - 1], 'KiB range, end inclusive');
    for (const s of parsed) {
      for (let i = 4; i < s.length; i++) {
        // Every byte that names a string must be within the set (spot-check the known string fields).
        if ((s.type === 1 && [4, 5, 6, 7, 0x19, 0x1a].includes(i)) || (s.type === 17 && [0x10, 0x11, 0x17, 0x18, 0x19, 0x1a].includes(i))) {
          assert.ok(s.formatted[i]! <= s.strings.length, `type ${s.type} string field ${i}`);
        }
      }
    }
  });

  it('RAM above 4 GiB: a second mapped range; 40 GiB: three DIMMs of at most 16 GiB', () => {
    const parsed = parseSmbiosStructures(concat(buildSmbiosStructures({ ...config, ramBelow4g: 3 * GIB, ramAbove4g: 37 * GIB })));
    const ranges = parsed.filter((s) => s.type === 19).map((s) => [u32(s.formatted, 4), u32(s.formatted, 8)]);
    assert.deepEqual(ranges, [[0, 3 * 2 ** 20 - 1], [4 * 2 ** 20, 41 * 2 ** 20 - 1]]);
    const sizes = parsed.filter((s) => s.type === 17).map((s) => u16(s.formatted, 0x0c));
    assert.deepEqual(sizes, [16384, 16384, 8192]);
    assert.equal(u16(parsed.find((s) => s.type === 16)!.formatted, 0x0d), 3);
  });

  it('2.1 entry point: anchors, version 2.8, both checksums, table length, count and largest structure', () => {
    const structures = buildSmbiosStructures(config);
    const ep = smbiosEntryPoint(structures, 0x000f1234);
    assert.equal(ep.length, 0x1f);
    assert.equal(String.fromCharCode(...ep.subarray(0, 4)), '_SM_');
    assert.equal(String.fromCharCode(...ep.subarray(0x10, 0x15)), '_DMI_');
    assert.equal(sum(ep.subarray(0, ep[5]!)), 0, 'entry point checksum');
    assert.equal(sum(ep.subarray(0x10, 0x1f)), 0, 'intermediate checksum');
    assert.deepEqual([ep[6], ep[7], ep[0x1e]], [2, 8, 0x28]);
    assert.equal(u16(ep, 0x16), concat(structures).length);
    assert.equal(u32(ep, 0x18), 0x000f1234);
    assert.equal(u16(ep, 0x1c), structures.length);
    assert.equal(u16(ep, 8), Math.max(...structures.map((s) => s.length)));
  });

  it('dmidecode reads the tables (a --dump-bin image: entry point, then the table at offset 32)', { skip: haveDmidecode ? false : 'dmidecode is not installed (apt-get install dmidecode)' }, () => {
    const structures = buildSmbiosStructures({ ...config, ramBelow4g: 3 * GIB, ramAbove4g: 5 * GIB });
    const table = concat(structures);
    const dump = new Uint8Array(32 + table.length);
    dump.set(smbiosEntryPoint(structures, 32));
    dump.set(table, 32);
    const dir = mkdtempSync(join(tmpdir(), 'x86vm-dmi-'));
    try {
      writeFileSync(join(dir, 'dmi.bin'), dump);
      const text = execFileSync('dmidecode', ['--from-dump', join(dir, 'dmi.bin')], { encoding: 'utf8' });
      assert.match(text, /SMBIOS 2\.8 present\.\s+9 structures occupying \d+ bytes\./);
      assert.doesNotMatch(text, /Invalid|wrong|<OUT OF SPEC>|Unknown Type|<BAD INDEX>/);
      assert.match(text, /System Information\s+Manufacturer: x86vm\s+Product Name: Standard PC \(i440FX \+ PIIX, 1996\)/);
      assert.match(text, /ID: C1 06 08 00 FF FB 8B 07/);
      assert.match(text, /Core Count: 4\s+Core Enabled: 4\s+Thread Count: 4/);
      assert.match(text, /Maximum Capacity: 8 GB/);
      assert.match(text, /Starting Address: 0x00100000000\s+Ending Address: 0x0023FFFFFFF\s+Range Size: 5 GB/);
      assert.match(text, /System Boot Information\s+Status: No errors detected/);
      assert.match(text, /End Of Table/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the pc board puts both files into fw_cfg', () => {
    const pc = new PcMachine({ ramSize: 64 << 20 });
    const files = readFwCfgFiles(pc.fwCfg);
    assert.ok(files.has(SMBIOS_TABLES_FILE) && files.has(SMBIOS_ANCHOR_FILE));
  });
});

/** Names in the fw_cfg file directory (item 0x19), read through the device's ports. */
function readFwCfgFiles(fw: FwCfg): Set<string> {
  fw.write(0, 2, 0x19);
  const byte = () => fw.read(1, 1);
  const count = (byte() << 24) | (byte() << 16) | (byte() << 8) | byte();
  const names = new Set<string>();
  for (let i = 0; i < count; i++) {
    const entry = Array.from({ length: 64 }, byte);
    names.add(String.fromCharCode(...entry.slice(8)).replace(/\0.*$/s, ''));
  }
  return names;
}

const BIOS = '/usr/share/seabios/bios-256k.bin';

describe('SeaBIOS installs the SMBIOS tables', { skip: existsSync(BIOS) ? false : `Debian's SeaBIOS not found at ${BIOS}` }, () => {
  it('an entry point in the F segment pointing at its type 0 followed by the board\'s structures', () => {
    let log = '';
    const pc = new PcMachine({
      ramSize: 128 << 20, cpus: 2, bios: readFileSync(BIOS), clock: VirtualClock.deterministic(),
      debugConsole: (b) => { log += String.fromCharCode(b); },
    });
    pc.runFor(10e9, () => log.includes('No bootable device'));
    assert.match(log, /Copying SMBIOS from/);
    const fseg = pc.ramView(0xf0000, 0x10000);
    let ep = -1;
    for (let i = 0; i < fseg.length; i += 16) {
      if (String.fromCharCode(...fseg.subarray(i, i + 4)) === '_SM_') { ep = i; break; }
    }
    assert.ok(ep >= 0, 'an _SM_ anchor on a 16-byte boundary in F0000-FFFFF');
    const entry = fseg.subarray(ep, ep + 0x1f);
    assert.equal(sum(entry.subarray(0, 0x1f)), 0);
    assert.equal(sum(entry.subarray(0x10, 0x1f)), 0);
    const table = pc.ramView(u32(entry, 0x18), u16(entry, 0x16));
    const parsed = parseSmbiosStructures(table);
    assert.equal(parsed.length, u16(entry, 0x1c));
    assert.deepEqual(parsed.map((s) => s.type), [0, 1, 3, 4, 16, 17, 19, 32, 127]);
    const t0 = parsed[0]!;
    assert.equal(t0.strings[t0.formatted[4]! - 1], 'SeaBIOS');
    assert.match(t0.strings[t0.formatted[5]! - 1]!, /^1\.\d+/);
    const t4 = parsed.find((s) => s.type === 4)!;
    assert.equal(t4.formatted[0x23], 2, 'two cores');
    assert.equal(u16(parsed.find((s) => s.type === 17)!.formatted, 0x0c), 128);
  });
});
