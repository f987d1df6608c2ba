import type { IoHandler } from '../../mem/io-handler.js';
import type { PciDevice } from './pci-device.js';

/**
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2): CONFIG_ADDRESS at
 * 0xCF8 (enable bit 31, bus 23:16, device 15:11, function 10:8, register 7:2) and CONFIG_DATA at
 * 0xCFC-0xCFF. Only bus 0 exists; an absent function reads all ones.
 */
export class PciHost {
  private address = 0;
  private readonly functions = new Map<number, PciDevice>();

  /** Attach a function at device:function on bus 0. */
  attach(device: number, fn: number, pci: PciDevice): void {
    const key = (device << 3) | fn;
    if (this.functions.has(key)) throw new Error(`PCI slot ${device}.${fn} is taken`);
    this.functions.set(key, pci);
  }

  find(device: number, fn: number): PciDevice | undefined {
    return this.functions.get((device << 3) | fn);
  }

  private target(): PciDevice | undefined {
    if ((this.address & 0x80000000) === 0 || ((this.address >>> 16) & 0xff) !== 0) return undefined;
    return this.functions.get((this.address >>> 8) & 0xff);
  }

  /** The address port (0xCF8, 4 bytes). Byte accesses to 0xCF9 are the PIIX3 reset register, not this. */
  readonly addressPort: IoHandler = {
    read: () => this.address >>> 0,
    write: (_offset, size, value) => {
      if (size === 4) this.address = value & 0x80fffffc;
    },
  };

  /** The data window (0xCFC-0xCFF). */
  readonly dataPort: IoHandler = {
    read: (offset, size) => {
      const fn = this.target();
      if (!fn) return size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
      return fn.readConfig((this.address & 0xfc) + offset, size);
    },
    write: (offset, size, value) => {
      this.target()?.writeConfig((this.address & 0xfc) + offset, size, value);
    },
  };
}
