/**
 * The assist's view of the guest: a `PhysicalMemory` whose bytes live in the hypervisor (reached
 * through the `AssistCallbacks`) instead of the WebAssembly memory, and a port bus that forwards to
 * the port callbacks. The interpreter's `Cpu` runs on top of them unchanged: it finds no RAM host
 * offsets, so every access takes its slow path (`read`/`write` here), in program order.
 */
import { PhysicalMemory, PAGE_SIZE } from '../mem/physical-memory.js';
import type { PortIo } from '../cpu/port-io.js';
import type { AssistCallbacks } from './types.js';

/** Thrown (and caught by the assist) when a device access has no callback to go to. */
export class MissingCallbackError extends Error {}

interface CachedPage {
  /** null: nothing there (reads as all ones, writes dropped). */
  data: Uint8Array | null;
  dirtyFrom: number;
  dirtyTo: number;
}

export class CallbackMemory extends PhysicalMemory {
  callbacks: AssistCallbacks | null = null;
  isMmio: (gpa: number) => boolean = () => false;
  /** Device accesses (MMIO and ports) made by the current instruction. */
  deviceAccesses = 0;
  private readonly pages = new Map<number, CachedPage>();

  /** Start an instruction: drop the page cache (guest RAM may have changed since the last call). */
  begin(callbacks: AssistCallbacks, isMmio: (gpa: number) => boolean): void {
    this.callbacks = callbacks;
    this.isMmio = isMmio;
    this.deviceAccesses = 0;
    this.pages.clear();
  }

  /** Write the dirty part of each cached page back to the guest (one call per page). */
  commit(): void {
    const cb = this.callbacks!;
    for (const [page, entry] of this.pages) {
      if (entry.data !== null && entry.dirtyFrom < entry.dirtyTo) {
        cb.writeGuestPhysical(page * PAGE_SIZE + entry.dirtyFrom, entry.data.slice(entry.dirtyFrom, entry.dirtyTo));
      }
    }
    this.pages.clear();
  }

  /** Forget uncommitted writes (the instruction could not be performed). */
  discard(): void {
    this.pages.clear();
  }

  private page(phys: number): CachedPage {
    const number = Math.floor(phys / PAGE_SIZE);
    let entry = this.pages.get(number);
    if (entry === undefined) {
      const got = this.callbacks!.readGuestPhysical(number * PAGE_SIZE, PAGE_SIZE);
      let data: Uint8Array | null = null;
      if (got) {
        data = new Uint8Array(PAGE_SIZE).fill(0xff);
        data.set(got.subarray(0, PAGE_SIZE));
      }
      entry = { data, dirtyFrom: PAGE_SIZE, dirtyTo: 0 };
      this.pages.set(number, entry);
    }
    return entry;
  }

  // The Cpu's TLB keeps no host pointers into this memory: every access comes through read/write.
  override readableHostOffset(): number {
    return -1;
  }

  override writableHostOffset(): number {
    return -1;
  }

  override read(phys: number, size: number): number {
    if ((phys & (PAGE_SIZE - 1)) + size > PAGE_SIZE) {
      let value = 0;
      for (let i = 0; i < size; i++) value += this.read(phys + i, 1) * 2 ** (8 * i);
      return value;
    }
    if (this.isMmio(phys)) {
      const cb = this.callbacks!;
      if (!cb.mmioRead) throw new MissingCallbackError(`MMIO read at 0x${phys.toString(16)} needs callbacks.mmioRead`);
      this.deviceAccesses++;
      const value = Number(cb.mmioRead(phys, size));
      return size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1);
    }
    const data = this.page(phys).data;
    if (data === null) return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
    const at = phys & (PAGE_SIZE - 1);
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + data[at + i]!;
    return value;
  }

  override write(phys: number, size: number, value: number): void {
    if ((phys & (PAGE_SIZE - 1)) + size > PAGE_SIZE) {
      for (let i = 0; i < size; i++) this.write(phys + i, 1, Math.floor(value / 2 ** (8 * i)) & 0xff);
      return;
    }
    if (this.isMmio(phys)) {
      const cb = this.callbacks!;
      if (!cb.mmioWrite) throw new MissingCallbackError(`MMIO write at 0x${phys.toString(16)} needs callbacks.mmioWrite`);
      this.deviceAccesses++;
      cb.mmioWrite(phys, size, size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1));
      return;
    }
    const entry = this.page(phys);
    if (entry.data === null) return;
    const at = phys & (PAGE_SIZE - 1);
    let v = size === 4 ? value >>> 0 : value;
    for (let i = 0; i < size; i++) {
      entry.data[at + i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    entry.dirtyFrom = Math.min(entry.dirtyFrom, at);
    entry.dirtyTo = Math.max(entry.dirtyTo, at + size);
  }
}

/** Port I/O forwarded to the port callbacks. */
export class CallbackPorts implements PortIo {
  constructor(private readonly memory: CallbackMemory) {}

  read(port: number, size: number): number {
    const cb = this.memory.callbacks!;
    if (!cb.portRead) throw new MissingCallbackError(`IN from port 0x${port.toString(16)} needs callbacks.portRead`);
    this.memory.deviceAccesses++;
    const value = Number(cb.portRead(port & 0xffff, size));
    return size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1);
  }

  write(port: number, size: number, value: number): void {
    const cb = this.memory.callbacks!;
    if (!cb.portWrite) throw new MissingCallbackError(`OUT to port 0x${port.toString(16)} needs callbacks.portWrite`);
    this.memory.deviceAccesses++;
    cb.portWrite(port & 0xffff, size, size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1));
  }
}
