import type { Timer, TimerQueue } from '../../machine/timer-queue.js';
import { ApicBus, DeliveryMode, Shorthand, type ApicBusMember, type ApicMessage } from './apic-bus.js';

/**
 * A local APIC (SDM Vol. 3, chapter 11) as QEMU's pc models it: xAPIC registers on the 4 KiB page
 * at the APIC base (the board routes each vCPU's accesses to its own APIC) and x2APIC through MSRs
 * 0x800-0x8FF; ID, version 0x14 with 6 LVT entries, TPR/APR/PPR, EOI with broadcast for
 * level-triggered vectors, LDR/DFR, SVR, ISR/TMR/IRR, ESR, ICR with every delivery mode and
 * shorthand, LVT timer (one-shot, periodic, TSC-deadline; bus clock 1 GHz like QEMU), LINT0 as
 * ExtINT from the 8259 pair, LINT1, error. The APIC is the vCPU's interrupt source.
 */

/** What the APIC drives on its vCPU (the board builds it around a `Cpu`). */
export interface ApicCpuLink {
  nmi(): void;
  init(): void;
  startup(vector: number): void;
  /** Something that may unmask an interrupt changed: end the running block so the CPU looks again. */
  kick(): void;
  /** The vCPU's time-stamp counter (1 tick per ns of guest time on the board). */
  readTsc(): bigint;
  /**
   * This vCPU sent an IPI that may reach other vCPUs: with several vCPUs sharing the host thread,
   * its quantum may end here so the targets run now (the sender usually waits for them next).
   */
  ipiSent?(): void;
}

/** The ExtINT source behind LINT0 (the 8259 pair). */
export interface ExtIntSource {
  hasInterrupt(): boolean;
  acknowledge(): number;
}

export interface LocalApicOptions {
  /** Initial APIC ID (= the vCPU index on the board). */
  id: number;
  bus: ApicBus;
  timers: TimerQueue;
  cpu: ApicCpuLink;
  /** The bootstrap processor (LINT0 starts as unmasked ExtINT, QEMU apic_reset_common). */
  bsp: boolean;
  extInt?: ExtIntSource | null;
  /** Accept x2APIC mode (the CPU model reports it). */
  x2apic?: boolean;
}

export const APIC_DEFAULT_BASE = 0xfee00000;
/** Version register: version 0x14, max LVT entry 5 (timer, thermal, perf, LINT0, LINT1, error). */
export const APIC_VERSION = 0x00050014;
/** The APIC timer counts at 1 GHz divided by the divide configuration (QEMU: APIC_BUS_CYCLE_NS = 1). */
export const APIC_BUS_NS = 1;
/** Shortest periodic-timer period armed (guards the host against a timer storm). */
export const APIC_MIN_PERIOD_NS = 1000;

const BASE_BSP = 1n << 8n, BASE_EXTD = 1n << 10n, BASE_EN = 1n << 11n;

/** LVT indices and their xAPIC offsets. */
const LVT_TIMER = 0, LVT_THERMAL = 1, LVT_PERF = 2, LVT_LINT0 = 3, LVT_LINT1 = 4, LVT_ERROR = 5;
const LVT_OFFSETS = [0x320, 0x330, 0x340, 0x350, 0x360, 0x370];
/** Writable bits per LVT (SDM Vol. 3, Figure 11-8). */
const LVT_WRITABLE = [0x000700ff, 0x000107ff, 0x000107ff, 0x0001a7ff, 0x0001a7ff, 0x000100ff];
const LVT_MASKED = 0x10000;

const ESR_SEND_ILLEGAL = 1 << 5, ESR_RECEIVE_ILLEGAL = 1 << 6, ESR_ILLEGAL_REGISTER = 1 << 7;

const TIMER_ONESHOT = 0, TIMER_PERIODIC = 1, TIMER_TSC_DEADLINE = 2;

export class LocalApic implements ApicBusMember {
  readonly index: number;
  /** APIC ID (xAPIC: bits 31:24 of the ID register; x2APIC: the 32-bit ID). */
  id: number;
  base = 0n;
  tpr = 0;
  ldr = 0;
  dfr = 0xffffffff;
  svr = 0xff;
  readonly irr = new Uint32Array(8);
  readonly isr = new Uint32Array(8);
  readonly tmr = new Uint32Array(8);
  esr = 0;
  private esrPending = 0;
  icrLo = 0;
  icrHi = 0;
  readonly lvt = new Uint32Array(6);
  initialCount = 0;
  divideConfig = 0;
  tscDeadline = 0n;
  /** Guest ns when the current count was loaded (one-shot/periodic). */
  private timerStart = 0;
  /**
   * The current-count register is counting: set by a TMICT write, cleared when a one-shot count
   * reaches zero (it then reads 0 until TMICT is written again, whatever the mode becomes).
   */
  private timerRunning = false;
  private readonly timer: Timer;
  private irrCount = 0;
  private lint1Level = false;

  private readonly bus: ApicBus;
  private readonly timers: TimerQueue;
  private readonly cpu: ApicCpuLink;
  private readonly bsp: boolean;
  private readonly extInt: ExtIntSource | null;
  readonly x2apicCapable: boolean;

  constructor(options: LocalApicOptions) {
    this.index = options.id;
    this.id = options.id;
    this.bus = options.bus;
    this.timers = options.timers;
    this.cpu = options.cpu;
    this.bsp = options.bsp;
    this.extInt = options.extInt ?? null;
    this.x2apicCapable = options.x2apic ?? false;
    this.timer = options.timers.createTimer(`lapic${options.id}`, (now) => this.timerFired(now));
    options.bus.attach(this);
    this.reset();
  }

  // -------------------------------------------------------------------------------------------
  // Reset, INIT, mode

  /** Power-on / RESET (SDM Vol. 3, 11.4.7.1). */
  reset(): void {
    this.base = BigInt(APIC_DEFAULT_BASE) | BASE_EN | (this.bsp ? BASE_BSP : 0n);
    this.id = this.index;
    this.initRegisters();
  }

  /** INIT: everything but the ID, the base MSR and the mode returns to its power-up value (SDM 11.4.7.3). */
  private initRegisters(): void {
    this.tpr = 0;
    this.ldr = this.x2Mode ? this.x2Ldr() : 0;
    this.dfr = 0xffffffff;
    this.svr = 0xff;
    this.irr.fill(0);
    this.isr.fill(0);
    this.tmr.fill(0);
    this.irrCount = 0;
    this.esr = 0;
    this.esrPending = 0;
    this.icrLo = 0;
    this.icrHi = 0;
    this.lvt.fill(LVT_MASKED);
    // QEMU: LINT0 of the BSP is ExtINT at reset so the 8259 reaches the CPU before the OS sets up the APIC.
    if (this.bsp) this.lvt[LVT_LINT0] = 0x700;
    this.initialCount = 0;
    this.divideConfig = 0;
    this.tscDeadline = 0n;
    this.timerRunning = false;
    this.timer.cancel();
  }

  get hardwareEnabled(): boolean {
    return (this.base & BASE_EN) !== 0n;
  }

  get x2Mode(): boolean {
    return (this.base & BASE_EXTD) !== 0n;
  }

  get softwareEnabled(): boolean {
    return (this.svr & 0x100) !== 0;
  }

  /** Physical address of the xAPIC page, or -1 when the MMIO interface is off (disabled or x2APIC). */
  get mmioBase(): number {
    if (!this.hardwareEnabled || this.x2Mode) return -1;
    return Number(this.base & 0xffffff000n);
  }

  /** Called when the page this APIC answers at may have changed. */
  onMmioChange: (() => void) | null = null;

  /** Valid IA32_APIC_BASE transitions (SDM Vol. 3, 11.12.5, Figure 11-27). */
  baseWriteValid(value: bigint): boolean {
    const en = (value & BASE_EN) !== 0n, extd = (value & BASE_EXTD) !== 0n;
    if (extd && !en) return false;
    if (extd && !this.x2apicCapable) return false;
    if (this.x2Mode && en && !extd) return false; // x2APIC → xAPIC
    if (!this.hardwareEnabled && extd) return false; // disabled → x2APIC
    return true;
  }

  baseChanged(value: bigint): void {
    const wasEnabled = this.hardwareEnabled, wasX2 = this.x2Mode;
    this.base = value;
    if (wasEnabled && !this.hardwareEnabled) {
      // Global disable: the APIC returns to its power-up state (SDM 11.4.3: "may return to the state
      // described in 11.4.7.1"), the APIC ID included (KVM does the same: kvm-unit-tests apic
      // "correct xapic id after reset"); LINT0 passes INTR through.
      this.id = this.index;
      this.initRegisters();
    }
    if (!wasX2 && this.x2Mode) {
      // xAPIC → x2APIC: the ID becomes the x2APIC ID, the LDR is derived from it (SDM 11.12.5.1).
      this.id = this.index;
      this.ldr = this.x2Ldr();
    }
    this.onMmioChange?.();
    this.cpu.kick();
  }

  /** x2APIC logical ID: cluster (ID[19:4]) in 31:16, bit ID[3:0] in 15:0 (SDM 11.12.10.2). */
  private x2Ldr(): number {
    return (((this.id >>> 4) << 16) | (1 << (this.id & 0xf))) >>> 0;
  }

  /** INIT IPI received: the APIC part of INIT, then the vCPU resets (BSP) or waits for SIPI (AP). */
  private receiveInit(): void {
    this.initRegisters();
    this.cpu.init();
  }

  // -------------------------------------------------------------------------------------------
  // Priorities and vectors

  private static highest(bits: Uint32Array): number {
    for (let w = 7; w >= 0; w--) {
      const v = bits[w]!;
      if (v !== 0) return w * 32 + 31 - Math.clz32(v);
    }
    return -1;
  }

  private static test(bits: Uint32Array, v: number): boolean {
    return (bits[v >>> 5]! & (1 << (v & 31))) !== 0;
  }

  private static set(bits: Uint32Array, v: number, on: boolean): void {
    if (on) bits[v >>> 5] = bits[v >>> 5]! | (1 << (v & 31));
    else bits[v >>> 5] = bits[v >>> 5]! & ~(1 << (v & 31));
  }

  /** Processor priority (SDM 11.8.3.1). */
  get ppr(): number {
    const isrv = LocalApic.highest(this.isr);
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr & 0xff : isrClass;
  }

  /** Arbitration priority (SDM 11.6.2.4, Figure 11-15). */
  arbitrationPriority(): number {
    const isrv = Math.max(0, LocalApic.highest(this.isr)), irrv = Math.max(0, LocalApic.highest(this.irr));
    if ((this.tpr & 0xf0) >= (irrv & 0xf0) && (this.tpr & 0xf0) > (isrv & 0xf0)) return this.tpr & 0xff;
    return Math.max(this.tpr & 0xf0, isrv & 0xf0, irrv & 0xf0);
  }

  isFocus(vector: number): boolean {
    return (this.svr & 0x200) === 0 && (LocalApic.test(this.irr, vector) || LocalApic.test(this.isr, vector));
  }

  /** The vector the CPU would take now, or -1. */
  private deliverableVector(): number {
    if (this.irrCount === 0 || !this.softwareEnabled || !this.hardwareEnabled) return -1;
    const v = LocalApic.highest(this.irr);
    return v >= 0 && (v & 0xf0) > (this.ppr & 0xf0) ? v : -1;
  }

  private extIntPending(): boolean {
    const ext = this.extInt;
    if (ext === null) return false;
    if (this.hardwareEnabled) {
      const lvt = this.lvt[LVT_LINT0]!;
      if ((lvt & LVT_MASKED) !== 0 || ((lvt >> 8) & 7) !== DeliveryMode.ExtInt) return false;
    }
    return ext.hasInterrupt();
  }

  // InterruptSource (the vCPU's)

  hasInterrupt(): boolean {
    return this.deliverableVector() >= 0 || this.extIntPending();
  }

  acknowledge(): number {
    const v = this.deliverableVector();
    if (v >= 0) {
      LocalApic.set(this.irr, v, false);
      this.irrCount--;
      LocalApic.set(this.isr, v, true);
      return v;
    }
    if (this.extIntPending()) return this.extInt!.acknowledge();
    return this.svr & 0xff; // spurious interrupt (SDM 11.9)
  }

  /** Accept a fixed interrupt into the IRR (`level`: level-triggered, TMR set). */
  acceptInterrupt(vector: number, level: boolean): void {
    if (vector < 16) {
      this.raiseError(ESR_RECEIVE_ILLEGAL);
      return;
    }
    if (!LocalApic.test(this.irr, vector)) {
      LocalApic.set(this.irr, vector, true);
      this.irrCount++;
    }
    LocalApic.set(this.tmr, vector, level);
    this.cpu.kick();
  }

  /**
   * EOI (SDM 11.8.5): retire the highest in-service vector; broadcast when it was level-triggered.
   * The TMR bit stays as it is: it changes only when an interrupt is accepted into the IRR (set for
   * level, cleared for edge, SDM 11.8.4), so software reading the TMR after the EOI still sees how
   * the vector last arrived (kvm-unit-tests' ioapic "TMR ... (expected true)").
   */
  eoi(): void {
    const v = LocalApic.highest(this.isr);
    if (v < 0) return;
    LocalApic.set(this.isr, v, false);
    if (LocalApic.test(this.tmr, v)) this.bus.broadcastEoi(v);
    this.cpu.kick();
  }

  private raiseError(bits: number): void {
    this.esrPending |= bits;
    const lvt = this.lvt[LVT_ERROR]!;
    if ((lvt & LVT_MASKED) === 0) this.acceptInterrupt(lvt & 0xff, false);
  }

  // -------------------------------------------------------------------------------------------
  // Bus side

  matchesDestination(dest: number, logical: boolean, x2: boolean): boolean {
    if (x2 || this.x2Mode) {
      const broadcast = x2 ? 0xffffffff : 0xff;
      if ((dest >>> 0) === broadcast) return true;
      if (!logical) return (this.id >>> 0) === (dest >>> 0);
      const ldr = this.x2Mode ? this.x2Ldr() : this.ldr;
      if (!x2) return ((ldr >>> 16) === (dest >>> 4)) && (ldr & dest & 0xf) !== 0;
      return ((ldr >>> 16) === (dest >>> 16)) && (ldr & dest & 0xffff) !== 0;
    }
    dest &= 0xff;
    if (!logical) return dest === 0xff || (this.id & 0xff) === dest;
    if (dest === 0xff) return true;
    const logicalId = this.ldr >>> 24;
    if ((this.dfr >>> 28) === 0xf) return (logicalId & dest) !== 0; // flat model
    return (logicalId >> 4) === (dest >> 4) && (logicalId & dest & 0xf) !== 0; // cluster model
  }

  receive(message: ApicMessage): void {
    switch (message.mode) {
      case DeliveryMode.Fixed:
      case DeliveryMode.LowestPriority:
        if (!this.softwareEnabled) return;
        this.acceptInterrupt(message.vector, message.level);
        break;
      case DeliveryMode.Nmi:
        this.cpu.nmi();
        this.cpu.kick();
        break;
      case DeliveryMode.Init:
        this.receiveInit();
        break;
      case DeliveryMode.StartUp:
        this.cpu.startup(message.vector);
        break;
      default:
        // SMI: no SMM in this model (a no-op, as with QEMU's smm=off). ExtINT via the I/O APIC: not wired.
        break;
    }
  }

  /** Send the IPI the ICR describes (SDM 11.6.1). */
  private sendIpi(lo: number, dest: number, x2: boolean): void {
    const mode = ((lo >> 8) & 7) as DeliveryMode;
    const vector = lo & 0xff;
    const levelAssert = (lo & (1 << 14)) !== 0, levelTrigger = (lo & (1 << 15)) !== 0;
    // INIT level de-assert: no effect on Pentium 4 and later processors (SDM 11.6.1).
    if (mode === DeliveryMode.Init && !levelAssert && levelTrigger) return;
    if ((mode === DeliveryMode.Fixed || mode === DeliveryMode.LowestPriority) && vector < 16) {
      this.raiseError(ESR_SEND_ILLEGAL);
      return;
    }
    const message: ApicMessage = {
      vector, mode, logical: (lo & (1 << 11)) !== 0, dest, x2, level: false,
      shorthand: ((lo >> 18) & 3) as Shorthand,
    };
    const targets = this.bus.deliver(message, this);
    // Only when the IPI went elsewhere: one to this vCPU is taken at its next instruction boundary.
    if (targets.length > 0 && !targets.includes(this)) this.cpu.ipiSent?.();
  }

  /** LINT1 input (NMI on the PC): delivered per its LVT on a rising edge. */
  setLint1(level: boolean): void {
    const rising = level && !this.lint1Level;
    this.lint1Level = level;
    if (!rising) return;
    this.localDeliver(LVT_LINT1);
  }

  private localDeliver(index: number): void {
    const lvt = this.lvt[index]!;
    if ((lvt & LVT_MASKED) !== 0) return;
    switch ((lvt >> 8) & 7) {
      case DeliveryMode.Fixed: this.acceptInterrupt(lvt & 0xff, false); break;
      case DeliveryMode.Nmi: this.cpu.nmi(); this.cpu.kick(); break;
      case DeliveryMode.Init: this.receiveInit(); break;
      default: break;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Timer (SDM 11.5.4)

  private get timerMode(): number {
    return (this.lvt[LVT_TIMER]! >> 17) & 3;
  }

  /** Divisor from the divide configuration register (bits 0, 1, 3). */
  get divisor(): number {
    const v = ((this.divideConfig & 8) >> 1) | (this.divideConfig & 3);
    return v === 7 ? 1 : 2 << v;
  }

  private get countNs(): number {
    return this.divisor * APIC_BUS_NS;
  }

  currentCount(now = this.timers.clock.now()): number {
    if (!this.timerRunning || this.initialCount === 0 || this.timerMode === TIMER_TSC_DEADLINE) return 0;
    const elapsed = Math.floor((now - this.timerStart) / this.countNs);
    if (this.timerMode === TIMER_PERIODIC) return this.initialCount - (elapsed % this.initialCount);
    return Math.max(0, this.initialCount - elapsed);
  }

  private startTimer(): void {
    this.timer.cancel();
    this.timerRunning = false;
    if (this.initialCount === 0 || this.timerMode === TIMER_TSC_DEADLINE) return;
    this.timerRunning = true;
    this.timerStart = this.timers.clock.now();
    this.timer.arm(this.timerStart + this.initialCount * this.countNs);
  }

  /**
   * One-shot ↔ periodic while counting: the count goes on from where it is (SDM 11.5.4: the mode
   * selects what happens when the count reaches zero). A one-shot count that already reached zero
   * stays at zero in periodic mode until TMICT is written (KVM and QEMU behave so; kvm-unit-tests
   * apic "TMCCT should stay at zero").
   */
  private countModeChanged(oldMode: number): void {
    if (!this.timerRunning || this.initialCount === 0) return;
    const now = this.timers.clock.now();
    const period = this.initialCount * this.countNs;
    if (oldMode === TIMER_ONESHOT && now - this.timerStart >= period) {
      // Expired: the pending event (if not run yet) still delivers the one-shot interrupt.
      this.timerRunning = false;
      return;
    }
    if (oldMode === TIMER_PERIODIC) {
      // Continue from the current period: the one-shot count ends at this period's end.
      this.timerStart += Math.floor((now - this.timerStart) / period) * period;
    }
    this.timer.arm(this.timerStart + period);
  }

  private armDeadline(): void {
    this.timer.cancel();
    if (this.timerMode !== TIMER_TSC_DEADLINE || this.tscDeadline === 0n) return;
    const delta = this.tscDeadline - this.cpu.readTsc();
    // The interrupt comes when the TSC reaches or passes the target (SDM 11.5.4.1): a deadline that
    // has already passed fires now, before the instruction after the WRMSR.
    if (delta <= 0n) this.timerFired(this.timers.clock.now());
    else this.timer.armIn(Number(delta));
  }

  private timerFired(now: number): void {
    const mode = this.timerMode;
    if (mode === TIMER_TSC_DEADLINE) {
      if (this.tscDeadline === 0n) return;
      this.tscDeadline = 0n;
    } else if (!this.timerRunning) {
      // A one-shot count that expired before a switch to periodic: its interrupt is still due.
    } else if (mode === TIMER_ONESHOT) {
      this.timerRunning = false;
    } else if (this.initialCount !== 0) {
      const period = this.initialCount * this.countNs;
      // Next period boundary after `now` (periods missed while the host was busy are coalesced).
      const periods = Math.max(1, Math.floor((now - this.timerStart) / period));
      this.timerStart += periods * period;
      this.timer.arm(this.timerStart + Math.max(period, APIC_MIN_PERIOD_NS));
    }
    this.localDeliver(LVT_TIMER);
  }

  // -------------------------------------------------------------------------------------------
  // Register file (offsets as on the xAPIC page; x2APIC MSR n = 0x800 + offset / 16)

  private readRegister(offset: number): number | null {
    if (offset >= 0x100 && offset < 0x280) {
      const i = (offset - 0x100) >> 4;
      return (i < 8 ? this.isr[i]! : i < 16 ? this.tmr[i - 8]! : this.irr[i - 16]!) | 0;
    }
    const lvtIndex = LVT_OFFSETS.indexOf(offset);
    if (lvtIndex >= 0) return this.lvt[lvtIndex]! | 0;
    switch (offset) {
      case 0x20: return this.x2Mode ? this.id : (this.id & 0xff) << 24;
      case 0x30: return APIC_VERSION;
      case 0x80: return this.tpr;
      case 0x90: return this.arbitrationPriority();
      case 0xa0: return this.ppr;
      case 0xb0: return 0;
      case 0xd0: return this.ldr | 0;
      case 0xe0: return this.dfr | 0;
      case 0xf0: return this.svr;
      case 0x280: return this.esr;
      case 0x300: return this.icrLo & ~(1 << 12); // delivery status: always idle (sent at once)
      case 0x310: return this.icrHi | 0;
      case 0x380: return this.initialCount | 0;
      case 0x390: return this.currentCount() | 0;
      case 0x3e0: return this.divideConfig;
      default: return null;
    }
  }

  private writeRegister(offset: number, value: number): boolean {
    const lvtIndex = LVT_OFFSETS.indexOf(offset);
    if (lvtIndex >= 0) {
      let v = value & LVT_WRITABLE[lvtIndex]!;
      if (lvtIndex === LVT_TIMER && ((v >> 17) & 3) === 3) v &= ~(1 << 18); // reserved mode
      if (!this.softwareEnabled) v |= LVT_MASKED;
      const oldMode = this.timerMode;
      this.lvt[lvtIndex] = v;
      if (lvtIndex === LVT_TIMER && oldMode !== this.timerMode) {
        if (oldMode === TIMER_TSC_DEADLINE || this.timerMode === TIMER_TSC_DEADLINE) {
          // Switching between TSC-deadline and the count modes disarms the timer (SDM 11.5.4.1).
          this.timer.cancel();
          this.initialCount = 0;
          this.tscDeadline = 0n;
          this.timerRunning = false;
        } else {
          this.countModeChanged(oldMode);
        }
      }
      this.cpu.kick();
      return true;
    }
    switch (offset) {
      case 0x20:
        if (!this.x2Mode) this.id = value >>> 24;
        return true;
      case 0x80:
        this.writeTpr(value);
        return true;
      case 0xb0:
        this.eoi();
        return true;
      case 0xd0:
        if (!this.x2Mode) this.ldr = value & 0xff000000;
        return true;
      case 0xe0:
        this.dfr = (value | 0x0fffffff) >>> 0;
        return true;
      case 0xf0: {
        this.svr = value & 0x13ff & ~0x1000; // no EOI-broadcast suppression (version bit 24 clear)
        if (!this.softwareEnabled) for (let i = 0; i < 6; i++) this.lvt[i] = this.lvt[i]! | LVT_MASKED;
        this.cpu.kick();
        return true;
      }
      case 0x280:
        // A write updates the ESR with the errors since the last update (SDM 11.5.3).
        this.esr = this.esrPending;
        this.esrPending = 0;
        return true;
      case 0x300:
        this.icrLo = value & 0x000ccfff;
        this.sendIpi(value, this.icrHi >>> 24, false);
        return true;
      case 0x310:
        this.icrHi = value & 0xff000000;
        return true;
      case 0x380:
        this.initialCount = value >>> 0;
        if (this.timerMode !== TIMER_TSC_DEADLINE) this.startTimer();
        return true;
      case 0x3e0: {
        const current = this.currentCount();
        this.divideConfig = value & 0xb;
        if (this.timerRunning && this.initialCount !== 0 && this.timerMode !== TIMER_TSC_DEADLINE) {
          // Keep the current count, continue counting at the new rate.
          this.timerStart = this.timers.clock.now() - (this.initialCount - current) * this.countNs;
          this.timer.arm(this.timers.clock.now() + current * this.countNs);
        }
        return true;
      }
      case 0x30: case 0x90: case 0xa0: case 0xc0: case 0x390:
        return true; // read-only: writes ignored
      default:
        return (offset >= 0x100 && offset < 0x280);
    }
  }

  // CpuLocalApic

  readTpr(): number {
    return this.tpr;
  }

  writeTpr(value: number): void {
    this.tpr = value & 0xff;
    this.cpu.kick();
  }

  /** xAPIC MMIO read (offset within the page; 1, 2 or 4 bytes of the 32-bit register). */
  mmioRead(offset: number, size: number): number {
    const reg = offset & 0xff0;
    const value = this.readRegister(reg);
    if (value === null) {
      if (reg !== 0x2f0) this.raiseError(ESR_ILLEGAL_REGISTER);
      return 0;
    }
    const shift = (offset & 3) * 8;
    if ((offset & 0xf) >= 4) return 0; // bytes 4-15 of each 16-byte slot are reserved
    const v = (value >>> shift);
    return size === 4 ? v >>> 0 : v & ((1 << (size * 8)) - 1);
  }

  /** xAPIC MMIO write; partial writes merge into the 32-bit register. */
  mmioWrite(offset: number, size: number, value: number): void {
    const reg = offset & 0xff0;
    if ((offset & 0xf) >= 4) return;
    let v = value >>> 0;
    if (size < 4) {
      const shift = (offset & 3) * 8, mask = ((1 << (size * 8)) - 1) << shift;
      const old = this.readRegister(reg) ?? 0;
      v = ((old & ~mask) | ((value << shift) & mask)) >>> 0;
    }
    if (!this.writeRegister(reg, v)) this.raiseError(ESR_ILLEGAL_REGISTER);
  }

  /** RDMSR 0x800-0x8FF (x2APIC mode only) and IA32_TSC_DEADLINE; null means #GP. */
  readMsr(index: number): bigint | null {
    if (index === 0x6e0) return this.timerMode === TIMER_TSC_DEADLINE ? this.tscDeadline : 0n;
    if (!this.x2Mode) return null;
    const offset = (index - 0x800) << 4;
    // Not in x2APIC: DFR (0x80E), APR (0x809), ICR high (0x831), EOI and SELF IPI are write-only.
    if (offset === 0xe0 || offset === 0x90 || offset === 0x310 || offset === 0xb0 || offset === 0x3f0 || offset === 0xc0) return null;
    if (offset === 0x300) return (BigInt(this.icrHi >>> 0) << 32n) | BigInt(this.icrLo >>> 0);
    const value = this.readRegister(offset);
    return value === null ? null : BigInt(value >>> 0);
  }

  /** WRMSR 0x800-0x8FF and IA32_TSC_DEADLINE; false means #GP (x2APIC rules, SDM 11.12.1.2). */
  writeMsr(index: number, value: bigint): boolean {
    if (index === 0x6e0) {
      if (this.timerMode !== TIMER_TSC_DEADLINE) return true; // ignored outside TSC-deadline mode
      this.tscDeadline = value;
      this.armDeadline();
      return true;
    }
    if (!this.x2Mode) return false;
    const offset = (index - 0x800) << 4;
    if (offset === 0x300) {
      // The ICR is one 64-bit register: destination in 63:32 (SDM 11.12.9).
      const lo = Number(value & 0xffffffffn), hi = Number(value >> 32n);
      if ((lo & ~0x000ccfff) !== 0) return false;
      this.icrLo = lo;
      this.icrHi = hi;
      this.sendIpi(lo, hi >>> 0, true);
      return true;
    }
    if ((value >> 32n) !== 0n) return false;
    const v = Number(value);
    switch (offset) {
      case 0x3f0: // SELF IPI: vector in 7:0
        if ((v & ~0xff) !== 0) return false;
        if (v < 16) this.raiseError(ESR_SEND_ILLEGAL);
        else this.acceptInterrupt(v, false);
        return true;
      case 0xb0: // EOI: writing a non-zero value raises #GP
        if (v !== 0) return false;
        this.eoi();
        return true;
      case 0x80:
        if ((v & ~0xff) !== 0) return false;
        this.writeTpr(v);
        return true;
      case 0x280:
        if (v !== 0) return false;
        return this.writeRegister(offset, v);
      case 0xf0:
        if ((v & ~0x13ff) !== 0) return false;
        return this.writeRegister(offset, v);
      case 0x320: case 0x330: case 0x340: case 0x350: case 0x360: case 0x370: case 0x380: case 0x3e0:
        return this.writeRegister(offset, v);
      default:
        return false; // read-only or not an x2APIC register
    }
  }
}
