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
import { PcMachine } from '../../../src/machine/pc.js';
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

function boot(drives: { channel: 0 | 1; position: 0 | 1; kind: 'disk' | 'cdrom'; backend: DiskBackend | null }[], order: ('disk' | 'cdrom')[], marker: string) {
  let log = '';
  const serial = new BufferCharBackend();
  const pc = new PcMachine({
    ramSize: 64 << 20,
    bios: readFileSync(BIOS),
    clock: VirtualClock.deterministic(),
    serial,
    serialConsole: true,
    bootOrder: order,
    debugConsole: (b) => { log += String.fromCharCode(b); },
    drives: { ide: drives },
  });
  const result = pc.runFor(3e9, () => log.includes(marker) || log.includes('No bootable device'));
  return { pc, log, result, console: serial.text() };
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

  it('boots an El Torito no-emulation CD image', { skip: isoTool ? false : 'neither xorriso nor genisoimage is installed (apt-get install xorriso)' }, () => {
    const root = join(dir, 'iso');
    mkdirSync(root, { recursive: true });
    const image = new Uint8Array(2048);
    image.set(assemble(printer('CD-BOOT-OK'), 16, 0));
    writeFileSync(join(root, 'boot.bin'), image);
    writeFileSync(join(root, 'readme.txt'), 'x86vm El Torito test\n');
    const iso = join(dir, 'boot.iso');
    const args = ['-o', iso, '-b', 'boot.bin', '-c', 'boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-quiet', root];
    if (isoTool === 'xorriso') execFileSync('xorriso', ['-as', 'mkisofs', ...args], { stdio: 'ignore' });
    else execFileSync('genisoimage', args, { stdio: 'ignore' });
    const cd = openDiskImage(iso, { cdrom: true });
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
