import { keySequences, SET3_DEFAULT_BREAK } from './scancodes.js';

/**
 * A PS/2 (MF2) keyboard as seen from the 8042: bytes the host sends arrive through `write`, bytes
 * the keyboard sends wait in a queue the controller drains. Commands per the IBM PS/2 keyboard
 * technical reference and Brouwer's "Keyboard scancodes" (the ones BIOSes and Linux's atkbd use).
 */
export const KBD_ACK = 0xfa, KBD_RESEND = 0xfe, KBD_BAT_OK = 0xaa, KBD_ECHO = 0xee;

const QUEUE_LIMIT = 256;

export class Ps2Keyboard {
  readonly queue: number[] = [];
  scanning = true;
  scancodeSet = 2;
  leds = 0;
  /** Typematic rate/delay byte (F3). Repeat itself comes from the host's key events. */
  typematic = 0x2b;
  /** A command waiting for its parameter byte. */
  private pendingCommand = -1;
  private lastSent = 0;
  /** Set 3 per-key break behaviour: all keys (F8/FA) or the listed ones. */
  private set3AllBreak = false;
  private readonly set3Break = new Set(SET3_DEFAULT_BREAK);
  /** Called when bytes were queued (the controller moves them into its output buffer). */
  onData: (() => void) | null = null;
  /** LED state changed (bit 0 Scroll, 1 Num, 2 Caps). */
  onLeds: ((leds: number) => void) | null = null;

  private send(...bytes: number[]): void {
    for (const b of bytes) {
      if (this.queue.length < QUEUE_LIMIT) this.queue.push(b);
      this.lastSent = b;
    }
    this.onData?.();
  }

  private setDefaults(): void {
    this.scancodeSet = 2;
    this.typematic = 0x2b;
    this.set3AllBreak = false;
    this.set3Break.clear();
    for (const c of SET3_DEFAULT_BREAK) this.set3Break.add(c);
  }

  /** Power-on / reset command: defaults, scanning on, basic assurance test passed. */
  reset(): void {
    this.queue.length = 0;
    this.setDefaults();
    this.scanning = true;
    this.leds = 0;
    this.pendingCommand = -1;
  }

  /** A byte from the host (port 0x60 writes routed to the keyboard). */
  write(value: number): void {
    const pending = this.pendingCommand;
    // A parameter byte (set 3 key lists keep taking keys until the next command byte).
    if (pending >= 0 && value < 0xed) {
      this.pendingCommand = -1;
      this.parameter(pending, value);
      return;
    }
    this.pendingCommand = -1;
    switch (value) {
      case 0xff: // reset
        this.reset();
        this.send(KBD_ACK, KBD_BAT_OK);
        break;
      case 0xfe: // resend
        this.send(this.lastSent);
        break;
      case 0xf6: // set defaults
        this.setDefaults();
        this.send(KBD_ACK);
        break;
      case 0xf5: // disable scanning (and set defaults)
        this.setDefaults();
        this.scanning = false;
        this.send(KBD_ACK);
        break;
      case 0xf4: // enable scanning
        this.scanning = true;
        this.send(KBD_ACK);
        break;
      case 0xf3: case 0xed: case 0xf0: case 0xfb: case 0xfc: case 0xfd:
        this.pendingCommand = value;
        this.send(KBD_ACK);
        break;
      case 0xf2: // identify: MF2 keyboard
        this.send(KBD_ACK, 0xab, 0x83);
        break;
      case 0xee:
        this.send(KBD_ECHO);
        break;
      case 0xf7: case 0xf9: // set 3: all keys typematic / make only
        this.set3AllBreak = false;
        this.set3Break.clear();
        this.send(KBD_ACK);
        break;
      case 0xf8: case 0xfa: // set 3: all keys make/break
        this.set3AllBreak = true;
        this.send(KBD_ACK);
        break;
      default:
        this.send(KBD_RESEND);
    }
  }

  private parameter(command: number, value: number): void {
    switch (command) {
      case 0xed:
        this.leds = value & 7;
        this.onLeds?.(this.leds);
        this.send(KBD_ACK);
        break;
      case 0xf3:
        this.typematic = value & 0x7f;
        this.send(KBD_ACK);
        break;
      case 0xf0:
        if (value === 0) this.send(KBD_ACK, this.scancodeSet);
        else if (value <= 3) {
          this.scancodeSet = value;
          this.send(KBD_ACK);
        } else this.send(KBD_RESEND);
        break;
      case 0xfb: case 0xfd: // typematic only / make only: no break code
        this.set3Break.delete(value);
        this.pendingCommand = command;
        this.send(KBD_ACK);
        break;
      case 0xfc: // make/break
        this.set3Break.add(value);
        this.pendingCommand = command;
        this.send(KBD_ACK);
        break;
    }
  }

  /** A key went down (`code` as KeyboardEvent.code). Unknown keys are ignored. */
  keyDown(code: string): void {
    if (!this.scanning) return;
    const seq = keySequences(code, this.scancodeSet);
    if (seq) this.send(...seq.make);
  }

  keyUp(code: string): void {
    if (!this.scanning) return;
    const seq = keySequences(code, this.scancodeSet);
    if (!seq || seq.break.length === 0) return;
    if (this.scancodeSet === 3 && !this.set3AllBreak && !this.set3Break.has(seq.make[0]!)) return;
    this.send(...seq.break);
  }
}
