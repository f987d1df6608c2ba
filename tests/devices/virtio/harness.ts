/**
 * A virtio-blk-pci function on a port bus with 1 MiB of guest RAM, and a small driver that talks
 * to it the way SeaBIOS or Linux would: through the legacy I/O BAR or the modern memory BAR,
 * building descriptor chains in RAM and reading the used ring back.
 */
import { PortBus } from '../../../src/bus/port-bus.js';
import { IrqLine } from '../../../src/bus/irq-line.js';
import type { DmaMemory } from '../../../src/bus/dma-memory.js';
import type { IoHandler } from '../../../src/mem/io-handler.js';
import { MemoryDiskBackend, type DiskBackend } from '../../../src/backends/disk/disk-backend.js';
import { VirtioBlk, VIRTIO_BLK_QUEUE_SIZE } from '../../../src/devices/virtio/virtio-blk.js';
import { VirtioPciDevice, LEGACY_DEVICE_FEATURES, LEGACY_DRIVER_FEATURES, LEGACY_QUEUE_PFN, LEGACY_QUEUE_NOTIFY,
  LEGACY_QUEUE_SELECT, LEGACY_QUEUE_SIZE, LEGACY_STATUS, LEGACY_ISR } from '../../../src/devices/virtio/virtio-pci.js';
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../../src/devices/virtio/virtqueue.js';
import { VIRTIO_STATUS_ACKNOWLEDGE, VIRTIO_STATUS_DRIVER, VIRTIO_STATUS_DRIVER_OK } from '../../../src/devices/virtio/virtio.js';

export const IO_BASE = 0xc000;
export const MMIO_BASE = 0xfebf0000;
/** Where the driver puts its queue (page-aligned: the legacy PFN) and its buffers. */
export const QUEUE_BASE = 0x10000;
export const QUEUE_SIZE = VIRTIO_BLK_QUEUE_SIZE;
export const DESC = QUEUE_BASE, AVAIL = DESC + 16 * QUEUE_SIZE;
export const USED = Math.ceil((AVAIL + 6 + 2 * QUEUE_SIZE) / 4096) * 4096;
export const RAM_SIZE = 1 << 20;

/** One buffer of a chain as the driver describes it. */
export interface Buf {
  addr: number;
  len: number;
  write?: boolean;
}

export class Harness {
  readonly ram = new Uint8Array(RAM_SIZE);
  readonly ports = new PortBus();
  readonly dev: VirtioPciDevice;
  readonly blk: VirtioBlk;
  readonly disk: DiskBackend;
  /** INTA# level and the number of rising edges seen. */
  irqLevel = false;
  irqEdges = 0;
  io: { base: number; handler: IoHandler } | null = null;
  mmio: { base: number; handler: IoHandler } | null = null;
  private availIdx = 0;
  /** How many used entries the driver has consumed. */
  lastUsed = 0;

  constructor(disk: DiskBackend = new MemoryDiskBackend(1 << 20), options: { modern?: boolean; serial?: string } = {}) {
    this.disk = disk;
    const ram = this.ram;
    const memory: DmaMemory = {
      // Outside RAM reads all ones and writes are dropped, like the board's unmapped space.
      read: (p, n) => Uint8Array.from({ length: n }, (_, i) => (p + i < RAM_SIZE ? ram[p + i]! : 0xff)),
      write: (p, d) => d.forEach((b, i) => { if (p + i < RAM_SIZE) ram[p + i] = b; }),
    };
    const irq = new IrqLine((level) => { this.irqLevel = level; if (level) this.irqEdges++; });
    this.blk = new VirtioBlk({ backend: disk, memory, serial: options.serial });
    this.dev = new VirtioPciDevice(this.blk, {
      memory, irq, modern: options.modern,
      mapIo: (base, _size, handler) => { this.io = base === null ? null : { base, handler }; },
      mapMmio: (base, _size, handler) => { this.mmio = base === null ? null : { base, handler }; },
    });
    // The window the board would register: forwards while BAR0 decodes at IO_BASE.
    this.ports.register('virtio-window', IO_BASE, 64, {
      read: (o, s) => (this.io?.base === IO_BASE ? this.io.handler.read(o, s) : 2 ** (8 * s) - 1),
      write: (o, s, v) => { if (this.io?.base === IO_BASE) this.io.handler.write(o, s, v); },
    });
  }

  /** Program the BARs and enable decoding as firmware does (bus mastering left to `master`). */
  pciSetup(master = true): void {
    this.dev.writeConfig(0x10, 4, IO_BASE);
    this.dev.writeConfig(0x20, 4, MMIO_BASE);
    this.dev.writeConfig(0x04, 2, master ? 0x07 : 0x03);
  }

  inb(off: number): number { return this.ports.read(IO_BASE + off, 1); }
  inw(off: number): number { return this.ports.read(IO_BASE + off, 2); }
  inl(off: number): number { return this.ports.read(IO_BASE + off, 4); }
  outb(off: number, v: number): void { this.ports.write(IO_BASE + off, 1, v); }
  outw(off: number, v: number): void { this.ports.write(IO_BASE + off, 2, v); }
  outl(off: number, v: number): void { this.ports.write(IO_BASE + off, 4, v); }

  mread(off: number, size: number): number {
    if (!this.mmio) throw new Error('BAR4 not mapped');
    return this.mmio.handler.read(off, size);
  }

  mwrite(off: number, size: number, value: number): void {
    if (!this.mmio) throw new Error('BAR4 not mapped');
    this.mmio.handler.write(off, size, value);
  }

  /** The legacy initialisation sequence (3.1.1 with 4.1.4.8 registers), accepting `features` ∩ offered. */
  legacyInit(features = 0xffffffff): number {
    this.pciSetup();
    this.outb(LEGACY_STATUS, 0);
    this.outb(LEGACY_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    this.outb(LEGACY_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    const offered = this.inl(LEGACY_DEVICE_FEATURES);
    this.outl(LEGACY_DRIVER_FEATURES, (offered & features) >>> 0);
    this.outw(LEGACY_QUEUE_SELECT, 0);
    if (this.inw(LEGACY_QUEUE_SIZE) !== QUEUE_SIZE) throw new Error('unexpected queue size');
    this.outl(LEGACY_QUEUE_PFN, QUEUE_BASE >>> 12);
    this.outb(LEGACY_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
    this.availIdx = 0;
    this.lastUsed = 0;
    return offered;
  }

  u16(addr: number): number { return this.ram[addr]! | (this.ram[addr + 1]! << 8); }
  u32(addr: number): number { return new DataView(this.ram.buffer).getUint32(addr, true); }
  setU16(addr: number, v: number): void { new DataView(this.ram.buffer).setUint16(addr, v, true); }
  setU32(addr: number, v: number): void { new DataView(this.ram.buffer).setUint32(addr, v >>> 0, true); }

  /** Write descriptor `index` of the table at `table`. */
  desc(table: number, index: number, addr: number, len: number, flags: number, next: number): void {
    const v = new DataView(this.ram.buffer);
    const at = table + 16 * index;
    v.setUint32(at, addr % 2 ** 32, true);
    v.setUint32(at + 4, Math.floor(addr / 2 ** 32), true);
    v.setUint32(at + 8, len >>> 0, true);
    v.setUint16(at + 12, flags, true);
    v.setUint16(at + 14, next, true);
  }

  /** Put a chain in the descriptor table starting at `first` (direct, or through an indirect table at `indirect`). */
  chain(bufs: Buf[], first = 0, indirect: number | null = null, desc = DESC): number {
    if (indirect !== null) {
      bufs.forEach((b, i) => this.desc(indirect, i, b.addr, b.len, (b.write ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < bufs.length ? VIRTQ_DESC_F_NEXT : 0), i + 1));
      this.desc(desc, first, indirect, 16 * bufs.length, VIRTQ_DESC_F_INDIRECT, 0);
      return first;
    }
    bufs.forEach((b, i) => this.desc(desc, first + i, b.addr, b.len, (b.write ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < bufs.length ? VIRTQ_DESC_F_NEXT : 0), first + i + 1));
    return first;
  }

  /** Make `head` available (2.6.13.1: ring entry, then idx) without notifying. */
  makeAvailable(head: number, avail = AVAIL): void {
    this.setU16(avail + 4 + 2 * (this.availIdx % QUEUE_SIZE), head);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.setU16(avail + 2, this.availIdx);
  }

  notifyLegacy(queue = 0): void {
    this.outw(LEGACY_QUEUE_NOTIFY, queue);
  }

  /** Used elements the driver has not seen yet. */
  takeUsed(used = USED): { id: number; len: number }[] {
    const out: { id: number; len: number }[] = [];
    const idx = this.u16(used + 2);
    while (this.lastUsed !== idx) {
      const at = used + 4 + 8 * (this.lastUsed % QUEUE_SIZE);
      out.push({ id: this.u32(at), len: this.u32(at + 4) });
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
    }
    return out;
  }

  /** Write a request header at `addr`. */
  header(addr: number, type: number, sector: number): void {
    this.setU32(addr, type);
    this.setU32(addr + 4, 0);
    this.setU32(addr + 8, sector % 2 ** 32);
    this.setU32(addr + 12, Math.floor(sector / 2 ** 32));
  }

  readIsr(): number {
    return this.inb(LEGACY_ISR);
  }
}
