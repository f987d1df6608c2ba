/**
 * The command line booting Debian's SeaBIOS on the pc board, in real time, each run bounded:
 * -nographic shows the SeaBIOS banner on stdout; a boot sector (nasm) that writes a sector through
 * INT 13h and powers off through ACPI leaves the image byte-identical under -snapshot (and changes
 * it without), on IDE and on a virtio disk (-drive if=virtio); -no-reboot, isa-debug-exit, -d int, Ctrl-A x and the monitor.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../support/nasm.js';
import { runCli } from './cli-process.js';

const BIOS = '/usr/share/seabios/bios-256k.bin';
function haveNasm(): boolean {
  try {
    execFileSync('nasm', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const MULTIBOOT_ROM = '/usr/share/qemu/multiboot_dma.bin';
const skipBios = existsSync(BIOS) ? false : `Debian's SeaBIOS not found at ${BIOS} (apt-get install seabios)`;
const skipDisk = skipBios || (haveNasm() ? false : 'nasm is not installed (apt-get install nasm)');

/** A boot sector: set up segments and a stack, run `body`; `print` writes the string at SI to COM1. */
function bootImage(body: string, sectors = 2048): Uint8Array {
  const code = assemble(`
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    ${body}
    cli
halt_forever:
    hlt
    jmp halt_forever
print:
    lodsb
    test al, al
    jz .done
    mov dx, 0x3f8
    out dx, al
    jmp print
.done:
    ret
`, 16, 0x7c00);
  assert.ok(code.length <= 440, 'the boot sector fits before the partition table');
  const image = new Uint8Array(sectors * 512);
  image.set(code);
  image[510] = 0x55;
  image[511] = 0xaa;
  return image;
}

/** Write sector 2 (CHS 0/0/2) full of 'W' through INT 13h, print the result, power off through ACPI S5. */
const WRITE_AND_POWER_OFF = `
    mov di, 0x8000
    mov cx, 512
    mov al, 'W'
    rep stosb
    mov ax, 0x0301
    mov cx, 0x0002
    mov dh, 0
    mov bx, 0x8000
    int 0x13
    mov si, ok
    jnc .report
    mov si, bad
.report:
    call print
    ; PMBASE of the PIIX4 power management function (00:01.3, config 0x40), PM1a_CNT = base + 4
    mov eax, 0x80000b40
    mov dx, 0xcf8
    out dx, eax
    mov dx, 0xcfc
    in eax, dx
    and ax, 0xffc0
    add ax, 4
    mov dx, ax
    mov ax, 0x2000 ; SLP_TYP 0 (S5) | SLP_EN
    out dx, ax
    jmp halt_forever
ok: db 'SECTOR-WRITTEN', 13, 10, 0
bad: db 'WRITE-FAILED', 13, 10, 0
`;

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('x86vm booting SeaBIOS from the command line', { concurrency: 3 }, () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'x86vm-cli-boot-')); });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('-nographic with no disk prints the SeaBIOS banner on stdout', { skip: skipBios }, async () => {
    const run = await runCli(['-nographic', '-no-reboot'], { timeoutMs: 30_000, until: (out) => /No bootable device/.test(out) });
    assert.match(run.stdout, /SeaBIOS \(version 1\.\d+/, run.stderr);
    assert.match(run.stdout, /No bootable device/);
  });

  it('-snapshot leaves the base image byte-identical after the guest wrote a sector', { skip: skipDisk }, async () => {
    const image = join(dir, 'snap.img');
    writeFileSync(image, bootImage(WRITE_AND_POWER_OFF));
    const before = sha(image);
    const run = await runCli(['-nographic', '-snapshot', '-hda', image], { timeoutMs: 30_000 });
    assert.equal(run.code, 0, `power-off ends the run with status 0; stderr: ${run.stderr}`);
    assert.match(run.stdout, /SECTOR-WRITTEN/);
    assert.equal(sha(image), before, 'the image is unchanged');
  });

  it('without -snapshot the same guest changes the image (the write is real)', { skip: skipDisk }, async () => {
    const image = join(dir, 'write.img');
    writeFileSync(image, bootImage(WRITE_AND_POWER_OFF));
    const run = await runCli(['-nographic', '-hda', image], { timeoutMs: 30_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /SECTOR-WRITTEN/);
    const after = readFileSync(image);
    assert.deepEqual([...after.subarray(512, 1024)], new Array(512).fill(0x57), 'sector 1 holds the written bytes');
  });

  it('-drive if=virtio: SeaBIOS boots the virtio disk; -snapshot keeps the image, without it the write lands', { skip: skipDisk }, async () => {
    const image = join(dir, 'virtio.img');
    writeFileSync(image, bootImage(WRITE_AND_POWER_OFF));
    const before = sha(image);
    const snap = await runCli(['-nographic', '-snapshot', '-drive', `file=${image},format=raw,if=virtio`], { timeoutMs: 30_000 });
    assert.equal(snap.code, 0, `power-off ends the run with status 0; stderr: ${snap.stderr}`);
    assert.match(snap.stdout, /Booting from Hard Disk/);
    assert.match(snap.stdout, /SECTOR-WRITTEN/);
    assert.equal(sha(image), before, 'the image is unchanged');
    const real = await runCli(['-nographic', '-drive', `file=${image},if=virtio`], { timeoutMs: 30_000 });
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /SECTOR-WRITTEN/);
    assert.deepEqual([...readFileSync(image).subarray(512, 1024)], new Array(512).fill(0x57), 'sector 1 holds the written bytes');
  });

  it('-no-reboot ends the run when the guest resets; -d int logs INT 13h to the -D file', { skip: skipDisk }, async () => {
    const image = join(dir, 'reset.img');
    writeFileSync(image, bootImage(`
    mov si, msg
    call print
    mov ah, 0x08 ; INT 13h: drive parameters (a BIOS call to see in the log)
    int 0x13
    mov dx, 0xcf9
    mov al, 0x06 ; PIIX3 reset control: hard reset
    out dx, al
    jmp halt_forever
msg: db 'RESETTING', 13, 10, 0
`));
    const log = join(dir, 'int.log');
    const run = await runCli(['-nographic', '-no-reboot', '-hda', image, '-d', 'int', '-D', log], { timeoutMs: 30_000 });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /RESETTING/);
    assert.match(run.stderr, /reset the machine.*-no-reboot/);
    assert.match(readFileSync(log, 'latin1'), /^cpu0: v=13 e=---- int cpl=0 IP=0000:00007c/m);
  });

  it('isa-debug-exit: the guest chooses the exit status', { skip: skipDisk }, async () => {
    const image = join(dir, 'exit.img');
    writeFileSync(image, bootImage(`
    mov al, 0x10
    out 0xf4, al
`));
    const run = await runCli(['-nographic', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-hda', image], { timeoutMs: 30_000 });
    assert.equal(run.code, (0x10 << 1) | 1, run.stderr);
  });

  it('Ctrl-A c opens the monitor (info registers), quit ends the run; Ctrl-A x quits', { skip: skipDisk }, async () => {
    const image = join(dir, 'wait.img');
    writeFileSync(image, bootImage(`
    mov si, msg
    call print
.idle:
    hlt
    jmp .idle
msg: db 'WAITING', 13, 10, 0
`));
    const monitor = await runCli(['-nographic', '-snapshot', '-hda', image], {
      timeoutMs: 30_000, input: '\x01cinfo registers\rquit\r', inputWhen: (out) => out.includes('WAITING'),
    });
    assert.equal(monitor.code, 0, monitor.stderr);
    assert.match(monitor.stdout, /\(x86vm\) info registers\r\nCPU#0\r\nEAX=/);
    assert.match(monitor.stdout, /CS =0000 00000000 0000ffff/);
    const quit = await runCli(['-nographic', '-snapshot', '-hda', image], {
      timeoutMs: 30_000, input: '\x01x', inputWhen: (out) => out.includes('WAITING'),
    });
    assert.equal(quit.code, 0, quit.stderr);
    assert.match(quit.stderr, /terminated/);
  });
});

/** A Multiboot kernel (a.out kludge) that prints its command line on COM1 and exits through isa-debug-exit. */
const MULTIBOOT_KERNEL = `
header:
  dd 0x1BADB002
  dd 0x00010000
  dd -(0x1BADB002 + 0x00010000)
  dd header
  dd 0x100000
  dd end_of_image
  dd end_of_image
  dd start
start:
  mov esp, 0x90000 ; Multiboot leaves ESP undefined
  mov esi, banner
  call puts
  mov esi, [ebx + 16]
  call puts
  mov al, 10
  call putc
  mov al, 0x21
  out 0xf4, al
  cli
  hlt
puts:
  lodsb
  test al, al
  jz .done
  call putc
  jmp puts
.done:
  ret
putc:
  mov dx, 0x3f8
  out dx, al
  ret
banner: db 'MULTIBOOT-CMDLINE=', 0
end_of_image:
`;

function assembleOrEmpty(source: string): Uint8Array {
  return haveNasm() ? assemble(source, 32, 0x100000) : new Uint8Array(0);
}

describe('x86vm -kernel (firmware-less boot)', { concurrency: 3 }, () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'x86vm-cli-kernel-')); });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('boots a Multiboot kernel with -append, no firmware needed; the guest picks the exit status', { skip: haveNasm() ? false : 'nasm is not installed' }, async () => {
    const kernel = join(dir, 'mb.bin');
    writeFileSync(kernel, assemble(MULTIBOOT_KERNEL, 32, 0x100000));
    const run = await runCli(['-nographic', '-device', 'isa-debug-exit', '-kernel', kernel, '-append', 'hello world'], { timeoutMs: 30_000 });
    assert.equal(run.code, (0x21 << 1) | 1, run.stderr);
    assert.equal(run.stdout, `MULTIBOOT-CMDLINE=${kernel} hello world\n`);
  });

  it('a file that is no kernel: one line, exit 2', async () => {
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, new Uint8Array(16384).fill(0x90));
    const run = await runCli(['-kernel', junk]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^x86vm: -kernel .*junk\.bin: neither a Linux bzImage nor a Multiboot kernel.*\n$/);
  });

  it('a Multiboot kernel with -bios boots through SeaBIOS and QEMU\'s multiboot_dma.bin, as QEMU runs it', { skip: skipBios || (haveNasm() ? (existsSync(MULTIBOOT_ROM) ? false : `${MULTIBOOT_ROM} not found (apt-get install qemu-system-data)`) : 'nasm is not installed') }, async () => {
    const mb = join(dir, 'mb-bios.bin');
    writeFileSync(mb, assembleOrEmpty(MULTIBOOT_KERNEL));
    const run = await runCli(['-nographic', '-bios', BIOS, '-device', 'isa-debug-exit', '-kernel', mb, '-append', 'via firmware'], { timeoutMs: 60_000 });
    assert.equal(run.code, (0x21 << 1) | 1, run.stderr);
    assert.match(run.stdout, /SeaBIOS/);
    assert.ok(run.stdout.endsWith(`MULTIBOOT-CMDLINE=${mb} via firmware\n`), run.stdout);
  });
});
