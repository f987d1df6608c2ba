/**
 * The BIOS-style physical memory map (INT 15h E820 types) the direct boot paths hand to the guest:
 * usable RAM of the board minus the ranges a PC BIOS would reserve (EBDA, the BIOS area below
 * 1 MiB) and whatever the loader placed for the firmware's role (ACPI tables).
 */

export const E820Type = { Ram: 1, Reserved: 2, Acpi: 3, Nvs: 4 } as const;

export interface E820Entry {
  address: number;
  length: number;
  type: number;
}

export interface BoardMemory {
  /** RAM from 0 up to this address (below the PCI hole). */
  ramBelow4g: number;
  /** RAM from 4 GiB on. */
  ramAbove4g: number;
}

/** Where a PC BIOS puts the extended BIOS data area: the last KiB below 640 KiB. */
export const EBDA_START = 0x9fc00;

/**
 * The map of a PC with this memory: RAM [0, EBDA), reserved [EBDA, 640 KiB), reserved BIOS area
 * [0xF0000, 1 MiB), RAM [1 MiB, ramBelow4g) and above 4 GiB; `reserved` ranges (with their type)
 * are cut out of the RAM ranges. Sorted by address, no overlaps.
 */
export function buildE820(memory: BoardMemory, reserved: readonly E820Entry[] = []): E820Entry[] {
  let ram: [number, number][] = [[0, EBDA_START], [0x100000, memory.ramBelow4g]];
  if (memory.ramAbove4g > 0) ram.push([2 ** 32, 2 ** 32 + memory.ramAbove4g]);
  const holes: E820Entry[] = [
    { address: EBDA_START, length: 0xa0000 - EBDA_START, type: E820Type.Reserved },
    { address: 0xf0000, length: 0x10000, type: E820Type.Reserved },
    ...reserved,
  ];
  for (const hole of reserved) {
    const [hs, he] = [hole.address, hole.address + hole.length];
    ram = ram.flatMap(([s, e]): [number, number][] => {
      if (he <= s || hs >= e) return [[s, e]];
      const parts: [number, number][] = [];
      if (hs > s) parts.push([s, hs]);
      if (he < e) parts.push([he, e]);
      return parts;
    });
  }
  const entries = [...ram.map(([s, e]) => ({ address: s, length: e - s, type: E820Type.Ram })), ...holes];
  return entries.filter((e) => e.length > 0).sort((a, b) => a.address - b.address);
}

/** The top of the usable RAM range that contains `address` (or `address` itself when not RAM). */
export function ramTopBelow4g(map: readonly E820Entry[]): number {
  let top = 0;
  for (const e of map) if (e.type === E820Type.Ram && e.address + e.length <= 2 ** 32 && e.address >= 0x100000) top = Math.max(top, e.address + e.length);
  return top;
}
