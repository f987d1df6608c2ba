import { IrqLine } from '../bus/irq-line.js';
import type { PortBus } from '../bus/port-bus.js';
import { SIZE_1, type IoHandler } from '../mem/io-handler.js';

/**
 * Intel 8259A programmable interrupt controller, cascaded as on the PC/AT: the master at
 * 0x20/0x21, the slave at 0xA0/0xA1 on the master's IR2, plus the PIIX edge/level control
 * registers (ELCR) at 0x4D0/0x4D1. References: Intel 8259A datasheet (231468), Intel PIIX3
 * datasheet (ELCR), and QEMU's hw/intc/i8259.c for how PC guests drive it.
 */

/** One 8259A. Bit n of each register is IRn. */
export class I8259 {
  /** Interrupt request register. */
  irr = 0;
  /** In-service register. */
  isr = 0;
  /** Interrupt mask register (OCW1). */
  imr = 0;
  /** Current levels of the IR inputs (for edge detection). */
  inputs = 0;
  /** PIIX ELCR: 1 = level-triggered input. */
  elcr = 0;
  /** ICW1 LTIM: every input level-triggered. */
  levelTriggeredAll = false;
  /** IR that has the lowest priority is (lowestPriority); the highest is lowestPriority + 1 (mod 8). */
  lowestPriority = 7;
  vectorBase = 0;
  /** OCW3 RR/RIS: read ISR instead of IRR. */
  readIsr = false;
  /** OCW3 P: the next read is a poll. */
  poll = false;
  specialMask = false;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  singleMode = false;
  /** ICW3: master = which IRs have slaves; slave = its cascade identity. */
  cascade = 0;
  /** 0: operational; 1..3: expecting ICW2..ICW4. */
  initStep = 0;
  private needIcw4 = false;
  /** Current INT output. */
  output = false;

  constructor(
    readonly isMaster: boolean,
    /** Bits of ELCR that are implemented (PIIX: master 0xF8, slave 0xDE). */
    readonly elcrMask: number,
    private readonly onOutput: (level: boolean) => void,
  ) {}

  get levelMask(): number {
    return this.levelTriggeredAll ? 0xff : this.elcr;
  }

  /** Drive input IRn to `level`. */
  setInput(n: number, level: boolean): void {
    const bit = 1 << n;
    const was = (this.inputs & bit) !== 0;
    if (level) {
      this.inputs |= bit;
      // Level-triggered: IRR follows the input; edge-triggered: a rising edge latches the request.
      if ((this.levelMask & bit) !== 0 || !was) this.irr |= bit;
    } else {
      this.inputs &= ~bit;
      if ((this.levelMask & bit) !== 0) this.irr &= ~bit;
    }
    this.update();
  }

  /** Priority rank of IRn: 0 is the highest. */
  private rank(n: number): number {
    return (n - this.lowestPriority - 1) & 7;
  }

  /** The IR with the highest priority among `bits`, or -1. */
  private highest(bits: number): number {
    if (bits === 0) return -1;
    for (let r = 0; r < 8; r++) {
      const n = (r + this.lowestPriority + 1) & 7;
      if ((bits & (1 << n)) !== 0) return n;
    }
    return -1;
  }

  /**
   * The IR that would be acknowledged now, or -1: the highest-priority unmasked request that has a
   * higher priority than every level in service (datasheet "Fully nested mode"). In special mask
   * mode masked in-service levels do not block; in special fully nested mode (master) a slave in
   * service does not block further (higher-priority) requests from that same slave.
   */
  pending(): number {
    const req = this.highest(this.irr & ~this.imr);
    if (req < 0) return -1;
    let inService = this.isr;
    if (this.specialMask) inService &= ~this.imr;
    const cur = this.highest(inService);
    if (cur >= 0 && this.rank(req) >= this.rank(cur)) {
      // SFNM: a request on a cascade IR while that IR is in service still goes through.
      if (!(this.specialFullyNested && this.isMaster && req === cur && (this.cascade & (1 << req)) !== 0)) return -1;
    }
    return req;
  }

  update(): void {
    const out = this.pending() >= 0;
    if (out !== this.output) {
      this.output = out;
      this.onOutput(out);
    }
  }

  /** INTA for IRn chosen by `pending()`: move it from IRR to ISR (or just EOI it in AEOI mode). */
  acknowledge(n: number): void {
    const bit = 1 << n;
    // An edge-triggered request is consumed by the acknowledge; a level request stays while the input is high.
    if ((this.levelMask & bit) === 0) this.irr &= ~bit;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowestPriority = n;
    } else {
      this.isr |= bit;
    }
    this.update();
  }

  read(offset: number, pollAck: () => number): number {
    if (this.poll) {
      this.poll = false;
      return pollAck();
    }
    if (offset === 0) return this.readIsr ? this.isr : this.irr;
    return this.imr;
  }

  write(offset: number, value: number): void {
    if (offset === 0) {
      if ((value & 0x10) !== 0) this.icw1(value);
      else if ((value & 0x08) !== 0) this.ocw3(value);
      else this.ocw2(value);
    } else {
      switch (this.initStep) {
        case 0: this.imr = value; break;
        case 1:
          this.vectorBase = value & 0xf8;
          this.initStep = this.singleMode ? (this.needIcw4 ? 3 : 0) : 2;
          break;
        case 2:
          this.cascade = value;
          this.initStep = this.needIcw4 ? 3 : 0;
          break;
        case 3:
          this.autoEoi = (value & 0x02) !== 0;
          this.specialFullyNested = (value & 0x10) !== 0;
          this.initStep = 0;
          break;
      }
    }
    this.update();
  }

  /** ICW1 (datasheet "Initialization command words"): reset to a known state, then expect ICW2.. */
  private icw1(value: number): void {
    this.needIcw4 = (value & 0x01) !== 0;
    this.singleMode = (value & 0x02) !== 0;
    this.levelTriggeredAll = (value & 0x08) !== 0;
    this.imr = 0;
    this.isr = 0;
    // The edge sense circuit is reset: an edge-triggered input must go low then high again.
    this.irr = this.inputs & this.levelMask;
    this.lowestPriority = 7;
    this.specialMask = false;
    this.readIsr = false;
    this.poll = false;
    // With IC4 = 0 every ICW4 function is cleared.
    this.autoEoi = false;
    this.rotateOnAutoEoi = false;
    this.specialFullyNested = false;
    this.initStep = 1;
  }

  /** OCW2: end of interrupt and priority rotation. */
  private ocw2(value: number): void {
    const level = value & 7;
    switch (value >> 5) {
      case 0: this.rotateOnAutoEoi = false; break; // clear rotate in AEOI mode
      case 4: this.rotateOnAutoEoi = true; break; // set rotate in AEOI mode
      case 1: case 5: { // non-specific EOI; with R: rotate
        const n = this.highest(this.isr);
        if (n >= 0) {
          this.isr &= ~(1 << n);
          if ((value & 0x80) !== 0) this.lowestPriority = n;
        }
        break;
      }
      case 3: this.isr &= ~(1 << level); break; // specific EOI
      case 7: this.isr &= ~(1 << level); this.lowestPriority = level; break; // rotate on specific EOI
      case 6: this.lowestPriority = level; break; // set priority
      default: break; // 2: no operation
    }
  }

  /** OCW3: special mask mode, poll, register read select. */
  private ocw3(value: number): void {
    if ((value & 0x02) !== 0) this.readIsr = (value & 0x01) !== 0;
    if ((value & 0x04) !== 0) this.poll = true;
    if ((value & 0x40) !== 0) this.specialMask = (value & 0x20) !== 0;
  }
}

/** The PC/AT pair of 8259As: the CPU's interrupt source (`cpu.interruptSource = pic`). */
export class Pic8259 {
  readonly master: I8259;
  readonly slave: I8259;
  private readonly lines: IrqLine[] = [];
  /** The master's INT output changed (the machine wakes a halted vCPU on a rising output). */
  onOutput: ((level: boolean) => void) | null = null;

  constructor() {
    this.master = new I8259(true, 0xf8, (level) => this.onOutput?.(level));
    this.slave = new I8259(false, 0xde, (level) => this.master.setInput(2, level));
    for (let n = 0; n < 16; n++) {
      this.lines.push(new IrqLine((level) => (n < 8 ? this.master : this.slave).setInput(n & 7, level), `irq${n}`));
    }
  }

  /** The input line for ISA IRQ `n` (0-15; IRQ2 is the cascade and IRQ9 takes the PC/AT's IRQ2 devices). */
  irq(n: number): IrqLine {
    const line = this.lines[n];
    if (line === undefined) throw new Error(`no i8259 input ${n}`);
    return line;
  }

  /** Set IRQ `n` directly (for an IOAPIC-less machine's wiring code). */
  setIrq(n: number, level: boolean): void {
    this.irq(n).set(level);
  }

  // InterruptSource

  hasInterrupt(): boolean {
    return this.master.output;
  }

  /**
   * INTA cycle. With nothing pending any more (the request went away before the acknowledge) the
   * 8259A answers with IR7 without setting its in-service bit: the spurious IRQ7 (or IRQ15 from the
   * slave, after which the master's IR2 is still in service and needs its EOI).
   */
  acknowledge(): number {
    const m = this.master;
    const n = m.pending();
    if (n < 0) return m.vectorBase + 7;
    m.acknowledge(n);
    if (n === 2 && !m.singleMode) {
      const s = this.slave;
      const k = s.pending();
      if (k < 0) return s.vectorBase + 7;
      s.acknowledge(k);
      return s.vectorBase + k;
    }
    return m.vectorBase + n;
  }

  /** The poll word (OCW3 P): 0x80 | IR when a request is pending (and acknowledged), else 0. */
  private pollChip(chip: I8259): number {
    const n = chip.pending();
    if (n < 0) return 0;
    chip.acknowledge(n);
    if (chip === this.master && n === 2 && !chip.singleMode) {
      // The slave's own request, as if the master's poll went through the cascade (QEMU does the same).
      const k = this.slave.pending();
      if (k >= 0) this.slave.acknowledge(k);
    }
    return 0x80 | n;
  }

  readonly masterPorts: IoHandler = {
    read: (offset) => this.master.read(offset, () => this.pollChip(this.master)),
    write: (offset, _size, value) => this.master.write(offset, value),
  };

  readonly slavePorts: IoHandler = {
    read: (offset) => this.slave.read(offset, () => this.pollChip(this.slave)),
    write: (offset, _size, value) => this.slave.write(offset, value),
  };

  /** PIIX ELCR1 (0x4D0, IRQ0-7) and ELCR2 (0x4D1, IRQ8-15). IRQ0-2, 8 and 13 are always edge. */
  readonly elcrPorts: IoHandler = {
    read: (offset) => (offset === 0 ? this.master.elcr : this.slave.elcr),
    write: (offset, _size, value) => {
      const chip = offset === 0 ? this.master : this.slave;
      chip.elcr = value & chip.elcrMask;
      chip.irr = (chip.irr & ~chip.levelMask) | (chip.inputs & chip.levelMask);
      chip.update();
    },
  };

  registerPorts(bus: PortBus): void {
    bus.register('pic-master', 0x20, 2, this.masterPorts, SIZE_1);
    bus.register('pic-slave', 0xa0, 2, this.slavePorts, SIZE_1);
    bus.register('elcr', 0x4d0, 2, this.elcrPorts, SIZE_1);
  }
}
