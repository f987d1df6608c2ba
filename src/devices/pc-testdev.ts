import type { PortBus } from '../bus/port-bus.js';
import type { IrqLine } from '../bus/irq-line.js';
import { ALL_SIZES, SIZE_1, SIZE_4, type IoHandler } from '../mem/io-handler.js';

/**
 * QEMU's ISA `pc-testdev` (hw/misc/pc-testdev.c), the test device kvm-unit-tests' x86 suite is run
 * with (`-device pc-testdev`). It has no registers of its own beyond what tests need to exercise the
 * emulator and the interrupt routing:
 *
 * - ports 0xE0-0xE3: a 32-bit scratch register. An access of size s at port 0xE0 + k reads/writes
 *   the s bytes of the register starting at byte lane k (the emulator test's IN/OUT/INS/OUTS checks);
 * - ports 0xE4-0xE7 ("flush page"): a dword write of a guest-physical address makes the hypervisor
 *   drop and re-create its mapping of that 4 KiB page (QEMU does mprotect(PROT_NONE) then
 *   mprotect(PROT_READ|PROT_WRITE) on the host page, so KVM's next guest access to it faults into
 *   the host). Here the equivalent is a remap of the page: every vCPU's TLB entries and the decoded
 *   code of the page are dropped, so the next access walks the page tables again. Reads return 0;
 *   accesses other than dwords are ignored (QEMU accepts only 4-byte accesses);
 * - ports 0xE8-0xEB: the same scratch register, implemented byte by byte (QEMU's "ioport-byte"
 *   region; a wider access is split into byte accesses, with the same result);
 * - ports 0x2000-0x2017: a byte write of v to port 0x2000 + n drives ISA IRQ line n to (v != 0)
 *   (QEMU: qemu_set_irq(isa_get_irq(n), !!v), i.e. the 8259 input and I/O APIC pin the board wires
 *   to ISA IRQ n). QEMU's ISA bus has 16 lines and aborts on n >= 16; here ports 0x2010-0x2017
 *   drive GSI 16-23 when the board provides them, else nothing. Reads return 0;
 * - MMIO 0xFF000000-0xFF00FFFF ("iomem"): 64 KiB of scratch RAM that is not RAM, so every guest
 *   access to it is emulated MMIO (the emulator test maps it and runs ALU, string and SSE
 *   instructions on it). Reads and writes of any size and alignment reach the bytes little-endian.
 *
 * QEMU registers no reset handler for the device: the scratch register and the IORAM keep their
 * contents across a guest reset, and so do they here.
 */

export const PC_TESTDEV_IOPORT = 0xe0;
export const PC_TESTDEV_FLUSH_PAGE = 0xe4;
export const PC_TESTDEV_IOPORT_BYTE = 0xe8;
export const PC_TESTDEV_IRQ_BASE = 0x2000;
export const PC_TESTDEV_IRQ_LINES = 24;
export const PC_TESTDEV_IOMEM_BASE = 0xff000000;
export const PC_TESTDEV_IOMEM_SIZE = 0x10000;

export interface PcTestdevWiring {
  /** ISA IRQ / GSI line `n` (0-23), or null when the board has no such line. */
  irq(n: number): IrqLine | null;
  /** Remap the 4 KiB guest-physical page at `address` (page-aligned): drop TLBs and decoded code. */
  remapPage(address: number): void;
}

export class PcTestdev {
  /** The 32-bit scratch register behind ports 0xE0-0xE3 and 0xE8-0xEB. */
  scratch = 0;
  /** The 64 KiB behind the MMIO window at 0xFF000000. */
  readonly iomem = new Uint8Array(PC_TESTDEV_IOMEM_SIZE);

  constructor(private readonly wiring: PcTestdevWiring) {}

  /** Byte-lane access to the scratch register: size bytes from lane `offset & 3`, clipped at lane 3. */
  private readonly scratchPort: IoHandler = {
    read: (offset, size) => {
      let value = 0;
      for (let i = 0; i < size && (offset & 3) + i < 4; i++) value += ((this.scratch >>> (((offset & 3) + i) * 8)) & 0xff) * 2 ** (8 * i);
      return value;
    },
    write: (offset, size, value) => {
      for (let i = 0; i < size && (offset & 3) + i < 4; i++) {
        const shift = ((offset & 3) + i) * 8;
        const byte = Math.floor(value / 2 ** (8 * i)) & 0xff;
        this.scratch = ((this.scratch & ~(0xff << shift)) | (byte << shift)) >>> 0;
      }
    },
  };

  private readonly flushPort: IoHandler = {
    read: () => 0,
    write: (_offset, size, value) => {
      if (size !== 4) return;
      this.wiring.remapPage((value >>> 0) - ((value >>> 0) % 4096));
    },
  };

  private readonly irqPorts: IoHandler = {
    read: () => 0,
    write: (offset, size, value) => {
      if (size !== 1) return;
      this.wiring.irq(offset)?.set((value & 0xff) !== 0);
    },
  };

  /** The IORAM window (map at PC_TESTDEV_IOMEM_BASE with every access size). */
  readonly iomemHandler: IoHandler = {
    read: (offset, size) => {
      let value = 0;
      for (let i = 0; i < size && offset + i < PC_TESTDEV_IOMEM_SIZE; i++) value += this.iomem[offset + i]! * 2 ** (8 * i);
      return value;
    },
    write: (offset, size, value) => {
      for (let i = 0; i < size && offset + i < PC_TESTDEV_IOMEM_SIZE; i++) this.iomem[offset + i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
    },
  };

  registerPorts(bus: PortBus): void {
    bus.register('pc-testdev-ioport', PC_TESTDEV_IOPORT, 4, this.scratchPort, ALL_SIZES);
    bus.register('pc-testdev-flush-page', PC_TESTDEV_FLUSH_PAGE, 4, this.flushPort, SIZE_4);
    // Byte-implemented: the port bus splits word and dword accesses into bytes.
    bus.register('pc-testdev-ioport-byte', PC_TESTDEV_IOPORT_BYTE, 4, this.scratchPort, SIZE_1);
    bus.register('pc-testdev-irq-line', PC_TESTDEV_IRQ_BASE, PC_TESTDEV_IRQ_LINES, this.irqPorts, SIZE_1);
  }
}
