import { PciDevice } from './pci-device.js';
import type { IoHandler } from '../../mem/io-handler.js';
import type { IrqLine } from '../../bus/irq-line.js';
import type { TimerQueue, Timer } from '../../machine/timer-queue.js';

/**
 * Intel 82371AB PIIX4 power management function (PCI 00:01.3, 8086:7113; 82371AB datasheet,
 * chapter 11): the ACPI fixed hardware of QEMU's pc machine. PMBA (40h) places the 64-byte PM I/O
 * block, enabled by PMREGMISC (80h) bit 0:
 *   +00h PM1 status (write 1 to clear)   +02h PM1 enable   +04h PM1 control (SCI_EN, SUS_TYP, SUS_EN)
 *   +08h PM timer: 24 bits at 3.579545 MHz; TMROF_STS is set each time bit 23 changes.
 * SCI is ISA IRQ 9 (level). Writing SUS_EN with the S5 sleep type powers the machine off; the
 * DSDT's \_S5 must name the same SLP_TYP (0, as QEMU's).
 *
 * There is no System Management Mode on this board (like QEMU's pc with smm=off): DEVACTB's
 * APMC_EN bit starts set, which tells firmware that SMM was already set up, so it does not try to
 * relocate SMBASE; and the APM control port (0xB2) handles the FADT's ACPI_ENABLE/ACPI_DISABLE
 * values (0xF1/0xF0) itself by setting or clearing SCI_EN, which is what the SMI handler would do.
 */

export const PM_TIMER_HZ = 3_579_545;
const TMROF = 1 << 0, GBL = 1 << 5, PWRBTN = 1 << 8, RTC = 1 << 10, WAK = 1 << 15;
const SCI_EN = 1 << 0, SUS_EN = 1 << 13;
/** FADT ACPI_ENABLE / ACPI_DISABLE values written to the APM control port. */
export const ACPI_ENABLE = 0xf1, ACPI_DISABLE = 0xf0;
const STATUS_BITS = TMROF | (1 << 4) | GBL | PWRBTN | RTC | WAK;
/** SLP_TYP values for S5 (power off): 0 as QEMU's DSDT declares; 2 is S4, which we also treat as off. */
const POWER_OFF_TYPES = new Set([0, 2]);

export interface Piix4PmOptions {
  timers: TimerQueue;
  sci: IrqLine;
  /** Map or unmap the PM I/O block (the board registers it on its port bus). */
  mapIo: (base: number | null, handler: IoHandler) => void;
  powerOff: () => void;
}

export class Piix4Pm extends PciDevice {
  private status = 0;
  private enable = 0;
  private control = 0;
  private mappedAt: number | null = null;
  private readonly overflowTimer: Timer;

  constructor(private readonly options: Piix4PmOptions) {
    super(0x8086, 0x7113, 0x068000, 0x03);
    this.config[0x40] = 0x01; // PMBA: I/O space indicator
    this.writeMask[0x40] = 0xc0;
    this.writeMask[0x41] = 0xff;
    this.writeMask[0x80] = 0x01; // PMREGMISC: PM I/O enable
    this.writeMask[0x90] = 0xf0; // SMBus base (storage; the SMBus controller is not modelled)
    this.writeMask[0x91] = 0xff;
    this.config[0x90] = 0x01;
    this.writeMask[0xd2] = 0x0f;
    this.writeMask[0x58] = 0xff; // DEVACTB etc.: storage
    this.writeMask[0x59] = 0xff;
    this.writeMask[0x5a] = 0xff;
    this.writeMask[0x5b] = 0xff;
    this.config[0x5b] = 0x02; // DEVACTB APMC_EN: "SMM already initialised" (no SMM here)
    this.setInterruptPin(1);
    this.overflowTimer = options.timers.createTimer('pm-timer-overflow', () => this.timerOverflow());
    this.armOverflow();
  }

  /** The PM timer value (24 bits). */
  timerValue(now = this.options.timers.clock.now()): number {
    return Math.floor((now * PM_TIMER_HZ) / 1e9) & 0xffffff;
  }

  private armOverflow(): void {
    // Next time bit 23 changes: every 2^23 ticks.
    const now = this.options.timers.clock.now();
    const ticks = Math.floor((now * PM_TIMER_HZ) / 1e9);
    const next = (Math.floor(ticks / 0x800000) + 1) * 0x800000;
    this.overflowTimer.arm(Math.ceil((next * 1e9) / PM_TIMER_HZ));
  }

  private timerOverflow(): void {
    this.status |= TMROF;
    this.updateSci();
    this.armOverflow();
  }

  /** The power button was pressed (front end): status bit, SCI if enabled. */
  pressPowerButton(): void {
    this.status |= PWRBTN;
    this.updateSci();
  }

  private updateSci(): void {
    const active = (this.control & SCI_EN) !== 0 && (this.status & this.enable & (TMROF | GBL | PWRBTN | RTC)) !== 0;
    this.options.sci.set(active);
  }

  protected override configWritten(offset: number, size: number): void {
    super.configWritten(offset, size);
    if (offset + size > 0x40 && offset < 0x42 || offset + size > 0x80 && offset <= 0x80) this.remap();
  }

  private remap(): void {
    const base = (this.config[0x40]! | (this.config[0x41]! << 8)) & 0xffc0;
    const next = (this.config[0x80]! & 1) !== 0 && base !== 0 ? base : null;
    if (next === this.mappedAt) return;
    this.mappedAt = next;
    this.options.mapIo(next, this.io);
  }

  readonly io: IoHandler = {
    read: (offset, size) => {
      let value = 0;
      if (offset >= 8 && offset < 12) {
        value = this.timerValue() / 2 ** (8 * (offset - 8));
        return Math.floor(value) & (size === 4 ? 0xffffffff : (1 << (8 * size)) - 1);
      }
      for (let i = 0; i < size; i++) value += this.readByte(offset + i) * 2 ** (8 * i);
      return value;
    },
    write: (offset, size, value) => {
      if (offset === 0 && size >= 2) { this.status &= ~(value & STATUS_BITS); this.updateSci(); return; }
      if (offset === 2 && size >= 2) { this.enable = value & (TMROF | GBL | PWRBTN | RTC); this.updateSci(); return; }
      if (offset === 4 && size >= 2) { this.writeControl(value & 0xffff); return; }
      if (size === 1) {
        // Byte writes to the 16-bit registers (rare): merge into the register.
        if (offset === 0 || offset === 1) this.status &= ~((value << (8 * offset)) & STATUS_BITS);
        else if (offset === 2 || offset === 3) this.enable = (this.enable & ~(0xff << (8 * (offset - 2)))) | (value << (8 * (offset - 2)));
        else if (offset === 4 || offset === 5) this.writeControl((this.control & ~(0xff << (8 * (offset - 4)))) | (value << (8 * (offset - 4))));
        this.updateSci();
      }
    },
  };

  private apmControl = 0;
  private apmStatus = 0;

  /** APM control (0xB2) and status (0xB3) ports. */
  readonly apm: IoHandler = {
    read: (offset) => (offset === 0 ? this.apmControl : this.apmStatus),
    write: (offset, _size, value) => {
      if (offset === 1) { this.apmStatus = value & 0xff; return; }
      this.apmControl = value & 0xff;
      if (value === ACPI_ENABLE) this.writeControl(this.control | SCI_EN);
      else if (value === ACPI_DISABLE) this.writeControl(this.control & ~SCI_EN);
    },
  };

  private readByte(offset: number): number {
    const word = offset < 2 ? this.status : offset < 4 ? this.enable : offset < 6 ? this.control : 0;
    return (word >> (8 * (offset & 1))) & 0xff;
  }

  private writeControl(value: number): void {
    this.control = value & ~SUS_EN; // SUS_EN reads as 0
    if ((value & SUS_EN) !== 0) {
      const type = (value >> 10) & 7;
      if (POWER_OFF_TYPES.has(type)) this.options.powerOff();
      else this.status |= WAK; // other sleep states resume at once (no suspend)
    }
    this.updateSci();
  }
}
