/** A PIIX3 IDE function on a port bus with guest RAM for DMA, set up the way a BIOS leaves it. */
import { PortBus } from '../../../src/bus/port-bus.js';
import { IrqLine } from '../../../src/bus/irq-line.js';
import type { DmaMemory } from '../../../src/bus/dma-memory.js';
import type { IoHandler } from '../../../src/mem/io-handler.js';
import { PiixIde, IDE_LEGACY } from '../../../src/devices/ide/piix-ide.js';
import type { IdeDevice } from '../../../src/devices/ide/ide-device.js';

export const BM_BASE = 0xc000;

export interface Harness {
  ide: PiixIde;
  ports: PortBus;
  ram: Uint8Array;
  irq: [IrqLine, IrqLine];
  /** Rising edges seen on IRQ14/15. */
  edges: [number, number];
  inb(port: number): number;
  inw(port: number): number;
  inl(port: number): number;
  outb(port: number, v: number): void;
  outw(port: number, v: number): void;
  outl(port: number, v: number): void;
}

export function makeHarness(devices: [[IdeDevice | null, IdeDevice | null], [IdeDevice | null, IdeDevice | null]], setup = true): Harness {
  const ram = new Uint8Array(1 << 20);
  const memory: DmaMemory = {
    read: (p, n) => ram.slice(p, p + n),
    write: (p, d) => ram.set(d, p),
  };
  const edges: [number, number] = [0, 0];
  const irq = [0, 1].map((i) => new IrqLine((level) => { if (level) edges[i]!++; }, `irq${14 + i}`)) as [IrqLine, IrqLine];
  const ports = new PortBus();
  let bm: { base: number; handler: IoHandler } | null = null;
  const ide = new PiixIde({ memory, irqs: irq, devices, mapBusMaster: (base, handler) => { bm = base === null ? null : { base, handler }; } });
  IDE_LEGACY.forEach((l, i) => {
    ports.register(`ide${i}`, l.command, 8, ide.commandBlock(i));
    ports.register(`ide${i}-ctl`, l.control, 1, ide.controlBlock(i));
  });
  // The bus master block as the board maps it: forwarded while BAR4 decodes at BM_BASE.
  ports.register('bm-window', BM_BASE, 16, {
    read: (o, s) => (bm?.base === BM_BASE ? bm.handler.read(o, s) : 2 ** (8 * s) - 1),
    write: (o, s, v) => { if (bm?.base === BM_BASE) bm.handler.write(o, s, v); },
  });
  if (setup) {
    ide.writeConfig(0x20, 4, BM_BASE | 1);
    ide.writeConfig(0x40, 2, 0x8000);
    ide.writeConfig(0x42, 2, 0x8000);
    ide.writeConfig(0x04, 2, 0x0005);
  }
  return {
    ide, ports, ram, irq, edges,
    inb: (p) => ports.read(p, 1), inw: (p) => ports.read(p, 2), inl: (p) => ports.read(p, 4),
    outb: (p, v) => ports.write(p, 1, v), outw: (p, v) => ports.write(p, 2, v), outl: (p, v) => ports.write(p, 4, v),
  };
}

/** Read `bytes` from the data port of the channel at `base` as 16-bit words. */
export function readData(h: Harness, base: number, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 2) {
    const w = h.inw(base);
    out[i] = w & 0xff;
    if (i + 1 < bytes) out[i + 1] = w >> 8;
  }
  return out;
}

export function writeData(h: Harness, base: number, data: Uint8Array): void {
  for (let i = 0; i < data.length; i += 2) h.outw(base, data[i]! | ((data[i + 1] ?? 0) << 8));
}

/** Load an LBA28 command into the task file of the channel at `base` and issue it. */
export function ata28(h: Harness, base: number, command: number, lba: number, count: number, dev = 0, feature = 0): void {
  h.outb(base + 6, 0xe0 | (dev << 4) | ((lba >>> 24) & 0x0f));
  h.outb(base + 1, feature);
  h.outb(base + 2, count & 0xff);
  h.outb(base + 3, lba & 0xff);
  h.outb(base + 4, (lba >>> 8) & 0xff);
  h.outb(base + 5, (lba >>> 16) & 0xff);
  h.outb(base + 7, command);
}

/** Load an LBA48 command (high bytes first, as the "previous content" FIFO wants) and issue it. */
export function ata48(h: Harness, base: number, command: number, lba: number, count: number, dev = 0): void {
  h.outb(base + 6, 0x40 | (dev << 4));
  h.outb(base + 2, (count >>> 8) & 0xff);
  h.outb(base + 3, Math.floor(lba / 2 ** 24) & 0xff);
  h.outb(base + 4, Math.floor(lba / 2 ** 32) & 0xff);
  h.outb(base + 5, Math.floor(lba / 2 ** 40) & 0xff);
  h.outb(base + 2, count & 0xff);
  h.outb(base + 3, lba & 0xff);
  h.outb(base + 4, (lba >>> 8) & 0xff);
  h.outb(base + 5, (lba >>> 16) & 0xff);
  h.outb(base + 7, command);
}

/** A PRD table at `table` describing [address, bytes] regions; the last entry carries EOT. */
export function writePrd(h: Harness, table: number, regions: [number, number][]): void {
  const v = new DataView(h.ram.buffer);
  regions.forEach(([address, bytes], i) => {
    v.setUint32(table + 8 * i, address, true);
    v.setUint32(table + 8 * i + 4, (bytes & 0xffff) | (i === regions.length - 1 ? 0x80000000 : 0), true);
  });
}

/** A byte pattern that tells sectors apart. */
export function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 31 + i * 7 + (i >> 9) * 13) & 0xff;
  return out;
}
