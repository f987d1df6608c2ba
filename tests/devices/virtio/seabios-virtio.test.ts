/**
 * Debian's unmodified SeaBIOS on the pc board with a virtio disk (QEMU's -drive if=virtio): it must
 * find the virtio-blk function at 00:04.0 (through the modern capabilities, or the legacy BAR when
 * the device has only that), boot its MBR, and serve INT 13h reads and writes from the boot sector.
 * Under -snapshot the written sector reads back but the image file stays byte-identical; without
 * it the write reaches the disk and is flushed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcMachine, type VirtioDriveSpec } from '../../../src/machine/pc.js';
import { VirtualClock } from '../../../src/machine/clock.js';
import { BufferCharBackend } from '../../../src/backends/char.js';
import { MemoryDiskBackend } from '../../../src/backends/disk/disk-backend.js';
import { openDiskImage } from '../../../src/backends/disk/index.js';
import { assemble } from '../../support/nasm.js';

const BIOS = '/usr/share/seabios/bios-256k.bin';
const skip = existsSync(BIOS) ? false : `Debian's SeaBIOS not found at ${BIOS} (apt-get install seabios)`;

/**
 * The boot sector: read LBA 1 with INT 13h AH=02h (CHS 0/0/2) and print it; write a 512-byte
 * buffer to LBA 2 with AH=43h, read LBA 2 back with AH=42h and print it; then "DONE".
 * Every string goes to COM1 and port 0xE9.
 */
const BOOT_SECTOR = `
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    mov [drive], dl
    mov ax, 0x0201
    mov cx, 0x0002
    xor dh, dh
    mov bx, 0x8000
    int 0x13
    jc fail
    mov si, 0x8000
    call print
    ; the write buffer: the message, zero-padded to a sector
    mov di, 0x9000
    mov cx, 256
    xor ax, ax
    rep stosw
    mov si, wmsg
    mov di, 0x9000
.copy:
    lodsb
    stosb
    test al, al
    jnz .copy
    mov word [dap.offset], 0x9000
    mov word [dap.lba], 2
    mov si, dap
    mov ah, 0x43
    xor al, al
    mov dl, [drive]
    int 0x13
    jc fail
    mov word [dap.offset], 0xa000
    mov si, dap
    mov ah, 0x42
    mov dl, [drive]
    int 0x13
    jc fail
    mov si, 0xa000
    call print
    mov si, done
    call print
.halt:
    cli
    hlt
    jmp .halt
fail:
    mov si, failmsg
    call print
    jmp main.halt
main.halt:
    cli
    hlt
    jmp main.halt
print:
    lodsb
    test al, al
    jz .ret
    out 0xe9, al
    mov dx, 0x3f8
    out dx, al
    jmp print
.ret:
    ret
drive: db 0
dap:
    db 0x10, 0
    dw 1
dap.offset: dw 0
    dw 0
dap.lba: dq 0
wmsg: db 'WRITTEN-THROUGH-INT13', 13, 10, 0
done: db 'BOOT-DONE', 13, 10, 0
failmsg: db 'INT13-FAILED', 13, 10, 0
`;

/** A 16 MiB image: the boot sector, LBA 1 = a message, LBA 2 = a pattern the guest overwrites. */
function image(): Uint8Array {
  const bytes = new Uint8Array(16 << 20);
  const code = assemble(BOOT_SECTOR, 16, 0x7c00);
  assert.ok(code.length < 440, `boot sector is ${code.length} bytes`);
  bytes.set(code);
  bytes[510] = 0x55;
  bytes[511] = 0xaa;
  bytes.set(new TextEncoder().encode('SECTOR-ONE-FROM-VIRTIO\r\n\0'), 512);
  for (let i = 0; i < 512; i++) bytes[1024 + i] = 0xa5;
  return bytes;
}

function boot(drive: VirtioDriveSpec) {
  const state = { log: '' };
  const serial = new BufferCharBackend();
  const pc = new PcMachine({
    ramSize: 64 << 20,
    bios: readFileSync(BIOS),
    clock: VirtualClock.deterministic(),
    serial,
    serialConsole: true,
    debugConsole: (b) => { state.log += String.fromCharCode(b); },
    drives: { ide: [], virtio: [drive] },
  });
  const result = pc.runFor(5e9, () => state.log.includes('BOOT-DONE') || state.log.includes('INT13-FAILED') || state.log.includes('No bootable device'));
  return { pc, log: state.log, result, console: serial.text() };
}

describe('SeaBIOS with a virtio-blk disk', { skip }, () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'x86vm-virtio-boot-')); });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('boots the MBR through the modern interface; INT 13h reads and writes; -snapshot leaves the image byte-identical', () => {
    const path = join(dir, 'disk.img');
    const original = image();
    writeFileSync(path, original);
    const disk = openDiskImage(path, { snapshot: true });
    const { pc, log, result, console } = boot({ backend: disk });
    assert.notEqual(result, 'stopped', log.slice(-3000));
    assert.match(log, /found virtio-blk at 00:04\.0/, log.slice(-3000));
    assert.match(log, /using modern \(1\.0\) virtio mode/);
    assert.match(log, /Booting from Hard Disk/, log.slice(-3000));
    assert.match(console, /SECTOR-ONE-FROM-VIRTIO\r\nWRITTEN-THROUGH-INT13\r\nBOOT-DONE/, log.slice(-3000));
    assert.equal(pc.virtioBlk[0]!.lastError, null);
    disk.close();
    assert.ok(Buffer.from(readFileSync(path)).equals(Buffer.from(original)), 'the image file is unchanged');
  });

  it('boots through the legacy interface when the device has no modern capabilities; writes reach the disk, flushed', () => {
    const disk = new MemoryDiskBackend(image());
    const { log, result, console } = boot({ backend: disk, modern: false });
    assert.notEqual(result, 'stopped', log.slice(-3000));
    assert.match(log, /found virtio-blk at 00:04\.0/, log.slice(-3000));
    assert.match(log, /using legacy \(0\.9\.5\) virtio mode/);
    assert.match(console, /SECTOR-ONE-FROM-VIRTIO\r\nWRITTEN-THROUGH-INT13\r\nBOOT-DONE/, log.slice(-3000));
    assert.equal(new TextDecoder().decode(disk.data.subarray(1024, 1024 + 21)), 'WRITTEN-THROUGH-INT13');
    assert.equal(disk.data[1024 + 511], 0, 'the rest of the sector is the zero padding');
    // SeaBIOS does not negotiate VIRTIO_BLK_F_FLUSH: the device writes through.
    assert.ok(disk.flushCount > 0);
  });
});
