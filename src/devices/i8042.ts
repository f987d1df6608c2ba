import type { IrqLine } from '../bus/irq-line.js';
import type { PortBus } from '../bus/port-bus.js';
import { SIZE_1, type IoHandler } from '../mem/io-handler.js';
import { Ps2Keyboard } from './ps2-keyboard.js';
import { Ps2Mouse } from './ps2-mouse.js';
import { translateSet2 } from './scancodes.js';

/**
 * The 8042 keyboard controller of the PC/AT and PS/2 (data port 0x60, command/status port 0x64)
 * with its keyboard and auxiliary (mouse) ports. Reference: IBM PS/2 hardware interface technical
 * reference (keyboard/auxiliary device controller); QEMU's hw/input/pckbd.c and Linux's i8042
 * driver for the commands guests use.
 */
export const STATUS_OBF = 0x01, STATUS_IBF = 0x02, STATUS_SYS = 0x04, STATUS_CMD = 0x08, STATUS_UNLOCKED = 0x10, STATUS_AUXB = 0x20;
export const CCB_KBD_INT = 0x01, CCB_AUX_INT = 0x02, CCB_SYS = 0x04, CCB_KBD_DISABLE = 0x10, CCB_AUX_DISABLE = 0x20, CCB_XLAT = 0x40;
export const OUT_RESET = 0x01, OUT_A20 = 0x02, OUT_KBD_OBF = 0x10, OUT_AUX_OBF = 0x20;

export interface I8042Options {
  irq1: IrqLine;
  irq12: IrqLine;
  /** The A20 gate (output port bit 1). */
  a20?: IrqLine;
  /** Output port bit 0 went low (0xD1 with bit 0 clear, or the 0xFE pulse): reset the CPU. */
  requestReset?: () => void;
}

export class I8042 {
  readonly keyboard = new Ps2Keyboard();
  readonly mouse = new Ps2Mouse();
  /** The controller's RAM; byte 0 is the command byte. */
  readonly ram = new Uint8Array(32);
  status = STATUS_UNLOCKED;
  outputPort = 0xcf; // reset line high, A20 enabled, clock/data lines high
  /** The output buffer: a byte the host has not read yet. */
  private output = 0;
  private outputFull = false;
  private outputAux = false;
  /** Responses to controller commands (and 0xD2/0xD3 bytes: value | 0x100 for the aux port), ahead of device data. */
  private readonly controllerQueue: number[] = [];
  /** A command whose data byte is expected at port 0x60. */
  private pendingCommand = -1;
  /** Translation: a set 2 0xF0 prefix was seen; the next byte is a break code. */
  private xlatBreak = false;

  constructor(private readonly options: I8042Options) {
    this.ram[0] = CCB_KBD_INT | CCB_SYS | CCB_XLAT;
    this.keyboard.onData = () => this.refill();
    this.mouse.onData = () => this.refill();
    options.a20?.set(true);
  }

  get commandByte(): number {
    return this.ram[0]!;
  }

  /** Move the next byte into the output buffer if it is empty (controller, then keyboard, then mouse). */
  private refill(): void {
    if (!this.outputFull) {
      const ccb = this.commandByte;
      if (this.controllerQueue.length > 0) {
        const v = this.controllerQueue.shift()!;
        this.fill(v & 0xff, v > 0xff);
      }
      else if ((ccb & CCB_KBD_DISABLE) === 0 && this.keyboard.queue.length > 0) {
        while (this.keyboard.queue.length > 0) {
          let b = this.keyboard.queue.shift()!;
          if ((ccb & CCB_XLAT) !== 0) {
            if (b === 0xf0) { this.xlatBreak = true; continue; }
            b = translateSet2(b);
            if (this.xlatBreak) { b |= 0x80; this.xlatBreak = false; }
          }
          this.fill(b, false);
          break;
        }
      } else if ((ccb & CCB_AUX_DISABLE) === 0 && this.mouse.queue.length > 0) this.fill(this.mouse.queue.shift()!, true);
    }
    this.updateIrq();
  }

  private fill(value: number, aux: boolean): void {
    this.output = value;
    this.outputFull = true;
    this.outputAux = aux;
  }

  private updateIrq(): void {
    const ccb = this.commandByte;
    this.options.irq1.set(this.outputFull && !this.outputAux && (ccb & CCB_KBD_INT) !== 0);
    this.options.irq12.set(this.outputFull && this.outputAux && (ccb & CCB_AUX_INT) !== 0);
  }

  /** Queue a controller answer, or a byte as if it came from the keyboard (0xD2) or the mouse (0xD3, `aux`). */
  private respond(value: number, aux = false): void {
    this.controllerQueue.push(value | (aux ? 0x100 : 0));
    this.refill();
  }

  readStatus(): number {
    let s = this.status & ~(STATUS_OBF | STATUS_AUXB | STATUS_SYS);
    if (this.outputFull) s |= STATUS_OBF | (this.outputAux ? STATUS_AUXB : 0);
    if ((this.commandByte & CCB_SYS) !== 0 || (this.status & STATUS_SYS) !== 0) s |= STATUS_SYS;
    return s;
  }

  readData(): number {
    const v = this.output;
    if (this.outputFull) {
      this.outputFull = false;
      this.updateIrq(); // the line drops before the next byte raises it again: a new edge
      this.refill();
    }
    return v;
  }

  private setOutputPort(value: number): void {
    this.outputPort = value;
    this.options.a20?.set((value & OUT_A20) !== 0);
    if ((value & OUT_RESET) === 0) this.options.requestReset?.();
  }

  writeCommand(cmd: number): void {
    this.status |= STATUS_CMD;
    this.pendingCommand = -1;
    if (cmd >= 0x20 && cmd <= 0x3f) { this.respond(this.ram[cmd & 0x1f]!); return; }
    if (cmd >= 0x60 && cmd <= 0x7f) { this.pendingCommand = cmd; return; }
    if (cmd >= 0xf0) {
      // Pulse output port bits 0-3 low for each 0 bit: bit 0 is the CPU reset line.
      if ((cmd & 1) === 0) this.options.requestReset?.();
      return;
    }
    switch (cmd) {
      case 0xa7: this.ram[0] |= CCB_AUX_DISABLE; break;
      case 0xa8: this.ram[0] &= ~CCB_AUX_DISABLE; this.refill(); break;
      case 0xa9: this.respond(0x00); break; // auxiliary interface test: no error
      case 0xaa: // controller self-test
        this.status |= STATUS_SYS;
        this.respond(0x55);
        break;
      case 0xab: this.respond(0x00); break; // keyboard interface test: no error
      case 0xad: this.ram[0] |= CCB_KBD_DISABLE; break;
      case 0xae: this.ram[0] &= ~CCB_KBD_DISABLE; this.refill(); break;
      case 0xc0: this.respond(0x80); break; // input port: keyboard not inhibited
      case 0xd0: {
        let v = this.outputPort & ~(OUT_KBD_OBF | OUT_AUX_OBF);
        if (this.outputFull) v |= this.outputAux ? OUT_AUX_OBF : OUT_KBD_OBF;
        this.respond(v);
        break;
      }
      case 0xd1: case 0xd2: case 0xd3: case 0xd4: this.pendingCommand = cmd; break;
      case 0xdd: this.setOutputPort(this.outputPort & ~OUT_A20); break;
      case 0xdf: this.setOutputPort(this.outputPort | OUT_A20); break;
      case 0xe0: this.respond(0x00); break; // test inputs
      default: break; // unknown commands are ignored
    }
  }

  writeData(value: number): void {
    this.status &= ~STATUS_CMD;
    const cmd = this.pendingCommand;
    this.pendingCommand = -1;
    if (cmd >= 0x60 && cmd <= 0x7f) {
      this.ram[cmd & 0x1f] = value;
      if (cmd === 0x60) {
        this.xlatBreak = false;
        this.refill();
      }
      return;
    }
    switch (cmd) {
      case 0xd1: this.setOutputPort(value); return;
      case 0xd2: this.respond(value); return; // as if from the keyboard
      case 0xd3: this.respond(value, true); return; // as if from the mouse
      case 0xd4: this.mouse.write(value); return;
      default:
        // Data for the keyboard; sending to it re-enables the keyboard interface (as QEMU's pckbd does).
        this.ram[0] &= ~CCB_KBD_DISABLE;
        this.keyboard.write(value);
        this.refill();
    }
  }

  readonly dataPort: IoHandler = { read: () => this.readData(), write: (_o, _s, v) => this.writeData(v) };
  readonly commandPort: IoHandler = { read: () => this.readStatus(), write: (_o, _s, v) => this.writeCommand(v) };

  registerPorts(bus: PortBus): void {
    bus.register('i8042-data', 0x60, 1, this.dataPort, SIZE_1);
    bus.register('i8042-cmd', 0x64, 1, this.commandPort, SIZE_1);
  }
}
