import type { PortBus } from '../bus/port-bus.js';
import { ALL_SIZES, type IoHandler } from '../mem/io-handler.js';

/**
 * QEMU's isa-debug-exit device (default iobase 0xF4, size 4 bytes of which the access size is
 * what the guest uses): a write of `value` ends the emulator with exit status (value << 1) | 1, so
 * test kernels can report success/failure. Delivered as a callback; the machine decides how to stop.
 * Reads return all ones, as an unclaimed port would.
 */
export class IsaDebugExit implements IoHandler {
  constructor(private readonly onExit: (status: number) => void) {}

  read(): number {
    return 0xffffffff;
  }

  write(_offset: number, size: number, value: number): void {
    const v = size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1);
    this.onExit(((v * 2) + 1) % 0x100000000 >>> 0);
  }

  registerPorts(bus: PortBus, port = 0xf4, size = 4): void {
    bus.register('isa-debug-exit', port, size, this, ALL_SIZES);
  }
}
