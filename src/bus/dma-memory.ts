/**
 * What a device sees of guest memory for DMA: physical reads and writes of byte ranges. Accesses
 * outside RAM reach MMIO or are dropped (reads of nothing return all ones), never the host.
 */
export interface DmaMemory {
  read(phys: number, length: number): Uint8Array;
  write(phys: number, data: Uint8Array): void;
}

/**
 * A DmaMemory over anything with PhysicalMemory's dump/load shape; its `dmaWrite` (ROM and
 * write-protected shadow RAM are not written, as for a CPU store) is used when it has one.
 */
export function dmaFrom(memory: {
  dump(phys: number, length: number): Uint8Array;
  load(phys: number, data: Uint8Array): void;
  dmaWrite?(phys: number, data: Uint8Array): void;
}): DmaMemory {
  const write = memory.dmaWrite ? memory.dmaWrite.bind(memory) : memory.load.bind(memory);
  return {
    read: (phys, length) => memory.dump(phys, length),
    write: (phys, data) => write(phys, data),
  };
}
