import type { IrqLine } from '../bus/irq-line.js';
import type { PortBus } from '../bus/port-bus.js';
import { SIZE_1, type IoHandler } from '../mem/io-handler.js';

/**
 * PS/2 system control port A (port 0x92, "fast A20"): bit 1 drives the A20 gate, a 0→1 transition
 * of bit 0 resets the processor ("fast reset"). Reference: IBM PS/2 hardware technical reference;
 * the PIIX/ICH datasheets ("Port 92h"). The other bits read back as written.
 */
export class SystemControlPortA implements IoHandler {
  value = 0;

  constructor(private readonly a20: IrqLine, private readonly requestReset: () => void) {}

  read(): number {
    return this.value;
  }

  write(_offset: number, _size: number, value: number): void {
    const old = this.value;
    this.value = value & 0xff;
    this.a20.set((value & 2) !== 0);
    if ((value & 1) !== 0 && (old & 1) === 0) {
      this.requestReset();
      this.value &= ~1; // the reset clears the bit again
    }
  }

  registerPorts(bus: PortBus): void {
    bus.register('port92', 0x92, 1, this, SIZE_1);
  }
}
