/**
 * A PCI function's 256-byte configuration space (PCI Local Bus Specification 3.0, chapter 6) with
 * per-byte write masks, BAR sizing and the command register's decode enables. Subclasses describe
 * their registers and react to writes; BAR mapping is reported through `onBarMapped`.
 */

export const PCI_VENDOR_ID = 0x00, PCI_DEVICE_ID = 0x02, PCI_COMMAND = 0x04, PCI_STATUS = 0x06,
  PCI_REVISION = 0x08, PCI_CLASS_PROG = 0x09, PCI_CLASS_DEVICE = 0x0a, PCI_HEADER_TYPE = 0x0e,
  PCI_BAR0 = 0x10, PCI_SUBSYSTEM_VENDOR = 0x2c, PCI_SUBSYSTEM_ID = 0x2e, PCI_ROM_ADDRESS = 0x30,
  PCI_INTERRUPT_LINE = 0x3c, PCI_INTERRUPT_PIN = 0x3d;

export const COMMAND_IO = 1, COMMAND_MEMORY = 2, COMMAND_MASTER = 4;

export interface BarSpec {
  /** Size in bytes (a power of two). */
  size: number;
  io: boolean;
  /** 64-bit memory BAR (takes two slots). */
  wide?: boolean;
  prefetchable?: boolean;
}

export type BarListener = (bar: number, address: number | null) => void;

export class PciDevice {
  readonly config = new Uint8Array(256);
  /** Bits the guest may change, per byte. */
  readonly writeMask = new Uint8Array(256);
  private readonly bars: (BarSpec | null)[] = [null, null, null, null, null, null, null];
  /** Current decoded address of each BAR (null when its decode is disabled or it is unassigned). */
  private readonly mapped: (number | null)[] = [null, null, null, null, null, null, null];
  onBarMapped: BarListener = () => {};

  constructor(vendor: number, device: number, classCode: number, revision = 0, headerType = 0) {
    const v = new DataView(this.config.buffer);
    v.setUint16(PCI_VENDOR_ID, vendor, true);
    v.setUint16(PCI_DEVICE_ID, device, true);
    this.config[PCI_REVISION] = revision;
    this.config[PCI_CLASS_PROG] = classCode & 0xff;
    v.setUint16(PCI_CLASS_DEVICE, classCode >>> 8, true);
    this.config[PCI_HEADER_TYPE] = headerType;
    this.writeMask[PCI_COMMAND] = 0x07; // I/O, memory, bus master
    this.writeMask[PCI_COMMAND + 1] = 0x05; // SERR#, interrupt disable
    this.writeMask[PCI_INTERRUPT_LINE] = 0xff;
  }

  /** Declare BAR n (0-5, 6 = expansion ROM). */
  defineBar(n: number, spec: BarSpec): void {
    this.bars[n] = spec;
    const offset = n === 6 ? PCI_ROM_ADDRESS : PCI_BAR0 + 4 * n;
    const mask = n === 6 ? ~(spec.size - 1) | 1 : ~(spec.size - 1) & (spec.io ? ~3 : ~0xf);
    const low = n === 6 ? 0 : spec.io ? 1 : (spec.wide ? 4 : 0) | (spec.prefetchable ? 8 : 0);
    new DataView(this.config.buffer).setUint32(offset, low, true);
    new DataView(this.writeMask.buffer).setUint32(offset, mask >>> 0, true);
    if (spec.wide) new DataView(this.writeMask.buffer).setUint32(offset + 4, 0xffffffff, true);
  }

  setInterruptPin(pin: number): void {
    this.config[PCI_INTERRUPT_PIN] = pin;
  }

  readConfig(offset: number, size: number): number {
    let value = 0;
    for (let i = 0; i < size; i++) value += this.config[(offset + i) & 0xff]! * 2 ** (8 * i);
    return value;
  }

  writeConfig(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) {
      const at = (offset + i) & 0xff;
      const byte = Math.floor(value / 2 ** (8 * i)) & 0xff;
      const mask = this.writeMask[at]!;
      this.config[at] = (this.config[at]! & ~mask) | (byte & mask);
    }
    this.configWritten(offset, size);
  }

  /** Called after every config write; recomputes BAR decoding. Subclasses extend. */
  protected configWritten(_offset: number, _size: number): void {
    this.updateBars();
  }

  barAddress(n: number): number | null {
    return this.mapped[n] ?? null;
  }

  private updateBars(): void {
    const v = new DataView(this.config.buffer);
    const command = this.config[PCI_COMMAND]!;
    for (let n = 0; n < 7; n++) {
      const spec = this.bars[n];
      if (!spec) continue;
      const offset = n === 6 ? PCI_ROM_ADDRESS : PCI_BAR0 + 4 * n;
      let address: number | null;
      if (n === 6) {
        const raw = v.getUint32(offset, true);
        address = (raw & 1) !== 0 && (command & COMMAND_MEMORY) !== 0 ? (raw & ~(spec.size - 1)) >>> 0 : null;
      } else if (spec.io) {
        address = (command & COMMAND_IO) !== 0 ? v.getUint32(offset, true) & ~3 & 0xffff : null;
      } else {
        const lo = v.getUint32(offset, true) & ~0xf;
        const hi = spec.wide ? v.getUint32(offset + 4, true) : 0;
        address = (command & COMMAND_MEMORY) !== 0 ? hi * 2 ** 32 + (lo >>> 0) : null;
      }
      // An all-ones (sizing) or zero address is not decoded.
      if (address !== null && (address === 0 || (address + spec.size > (spec.io ? 0x10000 : 2 ** 52)))) address = null;
      if (this.mapped[n] !== address) {
        this.mapped[n] = address;
        this.onBarMapped(n, address);
      }
    }
  }
}
