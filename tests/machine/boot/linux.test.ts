/**
 * The Linux boot protocol loader: a synthetic bzImage (nasm) whose protected-mode part records the
 * entry state (registers, selectors, CR0, flags, GDTR) at 0x5000 and exits through isa-debug-exit,
 * entered at its 32-bit and its 64-bit entry on the pc board without firmware; boot_params as
 * written (setup header copy, loader fields, e820, initrd placement, ACPI RSDP). The header of
 * Debian's real kernels is checked when the fetch cache has them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PcMachine } from '../../../src/machine/pc.js';
import { VirtualClock } from '../../../src/machine/clock.js';
import { bootLinux, loadLinux, parseBzImage, XLoadFlags, LOW_LAYOUT } from '../../../src/machine/boot/linux.js';
import { E820Type } from '../../../src/machine/boot/e820.js';
import { pcAcpiConfig } from '../../../src/devices/acpi/config.js';
import { cacheDir } from '../../../src/fetch/apt.js';
import { assemble } from '../../support/nasm.js';

let nasm: string | false = false;
try { execFileSync('nasm', ['-v'], { stdio: 'ignore' }); } catch { nasm = 'nasm not installed (apt-get install nasm)'; }

const INIT_SIZE = 0x400000;

function synthetic(options: { relocatable: boolean; pref: number; xlf: number; protocol?: number }): Uint8Array {
  const load = options.relocatable ? options.pref : 0x100000;
  return assemble(`
%define A(x) (${load} + (x - pm))
times 0x1f1 db 0
  db 1                 ; setup_sects
  dw 0                 ; root_flags
  dd 0                 ; syssize
  dw 0                 ; ram_size
  dw 0xfffd            ; vid_mode (ask)
  dw 0                 ; root_dev
  dw 0xaa55            ; boot_flag
  db 0xeb, hdr_end - 0x202
  dd 0x53726448        ; "HdrS"
  dw ${options.protocol ?? 0x20f}
  dd 0                 ; realmode_swtch
  dw 0, 0              ; start_sys_seg, kernel_version
  db 0                 ; type_of_loader
  db 0x21              ; loadflags: LOADED_HIGH | QUIET
  dw 0                 ; setup_move_size
  dd 0x100000          ; code32_start
  dd 0, 0              ; ramdisk_image, ramdisk_size
  dd 0                 ; bootsect_kludge
  dw 0                 ; heap_end_ptr
  db 0, 0              ; ext_loader_ver, ext_loader_type
  dd 0                 ; cmd_line_ptr
  dd 0x37ffffff        ; initrd_addr_max
  dd 0x200000          ; kernel_alignment
  db ${options.relocatable ? 1 : 0}
  db 21                ; min_alignment
  dw ${options.xlf}    ; xloadflags
  dd 255               ; cmdline_size
  dd 0                 ; hardware_subarch
  dq 0                 ; hardware_subarch_data
  dd 0, 0              ; payload_offset, payload_length
  dq 0                 ; setup_data
  dq ${options.pref}   ; pref_address
  dd ${INIT_SIZE}      ; init_size
  dd 0, 0              ; handover_offset, kernel_info_offset
hdr_end:
times 1024 - ($ - $$) db 0
pm:
bits 32
  mov [0x5000], esi
  mov [0x5004], ebp
  mov [0x5008], edi
  mov [0x500c], ebx
  mov word [0x5010], cs
  mov word [0x5012], ds
  mov word [0x5014], es
  mov word [0x5016], ss
  mov eax, cr0
  mov [0x5018], eax
  mov esp, 0x5800      ; the protocol gives no stack
  pushfd
  pop eax
  mov [0x501c], eax
  sgdt [0x5020]
  mov eax, [esi + 0x228]
  mov [0x5030], eax
  mov dword [0x5034], 32
  mov al, 0x11
  out 0xf4, al
  hlt
times 0x200 - ($ - pm) db 0x90
bits 64
  mov [0x5000], esi
  mov [0x5004], ebp
  mov [0x5008], edi
  mov [0x500c], ebx
  mov word [0x5010], cs
  mov word [0x5012], ds
  mov word [0x5014], es
  mov word [0x5016], ss
  mov rax, cr0
  mov [0x5018], eax
  mov rsp, 0x5800
  pushfq
  pop rax
  mov [0x501c], eax
  sgdt [0x5020]
  mov eax, [rsi + 0x228]
  mov [0x5030], eax
  mov dword [0x5034], 64
  mov rax, [A(pm) + ${INIT_SIZE} - 8]    ; the identity map covers init_size
  mov rax, [0x3fff8000]                 ; ... and the RAM top (initrd)
  mov al, 0x12
  out 0xf4, al
  hlt
times 4096 db 0xcc
`, 16, 0);
}

function board(ramMiB = 64): { pc: PcMachine; exit: () => number | null } {
  // ramMiB * 2 ** 20: a shift would overflow for 2 GiB and more.
  let status: number | null = null;
  const pc = new PcMachine({ ramSize: ramMiB * 2 ** 20, clock: VirtualClock.deterministic(), onDebugExit: (s) => { status = s; } });
  return { pc, exit: () => status };
}

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
const u16 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint16(at, true);

describe('Linux boot protocol', { skip: nasm }, () => {
  it('parses the setup header', () => {
    const h = parseBzImage(synthetic({ relocatable: true, pref: 0x1000000, xlf: XLoadFlags.Kernel64 }));
    assert.equal(h.protocol, 0x20f);
    assert.equal(h.setupSects, 1);
    assert.equal(h.setupSize, 1024);
    assert.equal(h.relocatable, true);
    assert.equal(h.prefAddress, 0x1000000);
    assert.equal(h.initSize, INIT_SIZE);
    assert.equal(h.cmdlineSize, 255);
    assert.equal(h.initrdAddrMax, 0x37ffffff);
    assert.equal(h.kernelAlignment, 0x200000);
    assert.equal(h.xloadflags, 1);
    assert.equal(h.headerEnd, 0x26c);
    assert.throws(() => parseBzImage(new Uint8Array(4096)), /HdrS/);
    assert.throws(() => parseBzImage(synthetic({ relocatable: false, pref: 0, xlf: 0, protocol: 0x201 })), /too old/);
  });

  it('fills boot_params: header copy, loader fields, e820, command line, initrd below the limits', () => {
    const { pc } = board(64);
    const image = synthetic({ relocatable: false, pref: 0x100000, xlf: 0 });
    const initrd = new Uint8Array(100000).fill(0x5a);
    const info = loadLinux(pc, { kernel: image, initrd, cmdline: 'console=ttyS0 root=/dev/ram0' });
    const bp = pc.ramView(LOW_LAYOUT.bootParams, 4096);
    assert.equal(info.kernelAddress, 0x100000);
    assert.equal(u32(bp, 0x202), 0x53726448, 'setup header copied');
    assert.equal(bp[0x1f1], 1);
    assert.equal(bp[0x210], 0xff, 'type_of_loader');
    assert.equal(bp[0x211]! & 0x21, 0x01, 'LOADED_HIGH kept, QUIET cleared');
    assert.equal(u16(bp, 0x1fa), 0xffff, 'vid_mode normal');
    const cmdline = u32(bp, 0x228);
    assert.equal(Buffer.from(pc.ramView(cmdline, 29)).toString('latin1'), 'console=ttyS0 root=/dev/ram0\0');
    const rdImage = u32(bp, 0x218), rdSize = u32(bp, 0x21c);
    assert.equal(rdSize, initrd.length);
    assert.equal(rdImage % 4096, 0);
    assert.ok(rdImage + rdSize <= 64 << 20 && rdImage + rdSize > (64 << 20) - 8192, 'initrd at the top of RAM');
    assert.ok(rdImage >= 0x100000 + INIT_SIZE);
    assert.deepEqual(pc.ramView(rdImage, 4), Uint8Array.of(0x5a, 0x5a, 0x5a, 0x5a));
    assert.equal(bp.slice(0, 64).every((b) => b === 0), true, 'screen_info empty: no VGA console');
    const e820: [number, number, number][] = [];
    for (let i = 0; i < bp[0x1e8]!; i++) {
      const at = 0x2d0 + i * 20;
      e820.push([u32(bp, at) + u32(bp, at + 4) * 2 ** 32, u32(bp, at + 8) + u32(bp, at + 12) * 2 ** 32, u32(bp, at + 16)]);
    }
    assert.deepEqual(e820, [[0, 0x9fc00, 1], [0x9fc00, 0x400, 2], [0xf0000, 0x10000, 2], [0x100000, (64 << 20) - 0x100000, 1]]);
    assert.equal(u32(bp, 0x70), 0, 'no ACPI unless the board describes it');
  });

  it('places the ACPI tables at the top of low RAM, reserved, and passes the RSDP', () => {
    const { pc } = board(64);
    const info = loadLinux(pc, { kernel: synthetic({ relocatable: false, pref: 0, xlf: 0 }), initrd: new Uint8Array(5000), acpi: pcAcpiConfig(1, pc.ramBelow4g) });
    const bp = pc.ramView(LOW_LAYOUT.bootParams, 4096);
    const rsdp = u32(bp, 0x70);
    assert.equal(rsdp, info.rsdpAddress);
    assert.equal(Buffer.from(pc.ramView(rsdp, 8)).toString('latin1'), 'RSD PTR ');
    const reserved = info.e820.find((e) => e.type === E820Type.Reserved && e.address <= rsdp && rsdp < e.address + e.length);
    assert.ok(reserved && reserved.address + reserved.length === 64 << 20);
    assert.ok(info.initrdAddress + info.initrdSize <= reserved.address, 'initrd below the tables');
  });

  it('enters through the 32-bit entry: flat protected mode, paging off, the boot GDT, ESI = boot_params', () => {
    const { pc, exit } = board(64);
    const info = bootLinux(pc, { kernel: synthetic({ relocatable: false, pref: 0, xlf: 0 }), cmdline: 'x' });
    assert.equal(info.entryMode, 32);
    pc.runFor(1e8, () => exit() !== null);
    assert.equal(exit(), (0x11 << 1) | 1);
    const rec = pc.ramView(0x5000, 0x40);
    assert.equal(u32(rec, 0), LOW_LAYOUT.bootParams, 'ESI');
    assert.deepEqual([u32(rec, 4), u32(rec, 8), u32(rec, 12)], [0, 0, 0], 'EBP, EDI, EBX');
    assert.deepEqual([u16(rec, 0x10), u16(rec, 0x12), u16(rec, 0x14), u16(rec, 0x16)], [0x10, 0x18, 0x18, 0x18]);
    assert.equal(u32(rec, 0x18) & 0x80000001, 1, 'PE on, PG off');
    assert.equal(u32(rec, 0x1c) & 0x200, 0, 'interrupts off');
    assert.equal(u16(rec, 0x20), 31, 'GDT limit');
    const gdt = pc.ramView(u32(rec, 0x22), 32);
    assert.deepEqual([u32(gdt, 16), u32(gdt, 20), u32(gdt, 24), u32(gdt, 28)], [0xffff, 0x00cf9b00, 0xffff, 0x00cf9300]);
    assert.equal(u32(rec, 0x30), LOW_LAYOUT.cmdline);
    assert.equal(u32(rec, 0x34), 32);
  });

  it('enters through the 64-bit entry of a relocatable kernel at pref_address with an identity map', () => {
    const { pc, exit } = board(1024);
    const info = bootLinux(pc, { kernel: synthetic({ relocatable: true, pref: 0x1000000, xlf: XLoadFlags.Kernel64 }), initrd: new Uint8Array(4096), cmdline: 'y' });
    assert.equal(info.entryMode, 64);
    assert.equal(info.kernelAddress, 0x1000000);
    assert.equal(info.entryPoint, 0x1000200);
    assert.equal(info.initrdAddress, 0x37fff000, 'initrd below initrd_addr_max');
    pc.runFor(1e8, () => exit() !== null);
    assert.equal(exit(), (0x12 << 1) | 1);
    const rec = pc.ramView(0x5000, 0x40);
    assert.equal(u32(rec, 0), LOW_LAYOUT.bootParams, 'RSI');
    assert.deepEqual([u16(rec, 0x10), u16(rec, 0x12), u16(rec, 0x16)], [0x10, 0x18, 0x18]);
    assert.equal(u32(rec, 0x18) >>> 31, 1, 'paging on');
    assert.equal(u32(rec, 0x34), 64);
    // The 32-bit entry of the same kernel is still usable on request.
    const again = board(64);
    assert.equal(bootLinux(again.pc, { kernel: synthetic({ relocatable: true, pref: 0x1000000, xlf: XLoadFlags.Kernel64 }), entry: 32 }).entryPoint, 0x1000000);
  });

  it('refuses what does not fit', () => {
    const { pc } = board(16);
    assert.throws(() => loadLinux(pc, { kernel: synthetic({ relocatable: true, pref: 0x1000000, xlf: 1 }) }), /needs RAM up to/);
    const small = board(32).pc;
    assert.throws(() => loadLinux(small, { kernel: synthetic({ relocatable: false, pref: 0, xlf: 0 }), cmdline: 'x'.repeat(300) }), /command line longer/);
  });
});

// Debian's kernels, when a previous run of the fetcher (src/fetch) left them in the cache.
for (const arch of ['amd64', 'i386'] as const) {
  const manifest = join(cacheDir(), `guest-${arch}.json`);
  const kernel = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { kernel: string }).kernel : null;
  const skip = kernel && existsSync(kernel) ? false : `Debian's ${arch} kernel is not in ${cacheDir()} (fetched on first use of the default guest)`;
  describe(`Debian ${arch} kernel header`, { skip }, () => {
    it('parses and loads', () => {
      const image = readFileSync(kernel!);
      const h = parseBzImage(image);
      assert.ok(h.protocol >= 0x20f, `protocol ${h.protocol.toString(16)}`);
      assert.equal(h.relocatable, true);
      assert.equal((h.xloadflags & XLoadFlags.Kernel64) !== 0, arch === 'amd64');
      assert.ok(h.initSize > h.kernelSize);
      const { pc } = board(256);
      const info = loadLinux(pc, { kernel: image, initrd: new Uint8Array(1 << 20), cmdline: 'console=ttyS0' });
      assert.equal(info.entryMode, arch === 'amd64' ? 64 : 32);
      assert.ok(info.initrdAddress >= info.kernelAddress + h.initSize);
    });
  });
}
