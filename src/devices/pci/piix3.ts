import { PciDevice } from './pci-device.js';
import type { IoHandler } from '../../mem/io-handler.js';

/**
 * Intel 82371SB PIIX3 PCI-to-ISA bridge, function 0 (82371FB/SB datasheet, 2.2): vendor 8086h
 * device 7000h, a multi-function device. PIRQRC[A:D] (60h-63h) route the four PCI interrupt lines
 * to ISA IRQs (bit 7 = routing disabled, bits 3:0 = IRQ). The reset control register at I/O port
 * 0CF9h resets the system when bit 2 goes from 0 to 1.
 */
export class Piix3 extends PciDevice {
  /** Current level of each PCI interrupt line PIRQA-D (wire-OR of the devices on it). */
  private readonly pirqLevels = [0, 0, 0, 0];
  private resetControl = 0;

  constructor(private readonly setIsaIrq: (irq: number, level: boolean) => void, private readonly reset: () => void) {
    super(0x8086, 0x7000, 0x060100, 0x00, 0x80);
    for (let r = 0x60; r <= 0x63; r++) {
      this.writeMask[r] = 0x8f;
      this.config[r] = 0x80;
    }
    this.writeMask[0x69] = 0xfe; // top of memory (storage)
    this.config[0x69] = 0x02;
    this.writeMask[0x4c] = 0xff; // ISA I/O recovery timer
    this.writeMask[0x4e] = 0xff; // X-bus chip select
    this.writeMask[0x80] = 0x7f; // APIC base relocation (storage)
    this.writeMask[0xa0] = 0xff; // SMI control (storage)
  }

  /** The ISA IRQ a PCI interrupt line is routed to, or -1. */
  routeOf(pirq: number): number {
    const value = this.config[0x60 + pirq]!;
    return (value & 0x80) !== 0 ? -1 : value & 0xf;
  }

  /** A PCI device on line `pirq` (0-3 = PIRQA-D) raises or lowers its interrupt. */
  setPirq(pirq: number, level: boolean): void {
    this.pirqLevels[pirq] = level ? 1 : 0;
    const irq = this.routeOf(pirq);
    if (irq >= 0) this.setIsaIrq(irq, this.levelOfIrq(irq));
  }

  private levelOfIrq(irq: number): boolean {
    for (let p = 0; p < 4; p++) if (this.pirqLevels[p] && this.routeOf(p) === irq) return true;
    return false;
  }

  protected override configWritten(offset: number, size: number): void {
    super.configWritten(offset, size);
    if (offset + size > 0x60 && offset < 0x64) {
      // Re-evaluate every ISA IRQ a PIRQ could have been moved away from or to.
      for (let irq = 0; irq < 16; irq++) if (this.isRouteTarget(irq)) this.setIsaIrq(irq, this.levelOfIrq(irq));
    }
  }

  private isRouteTarget(irq: number): boolean {
    for (let p = 0; p < 4; p++) if (this.routeOf(p) === irq) return true;
    return false;
  }

  /** Reset control register (port 0CF9h, byte). */
  readonly resetControlPort: IoHandler = {
    read: () => this.resetControl,
    write: (_offset, _size, value) => {
      const trigger = (value & 4) !== 0 && (this.resetControl & 4) === 0;
      this.resetControl = value & 0x0a;
      if (trigger) this.reset();
    },
  };
}
