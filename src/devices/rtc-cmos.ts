import type { IrqLine } from '../bus/irq-line.js';
import type { PortBus } from '../bus/port-bus.js';
import { SIZE_1, type IoHandler } from '../mem/io-handler.js';
import type { Timer, TimerQueue } from '../machine/timer-queue.js';

/**
 * Motorola MC146818A real-time clock and CMOS RAM as on the PC/AT: index at 0x70 (bit 7 = NMI
 * disable), data at 0x71, and a second 128-byte bank at 0x72/0x73 (as PIIX4/ICH chipsets have).
 * Time comes from the virtual clock's wall-clock epoch (host time in real-time mode, a fixed date in
 * deterministic mode); the 1 Hz update cycle, periodic, alarm and update-ended interrupts run on
 * timer events. Reference: MC146818A datasheet; QEMU hw/rtc/mc146818rtc.c and hw/i386/pc.c
 * (pc_cmos_init) for the NVRAM fields SeaBIOS reads.
 */

export const RTC_SECONDS = 0x00, RTC_SECONDS_ALARM = 0x01, RTC_MINUTES = 0x02, RTC_MINUTES_ALARM = 0x03,
  RTC_HOURS = 0x04, RTC_HOURS_ALARM = 0x05, RTC_DAY_OF_WEEK = 0x06, RTC_DAY_OF_MONTH = 0x07,
  RTC_MONTH = 0x08, RTC_YEAR = 0x09, RTC_REG_A = 0x0a, RTC_REG_B = 0x0b, RTC_REG_C = 0x0c, RTC_REG_D = 0x0d,
  RTC_CENTURY = 0x32;

export const REG_A_UIP = 0x80;
export const REG_B_SET = 0x80, REG_B_PIE = 0x40, REG_B_AIE = 0x20, REG_B_UIE = 0x10, REG_B_DM_BINARY = 0x04, REG_B_24H = 0x02;
export const REG_C_IRQF = 0x80, REG_C_PF = 0x40, REG_C_AF = 0x20, REG_C_UF = 0x10;
export const REG_D_VRT = 0x80;

/** UIP is high from 244 us before the update cycle through its 1984 us (datasheet tBUC + tUC). */
const UIP_WINDOW_NS = 244_000 + 1_984_000;
const SECOND = 1e9;

interface Fields {
  sec: number; min: number; hour: number; dow: number; dom: number; mon: number; year: number; century: number;
}

function fieldsOf(seconds: number): Fields {
  const d = new Date(seconds * 1000);
  const y = d.getUTCFullYear();
  return {
    sec: d.getUTCSeconds(), min: d.getUTCMinutes(), hour: d.getUTCHours(), dow: d.getUTCDay() + 1,
    dom: d.getUTCDate(), mon: d.getUTCMonth() + 1, year: y % 100, century: Math.floor(y / 100),
  };
}

function secondsOf(f: Fields): number {
  return Math.floor(Date.UTC(f.century * 100 + f.year, f.mon - 1, f.dom, f.hour, f.min, f.sec) / 1000);
}

const toBcd = (v: number) => ((Math.floor(v / 10) % 10) << 4) | (v % 10);
const fromBcd = (v: number) => (v >> 4) * 10 + (v & 15);

export interface RtcOptions {
  /** IRQ8. */
  irq: IrqLine;
}

export class RtcCmos {
  /** 256 bytes of CMOS: bank 0 (0x00-0x7F via 0x70/0x71), bank 1 (0x80-0xFF via 0x72/0x73). */
  readonly nvram = new Uint8Array(256);
  index = 0;
  indexHigh = 0;
  /** Port 0x70 bit 7: NMI disabled (read by the machine when it gets NMIs). */
  nmiDisabled = false;
  regA = 0x26;
  regB = REG_B_24H;
  regC = 0;
  private readonly irq: IrqLine;
  /** Second boundaries of the divider chain fall at originNs + k seconds; baseSeconds is the time at originNs. */
  private originNs: number;
  private baseSeconds: number;
  /** While SET or the divider is in reset: the time registers as last set (not advancing). */
  private frozen: Fields | null = null;
  private lastPeriodicCheck: number;
  private readonly updateTimer: Timer;
  private readonly periodicTimer: Timer;

  constructor(readonly timers: TimerQueue, options: RtcOptions) {
    this.irq = options.irq;
    const clock = timers.clock;
    const now = clock.now();
    const wallMs = clock.wallClockMs(now);
    // The wall-clock second boundary falls (1000 - ms) ms from now.
    this.baseSeconds = Math.floor(wallMs / 1000);
    this.originNs = now - Math.round((wallMs - this.baseSeconds * 1000) * 1e6);
    this.lastPeriodicCheck = now;
    this.updateTimer = timers.createTimer('rtc-update', () => this.updateCycle());
    this.periodicTimer = timers.createTimer('rtc-periodic', () => this.periodicTick());
    this.nvram[RTC_REG_D] = REG_D_VRT;
    this.reschedule();
  }

  private now(): number {
    return this.timers.clock.now();
  }

  private get dividerRunning(): boolean {
    return (this.regA & 0x60) !== 0x60;
  }

  private get running(): boolean {
    return this.frozen === null;
  }

  /** The time registers' values (binary) at guest time `now`. */
  currentFields(now = this.now()): Fields {
    if (this.frozen !== null) return { ...this.frozen };
    return fieldsOf(this.baseSeconds + Math.floor((now - this.originNs) / SECOND));
  }

  /** Seconds since the Unix epoch the RTC shows now. */
  currentSeconds(): number {
    return secondsOf(this.currentFields());
  }

  private encode(v: number): number {
    return (this.regB & REG_B_DM_BINARY) !== 0 ? v : toBcd(v);
  }

  private decode(v: number): number {
    return (this.regB & REG_B_DM_BINARY) !== 0 ? v : fromBcd(v);
  }

  private encodeHour(hour: number): number {
    if ((this.regB & REG_B_24H) !== 0) return this.encode(hour);
    return this.encode(hour % 12 || 12) | (hour >= 12 ? 0x80 : 0);
  }

  private decodeHour(v: number): number {
    if ((this.regB & REG_B_24H) !== 0) return this.decode(v);
    return (this.decode(v & 0x7f) % 12) + ((v & 0x80) !== 0 ? 12 : 0);
  }

  private freeze(): void {
    if (this.frozen === null) this.frozen = this.currentFields();
  }

  /** Leave SET / divider reset. `restartDivider`: the first update follows 500 ms later. */
  private unfreeze(restartDivider: boolean): void {
    if (this.frozen === null) return;
    const now = this.now();
    this.baseSeconds = secondsOf(this.frozen);
    this.frozen = null;
    if (restartDivider) this.originNs = now - SECOND / 2;
    else this.originNs = now - ((((now - this.originNs) % SECOND) + SECOND) % SECOND);
  }

  private setField(f: Fields, reg: number, value: number): void {
    switch (reg) {
      case RTC_SECONDS: f.sec = this.decode(value & 0x7f); break;
      case RTC_MINUTES: f.min = this.decode(value & 0x7f); break;
      case RTC_HOURS: f.hour = this.decodeHour(value); break;
      case RTC_DAY_OF_WEEK: f.dow = this.decode(value); break;
      case RTC_DAY_OF_MONTH: f.dom = this.decode(value); break;
      case RTC_MONTH: f.mon = this.decode(value); break;
      case RTC_YEAR: f.year = this.decode(value) % 100; break;
      case RTC_CENTURY: f.century = this.decode(value); break;
    }
  }

  private writeTime(reg: number, value: number): void {
    if (this.frozen !== null) {
      this.setField(this.frozen, reg, value);
      return;
    }
    // Set while running (QEMU allows it too): the new time counts on from the current phase.
    const f = this.currentFields();
    this.setField(f, reg, value);
    this.frozen = f;
    this.unfreeze(false);
  }

  private readTime(reg: number): number {
    const f = this.currentFields();
    switch (reg) {
      case RTC_SECONDS: return this.encode(f.sec);
      case RTC_MINUTES: return this.encode(f.min);
      case RTC_HOURS: return this.encodeHour(f.hour);
      case RTC_DAY_OF_WEEK: return this.encode(f.dow);
      case RTC_DAY_OF_MONTH: return this.encode(f.dom);
      case RTC_MONTH: return this.encode(f.mon);
      case RTC_YEAR: return this.encode(f.year);
      default: return this.encode(f.century);
    }
  }

  /** Register A's UIP bit: set from 244 us before each update until the update is over. */
  private uip(now: number): boolean {
    if (!this.running || (this.regB & REG_B_SET) !== 0) return false;
    const phase = (((now - this.originNs) % SECOND) + SECOND) % SECOND;
    return phase >= SECOND - UIP_WINDOW_NS;
  }

  /** Periodic interrupt period in ns (register A RS3-0 on the 32.768 kHz time base), 0 when off. */
  periodNs(): number {
    const rs = this.regA & 0x0f;
    if (rs === 0) return 0;
    const cycles = rs <= 2 ? 1 << (rs + 6) : 1 << (rs - 1);
    return (cycles * SECOND) / 32768;
  }

  private periodIndex(ns: number, period: number): number {
    return Math.floor((ns - this.originNs) / period);
  }

  /** Set PF if a periodic boundary passed since the last check. */
  private checkPeriodic(now: number): void {
    const period = this.periodNs();
    if (period > 0 && this.dividerRunning && this.periodIndex(now, period) > this.periodIndex(this.lastPeriodicCheck, period)) {
      this.regC |= REG_C_PF;
    }
    this.lastPeriodicCheck = now;
  }

  private updateIrq(): void {
    const active = ((this.regC & REG_C_PF) !== 0 && (this.regB & REG_B_PIE) !== 0)
      || ((this.regC & REG_C_AF) !== 0 && (this.regB & REG_B_AIE) !== 0)
      || ((this.regC & REG_C_UF) !== 0 && (this.regB & REG_B_UIE) !== 0);
    if (active) this.regC |= REG_C_IRQF;
    this.irq.set((this.regC & REG_C_IRQF) !== 0);
  }

  private reschedule(): void {
    this.scheduleUpdate();
    this.schedulePeriodic();
  }

  private scheduleUpdate(): void {
    if (this.running) {
      const k = Math.floor((this.now() - this.originNs) / SECOND) + 1;
      this.updateTimer.arm(this.originNs + k * SECOND);
    } else this.updateTimer.cancel();
  }

  private schedulePeriodic(): void {
    const now = this.now();
    const period = this.periodNs();
    if (period > 0 && this.dividerRunning && (this.regB & REG_B_PIE) !== 0) {
      this.periodicTimer.arm(this.originNs + Math.ceil((this.periodIndex(now, period) + 1) * period));
    } else this.periodicTimer.cancel();
  }

  /** End of an update cycle: the time registers advanced; UF, and AF if the alarm matches. */
  private updateCycle(): void {
    if (!this.running) return;
    this.regC |= REG_C_UF;
    const f = this.currentFields();
    const match = (alarm: number, value: number) => (alarm & 0xc0) === 0xc0 || alarm === value;
    if (match(this.nvram[RTC_SECONDS_ALARM]!, this.encode(f.sec))
      && match(this.nvram[RTC_MINUTES_ALARM]!, this.encode(f.min))
      && match(this.nvram[RTC_HOURS_ALARM]!, this.encodeHour(f.hour))) {
      this.regC |= REG_C_AF;
    }
    this.updateIrq();
    this.scheduleUpdate();
  }

  private periodicTick(): void {
    this.checkPeriodic(this.now());
    this.updateIrq();
    this.schedulePeriodic();
  }

  /** Read CMOS byte `reg` (0-0x7F bank 0, 0x80-0xFF bank 1) as the guest sees it. */
  readRegister(reg: number): number {
    const now = this.now();
    switch (reg) {
      case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
      case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
        return this.readTime(reg);
      case RTC_REG_A: return (this.regA & 0x7f) | (this.uip(now) ? REG_A_UIP : 0);
      case RTC_REG_B: return this.regB;
      case RTC_REG_C: {
        this.checkPeriodic(now);
        this.updateIrq();
        const v = this.regC;
        this.regC = 0;
        this.irq.lower();
        return v;
      }
      case RTC_REG_D: return REG_D_VRT;
      default: return this.nvram[reg & 0xff]!;
    }
  }

  writeRegister(reg: number, value: number): void {
    switch (reg) {
      case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
      case RTC_DAY_OF_MONTH: case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
        this.writeTime(reg, value);
        break;
      case RTC_REG_A: {
        const wasRunning = this.dividerRunning;
        this.checkPeriodic(this.now());
        this.regA = value & 0x7f;
        if (!this.dividerRunning) this.freeze();
        else if (!wasRunning && (this.regB & REG_B_SET) === 0) this.unfreeze(true);
        break;
      }
      case RTC_REG_B: {
        const wasSet = (this.regB & REG_B_SET) !== 0;
        if ((value & REG_B_SET) !== 0) {
          value &= ~REG_B_UIE; // SET clears UIE (datasheet, register B)
          this.freeze();
        } else if (wasSet && this.dividerRunning) this.unfreeze(false);
        this.regB = value;
        this.updateIrq();
        break;
      }
      case RTC_REG_C: case RTC_REG_D: break; // read-only
      default: this.nvram[reg & 0xff] = value; return;
    }
    // A boundary due exactly now is counted before the timers move.
    this.checkPeriodic(this.now());
    this.updateIrq();
    this.reschedule();
  }

  // ---- NVRAM contents the firmware reads (QEMU pc_cmos_init) ----

  /**
   * Memory size fields: 0x15/0x16 base memory (640 KiB), 0x17/0x18 and 0x30/0x31 KiB above 1 MiB
   * (up to 65535), 0x34/0x35 64 KiB units above 16 MiB below 4 GiB, 0x5B-0x5D 64 KiB units above
   * 4 GiB, 0x5F CPU count - 1.
   */
  setMemoryLayout(layout: { belowFourG: number; aboveFourG?: number; cpus?: number }): void {
    const KiB = 1024, MiB = 1024 * KiB;
    const set16 = (lo: number, v: number) => { this.nvram[lo] = v & 0xff; this.nvram[lo + 1] = (v >> 8) & 0xff; };
    set16(0x15, 640);
    const ext = Math.min(65535, layout.belowFourG > MiB ? Math.floor((layout.belowFourG - MiB) / KiB) : 0);
    set16(0x17, ext);
    set16(0x30, ext);
    const above16 = Math.min(65535, layout.belowFourG > 16 * MiB ? Math.floor((layout.belowFourG - 16 * MiB) / (64 * KiB)) : 0);
    set16(0x34, above16);
    const high = Math.floor((layout.aboveFourG ?? 0) / (64 * KiB));
    this.nvram[0x5b] = high & 0xff;
    this.nvram[0x5c] = (high >>> 8) & 0xff;
    this.nvram[0x5d] = (high >>> 16) & 0xff;
    this.nvram[0x5f] = Math.max(0, (layout.cpus ?? 1) - 1);
    this.updateChecksum();
  }

  /**
   * Boot order as SeaBIOS reads it (QEMU's -boot order): 0x3D low nibble first device, high nibble
   * second; 0x38 high nibble third, bit 0 set to skip the floppy boot-signature check.
   * Devices: 1 floppy, 2 hard disk, 3 CD-ROM, 4 network.
   */
  setBootOrder(order: ('floppy' | 'disk' | 'cdrom' | 'network')[], floppySignatureCheck = true): void {
    const code = { floppy: 1, disk: 2, cdrom: 3, network: 4 } as const;
    const dev = (i: number) => (order[i] ? code[order[i]!] : 0);
    this.nvram[0x3d] = dev(0) | (dev(1) << 4);
    this.nvram[0x38] = (dev(2) << 4) | (floppySignatureCheck ? 0 : 1);
  }

  /** The AT checksum over 0x10-0x2D, stored big-endian at 0x2E/0x2F. */
  updateChecksum(): void {
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += this.nvram[i]!;
    this.nvram[0x2e] = (sum >> 8) & 0xff;
    this.nvram[0x2f] = sum & 0xff;
  }

  readonly ports: IoHandler = {
    read: (offset) => {
      switch (offset) {
        case 1: return this.readRegister(this.index);
        case 3: return this.readRegister(0x80 | this.indexHigh);
        default: return 0xff; // the index registers are write-only
      }
    },
    write: (offset, _size, value) => {
      switch (offset) {
        case 0: this.index = value & 0x7f; this.nmiDisabled = (value & 0x80) !== 0; break;
        case 1: this.writeRegister(this.index, value); break;
        case 2: this.indexHigh = value & 0x7f; break;
        default: this.writeRegister(0x80 | this.indexHigh, value); break;
      }
    },
  };

  registerPorts(bus: PortBus): void {
    bus.register('rtc', 0x70, 4, this.ports, SIZE_1);
  }
}
