/**
 * The decompressed kernel (`vmlinux`, an ELF executable) behind a bzImage, for booting without
 * running the kernel's own decompressor in the guest.
 *
 * A bzImage's protected-mode part is a small decompressor plus the compressed vmlinux; the setup
 * header locates that payload (payload_offset/payload_length, boot protocol 2.08+,
 * Documentation/x86/boot.rst). The decompressor (arch/x86/boot/compressed/misc.c) unpacks it, copies
 * each PT_LOAD segment to its physical address (relative to LOAD_PHYSICAL_ADDR when it is not
 * relocating for KASLR) and jumps to the kernel's startup_32 / startup_64 with ESI/RSI =
 * boot_params. Doing that copy on the host gives the guest exactly the memory image the
 * decompressor would have produced at the kernel's preferred address (no KASLR: the loader does
 * not set KASLR_FLAG, so the kernel knows it was not randomised), without the billions of guest
 * instructions the XZ decoder costs. QEMU's PVH boot and Firecracker start vmlinux the same way.
 */

export interface VmlinuxSegment {
  /** Physical load address (p_paddr). */
  physical: number;
  /** Bytes from the file (p_filesz of them). */
  data: Uint8Array;
  /** Bytes in memory (p_memsz); the tail past `data` is zero. */
  memSize: number;
}

export interface Vmlinux {
  bits: 32 | 64;
  /** Physical address of the entry point (startup_32 / startup_64). */
  entry: number;
  segments: VmlinuxSegment[];
  /** Lowest and highest (exclusive) physical address covered by the segments. */
  start: number;
  end: number;
}

const ELF_MAGIC = 0x464c457f;
const EM_386 = 3;
const EM_X86_64 = 62;
const PT_LOAD = 1;

/** Parse an x86 ELF executable into the segments to place in physical memory. */
export function parseVmlinux(elf: Uint8Array): Vmlinux {
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 52 || view.getUint32(0, true) !== ELF_MAGIC) throw new Error('decompressed kernel is not an ELF file');
  const bits = elf[4] === 2 ? 64 : elf[4] === 1 ? 32 : 0;
  if (bits === 0 || elf[5] !== 1) throw new Error('decompressed kernel is not a little-endian ELF32/ELF64 file');
  const machine = view.getUint16(18, true);
  if (machine !== (bits === 64 ? EM_X86_64 : EM_386)) throw new Error(`decompressed kernel is for ELF machine ${machine}, not x86`);
  const word = (at: number) => (bits === 64 ? Number(view.getBigUint64(at, true)) : view.getUint32(at, true));
  const entryField = word(24);
  const phoff = word(bits === 64 ? 32 : 28);
  const phentsize = view.getUint16(bits === 64 ? 54 : 42, true);
  const phnum = view.getUint16(bits === 64 ? 56 : 44, true);
  const segments: VmlinuxSegment[] = [];
  let entry = -1;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + phentsize > elf.length) throw new Error('decompressed kernel has a truncated program header table');
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    // ELF64 Phdr: type, flags, offset, vaddr, paddr, filesz, memsz; ELF32: type, offset, vaddr, paddr, filesz, memsz, flags.
    const [offset, vaddr, paddr, filesz, memsz] = bits === 64
      ? [word(at + 8), word(at + 16), word(at + 24), word(at + 32), word(at + 40)]
      : [word(at + 4), word(at + 8), word(at + 12), word(at + 16), word(at + 20)];
    if (offset + filesz > elf.length || memsz < filesz) throw new Error('decompressed kernel has a segment outside the file');
    segments.push({ physical: paddr, data: elf.subarray(offset, offset + filesz), memSize: memsz });
    // e_entry is the physical startup address for x86 vmlinux (ENTRY(phys_startup_*) in
    // arch/x86/kernel/vmlinux.lds.S); accept a virtual one too by translating through its segment.
    if (entryField >= paddr && entryField < paddr + memsz) entry = entryField;
    else if (entry < 0 && entryField >= vaddr && entryField < vaddr + memsz) entry = paddr + (entryField - vaddr);
  }
  if (segments.length === 0) throw new Error('decompressed kernel has no loadable segments');
  if (entry < 0) throw new Error('decompressed kernel entry point is outside its segments');
  const start = Math.min(...segments.map((s) => s.physical));
  const end = Math.max(...segments.map((s) => s.physical + s.memSize));
  return { bits, entry, segments, start, end };
}
