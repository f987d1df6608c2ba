/** A std VGA on its own small board (memory, ports, PCI) and the standard mode register sets. */
import { PhysicalMemory } from '../../../src/mem/physical-memory.js';
import { PortBus } from '../../../src/bus/port-bus.js';
import { PciHost } from '../../../src/devices/pci/pci-host.js';
import { StdVga } from '../../../src/devices/vga/std-vga.js';

export const VRAM_SIZE = 4 << 20;
const RAM_SIZE = 1 << 20;

export interface VgaBoard {
  vga: StdVga;
  mem: PhysicalMemory;
  ports: PortBus;
  pci: PciHost;
  /** Guest time the VGA sees (ns); tests move it. */
  time: { now: number };
  out(port: number, value: number, size?: number): void;
  inb(port: number): number;
  conf(reg: number, size: number, value?: number): number;
}

export function vgaBoard(bios: Uint8Array | null = null): VgaBoard {
  const memory = new WebAssembly.Memory({ initial: (RAM_SIZE + VRAM_SIZE) / 65536, maximum: (RAM_SIZE + VRAM_SIZE) / 65536 });
  const mem = new PhysicalMemory(memory);
  mem.mapRam('ram', 0, 0xa0000, 0);
  const ports = new PortBus();
  const pci = new PciHost();
  const time = { now: 0 };
  const vga = new StdVga({
    physical: mem, ports, bios, now: () => time.now,
    vram: new Uint8Array(memory.buffer, RAM_SIZE, VRAM_SIZE), vramHostOffset: RAM_SIZE,
  });
  pci.attach(2, 0, vga);
  return {
    vga, mem, ports, pci, time,
    out: (port, value, size = 1) => ports.write(port, size, value),
    inb: (port) => ports.read(port, 1),
    conf: (reg, size, value) => {
      if (value !== undefined) { vga.writeConfig(reg, size, value); return 0; }
      return vga.readConfig(reg, size);
    },
  };
}

export interface ModeTable {
  misc: number;
  seq: number[];
  crtc: number[];
  gr: number[];
  ar: number[];
}

/** IBM VGA BIOS parameter tables. */
export const MODE_03: ModeTable = {
  misc: 0x67,
  seq: [0x03, 0x00, 0x03, 0x00, 0x02],
  crtc: [0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00,
    0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff],
  gr: [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff],
  ar: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x0c, 0x00, 0x0f, 0x08, 0x00],
};

export const MODE_13: ModeTable = {
  misc: 0x63,
  seq: [0x03, 0x01, 0x0f, 0x00, 0x0e],
  crtc: [0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x9c, 0x8e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff],
  gr: [0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff],
  ar: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x41, 0x00, 0x0f, 0x00, 0x00],
};

export const MODE_12: ModeTable = {
  misc: 0xe3,
  seq: [0x03, 0x01, 0x0f, 0x00, 0x06],
  crtc: [0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xea, 0x8c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3, 0xff],
  gr: [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff],
  ar: [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x01, 0x00, 0x0f, 0x00, 0x00],
};

/** Program a mode through the ports, as a BIOS does (CRTC unlocked first, display enabled last). */
export function setMode(b: VgaBoard, t: ModeTable): void {
  b.out(0x3c2, t.misc);
  t.seq.forEach((v, i) => b.out(0x3c4, (v << 8) | i, 2));
  const crtc = (t.misc & 1) !== 0 ? 0x3d4 : 0x3b4;
  b.out(crtc, 0x11); b.out(crtc + 1, 0);
  t.crtc.forEach((v, i) => b.out(crtc, (v << 8) | i, 2));
  t.gr.forEach((v, i) => b.out(0x3ce, (v << 8) | i, 2));
  b.inb(crtc + 6);
  t.ar.forEach((v, i) => { b.out(0x3c0, i); b.out(0x3c0, v); });
  b.out(0x3c0, 0x20);
}

/** The standard EGA palette in the DAC's first 64 entries (6-bit values). */
export function loadEgaPalette(b: VgaBoard): void {
  b.out(0x3c8, 0);
  for (let i = 0; i < 64; i++) {
    const c = (hi: number, lo: number) => ((i >> hi) & 1) * 0x2a + ((i >> lo) & 1) * 0x15;
    b.out(0x3c9, c(2, 5)); b.out(0x3c9, c(1, 4)); b.out(0x3c9, c(0, 3));
  }
}
