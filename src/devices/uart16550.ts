import type { IrqLine } from '../bus/irq-line.js';
import type { PortBus } from '../bus/port-bus.js';
import { SIZE_1, type IoHandler } from '../mem/io-handler.js';
import type { Timer, TimerQueue } from '../machine/timer-queue.js';
import type { CharBackend, CharFrontend } from '../backends/char.js';

/**
 * National Semiconductor PC16550D UART ("16550A": working FIFOs). Reference: the PC16550D
 * datasheet (registers, interrupt priorities in Table IV, FIFO and loopback behaviour); QEMU's
 * hw/char/serial.c for what PC guests expect.
 *
 * Transmission is instantaneous (the byte reaches the backend when THR is written, and THR is
 * empty again at once), but every interrupt follows the register semantics: THRE is raised when THR
 * empties or ETBEI is enabled with THR empty, cleared by writing THR or by reading IIR while THRE is
 * the reported source; RDA follows the FIFO trigger level; the character timeout fires after four
 * character times without FIFO activity.
 *
 * As on the PC, the interrupt output reaches the ISA IRQ line only while MCR OUT2 is set (and not
 * in loopback mode, where the OUT2 pin is forced inactive).
 */

/** The PC's COM ports: base port and ISA IRQ. */
export const COM_PORTS = [
  { base: 0x3f8, irq: 4 }, { base: 0x2f8, irq: 3 }, { base: 0x3e8, irq: 4 }, { base: 0x2e8, irq: 3 },
] as const;

export const IER_RDA = 0x01, IER_THRE = 0x02, IER_RLS = 0x04, IER_MSI = 0x08;
export const IIR_NONE = 0x01, IIR_RLS = 0x06, IIR_RDA = 0x04, IIR_TIMEOUT = 0x0c, IIR_THRE = 0x02, IIR_MSI = 0x00, IIR_FIFO = 0xc0;
export const LSR_DR = 0x01, LSR_OE = 0x02, LSR_PE = 0x04, LSR_FE = 0x08, LSR_BI = 0x10, LSR_THRE = 0x20, LSR_TEMT = 0x40, LSR_FIFO_ERR = 0x80;
export const MCR_DTR = 0x01, MCR_RTS = 0x02, MCR_OUT1 = 0x04, MCR_OUT2 = 0x08, MCR_LOOP = 0x10;
export const MSR_DCTS = 0x01, MSR_DDSR = 0x02, MSR_TERI = 0x04, MSR_DDCD = 0x08, MSR_CTS = 0x10, MSR_DSR = 0x20, MSR_RI = 0x40, MSR_DCD = 0x80;

const FIFO_SIZE = 16;
const TRIGGER_LEVELS = [1, 4, 8, 14];
/** The UART's clock: 1.8432 MHz / 16 = 115200 baud at divisor 1. */
const BASE_BAUD = 115200;

export interface UartOptions {
  /** Gate the interrupt with MCR OUT2 as PC serial cards do (default true). */
  irqGatedByOut2?: boolean;
}

export class Uart16550 implements CharFrontend {
  private readonly rx: number[] = [];
  ier = 0;
  lcr = 0;
  mcr = 0;
  /** LSR error bits (OE, PE, FE, BI) waiting to be read. */
  private lsrErrors = 0;
  scratch = 0;
  divisor = 12; // 9600 baud
  fifoEnabled = false;
  private fcr = 0;
  private thrInterrupt = false;
  private timeoutInterrupt = false;
  /** Modem inputs from the backend side (CTS, DSR, RI, DCD in MSR bit positions). */
  private inputs = MSR_CTS | MSR_DSR | MSR_DCD;
  private msrDeltas = 0;
  private msrLines: number;
  private readonly timeoutTimer: Timer;
  private readonly gated: boolean;
  private backend: CharBackend | null = null;

  constructor(readonly timers: TimerQueue, private readonly irq: IrqLine, backend: CharBackend | null = null, options: UartOptions = {}) {
    this.gated = options.irqGatedByOut2 ?? true;
    this.timeoutTimer = timers.createTimer('uart-timeout', () => {
      if (this.fifoEnabled && this.rx.length > 0) this.timeoutInterrupt = true;
      this.updateIrq();
    });
    this.msrLines = this.modemLines();
    this.attach(backend);
  }

  attach(backend: CharBackend | null): void {
    this.backend?.attach(null);
    this.backend = backend;
    backend?.attach(this);
  }

  // ---- backend side ----

  canReceive(): number {
    if ((this.mcr & MCR_LOOP) !== 0) return 0; // the serial input is disconnected in loopback
    return this.fifoEnabled ? FIFO_SIZE - this.rx.length : this.rx.length === 0 ? 1 : 0;
  }

  receive(bytes: Uint8Array): void {
    for (const b of bytes) this.receiveByte(b);
    this.updateIrq();
  }

  /** The backend's modem inputs changed (CTS/DSR/RI/DCD as MSR bits 4-7). */
  setModemInputs(msrBits: number): void {
    this.inputs = msrBits & 0xf0;
    this.modemChanged();
  }

  // ---- internals ----

  private receiveByte(b: number): void {
    if (this.fifoEnabled) {
      if (this.rx.length >= FIFO_SIZE) this.lsrErrors |= LSR_OE; // the shift register's byte is lost
      else this.rx.push(b);
    } else {
      if (this.rx.length > 0) {
        this.lsrErrors |= LSR_OE;
        this.rx[0] = b; // RBR overwritten
      } else this.rx.push(b);
    }
    this.timeoutInterrupt = false;
    this.armTimeout();
  }

  /** Nanoseconds per character at the current divisor and frame (start + data + parity + stop bits). */
  charTimeNs(): number {
    const dataBits = 5 + (this.lcr & 3);
    const parity = (this.lcr & 0x08) !== 0 ? 1 : 0;
    const stop = (this.lcr & 0x04) === 0 ? 1 : dataBits === 5 ? 1.5 : 2;
    const baud = BASE_BAUD / (this.divisor || 0x10000);
    return ((1 + dataBits + parity + stop) * 1e9) / baud;
  }

  private armTimeout(): void {
    if (this.fifoEnabled && this.rx.length > 0) this.timeoutTimer.armIn(4 * this.charTimeNs());
    else this.timeoutTimer.cancel();
  }

  private modemLines(): number {
    if ((this.mcr & MCR_LOOP) === 0) return this.inputs;
    const m = this.mcr;
    return ((m & MCR_RTS) !== 0 ? MSR_CTS : 0) | ((m & MCR_DTR) !== 0 ? MSR_DSR : 0)
      | ((m & MCR_OUT1) !== 0 ? MSR_RI : 0) | ((m & MCR_OUT2) !== 0 ? MSR_DCD : 0);
  }

  private modemChanged(): void {
    const now = this.modemLines(), before = this.msrLines;
    const changed = now ^ before;
    if (changed & MSR_CTS) this.msrDeltas |= MSR_DCTS;
    if (changed & MSR_DSR) this.msrDeltas |= MSR_DDSR;
    if (changed & MSR_DCD) this.msrDeltas |= MSR_DDCD;
    if ((before & MSR_RI) !== 0 && (now & MSR_RI) === 0) this.msrDeltas |= MSR_TERI; // trailing edge of RI
    this.msrLines = now;
    this.updateIrq();
  }

  /** The highest-priority pending interrupt as IIR bits 3:0 (datasheet Table IV). */
  private interruptId(): number {
    const ier = this.ier;
    if ((ier & IER_RLS) !== 0 && this.lsrErrors !== 0) return IIR_RLS;
    if ((ier & IER_RDA) !== 0) {
      if (this.fifoEnabled ? this.rx.length >= TRIGGER_LEVELS[this.fcr >> 6]! : this.rx.length > 0) return IIR_RDA;
      if (this.fifoEnabled && this.timeoutInterrupt) return IIR_TIMEOUT;
    }
    if ((ier & IER_THRE) !== 0 && this.thrInterrupt) return IIR_THRE;
    if ((ier & IER_MSI) !== 0 && this.msrDeltas !== 0) return IIR_MSI;
    return IIR_NONE;
  }

  private updateIrq(): void {
    const pending = this.interruptId() !== IIR_NONE;
    const enabled = !this.gated || ((this.mcr & MCR_OUT2) !== 0 && (this.mcr & MCR_LOOP) === 0);
    this.irq.set(pending && enabled);
  }

  private transmit(b: number): void {
    this.thrInterrupt = false;
    this.updateIrq(); // THR full for a moment: a pending THRE drops, so the next one is a new edge
    if ((this.mcr & MCR_LOOP) !== 0) this.receiveByte(b);
    else this.backend?.write(Uint8Array.of(b));
    // The byte is gone at once: THR (and the transmitter) are empty again.
    this.thrInterrupt = true;
  }

  private readRbr(): number {
    const b = this.rx.length > 0 ? this.rx.shift()! : 0;
    this.timeoutInterrupt = false;
    this.armTimeout();
    this.updateIrq();
    this.backend?.frontendReady();
    return b;
  }

  readRegister(reg: number): number {
    const dlab = (this.lcr & 0x80) !== 0;
    switch (reg) {
      case 0: return dlab ? this.divisor & 0xff : this.readRbr();
      case 1: return dlab ? this.divisor >> 8 : this.ier;
      case 2: {
        const id = this.interruptId();
        if (id === IIR_THRE) {
          this.thrInterrupt = false; // reading IIR with THRE as the source clears it
          this.updateIrq();
        }
        return id | (this.fifoEnabled ? IIR_FIFO : 0);
      }
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: {
        const v = (this.rx.length > 0 ? LSR_DR : 0) | this.lsrErrors | LSR_THRE | LSR_TEMT;
        this.lsrErrors = 0;
        this.updateIrq();
        return v;
      }
      case 6: {
        const v = this.msrLines | this.msrDeltas;
        this.msrDeltas = 0;
        this.updateIrq();
        return v;
      }
      default: return this.scratch;
    }
  }

  writeRegister(reg: number, value: number): void {
    const dlab = (this.lcr & 0x80) !== 0;
    switch (reg) {
      case 0:
        if (dlab) this.divisor = (this.divisor & 0xff00) | value;
        else this.transmit(value);
        break;
      case 1:
        if (dlab) this.divisor = (this.divisor & 0xff) | (value << 8);
        else {
          const was = this.ier;
          this.ier = value & 0x0f;
          // Enabling ETBEI with THR empty raises THRE at once (16550A).
          if ((this.ier & IER_THRE) !== 0 && (was & IER_THRE) === 0) this.thrInterrupt = true;
        }
        break;
      case 2: {
        const enable = (value & 1) !== 0;
        if (enable !== this.fifoEnabled) {
          this.rx.length = 0;
          this.fifoEnabled = enable;
        }
        if (enable) {
          if ((value & 0x02) !== 0) { this.rx.length = 0; this.timeoutInterrupt = false; }
          this.fcr = value & 0xc9;
        } else this.fcr = 0;
        this.armTimeout();
        this.backend?.frontendReady();
        break;
      }
      case 3: this.lcr = value; break;
      case 4: {
        const wasLoop = (this.mcr & MCR_LOOP) !== 0;
        this.mcr = value & 0x1f;
        this.modemChanged();
        if (wasLoop && (this.mcr & MCR_LOOP) === 0) this.backend?.frontendReady();
        break;
      }
      case 5: case 6: break; // LSR/MSR: factory test only
      default: this.scratch = value;
    }
    this.updateIrq();
  }

  readonly ports: IoHandler = {
    read: (offset) => this.readRegister(offset),
    write: (offset, _size, value) => this.writeRegister(offset, value),
  };

  registerPorts(bus: PortBus, base: number, name = `uart@${base.toString(16)}`): void {
    bus.register(name, base, 8, this.ports, SIZE_1);
  }
}
