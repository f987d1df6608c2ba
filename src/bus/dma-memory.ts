/**
 * What a device sees of guest memory for DMA: physical reads and writes of byte ranges. Accesses
 * outside RAM reach MMIO or are dropped (reads of nothing return all ones), never the host.
 */
export interface DmaMemory {
  read(phys: number, length: number): Uint8Array;
  write(phys: number, data: Uint8Array): void;
}

/** A DmaMemory over anything with PhysicalMemory's dump/load shape. */
export function dmaFrom(memory: { dump(phys: number, length: number): Uint8Array; load(phys: number, data: Uint8Array): void }): DmaMemory {
  return {
    read: (phys, length) => memory.dump(phys, length),
    write: (phys, data) => memory.load(phys, data),
  };
}
