/**
 * Block storage behind a disk or CD-ROM model (DESIGN "Devices and buses": the device model is the
 * frontend; a backend stores bytes). Offsets and lengths are in bytes; the device keeps them
 * sector-aligned. Calls are synchronous. A backend reports a host I/O failure by throwing; device
 * models catch it and report a medium error to the guest instead of letting it reach the CPU.
 */
export interface DiskBackend {
  /** Logical sector size the image is addressed in (512 for disks, 2048 for ISO images). */
  readonly sectorSize: number;
  /** Size of the medium in bytes. */
  readonly length: number;
  /** Writes are refused (ISO files, CD-ROMs, images opened read-only). */
  readonly readOnly: boolean;
  /** Fill `buffer` from `offset`; bytes beyond the end of the medium read as zero. */
  read(offset: number, buffer: Uint8Array): void;
  /** Store `data` at `offset`. Throws on a read-only backend or beyond the end of the medium. */
  write(offset: number, data: Uint8Array): void;
  /** Make every completed write durable (fsync for files). */
  flush(): void;
  close(): void;
}

/** A disk image in memory (tests, scratch disks). */
export class MemoryDiskBackend implements DiskBackend {
  readonly data: Uint8Array;
  flushCount = 0;
  closed = false;

  constructor(source: number | Uint8Array, readonly sectorSize = 512, readonly readOnly = false) {
    this.data = typeof source === 'number' ? new Uint8Array(source) : source;
  }

  get length(): number {
    return this.data.length;
  }

  read(offset: number, buffer: Uint8Array): void {
    buffer.fill(0);
    if (offset < this.data.length) buffer.set(this.data.subarray(offset, Math.min(this.data.length, offset + buffer.length)));
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new Error('the medium is read-only');
    if (offset < 0 || offset + data.length > this.data.length) throw new RangeError(`write of ${data.length} bytes at ${offset} is beyond the end of the medium`);
    this.data.set(data, offset);
  }

  flush(): void {
    this.flushCount++;
  }

  close(): void {
    this.closed = true;
  }
}
