import { ALL_SIZES, IoHandler, sizeBit } from '../mem/io-handler.js';

interface PortRange {
  readonly name: string;
  readonly start: number;
  readonly count: number;
  readonly handler: IoHandler;
  readonly sizes: number;
}

/**
 * The x86 I/O port space (64 KiB of ports). A device claims a range with the access sizes it
 * implements; an access of another size is split into byte accesses (as the ISA bus does). An
 * unclaimed port reads as all ones and ignores writes (SDM Vol. 1, 18.3: no device drives the bus).
 */
export class PortBus {
  private readonly owner = new Uint16Array(0x10000);
  private readonly ranges: (PortRange | null)[] = [null];

  register(name: string, start: number, count: number, handler: IoHandler, sizes = ALL_SIZES): void {
    if (start < 0 || count <= 0 || start + count > 0x10000) throw new Error(`port range ${name} out of bounds`);
    for (let p = start; p < start + count; p++) {
      const other = this.owner[p]!;
      if (other !== 0) throw new Error(`port range ${name} overlaps ${this.ranges[other]!.name} at 0x${p.toString(16)}`);
    }
    this.ranges.push({ name, start, count, handler, sizes });
    this.owner.fill(this.ranges.length - 1, start, start + count);
  }

  /** Remove a range registered under `name` (a PCI BAR or a PM block being moved). */
  unregister(name: string): void {
    const id = this.ranges.findIndex((r) => r?.name === name);
    if (id <= 0) return;
    const range = this.ranges[id]!;
    this.owner.fill(0, range.start, range.start + range.count);
    this.ranges[id] = null;
  }

  read(port: number, size: number): number {
    port &= 0xffff;
    const range = this.ranges[this.owner[port]!];
    if (range && (range.sizes & sizeBit(size)) !== 0 && port + size <= range.start + range.count) {
      return range.handler.read(port - range.start, size) >>> 0;
    }
    if (size === 1) return range ? range.handler.read(port - range.start, 1) & 0xff : 0xff;
    let value = 0;
    for (let i = 0; i < size; i++) value += this.read(port + i, 1) * 2 ** (8 * i);
    return value;
  }

  write(port: number, size: number, value: number): void {
    port &= 0xffff;
    const range = this.ranges[this.owner[port]!];
    if (range && (range.sizes & sizeBit(size)) !== 0 && port + size <= range.start + range.count) {
      range.handler.write(port - range.start, size, size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1));
      return;
    }
    if (size === 1) {
      range?.handler.write(port - range.start, 1, value & 0xff);
      return;
    }
    for (let i = 0; i < size; i++) this.write(port + i, 1, Math.floor(value / 2 ** (8 * i)) & 0xff);
  }
}
