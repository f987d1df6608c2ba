/**
 * Debian's SeaBIOS on the pc board with IDE drives: it must detect an ATA disk on ide0-0 and an
 * ATAPI CD-ROM on ide1-0, then boot (a) a raw disk image whose MBR prints a marker and (b) an El
 * Torito no-emulation CD built with xorriso/genisoimage whose boot image prints a marker.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcMachine, type PcOptions } from '../../../src/machine/pc.js';
import { FW_CFG_PORT_DATA, FW_CFG_PORT_SELECTOR, FwCfgKey } from '../../../src/devices/fw-cfg.js';
import { VirtualClock } from '../../../src/machine/clock.js';
import { BufferCharBackend } from '../../../src/backends/char.js';
import { MemoryDiskBackend, type DiskBackend } from '../../../src/backends/disk/disk-backend.js';
import { openDiskImage } from '../../../src/backends/disk/index.js';
import { assemble } from '../../support/nasm.js';

const BIOS = '/usr/share/seabios/bios-256k.bin';
const haveBios = existsSync(BIOS);
const skip = haveBios ? false : `Debian's SeaBIOS not found at ${BIOS} (apt-get install seabios)`;

function which(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const isoTool = which('xorriso') ? 'xorriso' : which('genisoimage') ? 'genisoimage' : null;
const noIsoTool = isoTool ? false : 'neither xorriso nor genisoimage is installed (apt-get install xorriso)';

/** Print a string on port 0xE9 and COM1, then halt. Position-independent of the load segment. */
function printer(marker: string): string {
  return `
    cli
    push cs
    pop ds
    call .here
.here:
    pop si
    add si, msg - .here
.next:
    lodsb
    test al, al
    jz .done
    out 0xe9, al
    mov dx, 0x3f8
    out dx, al
    jmp .next
.done:
    hlt
    jmp .done
msg: db '${marker}', 13, 10, 0
`;
}

type Drives = { channel: 0 | 1; position: 0 | 1; kind: 'disk' | 'cdrom'; backend: DiskBackend | null }[];

function machine(drives: Drives, order: ('disk' | 'cdrom')[], extra: Partial<PcOptions> = {}) {
  const state = { log: '' };
  const serial = new BufferCharBackend();
  const pc = new PcMachine({
    ramSize: 64 << 20,
    bios: readFileSync(BIOS),
    clock: VirtualClock.deterministic(),
    serial,
    serialConsole: true,
    bootOrder: order,
    debugConsole: (b) => { state.log += String.fromCharCode(b); },
    drives: { ide: drives },
    ...extra,
  });
  return { pc, serial, state };
}

function boot(drives: Drives, order: ('disk' | 'cdrom')[], marker: string) {
  const { pc, serial, state } = machine(drives, order);
  const result = pc.runFor(3e9, () => state.log.includes(marker) || state.log.includes('No bootable device'));
  return { pc, log: state.log, result, console: serial.text() };
}

/** An El Torito no-emulation CD image in `dir` whose boot image prints `marker`. */
function markerIso(dir: string, marker: string): string {
  const root = join(dir, `iso-${marker}`);
  mkdirSync(root, { recursive: true });
  const image = new Uint8Array(2048);
  image.set(assemble(printer(marker), 16, 0));
  writeFileSync(join(root, 'boot.bin'), image);
  writeFileSync(join(root, 'readme.txt'), 'x86vm El Torito test\n');
  const iso = join(dir, `${marker}.iso`);
  const args = ['-o', iso, '-b', 'boot.bin', '-c', 'boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-quiet', root];
  if (isoTool === 'xorriso') execFileSync('xorriso', ['-as', 'mkisofs', ...args], { stdio: 'ignore' });
  else execFileSync('genisoimage', args, { stdio: 'ignore' });
  return iso;
}

/** A disk image whose MBR prints `marker`. */
function markerDisk(marker: string): MemoryDiskBackend {
  const image = new Uint8Array(4 << 20);
  const code = assemble(printer(marker), 16, 0x7c00);
  assert.ok(code.length < 440);
  image.set(code);
  image[510] = 0x55;
  image[511] = 0xaa;
  return new MemoryDiskBackend(image);
}

describe('SeaBIOS with PIIX3 IDE drives', { skip }, () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'x86vm-ide-boot-')); });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('detects the disk and the CD-ROM and boots the MBR of a raw disk image', () => {
    const mbr = new Uint8Array(512);
    const code = assemble(printer('MBR-BOOT-OK'), 16, 0x7c00);
    assert.ok(code.length < 440);
    mbr.set(code);
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    const path = join(dir, 'disk.img');
    const image = new Uint8Array(16 << 20);
    image.set(mbr);
    writeFileSync(path, image);
    const disk = openDiskImage(path, { snapshot: true });
    const { log, result, console } = boot([
      { channel: 0, position: 0, kind: 'disk', backend: disk },
      { channel: 1, position: 0, kind: 'cdrom', backend: null },
    ], ['disk', 'cdrom'], 'MBR-BOOT-OK');
    assert.notEqual(result, 'stopped', log.slice(-3000));
    assert.match(log, /ata0-0: X86VM HARDDISK ATA-7 Hard-Disk \(16 MiBytes\)/, log.slice(-3000));
    assert.match(log, /DVD\/CD \[ata1-0: X86VM DVD-ROM ATAPI-4 DVD\/CD\]/);
    assert.match(log, /Booting from Hard Disk/);
    assert.match(log, /MBR-BOOT-OK/, log.slice(-3000));
    assert.match(console, /MBR-BOOT-OK/);
    disk.close();
  });

  it('boots an El Torito no-emulation CD image', { skip: noIsoTool }, () => {
    const cd = openDiskImage(markerIso(dir, 'CD-BOOT-OK'), { cdrom: true });
    const disk = new MemoryDiskBackend(4 << 20);
    const { log, result, console } = boot([
      { channel: 0, position: 0, kind: 'disk', backend: disk },
      { channel: 1, position: 0, kind: 'cdrom', backend: cd },
    ], ['cdrom', 'disk'], 'CD-BOOT-OK');
    assert.notEqual(result, 'stopped', log.slice(-3000));
    assert.match(log, /ata0-0: X86VM HARDDISK ATA-7 Hard-Disk \(4 MiBytes\)/);
    assert.match(log, /DVD\/CD \[ata1-0: X86VM DVD-ROM ATAPI-4 DVD\/CD\]/);
    assert.match(log, /Booting from DVD\/CD/, log.slice(-3000));
    assert.match(log, /CD-BOOT-OK/, log.slice(-3000));
    assert.match(console, /CD-BOOT-OK/);
    cd.close();
  });
});

/** A named fw_cfg file of the machine, read through the selector and data ports as firmware does. */
function fwCfgFile(pc: PcMachine, name: string): Uint8Array | null {
  const read = (key: number, n: number) => {
    pc.ports.write(FW_CFG_PORT_SELECTOR, 2, key);
    return Uint8Array.from({ length: n }, () => pc.ports.read(FW_CFG_PORT_DATA, 1));
  };
  const head = new DataView(read(FwCfgKey.FileDir, 4).buffer).getUint32(0);
  const dir = read(FwCfgKey.FileDir, 4 + head * 64);
  const v = new DataView(dir.buffer);
  for (let i = 0; i < head; i++) {
    const at = 4 + i * 64;
    const entry = String.fromCharCode(...dir.subarray(at + 8, at + 64)).replace(/\0.*$/s, '');
    if (entry === name) return read(v.getUint16(at + 4), v.getUint32(at));
  }
  return null;
}

describe('SeaBIOS boot menu and boot failure (QEMU -boot menu=on,splash-time=,reboot-timeout=)', { skip }, () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'x86vm-bootmenu-')); });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('fw_cfg carries QEMU\'s items: boot menu flag, etc/boot-menu-wait, etc/boot-fail-wait in milliseconds', () => {
    const off = new PcMachine({ ramSize: 16 << 20 });
    off.ports.write(FW_CFG_PORT_SELECTOR, 2, FwCfgKey.BootMenu);
    assert.equal(off.ports.read(FW_CFG_PORT_DATA, 1) | (off.ports.read(FW_CFG_PORT_DATA, 1) << 8), 0);
    assert.equal(fwCfgFile(off, 'etc/boot-menu-wait'), null, 'no splash-time: SeaBIOS uses its default');
    assert.deepEqual([...fwCfgFile(off, 'etc/boot-fail-wait')!], [0xff, 0xff, 0xff, 0xff], 'default -1: never reboot');
    const on = new PcMachine({ ramSize: 16 << 20, bootMenu: { enabled: true, waitMs: 3000 }, rebootTimeoutMs: 1500 });
    on.ports.write(FW_CFG_PORT_SELECTOR, 2, FwCfgKey.BootMenu);
    assert.equal(on.ports.read(FW_CFG_PORT_DATA, 1), 1);
    assert.deepEqual([...fwCfgFile(on, 'etc/boot-menu-wait')!], [3000 & 0xff, 3000 >> 8]);
    assert.deepEqual([...fwCfgFile(on, 'etc/boot-fail-wait')!], [1500 & 0xff, 1500 >> 8, 0, 0]);
    assert.throws(() => new PcMachine({ ramSize: 16 << 20, rebootTimeoutMs: 70000 }), /reboot timeout/);
    assert.throws(() => new PcMachine({ ramSize: 16 << 20, bootMenu: { enabled: true, waitMs: -5 } }), /boot menu wait/);
  });

  it('ESC on COM1 opens the menu listing the disk and the CD; choosing the CD boots it', { skip: noIsoTool }, () => {
    const cd = openDiskImage(markerIso(dir, 'MENU-CD-OK'), { cdrom: true });
    const { pc, serial, state } = machine([
      { channel: 0, position: 0, kind: 'disk', backend: markerDisk('MENU-DISK-OK') },
      { channel: 1, position: 0, kind: 'cdrom', backend: cd },
    ], ['disk', 'cdrom'], { bootMenu: { enabled: true, waitMs: 60000 } });
    let result = pc.runFor(5e9, () => serial.text().includes('Press ESC for boot menu.'));
    assert.notEqual(result, 'stopped', state.log.slice(-2000));
    assert.match(serial.text(), /Press ESC for boot menu\./);
    serial.feed('\x1b');
    const menu = /Select boot device:\s+1\. (.+?)\r?\n2\. (.+?)\r?\n/;
    result = pc.runFor(5e9, () => menu.test(serial.text()));
    const console = serial.text();
    const m = menu.exec(console);
    assert.ok(m, console.slice(-1500));
    assert.match(m[1]!, /^ata0-0: X86VM HARDDISK ATA-7 Hard-Disk \(4 MiBytes\)/, 'the disk first, as the boot order says');
    assert.match(m[2]!, /^DVD\/CD \[ata1-0: X86VM DVD-ROM ATAPI-4 DVD\/CD\]/);
    serial.feed('2');
    result = pc.runFor(5e9, () => state.log.includes('MENU-CD-OK') || state.log.includes('MENU-DISK-OK'));
    assert.match(state.log, /Booting from DVD\/CD/);
    assert.match(state.log, /MENU-CD-OK/);
    assert.doesNotMatch(state.log, /MENU-DISK-OK/);
    cd.close();
  });

  it('without a key the menu times out and the first device boots', () => {
    const { pc, serial, state } = machine([
      { channel: 0, position: 0, kind: 'disk', backend: markerDisk('NOMENU-DISK-OK') },
    ], ['disk', 'cdrom'], { bootMenu: { enabled: true, waitMs: 200 } });
    pc.runFor(5e9, () => state.log.includes('NOMENU-DISK-OK'));
    assert.match(serial.text(), /Press ESC for boot menu\.[\s\S]*Booting from Hard Disk/);
    assert.doesNotMatch(serial.text(), /Select boot device/);
    assert.match(state.log, /NOMENU-DISK-OK/);
  });

  it('with nothing bootable SeaBIOS waits for ever by default, and reboots after reboot-timeout', () => {
    const banner = /SeaBIOS \(version/g;
    const never = machine([], ['disk']);
    never.pc.runFor(5e9, () => never.serial.text().includes('No bootable device'));
    never.pc.runFor(3e9);
    const text = never.serial.text();
    assert.match(text, /No bootable device\.\r?\n/);
    assert.doesNotMatch(text, /Retrying|Rebooting/);
    assert.equal(text.match(banner)?.length, 1);

    const retry = machine([], ['disk'], { rebootTimeoutMs: 1000 });
    retry.pc.runFor(10e9, () => (retry.serial.text().match(banner)?.length ?? 0) >= 2);
    const again = retry.serial.text();
    // SeaBIOS resets right after printing "Rebooting."; its lazily flushed console loses the tail.
    assert.match(again, /No bootable device\. {2}Retrying in 1 seconds\.[\s\S]*Rebooting[\s\S]*SeaBIOS \(version/);
  });
});
