import { IrqLine } from '../../bus/irq-line.js';
import type { IoHandler } from '../../mem/io-handler.js';
import { ApicBus, DeliveryMode, Shorthand, type EoiListener } from './apic-bus.js';

/**
 * The 82093AA I/O APIC (Intel 82093AA datasheet, 3.0; version 0x11 as QEMU's ioapic): IOREGSEL at
 * +0x00 and IOWIN at +0x10 of its 4 KiB page, ID (27:24), version (24 pins), arbitration ID and the
 * 24 redirection entries (vector, delivery mode, destination mode, polarity, remote IRR, trigger
 * mode, mask, destination 63:56). Inputs are logical levels (asserted = true): the polarity bit is
 * kept but not applied, as in QEMU. Edge-triggered pins send a message on each assertion;
 * level-triggered pins send while asserted and Remote IRR is clear, and the local APIC's EOI
 * broadcast clears Remote IRR (and re-sends if the input is still asserted).
 */
export const IOAPIC_DEFAULT_BASE = 0xfec00000;
export const IOAPIC_PINS = 24;
export const IOAPIC_VERSION = 0x11 | ((IOAPIC_PINS - 1) << 16);

const MASKED = 1 << 16, REMOTE_IRR = 1 << 14, LEVEL = 1 << 15, DELIVS = 1 << 12;
/** Writable bits of the low dword: vector, delivery mode, destination mode, polarity, trigger, mask. */
const LOW_WRITABLE = 0x0001afff;

export class IoApic implements IoHandler, EoiListener {
  id: number;
  private select = 0;
  readonly low = new Uint32Array(IOAPIC_PINS);
  readonly high = new Uint32Array(IOAPIC_PINS);
  /** Current input levels. */
  private readonly inputs = new Uint8Array(IOAPIC_PINS);
  private readonly lines: IrqLine[] = [];

  constructor(private readonly bus: ApicBus, readonly initialId = 0) {
    this.id = initialId;
    bus.eoiListeners.push(this);
    for (let pin = 0; pin < IOAPIC_PINS; pin++) this.lines.push(new IrqLine((level) => this.setInput(pin, level), `ioapic-pin${pin}`));
    this.reset();
  }

  reset(): void {
    this.id = this.initialId;
    this.select = 0;
    this.low.fill(MASKED);
    this.high.fill(0);
  }

  /** The input line of `pin` (0-23). */
  pin(pin: number): IrqLine {
    const line = this.lines[pin];
    if (line === undefined) throw new Error(`no I/O APIC pin ${pin}`);
    return line;
  }

  setInput(pin: number, level: boolean): void {
    const was = this.inputs[pin] !== 0;
    this.inputs[pin] = level ? 1 : 0;
    const entry = this.low[pin]!;
    if ((entry & LEVEL) !== 0) {
      if (level) this.service(pin);
    } else if (level && !was) {
      this.service(pin);
    }
  }

  /** Send pin's message if it is unmasked (and, when level-triggered, Remote IRR is clear). */
  private service(pin: number): void {
    const entry = this.low[pin]!;
    if ((entry & MASKED) !== 0) return;
    const level = (entry & LEVEL) !== 0;
    if (level) {
      if ((entry & REMOTE_IRR) !== 0) return;
      this.low[pin] = entry | REMOTE_IRR;
    }
    const mode = ((entry >> 8) & 7) as DeliveryMode;
    this.bus.deliver({
      vector: entry & 0xff, mode, logical: (entry & (1 << 11)) !== 0, dest: this.high[pin]! >>> 24,
      x2: false, level, shorthand: Shorthand.None,
    }, null);
  }

  eoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const entry = this.low[pin]!;
      if ((entry & 0xff) !== vector || (entry & REMOTE_IRR) === 0) continue;
      this.low[pin] = entry & ~REMOTE_IRR;
      if ((entry & LEVEL) !== 0 && this.inputs[pin] !== 0) this.service(pin);
    }
  }

  private readIndirect(index: number): number {
    if (index === 0) return (this.id & 0xf) << 24;
    if (index === 1) return IOAPIC_VERSION;
    if (index === 2) return (this.id & 0xf) << 24;
    if (index >= 0x10 && index < 0x10 + 2 * IOAPIC_PINS) {
      const pin = (index - 0x10) >> 1;
      return (index & 1) === 0 ? this.low[pin]! & ~DELIVS : this.high[pin]!;
    }
    return 0xffffffff;
  }

  private writeIndirect(index: number, value: number): void {
    if (index === 0) {
      this.id = (value >>> 24) & 0xf;
      return;
    }
    if (index >= 0x10 && index < 0x10 + 2 * IOAPIC_PINS) {
      const pin = (index - 0x10) >> 1;
      if ((index & 1) === 1) {
        this.high[pin] = value & 0xff000000;
        return;
      }
      const old = this.low[pin]!;
      let next = (value & LOW_WRITABLE) | (old & REMOTE_IRR);
      // Remote IRR is meaningless for edge-triggered entries (QEMU clears it when the mode changes to edge).
      if ((next & LEVEL) === 0) next &= ~REMOTE_IRR;
      this.low[pin] = next >>> 0;
      // Unmasking a level-triggered pin that is asserted delivers it now.
      if ((next & MASKED) === 0 && (next & LEVEL) !== 0 && this.inputs[pin] !== 0) this.service(pin);
    }
  }

  // MMIO: IOREGSEL (+0x00, 8 bits), IOWIN (+0x10, 32 bits)

  read(offset: number, size: number): number {
    if (offset === 0) return this.select;
    if (offset >= 0x10 && offset < 0x14) {
      const v = this.readIndirect(this.select) >>> ((offset - 0x10) * 8);
      return size === 4 ? v >>> 0 : v & ((1 << (size * 8)) - 1);
    }
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    if (offset === 0) {
      this.select = value & 0xff;
      return;
    }
    if (offset === 0x10 && size === 4) this.writeIndirect(this.select, value >>> 0);
  }
}
