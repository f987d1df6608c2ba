import type { Cpu } from '../cpu/cpu.js';
import { setSegmentCache } from '../cpu/exec/segment.js';
import { I_CPL, I_CR, I_EFER, I_RFLAGS, I_RIP } from '../cpu/state/cpu-state.js';

/**
 * Put a vCPU straight into a flat protected or long mode, the state a boot loader would leave it
 * in (used by tests, benchmarks and direct kernel boot). Segment caches are loaded directly: flat
 * base 0, limit 4 GiB, with the given privilege level.
 */
export interface FlatModeOptions {
  /** 16/32: protected mode with 16- or 32-bit code; 64: long mode; 'compat32': long mode, 32-bit code. */
  mode: 16 | 32 | 64 | 'compat32';
  cpl?: 0 | 3;
  /**
   * Long mode needs paging: identity-map these [start, size] physical ranges (4 KiB pages, user,
   * writable) with tables built at `pageTablesAt`. Ignored for 16/32 unless `paging32` is set.
   */
  identityMap?: readonly [number, number][];
  pageTablesAt?: number;
}

/** Attribute words for the descriptor caches (see exec/segment.ts descriptorAttr). */
function codeAttr(dpl: number, bits: 16 | 32 | 64): number {
  return 0x9b | (dpl << 5) | (bits === 32 ? 0xc000 : bits === 64 ? 0xa000 : 0x8000);
}

function dataAttr(dpl: number): number {
  return 0x93 | (dpl << 5) | 0xc000;
}

/** Build 4-level identity page tables for the ranges; returns the CR3 value. */
export function buildIdentityPageTables(cpu: Cpu, at: number, ranges: readonly [number, number][]): number {
  const mem = cpu.memory;
  let next = at;
  const alloc = (): number => {
    const page = next;
    next += 4096;
    mem.load(page, new Uint8Array(4096));
    return page;
  };
  const root = alloc();
  const entryFlags = 0x7; // present, writable, user
  const child = (table: number, index: number): number => {
    const address = table + index * 8;
    const lo = mem.read(address, 4);
    if ((lo & 1) !== 0) return (lo & 0xfffff000) >>> 0;
    const page = alloc();
    mem.write(address, 4, page | entryFlags);
    mem.write(address + 4, 4, 0);
    return page;
  };
  for (const [start, size] of ranges) {
    for (let page = start - (start % 4096); page < start + size; page += 4096) {
      const pdpt = child(root, Math.floor(page / 2 ** 39) % 512);
      const pd = child(pdpt, Math.floor(page / 2 ** 30) % 512);
      const pt = child(pd, Math.floor(page / 2 ** 21) % 512);
      const address = pt + (Math.floor(page / 4096) % 512) * 8;
      mem.write(address, 4, (page % 4294967296) | entryFlags);
      mem.write(address + 4, 4, Math.floor(page / 4294967296));
    }
  }
  return root;
}

export function enterFlatMode(cpu: Cpu, options: FlatModeOptions): void {
  const s = cpu.s;
  const cpl = options.cpl ?? 0;
  const long = options.mode === 64 || options.mode === 'compat32';
  s[I_CPL] = cpl;
  s[I_RFLAGS] = 0x2;
  let cr0 = 0x00000011 | (1 << 16); // PE, ET, WP
  if (long) {
    const cr3 = buildIdentityPageTables(cpu, options.pageTablesAt ?? 0x10000, options.identityMap ?? [[0, 0x200000]]);
    s[I_CR + 6] = cr3;
    s[I_CR + 8] = 1 << 5; // CR4.PAE
    s[I_EFER] = (1 << 8) | (1 << 10) | (1 << 11) | 1; // LME, LMA, NXE, SCE
    cr0 |= 0x80000000;
  }
  s[I_CR] = cr0 | 0;
  const codeBits = options.mode === 64 ? 64 : options.mode === 16 ? 16 : 32;
  for (const seg of [0, 2, 3, 4, 5]) setSegmentCache(cpu, seg, seg === 2 ? 0x10 | cpl : 0x10 | cpl, 0, 0xffffffff, dataAttr(cpl));
  setSegmentCache(cpu, 1, 0x08 | cpl, 0, 0xffffffff, codeAttr(cpl, codeBits));
  s[I_RIP] = 0;
  s[I_RIP + 1] = 0;
  cpu.updatePaging();
  cpu.updateMode();
}
