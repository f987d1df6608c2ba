/**
 * Multiboot 1 on the pc board without firmware: a small kernel of ours (nasm), once with the a.out
 * kludge address fields and once as a hand-made ELF32 file, prints what it received (EAX, the
 * information structure: memory sizes, boot device, command line, modules, memory map, loader name,
 * a zeroed bss word) to port 0xE9 and COM1 and exits through isa-debug-exit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PcMachine } from '../../../src/machine/pc.js';
import { VirtualClock } from '../../../src/machine/clock.js';
import { BufferCharBackend } from '../../../src/backends/char.js';
import { bootMultiboot, findMultibootHeader, MULTIBOOT_HEADER_MAGIC } from '../../../src/machine/boot/multiboot.js';
import { installMultibootFwCfg, MULTIBOOT_INFO_ADDRESS, MULTIBOOT_MMAP_ADDRESS } from '../../../src/machine/boot/fwcfg-multiboot.js';
import { FwCfg, FwCfgKey } from '../../../src/devices/fw-cfg.js';
import { assemble } from '../../support/nasm.js';

let nasm: string | false = false;
try { execFileSync('nasm', ['-v'], { stdio: 'ignore' }); } catch { nasm = 'nasm not installed (apt-get install nasm)'; }

const BODY = `
%macro say 1
  jmp %%after
%%s: db %1, 0
%%after:
  push esi
  mov esi, %%s
  call puts
  pop esi
%endmacro
start:
  mov esp, stack_top
  mov ebp, ebx
  mov edi, eax
  say 'magic='
  mov eax, edi
  call hex
  say ' flags='
  mov eax, [ebp]
  call hex
  say ' lower='
  mov eax, [ebp+4]
  call hex
  say ' upper='
  mov eax, [ebp+8]
  call hex
  say ' boot='
  mov eax, [ebp+12]
  call hex
  say ' cmdline='
  mov esi, [ebp+16]
  call puts
  say 10
  say 'mods='
  mov eax, [ebp+20]
  call hex
  mov ebx, [ebp+24]
  mov ecx, [ebp+20]
.mod:
  test ecx, ecx
  jz .modsdone
  say ' ['
  mov eax, [ebx]
  call hex
  say '-'
  mov eax, [ebx+4]
  call hex
  say ' '
  mov esi, [ebx+8]
  call puts
  say ' '
  mov esi, [ebx]
  mov al, [esi]
  call putc
  mov al, [esi+1]
  call putc
  mov al, [esi+2]
  call putc
  mov al, [esi+3]
  call putc
  say ']'
  add ebx, 16
  dec ecx
  jmp .mod
.modsdone:
  say 10
  mov ebx, [ebp+48]
  mov ecx, [ebp+44]
  add ecx, ebx
.mmap:
  cmp ebx, ecx
  jae .mmapdone
  say 'mmap '
  mov eax, [ebx+8]
  call hex
  mov eax, [ebx+4]
  call hex
  say ' '
  mov eax, [ebx+16]
  call hex
  mov eax, [ebx+12]
  call hex
  say ' '
  mov eax, [ebx+20]
  call hex
  say 10
  add ebx, [ebx]
  add ebx, 4
  jmp .mmap
.mmapdone:
  say 'loader='
  mov esi, [ebp+64]
  call puts
  say ' bss='
  mov eax, [bss_word]
  call hex
  say 10
  mov al, 0x21
  out 0xf4, al
  cli
  hlt

putc:
  out 0xe9, al
  push edx
  mov dx, 0x3f8
  out dx, al
  pop edx
  ret
puts:
  push eax
.l:
  lodsb
  test al, al
  jz .d
  call putc
  jmp .l
.d:
  pop eax
  ret
hex:
  push ecx
  mov ecx, 8
.l:
  rol eax, 4
  push eax
  and al, 0xf
  add al, '0'
  cmp al, '9'
  jbe .p
  add al, 7
.p:
  call putc
  pop eax
  loop .l
  pop ecx
  ret
align 4
load_end:
bss_word equ load_end
bss_end equ load_end + 0x2000
stack_top equ bss_end
`;

const AOUT = `
header:
  dd 0x1BADB002
  dd 0x00010003
  dd -(0x1BADB002 + 0x00010003)
  dd header
  dd 0x100000
  dd load_end
  dd bss_end
  dd start
${BODY}`;

const ELF = `
ehdr:
  db 0x7f, 'ELF', 1, 1, 1, 0
  times 8 db 0
  dw 2, 3
  dd 1, start, phdr - $$, 0, 0
  dw 52, 32, 1, 0, 0, 0
phdr:
  dd 1, 0, $$, $$, load_end - $$, bss_end - $$, 7, 0x1000
mbheader:
  dd 0x1BADB002, 0x00000003, -(0x1BADB002 + 0x00000003)
${BODY}`;

function run(image: Uint8Array): { text: string; serial: string; status: number | null; info: ReturnType<typeof bootMultiboot>; pc: PcMachine } {
  let text = '';
  let status: number | null = null;
  const serial = new BufferCharBackend();
  const pc = new PcMachine({
    ramSize: 64 << 20, clock: VirtualClock.deterministic(), serial,
    debugConsole: (b) => { text += String.fromCharCode(b); },
    onDebugExit: (s) => { status = s; },
  });
  // Garbage where the bss goes: the loader must clear it.
  pc.physical.load(0x100000, new Uint8Array(0x10000).fill(0xaa));
  const info = bootMultiboot(pc, {
    kernel: image, cmdline: 'mbtest arg=1',
    modules: [{ data: new TextEncoder().encode('MOD0 first module'), cmdline: 'mod0 x' }, { data: new TextEncoder().encode('MOD1'), cmdline: 'mod1' }],
  });
  pc.runFor(1e9, () => status !== null);
  return { text, serial: serial.text(), status, info, pc };
}

const hex = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

function check(image: Uint8Array, format: 'elf32' | 'aout-kludge'): void {
  const { text, serial, status, info } = run(image);
  assert.equal(status, (0x21 << 1) | 1, text);
  assert.equal(info.format, format);
  assert.equal(serial, text, 'COM1 carries the same text');
  const lines = text.split('\n');
  assert.equal(lines[0], `magic=2BADB002 flags=${hex(0x24f)} lower=${hex(639)} upper=${hex(63 * 1024)} boot=8000FFFF cmdline=mbtest arg=1`);
  const [m0, m1] = info.modules;
  assert.equal(m0!.start % 4096, 0);
  assert.ok(m0!.start >= info.kernelEnd);
  assert.equal(m1!.start, m0!.start + 4096);
  assert.equal(lines[1], `mods=00000002 [${hex(m0!.start)}-${hex(m0!.end)} mod0 x MOD0] [${hex(m1!.start)}-${hex(m1!.end)} mod1 MOD1]`);
  const mmap = lines.filter((l) => l.startsWith('mmap '));
  assert.deepEqual(mmap, [
    'mmap 0000000000000000 000000000009FC00 00000001',
    'mmap 000000000009FC00 0000000000000400 00000002',
    'mmap 00000000000F0000 0000000000010000 00000002',
    'mmap 0000000000100000 0000000003F00000 00000001',
  ]);
  assert.ok(lines.includes('loader=x86vm bss=00000000'), text);
}

describe('Multiboot 1 direct boot', { skip: nasm }, () => {
  it('finds the header and its address fields', () => {
    const image = assemble(AOUT, 32, 0x100000);
    const header = findMultibootHeader(image)!;
    assert.equal(header.offset, 0);
    assert.equal(header.flags, 0x10003);
    assert.equal(header.loadAddr, 0x100000);
    assert.equal(header.entryAddr, 0x100000 + 32);
    const shifted = new Uint8Array(8192 + 16);
    shifted.set(image.subarray(0, 12), 8192 + 4);
    assert.equal(findMultibootHeader(shifted), null, 'a header beyond the first 8 KiB is not found');
    const bad = Uint8Array.from(image);
    bad[8] ^= 1;
    assert.equal(findMultibootHeader(bad), null, 'checksum is checked');
    assert.equal(new DataView(image.buffer, image.byteOffset).getUint32(0, true), MULTIBOOT_HEADER_MAGIC);
  });

  it('boots an a.out-kludge kernel: registers, info structure, modules, memory map', () => {
    check(assemble(AOUT, 32, 0x100000), 'aout-kludge');
  });

  it('boots an ELF32 kernel by its program headers, clearing the bss', () => {
    check(assemble(ELF, 32, 0x100000), 'elf32');
  });

  it('boots a kernel linked in low memory (32 KiB, like kvm-unit-tests\' realmode): nothing of the loader lands on it', () => {
    // The information area and GDT used to sit at fixed 0x6000/0x8000 and overwrote such a kernel.
    const image = assemble(ELF, 32, 0x8000);
    check(image, 'elf32');
    const { info, pc } = run(image);
    assert.ok(info.infoAddress >= info.modules[1]!.end && info.gdtAddress > info.infoAddress, 'info and GDT after the modules');
    assert.deepEqual([...pc.physical.dump(0x8000, 256)], [...image.subarray(0, 256)], 'the kernel image is intact');
  });

  it('QEMU\'s fw_cfg form for multiboot_dma.bin: one blob with kernel, module list, strings, modules; the info structure for 0x9500', () => {
    const image = assemble(ELF, 32, 0x100000);
    const fw = new FwCfg(null);
    const mods = [{ data: new Uint8Array(5000).fill(7), cmdline: 'env.txt A=1' }, { data: new TextEncoder().encode('second'), cmdline: 'two' }];
    const layout = installMultibootFwCfg(fw, { kernel: image, cmdline: 'k.elf arg', modules: mods, rom: new Uint8Array(512) });
    const item = (key: number, n: number) => { fw.write(0, 2, key); return Uint8Array.from({ length: n }, () => fw.read(1, 1)); };
    const num = (key: number) => new DataView(item(key, 4).buffer).getUint32(0, true);
    assert.equal(num(FwCfgKey.KernelAddr), 0x100000);
    assert.equal(num(FwCfgKey.KernelEntry), layout.entry);
    assert.equal(num(FwCfgKey.KernelSize), layout.size);
    assert.equal(num(FwCfgKey.InitrdAddr), MULTIBOOT_INFO_ADDRESS);
    const blob = item(FwCfgKey.KernelData, layout.size), bv = new DataView(blob.buffer);
    const info = new DataView(item(FwCfgKey.InitrdData, 88).buffer);
    const at = (phys: number) => phys - 0x100000;
    const str = (phys: number) => { let t = ''; for (let i = at(phys); blob[i] !== 0; i++) t += String.fromCharCode(blob[i]!); return t; };
    assert.equal(info.getUint32(0, true), 0x24f, 'memory, boot device, cmdline, modules, mmap, loader name');
    assert.equal(info.getUint32(48, true), MULTIBOOT_MMAP_ADDRESS, 'the option ROM writes the E820 map there');
    assert.equal(str(info.getUint32(16, true)), 'k.elf arg');
    assert.equal(str(info.getUint32(64, true)), 'x86vm');
    assert.equal(info.getUint32(20, true), 2);
    const list = info.getUint32(24, true);
    assert.equal(list % 4096, 0, 'the module list starts on the page after the kernel');
    assert.ok(list >= 0x100000 + findMultibootHeader(image)!.offset);
    const m = [0, 1].map((i) => [bv.getUint32(at(list) + 16 * i, true), bv.getUint32(at(list) + 16 * i + 4, true), bv.getUint32(at(list) + 16 * i + 8, true)] as const);
    assert.deepEqual(m.map(([s, e]) => [s % 4096, e - s]), [[0, 5000], [0, 6]], 'page-aligned modules');
    assert.deepEqual(m.map(([, , c]) => str(c)), ['env.txt A=1', 'two']);
    assert.deepEqual([...blob.subarray(at(m[1]![0]), at(m[1]![1]))], [...mods[1]!.data]);
    assert.deepEqual(layout.modules, m.map(([s, e]) => ({ start: s, end: e })));
    assert.deepEqual([...blob.subarray(0, 64)], [...image.subarray(0, 64)], 'the kernel at its load address');
  });

  it('rejects images without a header', () => {
    const pc = new PcMachine({ ramSize: 32 << 20, clock: VirtualClock.deterministic() });
    assert.throws(() => bootMultiboot(pc, { kernel: new Uint8Array(4096) }), /not a Multiboot kernel/);
  });
});
