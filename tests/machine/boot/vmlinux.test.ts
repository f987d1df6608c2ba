/**
 * Host-side decompression of a bzImage: the payload located by the setup header (XZ with the x86
 * BCJ filter, as Linux's scripts/xz_wrap.sh makes it) is unpacked on the host, the vmlinux ELF
 * segments land at their physical addresses (bss zeroed) and the vCPU starts at the ELF entry in
 * the mode of the ELF class. The payloads are made with the system's `xz`, an independent encoder.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PcMachine } from '../../../src/machine/pc.js';
import { VirtualClock } from '../../../src/machine/clock.js';
import { bootLinux } from '../../../src/machine/boot/linux.js';
import { parseVmlinux } from '../../../src/machine/boot/vmlinux.js';

function haveXz(): boolean {
  try { execFileSync('xz', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}
const skipXz = haveXz() ? false : 'the xz program is not installed (apt-get install xz-utils)';

const LOAD = 0x1000000;

/** A minimal x86 vmlinux: one PT_LOAD of `code` at LOAD (virtual `vbase`), `bss` zero bytes after it. */
function elf(bits: 32 | 64, code: number[], bss: number, entry: number, vbase: number): Uint8Array {
  const ehsize = bits === 64 ? 64 : 52, phentsize = bits === 64 ? 56 : 32, offset = 0x1000;
  const out = new Uint8Array(offset + code.length);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, bits === 64 ? 2 : 1, 1, 1]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, bits === 64 ? 62 : 3, true);
  v.setUint32(20, 1, true);
  const word = (at: number, value: number) => (bits === 64 ? v.setBigUint64(at, BigInt(value), true) : v.setUint32(at, value, true));
  word(24, entry);
  word(bits === 64 ? 32 : 28, ehsize); // e_phoff
  v.setUint16(bits === 64 ? 52 : 40, ehsize, true);
  v.setUint16(bits === 64 ? 54 : 42, phentsize, true);
  v.setUint16(bits === 64 ? 56 : 44, 1, true);
  const ph = ehsize;
  v.setUint32(ph, 1, true); // PT_LOAD
  if (bits === 64) {
    v.setUint32(ph + 4, 5, true);
    word(ph + 8, offset); word(ph + 16, vbase); word(ph + 24, LOAD); word(ph + 32, code.length); word(ph + 40, code.length + bss);
  } else {
    word(ph + 4, offset); word(ph + 8, vbase); word(ph + 12, LOAD); word(ph + 16, code.length); word(ph + 20, code.length + bss);
  }
  out.set(code, offset);
  return out;
}

/** A bzImage (protocol 2.15, relocatable, preferred at LOAD) whose payload is `payload`. */
function bzImage(payload: Uint8Array, kernel64: boolean): Uint8Array {
  const setupSize = 1024, pmPrefix = 0x400;
  const image = new Uint8Array(setupSize + pmPrefix + payload.length + 4).fill(0xf4, setupSize, setupSize + pmPrefix);
  const v = new DataView(image.buffer);
  image[0x1f1] = 1; // setup_sects
  v.setUint16(0x1fe, 0xaa55, true);
  image[0x200] = 0xeb; image[0x201] = 0x6a;
  v.setUint32(0x202, 0x53726448, true);
  v.setUint16(0x206, 0x20f, true);
  image[0x211] = 0x01; // LOADED_HIGH
  v.setUint32(0x214, 0x100000, true);
  v.setUint32(0x22c, 0x37ffffff, true);
  v.setUint32(0x230, 0x200000, true);
  image[0x234] = 1; // relocatable
  v.setUint16(0x236, kernel64 ? 1 : 0, true);
  v.setUint32(0x238, 255, true);
  v.setUint32(0x248, pmPrefix, true); // payload_offset (from the protected-mode part)
  v.setUint32(0x24c, payload.length + 4, true); // payload_length, with the size trailer
  v.setBigUint64(0x258, BigInt(LOAD), true);
  v.setUint32(0x260, 0x400000, true); // init_size
  image.set(payload, setupSize + pmPrefix);
  return image;
}

const xz = (data: Uint8Array) => new Uint8Array(execFileSync('xz', ['--format=xz', '--check=crc32', '--x86', '--lzma2=dict=1MiB', '-c'], { input: data }));

function machine(console: number[]) {
  return new PcMachine({ ramSize: 64 << 20, clock: VirtualClock.deterministic(), debugConsole: (b) => console.push(b) });
}

describe('vmlinux: host-side decompression of a bzImage', () => {
  it('parses ELF64 and ELF32 segments; a virtual entry is translated through its segment', () => {
    const e64 = parseVmlinux(elf(64, [0x90, 0xf4], 0x100, LOAD, -0x7f000000));
    assert.deepEqual([e64.bits, e64.entry, e64.start, e64.end, e64.segments[0]!.data.length], [64, LOAD, LOAD, LOAD + 0x102, 2]);
    const e32 = parseVmlinux(elf(32, [0x90, 0xf4], 0, 0xc1000001, 0xc1000000));
    assert.deepEqual([e32.bits, e32.entry], [32, LOAD + 1]);
    assert.throws(() => parseVmlinux(new Uint8Array(64)), /not an ELF/);
    const arm = elf(64, [0], 0, LOAD, LOAD);
    arm[18] = 183;
    assert.throws(() => parseVmlinux(arm), /not x86/);
  });

  it('a 64-bit kernel: segments placed, bss zeroed, started at startup_64 in long mode', { skip: skipXz }, () => {
    // mov al, 'V'; out 0xE9, al; hlt
    const code = [0xb0, 0x56, 0xe6, 0xe9, 0xf4];
    const out: number[] = [];
    const pc = machine(out);
    pc.ramView(LOAD, 0x2000).fill(0xaa);
    const info = bootLinux(pc, { kernel: bzImage(xz(elf(64, code, 0x1000, LOAD, -0x7f000000)), true) });
    assert.deepEqual([info.entryMode, info.entryPoint], [64, LOAD]);
    assert.deepEqual([...pc.ramView(LOAD, code.length)], code);
    assert.ok(pc.ramView(LOAD + code.length, 0x1000).every((b) => b === 0), 'bss is zero');
    pc.runFor(1e6);
    assert.equal(String.fromCharCode(...out), 'V');
  });

  it('a 32-bit kernel starts at startup_32 in protected mode; decompress: guest keeps the bzImage entry', { skip: skipXz }, () => {
    const code = [0xb0, 0x33, 0xe6, 0xe9, 0xf4];
    const out: number[] = [];
    const pc = machine(out);
    const image = bzImage(xz(elf(32, code, 0, 0xc1000000, 0xc1000000)), false);
    const info = bootLinux(pc, { kernel: image });
    assert.deepEqual([info.entryMode, info.entryPoint], [32, LOAD]);
    pc.runFor(1e6);
    assert.equal(String.fromCharCode(...out), '3');
    const guest = bootLinux(machine([]), { kernel: image, decompress: 'guest' });
    assert.equal(guest.entryPoint, LOAD, 'the protected-mode part itself is loaded and entered');
  });

  it('a payload that is not XZ falls back to the kernel\'s own decompressor', () => {
    const gzipLike = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
    const info = bootLinux(machine([]), { kernel: bzImage(gzipLike, true) });
    assert.deepEqual([info.entryMode, info.entryPoint], [64, LOAD + 0x200]);
  });
});
