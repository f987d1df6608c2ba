import type { PortBus } from '../bus/port-bus.js';
import { SIZE_1, type IoHandler } from '../mem/io-handler.js';

/**
 * The POST diagnostic port 0x80: firmware writes progress codes here (a POST card shows them).
 * Guests also use writes to 0x80 as a short I/O delay, so a write must be cheap. Reads return the
 * last code written (as most chipsets latch it).
 */
export class PostPort implements IoHandler {
  last = 0;
  /** Every code written, newest last (bounded). */
  readonly history: number[] = [];
  onCode: ((code: number) => void) | null = null;

  read(): number {
    return this.last;
  }

  write(_offset: number, _size: number, value: number): void {
    this.last = value & 0xff;
    if (this.history.length >= 256) this.history.shift();
    this.history.push(this.last);
    this.onCode?.(this.last);
  }

  registerPorts(bus: PortBus, port = 0x80): void {
    bus.register('post', port, 1, this, SIZE_1);
  }
}
