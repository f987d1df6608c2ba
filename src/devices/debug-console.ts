import type { IoHandler } from '../mem/io-handler.js';

/**
 * Bochs/QEMU "debug console" port (isa-debugcon, port 0xE9 by default; SeaBIOS also logs to
 * 0x402): every byte written goes to the output; a read returns the port's own number's low byte
 * (0xE9), which is how guests detect it.
 */
export class DebugConsole implements IoHandler {
  constructor(private readonly output: (byte: number) => void, private readonly readback = 0xe9) {}

  read(): number {
    return this.readback;
  }

  write(_offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) this.output((value >>> (8 * i)) & 0xff);
  }
}
