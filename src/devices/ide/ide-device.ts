import { DEV_DEV1, ER_ABRT, ST_BSY, ST_DRDY, ST_DRQ, ST_DSC, ST_ERR } from './ata.js';

/**
 * One device on an IDE channel as ATA/ATAPI-6 describes it: the command block registers every device
 * latches (writes go to both devices of a channel; the DEV bit decides which one answers reads and
 * executes commands), status and error, the INTRQ it drives, and the data-port state machine of
 * the PIO protocols (a DRQ data block that the host drains or fills, then the next step).
 * Subclasses implement the command sets (ATA disk, ATAPI CD-ROM).
 */

/** What a device sees of its channel. */
export interface IdeBusPort {
  /** The device's INTRQ changed (the channel applies nIEN and device selection). */
  interruptChanged(): void;
  /** A DMA data transfer is waiting for the bus master. */
  dmaRequested(): void;
}

/** A DMA data phase: the bus master moves `length` bytes between the device and guest memory. */
export interface DmaRequest {
  /** Device → memory (a read command). */
  toMemory: boolean;
  length: number;
  /** Device → memory: the bytes [offset, offset + n) of the transfer. May throw (a medium error). */
  produce(offset: number, n: number): Uint8Array;
  /** Memory → device: the bytes at `offset` of the transfer. May throw (a medium error). */
  consume(offset: number, data: Uint8Array): void;
  /**
   * The bus master is done: `transferred` bytes moved; `error` is what produce/consume threw.
   * `transferred < length` without an error means the PRD table was too short.
   */
  complete(transferred: number, error: unknown): void;
}

const NULL_BUS: IdeBusPort = { interruptChanged: () => {}, dmaRequested: () => {} };

export type IdeDeviceKind = 'disk' | 'cdrom' | 'none';

export abstract class IdeDevice {
  abstract readonly kind: IdeDeviceKind;
  // Command block registers with their "previous content" (HOB) copies for 48-bit commands.
  feature = 0; hobFeature = 0;
  nsector = 0; hobNsector = 0;
  sector = 0; hobSector = 0;
  lcyl = 0; hobLcyl = 0;
  hcyl = 0; hobHcyl = 0;
  /** Device/head register as written. */
  select = 0;
  status = 0;
  error = 0;
  /** INTRQ pending (cleared by a status read, a command write or a reset). */
  intrq = false;
  /** A DMA transfer waiting for (or being done by) the bus master. */
  dma: DmaRequest | null = null;
  bus: IdeBusPort = NULL_BUS;

  private buffer: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  private dataDone: ((data: Uint8Array) => void) | null = null;

  get present(): boolean {
    return this.kind !== 'none';
  }

  /** This device is device 1 (slave) on its channel. */
  unit = 0;

  // ---- Register file ----

  /** Write one of the command block registers 1-6 (not the command register). */
  writeRegister(reg: number, value: number): void {
    switch (reg) {
      case 1: this.hobFeature = this.feature; this.feature = value; break;
      case 2: this.hobNsector = this.nsector; this.nsector = value; break;
      case 3: this.hobSector = this.sector; this.sector = value; break;
      case 4: this.hobLcyl = this.lcyl; this.lcyl = value; break;
      case 5: this.hobHcyl = this.hcyl; this.hcyl = value; break;
      case 6: this.select = value; break;
    }
  }

  /** Read a command block register 1-7 (7 = status, which also clears INTRQ). */
  readRegister(reg: number, hob: boolean): number {
    switch (reg) {
      case 1: return hob ? this.hobFeature : this.error;
      case 2: return hob ? this.hobNsector : this.nsector;
      case 3: return hob ? this.hobSector : this.sector;
      case 4: return hob ? this.hobLcyl : this.lcyl;
      case 5: return hob ? this.hobHcyl : this.hcyl;
      case 6: return this.select;
      default: {
        const status = this.status;
        this.setIntrq(false);
        return status;
      }
    }
  }

  /** The command register was written while this device is selected. */
  command(value: number): void {
    // A command written while the device is busy is ignored (ATA-6 9.1), except DEVICE RESET.
    if ((this.status & ST_BSY) !== 0 && !(value === 0x08 && this.kind === 'cdrom')) return;
    this.setIntrq(false);
    this.abortTransfer();
    this.execute(value);
  }

  protected abstract execute(command: number): void;

  // ---- Resets ----

  /** The channel's SRST went to one: the device is busy until it goes back to zero. */
  beginSoftReset(): void {
    this.abortTransfer();
    this.setIntrq(false);
    this.status = ST_BSY;
  }

  /** SRST went back to zero (or power-on / hardware reset): post the signature and become ready. */
  completeReset(): void {
    this.abortTransfer();
    this.setIntrq(false);
    this.select = 0;
    this.writeSignature();
    this.error = 0x01; // diagnostic code: no error detected
    this.status = this.statusAfterReset();
    this.resetState();
  }

  /** EXECUTE DEVICE DIAGNOSTIC: both devices run it (ATA-6 8.11). */
  diagnose(): void {
    this.abortTransfer();
    this.writeSignature();
    this.select &= ~0x0f;
    this.error = 0x01;
    this.status = this.statusAfterReset();
  }

  /** The signature in the command block (ATA-6 9.12): ATA 01/01/00/00, packet devices 01/01/14/EB. */
  protected writeSignature(): void {
    this.nsector = 1;
    this.sector = 1;
    this.lcyl = 0;
    this.hcyl = 0;
  }

  protected statusAfterReset(): number {
    return ST_DRDY | ST_DSC;
  }

  /** Device-specific state to clear on reset (multiple mode, sense, ...). */
  protected resetState(): void {}

  // ---- Interrupts ----

  setIntrq(level: boolean): void {
    if (this.intrq === level) return;
    this.intrq = level;
    this.bus.interruptChanged();
  }

  protected raiseIrq(): void {
    this.intrq = false;
    this.setIntrq(true);
  }

  // ---- Completion helpers ----

  /** Command done without error: ready, optionally interrupting. */
  protected completeOk(interrupt = true): void {
    this.status = ST_DRDY | ST_DSC;
    if (interrupt) this.raiseIrq();
  }

  /** Command ended with an error (ABRT unless told otherwise). */
  protected completeError(error = ER_ABRT, extraStatus = 0): void {
    this.abortTransfer();
    this.error = error;
    this.status = ST_DRDY | ST_ERR | extraStatus;
    this.raiseIrq();
  }

  // ---- PIO data blocks ----

  /**
   * Offer `data` to the host through the data port (a data-in DRQ block). `then` runs when the
   * host has read all of it. The caller sets status (DRQ) and raises INTRQ as its protocol says.
   */
  protected pioIn(data: Uint8Array, then: () => void): void {
    this.buffer = data;
    this.pos = 0;
    this.end = data.length;
    this.dataDone = () => then();
  }

  /** Expect `length` bytes from the host (a data-out DRQ block); `then` receives them. */
  protected pioOut(length: number, then: (data: Uint8Array) => void): void {
    this.buffer = new Uint8Array(length);
    this.pos = 0;
    this.end = length;
    this.dataDone = then;
  }

  /** Stop any PIO block or DMA request (command abort, reset, new command). */
  protected abortTransfer(): void {
    this.dataDone = null;
    this.pos = this.end = 0;
    this.dma = null;
  }

  /** Data port read (2 or 4 bytes). Outside a DRQ data-in block the bus reads as zero. */
  readData(size: number): number {
    if ((this.status & ST_DRQ) === 0 || this.dataDone === null || this.pos >= this.end) return 0;
    let value = 0;
    for (let i = 0; i < size; i++) {
      const b = this.pos < this.end ? this.buffer[this.pos]! : 0;
      value += b * 2 ** (8 * i);
      this.pos++;
    }
    if (this.pos >= this.end) this.blockDone();
    return value;
  }

  /** Data port write (2 or 4 bytes). Ignored outside a DRQ data-out block. */
  writeData(size: number, value: number): void {
    if ((this.status & ST_DRQ) === 0 || this.dataDone === null || this.pos >= this.end) return;
    for (let i = 0; i < size && this.pos < this.end; i++) this.buffer[this.pos++] = Math.floor(value / 2 ** (8 * i)) & 0xff;
    if (this.pos >= this.end) this.blockDone();
  }

  private blockDone(): void {
    const then = this.dataDone!;
    const data = this.buffer;
    this.dataDone = null;
    this.status &= ~ST_DRQ;
    then(data);
  }

  /** Hand a DMA data phase to the bus master. */
  protected requestDma(request: DmaRequest): void {
    this.dma = request;
    this.status = ST_DRDY | ST_DSC | ST_DRQ;
    this.bus.dmaRequested();
  }

  /** The device/head register selects this device. */
  isSelected(): boolean {
    return ((this.select & DEV_DEV1) !== 0 ? 1 : 0) === this.unit;
  }
}

/** An empty position: latches register writes like any device, ignores commands, reads status 0. */
export class NoDevice extends IdeDevice {
  readonly kind = 'none' as const;

  protected execute(): void {}

  override readRegister(reg: number, hob: boolean): number {
    if (reg === 1 || reg === 7) return 0;
    return super.readRegister(reg, hob);
  }

  protected override statusAfterReset(): number {
    return 0;
  }

  override completeReset(): void {
    super.completeReset();
    this.error = 0;
  }
}
