/**
 * The virtio block device (virtio 1.1, 5.2): one request queue; each request is a descriptor chain
 * holding a 16-byte header (le32 type, le32 reserved/ioprio, le64 sector), the data, and a final
 * status byte the device writes (5.2.6). Sectors are always 512 bytes, whatever blk_size says.
 *
 * Offered features (5.2.3): SIZE_MAX, SEG_MAX (queue size - 2, as QEMU), GEOMETRY, BLK_SIZE,
 * FLUSH, RO for read-only media, and the legacy ANY_LAYOUT (the header, data and status may share
 * or split buffers any way: the request is read as one byte stream, 2.6.4). Without FLUSH the
 * device must behave as a write-through cache (5.2.5): every write is then followed by a backend
 * flush; with it, a VIRTIO_BLK_T_FLUSH makes every completed write durable.
 *
 * A request the device can parse but not perform (a sector range beyond the capacity, a length
 * that is not a whole number of blocks, a write to read-only media, a backend failure) completes
 * with VIRTIO_BLK_S_IOERR; unknown types with VIRTIO_BLK_S_UNSUPP. A chain without room for the
 * header or the status byte is a driver bug the device cannot even answer: a `VirtqueueError`,
 * after which the transport sets DEVICE_NEEDS_RESET (QEMU's virtio_error for the same cases).
 */
import type { DiskBackend } from '../../backends/disk/disk-backend.js';
import type { DmaMemory } from '../../bus/dma-memory.js';
import { bit, VIRTIO_F_ANY_LAYOUT, type VirtioDevice } from './virtio.js';
import { forEachPiece, type DescriptorChain, type Segment, type SplitVirtqueue, VirtqueueError } from './virtqueue.js';

export const VIRTIO_ID_BLOCK = 2;

/** Feature bits (5.2.3). */
export const VIRTIO_BLK_F_SIZE_MAX = 1, VIRTIO_BLK_F_SEG_MAX = 2, VIRTIO_BLK_F_GEOMETRY = 4, VIRTIO_BLK_F_RO = 5,
  VIRTIO_BLK_F_BLK_SIZE = 6, VIRTIO_BLK_F_FLUSH = 9;

/** Request types (5.2.6); bit 31 is the legacy VIRTIO_BLK_T_BARRIER flag (5.2.6.3), ignored. */
export const VIRTIO_BLK_T_IN = 0, VIRTIO_BLK_T_OUT = 1, VIRTIO_BLK_T_FLUSH = 4, VIRTIO_BLK_T_GET_ID = 8;
const VIRTIO_BLK_T_BARRIER = 0x80000000;
/** Legacy VIRTIO_BLK_T_FLUSH_OUT (5.2.6.3): a flush. */
const VIRTIO_BLK_T_FLUSH_OUT = 5;
/** Status values (5.2.6). */
export const VIRTIO_BLK_S_OK = 0, VIRTIO_BLK_S_IOERR = 1, VIRTIO_BLK_S_UNSUPP = 2;

/** Request header size (le32 type, le32 reserved, le64 sector) and the GET_ID string length. */
export const VIRTIO_BLK_HEADER = 16;
export const VIRTIO_BLK_ID_BYTES = 20;
const SECTOR = 512;

/** QEMU's virtio-blk queue size; seg_max leaves room for the header and status descriptors. */
export const VIRTIO_BLK_QUEUE_SIZE = 256;
export const VIRTIO_BLK_SEG_MAX = VIRTIO_BLK_QUEUE_SIZE - 2;
export const VIRTIO_BLK_SIZE_MAX = 1 << 20;
/**
 * Largest data transfer of one request: seg_max segments of size_max bytes. Larger requests (which
 * a driver honouring the two limits never sends) fail with IOERR, as QEMU fails requests beyond
 * its block layer's maximum; this bounds what one guest request can make the host do.
 */
export const VIRTIO_BLK_MAX_REQUEST = VIRTIO_BLK_SEG_MAX * VIRTIO_BLK_SIZE_MAX;
/** Data moves between the backend and guest memory in pieces of at most this size. */
const CHUNK = 256 * 1024;

/** Offsets in struct virtio_blk_config (5.2.4). */
export const CFG_CAPACITY = 0, CFG_SIZE_MAX = 8, CFG_SEG_MAX = 12, CFG_CYLINDERS = 16, CFG_HEADS = 18,
  CFG_SECTORS = 19, CFG_BLK_SIZE = 20, CFG_WRITEBACK = 32, CFG_NUM_QUEUES = 34;
/** Up to num_queues: the fields of the features offered here. */
export const VIRTIO_BLK_CONFIG_SIZE = 36;

export interface VirtioBlkOptions {
  backend: DiskBackend;
  /** Guest memory for request data (the transport's bus-master view). */
  memory: DmaMemory;
  /** What VIRTIO_BLK_T_GET_ID answers (QEMU's serial property; up to 20 bytes, default empty). */
  serial?: string;
}

export class VirtioBlk implements VirtioDevice {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly transitionalPciId = 0x1001;
  /** Mass storage, SCSI controller sub-class (QEMU's PCI_CLASS_STORAGE_SCSI). */
  readonly pciClass = 0x010000;
  readonly queueSizes = [VIRTIO_BLK_QUEUE_SIZE];
  readonly configSize = VIRTIO_BLK_CONFIG_SIZE;
  /** Capacity in 512-byte sectors (a whole number of blocks). */
  readonly capacity: number;
  readonly blockSize: number;
  readonly readOnly: boolean;
  private readonly backend: DiskBackend;
  private readonly memory: DmaMemory;
  private readonly id = new Uint8Array(VIRTIO_BLK_ID_BYTES);
  private readonly configBytes = new Uint8Array(VIRTIO_BLK_CONFIG_SIZE);
  /** VIRTIO_BLK_F_FLUSH negotiated: a write-back cache the driver flushes explicitly. */
  private writeback = false;
  private readonly scratch = new Uint8Array(CHUNK);

  constructor(options: VirtioBlkOptions) {
    this.backend = options.backend;
    this.memory = options.memory;
    this.readOnly = options.backend.readOnly;
    this.blockSize = Math.max(SECTOR, options.backend.sectorSize);
    const perBlock = this.blockSize / SECTOR;
    this.capacity = Math.floor(options.backend.length / this.blockSize) * perBlock;
    const serial = new TextEncoder().encode(options.serial ?? '');
    this.id.set(serial.subarray(0, VIRTIO_BLK_ID_BYTES));
    this.buildConfig();
  }

  private buildConfig(): void {
    const v = new DataView(this.configBytes.buffer);
    v.setUint32(CFG_CAPACITY, this.capacity % 2 ** 32, true);
    v.setUint32(CFG_CAPACITY + 4, Math.floor(this.capacity / 2 ** 32), true);
    v.setUint32(CFG_SIZE_MAX, VIRTIO_BLK_SIZE_MAX, true);
    v.setUint32(CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX, true);
    // The geometry QEMU guesses for a disk without a partition table that says otherwise (and
    // the ATA disk here reports): 16 heads, 63 sectors per track, at most 16383 cylinders.
    v.setUint16(CFG_CYLINDERS, Math.max(1, Math.min(16383, Math.floor(this.capacity / (16 * 63)))), true);
    this.configBytes[CFG_HEADS] = 16;
    this.configBytes[CFG_SECTORS] = 63;
    v.setUint32(CFG_BLK_SIZE, this.blockSize, true);
    v.setUint16(CFG_NUM_QUEUES, 1, true);
    this.configBytes[CFG_WRITEBACK] = this.writeback ? 1 : 0;
  }

  deviceFeatures(): bigint {
    let f = bit(VIRTIO_BLK_F_SIZE_MAX) | bit(VIRTIO_BLK_F_SEG_MAX) | bit(VIRTIO_BLK_F_GEOMETRY) | bit(VIRTIO_BLK_F_BLK_SIZE)
      | bit(VIRTIO_BLK_F_FLUSH) | bit(VIRTIO_F_ANY_LAYOUT);
    if (this.readOnly) f |= bit(VIRTIO_BLK_F_RO);
    return f;
  }

  featuresNegotiated(features: bigint): void {
    this.writeback = (features & bit(VIRTIO_BLK_F_FLUSH)) !== 0n;
    // writeback (5.2.4) shows the cache mode in effect.
    this.configBytes[CFG_WRITEBACK] = this.writeback ? 1 : 0;
  }

  readConfig(offset: number): number {
    return this.configBytes[offset] ?? 0xff;
  }

  /** Without VIRTIO_BLK_F_CONFIG_WCE every field is read-only. */
  writeConfig(): void {}

  reset(): void {
    this.featuresNegotiated(0n);
  }

  /**
   * Complete every request the driver made available. At most a queue's worth per notification:
   * a request whose data lands on the available ring itself cannot keep the device busy forever.
   */
  processQueue(_index: number, queue: SplitVirtqueue): void {
    for (let n = 0; n < queue.size; n++) {
      const chain = queue.pop();
      if (!chain) return;
      queue.push(chain.head, this.handle(chain));
    }
  }

  /** Perform one request; returns the used length (QEMU's: all of the writable part). */
  private handle(chain: DescriptorChain): number {
    if (chain.readableBytes < VIRTIO_BLK_HEADER) throw new VirtqueueError(`virtio-blk request header is ${chain.readableBytes} bytes, not 16`);
    if (chain.writableBytes < 1) throw new VirtqueueError('virtio-blk request has no room for the status byte');
    const header = this.gather(chain.readable, 0, VIRTIO_BLK_HEADER);
    const v = new DataView(header.buffer);
    const type = (v.getUint32(0, true) & ~VIRTIO_BLK_T_BARRIER) >>> 0;
    const sector = v.getUint32(12, true) * 2 ** 32 + v.getUint32(8, true);
    let status: number;
    switch (type) {
      case VIRTIO_BLK_T_IN: status = this.read(chain.writable, sector, chain.writableBytes - 1); break;
      case VIRTIO_BLK_T_OUT: status = this.write(chain.readable, sector, chain.readableBytes - VIRTIO_BLK_HEADER); break;
      case VIRTIO_BLK_T_FLUSH: case VIRTIO_BLK_T_FLUSH_OUT: status = this.flush(); break;
      case VIRTIO_BLK_T_GET_ID: {
        const n = Math.min(VIRTIO_BLK_ID_BYTES, chain.writableBytes - 1);
        forEachPiece(chain.writable, 0, n, CHUNK, (addr, len, at) => this.memory.write(addr, this.id.subarray(at, at + len)));
        status = VIRTIO_BLK_S_OK;
        break;
      }
      default: status = VIRTIO_BLK_S_UNSUPP;
    }
    this.writeStatus(chain.writable, status);
    return chain.writableBytes;
  }

  /** Whether [sector, sector + bytes/512) is a whole number of blocks inside the medium. */
  private rangeOk(sector: number, bytes: number): boolean {
    const perBlock = this.blockSize / SECTOR;
    return bytes % this.blockSize === 0 && sector % perBlock === 0 && bytes <= VIRTIO_BLK_MAX_REQUEST
      && sector <= this.capacity && bytes / SECTOR <= this.capacity - sector;
  }

  private read(writable: readonly Segment[], sector: number, bytes: number): number {
    if (!this.rangeOk(sector, bytes)) return VIRTIO_BLK_S_IOERR;
    let offset = sector * SECTOR;
    try {
      forEachPiece(writable, 0, bytes, CHUNK, (addr, len) => {
        const buffer = this.scratch.subarray(0, len);
        this.backend.read(offset, buffer);
        this.memory.write(addr, buffer);
        offset += len;
      });
    } catch {
      return VIRTIO_BLK_S_IOERR;
    }
    return VIRTIO_BLK_S_OK;
  }

  private write(readable: readonly Segment[], sector: number, bytes: number): number {
    if (this.readOnly || !this.rangeOk(sector, bytes)) return VIRTIO_BLK_S_IOERR;
    let offset = sector * SECTOR;
    try {
      forEachPiece(readable, VIRTIO_BLK_HEADER, bytes, CHUNK, (addr, len) => {
        this.backend.write(offset, this.memory.read(addr, len));
        offset += len;
      });
      // Write-through unless the driver took on flushing (5.2.5: without VIRTIO_BLK_F_FLUSH).
      if (!this.writeback) this.backend.flush();
    } catch {
      return VIRTIO_BLK_S_IOERR;
    }
    return VIRTIO_BLK_S_OK;
  }

  private flush(): number {
    try {
      this.backend.flush();
    } catch {
      return VIRTIO_BLK_S_IOERR;
    }
    return VIRTIO_BLK_S_OK;
  }

  private gather(segments: readonly Segment[], start: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    forEachPiece(segments, start, length, CHUNK, (addr, len, at) => out.set(this.memory.read(addr, len), at));
    return out;
  }

  /** The status is the last byte of the writable part (5.2.6), wherever that buffer is. */
  private writeStatus(writable: readonly Segment[], status: number): void {
    for (let i = writable.length - 1; i >= 0; i--) {
      const s = writable[i]!;
      if (s.len > 0) {
        this.memory.write(s.addr + s.len - 1, Uint8Array.of(status));
        return;
      }
    }
  }
}
