import type { DmaMemory } from '../../bus/dma-memory.js';
import type { IrqLine } from '../../bus/irq-line.js';
import type { IoHandler } from '../../mem/io-handler.js';
import { Cmd, DC_HOB, DC_NIEN, DC_SRST, DEV_DEV1 } from './ata.js';
import { IdeDevice, NoDevice, type IdeBusPort } from './ide-device.js';

/** Bus master IDE command register bits (PIIX3 datasheet 2.7.1, SFF-8038i). */
export const BM_START = 0x01, BM_READ = 0x08;
/** Bus master IDE status register bits. */
export const BM_ACTIVE = 0x01, BM_ERROR = 0x02, BM_INTERRUPT = 0x04, BM_DRIVE0_DMA = 0x20, BM_DRIVE1_DMA = 0x40, BM_SIMPLEX = 0x80;

/** Most PRD entries the engine walks in one table (a table may not cross a 64 KiB boundary). */
const MAX_PRD = 8192;

/**
 * One IDE channel: two device positions sharing a command block (8 ports) and a control block
 * (device control / alternate status), one interrupt line, and the channel's part of the bus
 * master IDE function (command, status, PRD table pointer). The channel routes writes to both
 * devices, reads and commands to the selected one, applies nIEN and SRST, and runs PRD-table
 * scatter/gather DMA for the selected device when its request and the bus master's start bit
 * are both there.
 */
export class IdeChannel implements IdeBusPort {
  readonly devices: [IdeDevice, IdeDevice];
  /** Selected device (the DEV bit of the last device/head write). */
  unit = 0;
  private control = 0;
  private bmCommand = 0;
  private bmStatus = 0;
  private prdTable = 0;
  /** Bus mastering is allowed (the PCI command register's bus master enable). */
  busMasterEnabled: () => boolean = () => true;

  constructor(private readonly irq: IrqLine, private readonly memory: DmaMemory, master: IdeDevice | null, slave: IdeDevice | null) {
    this.devices = [master ?? new NoDevice(), slave ?? new NoDevice()];
    this.devices.forEach((d, i) => {
      d.unit = i;
      d.bus = this;
    });
    this.reset();
  }

  get selected(): IdeDevice {
    return this.devices[this.unit]!;
  }

  private get empty(): boolean {
    return !this.devices[0].present && !this.devices[1].present;
  }

  /** Hardware reset (power-on, RESET-): devices post their signatures, the bus master stops. */
  reset(): void {
    this.control = 0;
    this.unit = 0;
    this.bmCommand = 0;
    this.bmStatus &= BM_DRIVE0_DMA | BM_DRIVE1_DMA;
    this.prdTable = 0;
    for (const d of this.devices) d.completeReset();
    this.updateIrq();
  }

  // ---- IdeBusPort ----

  interruptChanged(): void {
    this.updateIrq();
  }

  dmaRequested(): void {
    this.runDma();
  }

  private updateIrq(): void {
    const level = (this.control & DC_NIEN) === 0 && this.selected.present && this.selected.intrq;
    if (level && !this.irq.level) this.bmStatus |= BM_INTERRUPT;
    this.irq.set(level);
  }

  // ---- Command block (1F0h-1F7h / 170h-177h) ----

  readonly commandBlock: IoHandler = {
    read: (offset, size) => {
      if (offset === 0 && size > 1) return this.empty ? 0 : this.selected.readData(size);
      let value = 0;
      for (let i = 0; i < size; i++) value |= this.readRegister(offset + i) << (8 * i);
      return value >>> 0;
    },
    write: (offset, size, value) => {
      if (offset === 0 && size > 1) {
        this.selected.writeData(size, value);
        return;
      }
      for (let i = 0; i < size; i++) this.writeRegister(offset + i, (value >>> (8 * i)) & 0xff);
    },
  };

  private readRegister(reg: number): number {
    if (reg > 7) return 0xff;
    if (this.empty) return 0;
    if (reg === 0) return this.selected.readData(1) & 0xff;
    return this.selected.readRegister(reg, (this.control & DC_HOB) !== 0);
  }

  private writeRegister(reg: number, value: number): void {
    if (reg > 7) return;
    if (reg === 0) {
      this.selected.writeData(1, value);
      return;
    }
    if (reg === 7) return this.command(value);
    // Every command block write clears HOB (ATA-6 7.8); both devices latch the value.
    this.control &= ~DC_HOB;
    for (const d of this.devices) d.writeRegister(reg, value);
    if (reg === 6) {
      this.unit = (value & DEV_DEV1) !== 0 ? 1 : 0;
      this.updateIrq();
    }
  }

  private command(value: number): void {
    if (value === Cmd.ExecuteDeviceDiagnostic && !this.empty) {
      // Both devices run the diagnostics whichever is selected; device 0 reports for the pair
      // (01h: passed, device 1 passed or absent) and interrupts (ATA-6 8.11).
      for (const d of this.devices) {
        d.setIntrq(false);
        d.diagnose();
        d.select = 0;
      }
      this.unit = 0;
      if (this.devices[0].present) this.devices[0].setIntrq(true);
      this.updateIrq();
      return;
    }
    const device = this.selected;
    if (!device.present) return; // nobody answers for an absent device
    device.command(value);
  }

  // ---- Control block (3F6h / 376h) ----

  readonly controlBlock: IoHandler = {
    read: () => (this.empty || !this.selected.present ? 0 : this.selected.status),
    write: (_offset, _size, value) => this.writeControl(value & 0xff),
  };

  private writeControl(value: number): void {
    const old = this.control;
    this.control = value & (DC_NIEN | DC_SRST | DC_HOB);
    if ((value & DC_SRST) !== 0 && (old & DC_SRST) === 0) {
      for (const d of this.devices) d.beginSoftReset();
      this.stopBusMaster();
    } else if ((value & DC_SRST) === 0 && (old & DC_SRST) !== 0) {
      for (const d of this.devices) d.completeReset();
      this.unit = 0;
    }
    this.updateIrq();
  }

  private stopBusMaster(): void {
    this.bmCommand &= ~BM_START;
    this.bmStatus &= ~BM_ACTIVE;
  }

  // ---- Bus master registers (BAR4 + 0 / + 8) ----

  readBusMaster(offset: number): number {
    switch (offset) {
      case 0: return this.bmCommand;
      case 2: return this.bmStatus;
      case 4: case 5: case 6: case 7: return (this.prdTable >>> (8 * (offset - 4))) & 0xff;
      default: return 0;
    }
  }

  writeBusMaster(offset: number, value: number): void {
    switch (offset) {
      case 0: {
        const wasStarted = (this.bmCommand & BM_START) !== 0;
        // The direction bit may not change while the engine runs.
        const direction = wasStarted ? this.bmCommand & BM_READ : value & BM_READ;
        this.bmCommand = (value & BM_START) | direction;
        if ((value & BM_START) !== 0 && !wasStarted) {
          this.bmStatus |= BM_ACTIVE;
          this.runDma();
        } else if ((value & BM_START) === 0 && wasStarted) {
          this.bmStatus &= ~BM_ACTIVE;
        }
        return;
      }
      case 2:
        // Interrupt and error are write-one-to-clear; the drive DMA-capable bits are storage.
        this.bmStatus = (this.bmStatus & ~(value & (BM_INTERRUPT | BM_ERROR)) & ~(BM_DRIVE0_DMA | BM_DRIVE1_DMA))
          | (value & (BM_DRIVE0_DMA | BM_DRIVE1_DMA));
        return;
      case 4: case 5: case 6: case 7: {
        const shift = 8 * (offset - 4);
        const mask = (0xff << shift) >>> 0;
        this.prdTable = (((this.prdTable & ~mask) | ((value & 0xff) << shift)) & ~3) >>> 0;
        return;
      }
    }
  }

  /**
   * Move the selected device's DMA data through the PRD table: each entry is a physical address
   * (bit 0 zero) and a byte count (bits 15:1, 0 = 64 KiB) with EOT in bit 31 of the second dword.
   */
  private runDma(): void {
    const device = this.selected;
    const request = device.dma;
    if (request === null || (this.bmCommand & BM_START) === 0 || (this.bmStatus & BM_ACTIVE) === 0) return;
    if (!this.busMasterEnabled()) return;
    let transferred = 0;
    let error: unknown = null;
    let eot = false;
    let table = this.prdTable;
    for (let i = 0; i < MAX_PRD && transferred < request.length && !eot; i++) {
      const entry = this.memory.read(table, 8);
      const view = new DataView(entry.buffer, entry.byteOffset, 8);
      const address = view.getUint32(0, true) & ~1;
      const raw = view.getUint32(4, true);
      const count = (raw & 0xfffe) || 0x10000;
      eot = (raw & 0x80000000) !== 0;
      table = (table + 8) >>> 0;
      let offset = 0;
      while (offset < count && transferred < request.length) {
        const n = Math.min(count - offset, request.length - transferred);
        try {
          if (request.toMemory) this.memory.write(address + offset, request.produce(transferred, n));
          else request.consume(transferred, this.memory.read(address + offset, n));
        } catch (e) {
          error = e;
          break;
        }
        offset += n;
        transferred += n;
      }
      if (error !== null) break;
      // The table ends exactly with the data: the bus master is done with it.
      if (transferred >= request.length && eot && offset >= count) this.bmStatus &= ~BM_ACTIVE;
    }
    if (error === null && transferred < request.length) {
      // The PRD table is shorter than the transfer: the engine stops without an interrupt.
      this.bmStatus &= ~BM_ACTIVE;
    }
    if (error !== null) this.bmStatus &= ~BM_ACTIVE;
    request.complete(transferred, error);
  }
}
