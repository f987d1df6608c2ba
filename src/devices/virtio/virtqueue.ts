/**
 * A split virtqueue as the device sees it (virtio 1.1, 2.6 "Split Virtqueues"): the descriptor
 * table, the available ring (driver → device) and the used ring (device → driver), all in guest
 * memory and reached only through the board's DMA view. The device keeps its own shadow of the
 * next available entry to take and of the used index, so nothing the driver writes to the used
 * ring can confuse it.
 *
 * Everything here is guest-controlled. Each problem a well-behaved driver cannot cause (an index
 * outside the table, a chain longer than the queue, an indirect table inside an indirect table, a
 * readable buffer after a writable one, an address outside the physical address space) raises a
 * `VirtqueueError`; the transport then sets DEVICE_NEEDS_RESET (2.1.2) and stops using the queue,
 * as QEMU's virtio_error does. Every walk is bounded by the queue size, so loops end.
 */
import type { DmaMemory } from '../../bus/dma-memory.js';

/** Descriptor flags (2.6.5). */
export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
/** Available ring flag (2.6.7): the driver does not want used buffer notifications. */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** Used ring flag (2.6.10): the device does not want available buffer notifications (never set here). */
export const VIRTQ_USED_F_NO_NOTIFY = 1;

/** Size of one descriptor (2.6.5: le64 addr, le32 len, le16 flags, le16 next). */
export const DESCRIPTOR_SIZE = 16;
/** The legacy interface aligns the used ring to 4096 bytes (2.6.2, 4.1.4.8: QUEUE_ALIGN). */
export const LEGACY_QUEUE_ALIGN = 4096;
/** Largest guest-physical address the board can have (52 bits, the architectural maximum). */
const PHYS_LIMIT = 2 ** 52;

/** The driver broke the virtqueue protocol; the device must be reset before it works again. */
export class VirtqueueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VirtqueueError';
  }
}

/** One guest buffer of a chain. */
export interface Segment {
  addr: number;
  len: number;
}

/** A descriptor chain taken from the available ring: readable buffers first, then writable ones (2.6.4.2). */
export interface DescriptorChain {
  /** Index of the head descriptor: what goes back in the used ring. */
  readonly head: number;
  readonly readable: Segment[];
  readonly writable: Segment[];
  readonly readableBytes: number;
  readonly writableBytes: number;
}

export class SplitVirtqueue {
  /** Queue size in entries (a power of 2, at most `maxSize`; the modern interface lets the driver lower it). */
  size: number;
  descAddr = 0;
  availAddr = 0;
  usedAddr = 0;
  /** The driver made the queue live (legacy: a non-zero PFN; modern: queue_enable = 1). */
  enabled = false;
  /** VIRTIO_F_EVENT_IDX was negotiated: used_event/avail_event replace the ring flags (2.6.7.2, 2.6.10.2). */
  eventIdx = false;
  /** Next available ring entry the device will take. */
  private lastAvail = 0;
  /** Shadow of the used ring's idx. */
  private usedIdx = 0;
  /** used idx at the last notification decision (for VIRTIO_F_EVENT_IDX). */
  private signalledUsed = 0;

  constructor(private readonly memory: DmaMemory, readonly maxSize: number) {
    this.size = maxSize;
  }

  reset(): void {
    this.size = this.maxSize;
    this.descAddr = this.availAddr = this.usedAddr = 0;
    this.enabled = false;
    this.eventIdx = false;
    this.lastAvail = this.usedIdx = this.signalledUsed = 0;
  }

  /**
   * Legacy queue placement (2.6.2): the descriptor table at `base`, the available ring right after
   * it, the used ring at the next 4096-byte boundary.
   */
  setLegacyBase(base: number): void {
    this.descAddr = base;
    this.availAddr = base + DESCRIPTOR_SIZE * this.size;
    const availEnd = this.availAddr + 6 + 2 * this.size;
    this.usedAddr = Math.ceil(availEnd / LEGACY_QUEUE_ALIGN) * LEGACY_QUEUE_ALIGN;
    this.lastAvail = this.usedIdx = this.signalledUsed = 0;
    this.enabled = true;
  }

  /** Modern placement (4.1.4.3): three independent addresses, checked when the driver enables the queue. */
  enable(): void {
    const spans: [number, number, number][] = [
      [this.descAddr, DESCRIPTOR_SIZE * this.size, 16],
      [this.availAddr, 6 + 2 * this.size, 2],
      [this.usedAddr, 6 + 8 * this.size, 4],
    ];
    for (const [addr, len, align] of spans) {
      // 2.6 table "Virtqueue Part / Alignment": misaligned or out-of-range rings are a driver bug.
      if (addr % align !== 0 || addr + len > PHYS_LIMIT) throw new VirtqueueError(`virtqueue ring at 0x${addr.toString(16)} is misaligned or outside memory`);
    }
    this.lastAvail = this.usedIdx = this.signalledUsed = 0;
    this.enabled = true;
  }

  private read16(addr: number): number {
    const b = this.memory.read(addr, 2);
    return b[0]! | (b[1]! << 8);
  }

  private write16(addr: number, value: number): void {
    this.memory.write(addr, Uint8Array.of(value & 0xff, (value >>> 8) & 0xff));
  }

  /** Available buffers not yet taken (after checking the driver's idx is plausible). */
  private pending(): number {
    const availIdx = this.read16(this.availAddr + 2);
    const pending = (availIdx - this.lastAvail) & 0xffff;
    // 2.6.6: the driver can never be more than a queue's worth of entries ahead of the device.
    if (pending > this.size) throw new VirtqueueError(`avail idx moved ${pending} entries ahead of the device (queue size ${this.size})`);
    return pending;
  }

  /** The next available chain, or null when the driver has made nothing new available. */
  pop(): DescriptorChain | null {
    if (!this.enabled || this.pending() === 0) return null;
    const head = this.read16(this.availAddr + 4 + 2 * (this.lastAvail % this.size));
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    if (this.eventIdx) {
      // avail_event (2.6.10.2): ask for a notification as soon as anything past what we took is added.
      this.write16(this.usedAddr + 4 + 8 * this.size, this.lastAvail);
    }
    if (head >= this.size) throw new VirtqueueError(`available ring names descriptor ${head} of a ${this.size}-entry table`);
    return this.walk(head);
  }

  /**
   * Follow the chain from `head` (2.6.5): zero or more chained descriptors, optionally ending in one
   * descriptor whose buffer is an indirect table (2.6.5.3). The whole chain, indirect entries
   * included, may not be longer than the queue (2.6.5.3.1), which bounds the walk.
   */
  private walk(head: number): DescriptorChain {
    const readable: Segment[] = [], writable: Segment[] = [];
    let readableBytes = 0, writableBytes = 0;
    let table = this.descAddr, tableSize = this.size, index = head, indirect = false, count = 0;
    for (;;) {
      if (index >= tableSize) throw new VirtqueueError(`descriptor ${index} is outside a ${tableSize}-entry table`);
      if (++count > this.size) throw new VirtqueueError(`descriptor chain from ${head} is longer than the queue (a loop?)`);
      const d = this.memory.read(table + DESCRIPTOR_SIZE * index, DESCRIPTOR_SIZE);
      const v = new DataView(d.buffer, d.byteOffset, DESCRIPTOR_SIZE);
      const addrLo = v.getUint32(0, true), addrHi = v.getUint32(4, true);
      const len = v.getUint32(8, true), flags = v.getUint16(12, true), next = v.getUint16(14, true);
      if (addrHi >= PHYS_LIMIT / 2 ** 32) throw new VirtqueueError(`descriptor ${index} points outside the physical address space`);
      const addr = addrHi * 2 ** 32 + addrLo;
      if (addr + len > PHYS_LIMIT) throw new VirtqueueError(`descriptor ${index} points outside the physical address space`);
      if ((flags & VIRTQ_DESC_F_INDIRECT) !== 0) {
        // 2.6.5.3.1: one table per chain, a whole number of descriptors; its WRITE flag is ignored
        // and, like QEMU, a NEXT flag next to INDIRECT (which the driver must not set) too.
        if (indirect) throw new VirtqueueError('an indirect table names another indirect table');
        if (len === 0 || len % DESCRIPTOR_SIZE !== 0) throw new VirtqueueError(`indirect table of ${len} bytes is not a whole number of descriptors`);
        if (len / DESCRIPTOR_SIZE > this.size) throw new VirtqueueError(`indirect table of ${len / DESCRIPTOR_SIZE} descriptors is longer than the queue`);
        indirect = true;
        table = addr;
        tableSize = len / DESCRIPTOR_SIZE;
        index = 0;
        continue;
      }
      if ((flags & VIRTQ_DESC_F_WRITE) !== 0) {
        writable.push({ addr, len });
        writableBytes += len;
      } else {
        // 2.6.4.2: device-readable buffers come before device-writable ones.
        if (writable.length > 0) throw new VirtqueueError(`readable descriptor ${index} follows a writable one`);
        readable.push({ addr, len });
        readableBytes += len;
      }
      if ((flags & VIRTQ_DESC_F_NEXT) === 0) break;
      index = next;
    }
    return { head, readable, writable, readableBytes, writableBytes };
  }

  /** Return a chain: the used element (2.6.8) first, then the used idx, so the driver never sees a stale entry. */
  push(head: number, written: number): void {
    const at = this.usedAddr + 4 + 8 * (this.usedIdx % this.size);
    const elem = new Uint8Array(8);
    const v = new DataView(elem.buffer);
    v.setUint32(0, head, true);
    v.setUint32(4, written >>> 0, true);
    this.memory.write(at, elem);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.write16(this.usedAddr + 2, this.usedIdx);
  }

  /**
   * Whether the driver wants a used buffer notification for what was pushed since the last call
   * (2.6.7): with VIRTIO_F_EVENT_IDX, when the used idx passed used_event (vring_need_event's
   * wrap-safe comparison); otherwise unless the available ring's NO_INTERRUPT flag is set.
   */
  needsNotification(): boolean {
    const old = this.signalledUsed, now = this.usedIdx;
    if (old === now) return false;
    this.signalledUsed = now;
    if (this.eventIdx) {
      const usedEvent = this.read16(this.availAddr + 4 + 2 * this.size);
      return ((now - usedEvent - 1) & 0xffff) < ((now - old) & 0xffff);
    }
    return (this.read16(this.availAddr) & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /** Indices as the device tracks them (tests, monitor). */
  get state(): { lastAvail: number; usedIdx: number } {
    return { lastAvail: this.lastAvail, usedIdx: this.usedIdx };
  }
}

/**
 * Walk a byte range of a chain's buffers: calls `visit(addr, len, at)` for each piece of
 * [start, start + length) of the concatenation of `segments` (`at` = the piece's position within
 * the range), no piece longer than `chunk`.
 */
export function forEachPiece(segments: readonly Segment[], start: number, length: number, chunk: number,
  visit: (addr: number, len: number, at: number) => void): void {
  let skip = start, done = 0;
  for (const s of segments) {
    if (done >= length) break;
    if (skip >= s.len) {
      skip -= s.len;
      continue;
    }
    let addr = s.addr + skip, avail = s.len - skip;
    skip = 0;
    while (avail > 0 && done < length) {
      const n = Math.min(avail, length - done, chunk);
      visit(addr, n, done);
      addr += n;
      avail -= n;
      done += n;
    }
  }
}
