import type { DiskBackend } from '../../backends/disk/disk-backend.js';
import {
  Cmd, DEV_LBA, ER_ABRT, ER_IDNF, ER_UNC, ST_DRDY, ST_DRQ, ST_DSC, ST_DF, identifyBytes, putAtaString,
} from './ata.js';
import { IdeDevice } from './ide-device.js';

const SECTOR = 512;
/** Largest DRQ block of READ/WRITE MULTIPLE (IDENTIFY word 47). */
export const MAX_MULTIPLE = 16;
const LBA28_LIMIT = 0x0fffffff;

export interface AtaDiskOptions {
  model?: string;
  serial?: string;
  firmware?: string;
}

/**
 * An ATA hard disk (ATA/ATAPI-6 general feature set + 48-bit address feature set): IDENTIFY DEVICE,
 * PIO READ/WRITE SECTORS and MULTIPLE, READ/WRITE DMA through the channel's bus master, READ
 * VERIFY, SET FEATURES, SET MULTIPLE MODE, INITIALIZE DEVICE PARAMETERS, FLUSH CACHE (a backend
 * flush), power-mode commands. Commands complete at once; the protocols' DRQ blocks and interrupts
 * are kept. Backend failures become UNC (reads/writes) or ABRT (flush) errors for the guest.
 */
export class AtaDisk extends IdeDevice {
  readonly kind = 'disk' as const;
  readonly sectors: number;
  /** Default CHS geometry (IDENTIFY words 1, 3, 6). */
  readonly cylinders: number;
  readonly heads = 16;
  readonly sectorsPerTrack = 63;
  /** Current translation (INITIALIZE DEVICE PARAMETERS). */
  private curHeads = 16;
  private curSpt = 63;
  private multiple = 0;
  private writeCache = true;
  private readAhead = true;
  /** Multiword DMA / UDMA mode selected by SET FEATURES (-1: none). */
  private mwdmaMode = 2;
  private udmaMode = -1;
  private readonly model: string;
  private readonly serial: string;
  private readonly firmware: string;

  constructor(readonly backend: DiskBackend, options: AtaDiskOptions = {}) {
    super();
    this.sectors = Math.floor(backend.length / SECTOR);
    this.cylinders = Math.max(1, Math.min(16383, Math.floor(this.sectors / (16 * 63))));
    this.model = options.model ?? 'X86VM HARDDISK';
    this.serial = options.serial ?? 'XV00000000000001';
    this.firmware = options.firmware ?? '1.0';
    this.completeReset();
  }

  protected override resetState(): void {
    // SRST keeps multiple mode and features unless the host changed "reverting to defaults"; we keep them.
  }

  protected execute(command: number): void {
    switch (command) {
      case Cmd.IdentifyDevice: return this.identify();
      case Cmd.ReadSectors: case Cmd.ReadSectorsNoRetry: return this.pioRead(false, 1);
      case Cmd.ReadSectorsExt: return this.pioRead(true, 1);
      case Cmd.ReadMultiple: return this.multiple ? this.pioRead(false, this.multiple) : this.completeError();
      case Cmd.ReadMultipleExt: return this.multiple ? this.pioRead(true, this.multiple) : this.completeError();
      case Cmd.WriteSectors: case Cmd.WriteSectorsNoRetry: return this.pioWrite(false, 1);
      case Cmd.WriteSectorsExt: return this.pioWrite(true, 1);
      case Cmd.WriteMultiple: return this.multiple ? this.pioWrite(false, this.multiple) : this.completeError();
      case Cmd.WriteMultipleExt: case Cmd.WriteMultipleFuaExt:
        return this.multiple ? this.pioWrite(true, this.multiple, command === Cmd.WriteMultipleFuaExt) : this.completeError();
      case Cmd.ReadDma: case Cmd.ReadDmaNoRetry: return this.dmaTransfer(false, true);
      case Cmd.ReadDmaExt: return this.dmaTransfer(true, true);
      case Cmd.WriteDma: case Cmd.WriteDmaNoRetry: return this.dmaTransfer(false, false);
      case Cmd.WriteDmaExt: return this.dmaTransfer(true, false);
      case Cmd.WriteDmaFuaExt: return this.dmaTransfer(true, false, true);
      case Cmd.ReadVerify: case Cmd.ReadVerifyNoRetry: return this.verify(false);
      case Cmd.ReadVerifyExt: return this.verify(true);
      case Cmd.SetFeatures: return this.setFeatures();
      case Cmd.SetMultipleMode: return this.setMultiple();
      case Cmd.InitializeDeviceParameters: return this.initializeParameters();
      case Cmd.FlushCache: case Cmd.FlushCacheExt: return this.flush();
      case Cmd.Seek: {
        const lba = this.address(false);
        return lba < 0 || lba >= this.sectors ? this.completeError(ER_IDNF) : this.completeOk();
      }
      case Cmd.CheckPowerMode:
        this.nsector = 0xff; // active or idle
        return this.completeOk();
      case Cmd.StandbyImmediate: case Cmd.IdleImmediate: case Cmd.Standby: case Cmd.Idle: case Cmd.Sleep:
        return this.completeOk();
      default:
        // 1xh: RECALIBRATE (obsolete but still issued by old BIOSes).
        if ((command & 0xf0) === Cmd.Recalibrate) return this.completeOk();
        // NOP, IDENTIFY PACKET DEVICE, PACKET, DEVICE RESET, and everything else: aborted.
        return this.completeError(ER_ABRT);
    }
  }

  // ---- Addressing ----

  /** The starting sector of a command: LBA28, LBA48 or CHS through the current translation; -1 if invalid. */
  private address(ext: boolean): number {
    if (ext) {
      return (this.hobHcyl * 2 ** 40) + (this.hobLcyl * 2 ** 32) + (this.hobSector * 2 ** 24) + (this.hcyl << 16) + (this.lcyl << 8) + this.sector;
    }
    if ((this.select & DEV_LBA) !== 0) return ((this.select & 0x0f) << 24) + (this.hcyl << 16) + (this.lcyl << 8) + this.sector;
    const cylinder = (this.hcyl << 8) | this.lcyl, head = this.select & 0x0f;
    if (this.sector === 0 || this.sector > this.curSpt || head >= this.curHeads) return -1;
    return (cylinder * this.curHeads + head) * this.curSpt + this.sector - 1;
  }

  private count(ext: boolean): number {
    if (ext) return ((this.hobNsector << 8) | this.nsector) || 65536;
    return this.nsector || 256;
  }

  /** Put a sector address back in the command block (the error location, ATA-6 8.x "error outputs"). */
  private setAddress(ext: boolean, lba: number): void {
    if (ext) {
      this.sector = lba & 0xff;
      this.lcyl = (lba >>> 8) & 0xff;
      this.hcyl = (lba >>> 16) & 0xff;
      this.hobSector = Math.floor(lba / 2 ** 24) & 0xff;
      this.hobLcyl = Math.floor(lba / 2 ** 32) & 0xff;
      this.hobHcyl = Math.floor(lba / 2 ** 40) & 0xff;
    } else if ((this.select & DEV_LBA) !== 0) {
      this.sector = lba & 0xff;
      this.lcyl = (lba >>> 8) & 0xff;
      this.hcyl = (lba >>> 16) & 0xff;
      this.select = (this.select & 0xf0) | ((lba >>> 24) & 0x0f);
    } else {
      const cylinder = Math.floor(lba / (this.curHeads * this.curSpt));
      const rest = lba % (this.curHeads * this.curSpt);
      this.lcyl = cylinder & 0xff;
      this.hcyl = (cylinder >>> 8) & 0xff;
      this.select = (this.select & 0xf0) | Math.floor(rest / this.curSpt);
      this.sector = (rest % this.curSpt) + 1;
    }
  }

  /** Check a range; on failure report IDNF and return false. */
  private checkRange(lba: number, count: number): boolean {
    if (lba < 0 || lba + count > this.sectors) {
      this.completeError(ER_IDNF);
      return false;
    }
    return true;
  }

  // ---- Commands ----

  private identify(): void {
    const w = new Uint16Array(256);
    const chsCapacity = this.cylinders * this.heads * this.sectorsPerTrack;
    const lba28 = Math.min(this.sectors, LBA28_LIMIT);
    w[0] = 0x0040; // fixed device, not removable
    w[1] = this.cylinders;
    w[3] = this.heads;
    w[6] = this.sectorsPerTrack;
    putAtaString(w, 10, 10, this.serial);
    putAtaString(w, 23, 4, this.firmware);
    putAtaString(w, 27, 20, this.model);
    w[47] = 0x8000 | MAX_MULTIPLE;
    w[48] = 0x0001; // 32-bit PIO through the data port
    w[49] = (1 << 11) | (1 << 9) | (1 << 8); // IORDY, LBA, DMA
    w[50] = 0x4000;
    w[51] = 0x0200; // PIO timing mode 2 (obsolete field)
    w[53] = 0x0007; // words 54-58, 64-70 and 88 are valid
    const curCyl = Math.max(1, Math.min(65535, Math.floor(Math.min(this.sectors, chsCapacity) / (this.curHeads * this.curSpt))));
    const curCapacity = curCyl * this.curHeads * this.curSpt;
    w[54] = curCyl;
    w[55] = this.curHeads;
    w[56] = this.curSpt;
    w[57] = curCapacity & 0xffff;
    w[58] = curCapacity >>> 16;
    w[59] = this.multiple ? 0x0100 | this.multiple : 0;
    w[60] = lba28 & 0xffff;
    w[61] = lba28 >>> 16;
    w[63] = 0x0007 | (this.mwdmaMode >= 0 ? 0x100 << this.mwdmaMode : 0);
    w[64] = 0x0003; // PIO modes 3 and 4
    w[65] = 120; w[66] = 120; w[67] = 120; w[68] = 120;
    w[80] = 0x00f0; // ATA-4 to ATA-7
    w[81] = 0x0016;
    w[82] = (1 << 14) | (1 << 6) | (1 << 5); // NOP, read look-ahead, write cache
    w[83] = (1 << 14) | (1 << 13) | (1 << 12) | (1 << 10); // FLUSH CACHE EXT, FLUSH CACHE, 48-bit
    w[84] = 1 << 14;
    w[85] = (1 << 14) | (this.readAhead ? 1 << 6 : 0) | (this.writeCache ? 1 << 5 : 0);
    w[86] = (1 << 13) | (1 << 12) | (1 << 10);
    w[87] = 1 << 14;
    w[88] = 0x003f | (this.udmaMode >= 0 ? 0x100 << this.udmaMode : 0);
    w[93] = (1 << 14) | (1 << 13) | (this.unit === 0 ? 0x0009 : 0x0100); // 80-conductor cable, reset result
    for (let i = 0; i < 4; i++) w[100 + i] = Math.floor(this.sectors / 2 ** (16 * i)) & 0xffff;
    this.sendBlock(identifyBytes(w), () => this.completeOk(false));
  }

  /** Offer one data-in DRQ block and interrupt (PIO data-in protocol, ATA-6 9.7). */
  private sendBlock(data: Uint8Array, then: () => void): void {
    this.pioIn(data, then);
    this.status = ST_DRDY | ST_DSC | ST_DRQ;
    this.raiseIrq();
  }

  private pioRead(ext: boolean, blockSectors: number): void {
    const lba = this.address(ext), count = this.count(ext);
    if (!this.checkRange(lba, count)) return;
    let next = lba, left = count;
    const step = (): void => {
      if (left === 0) {
        this.completeOk(false); // no interrupt after the last data-in block
        return;
      }
      const n = Math.min(blockSectors, left);
      const data = new Uint8Array(n * SECTOR);
      try {
        this.backend.read(next * SECTOR, data);
      } catch {
        this.setAddress(ext, next);
        this.completeError(ER_UNC);
        return;
      }
      next += n;
      left -= n;
      this.sendBlock(data, step);
    };
    step();
  }

  private pioWrite(ext: boolean, blockSectors: number, fua = false): void {
    const lba = this.address(ext), count = this.count(ext);
    if (!this.checkRange(lba, count)) return;
    if (this.backend.readOnly) return this.completeError(ER_ABRT);
    let next = lba, left = count;
    const expect = (): void => {
      const n = Math.min(blockSectors, left);
      this.pioOut(n * SECTOR, (data) => {
        try {
          this.backend.write(next * SECTOR, data);
        } catch {
          this.setAddress(ext, next);
          this.completeError(ER_UNC);
          return;
        }
        next += n;
        left -= n;
        if (left === 0) {
          if (!this.afterWrite(fua)) return;
          this.completeOk(true);
        } else {
          expect();
          this.status = ST_DRDY | ST_DSC | ST_DRQ;
          this.raiseIrq();
        }
      });
    };
    // PIO data-out: the first block is requested without an interrupt.
    expect();
    this.status = ST_DRDY | ST_DSC | ST_DRQ;
  }

  /** With the write cache off (or a FUA write) data must be on the medium before completion. */
  private afterWrite(fua: boolean): boolean {
    if (this.writeCache && !fua) return true;
    try {
      this.backend.flush();
      return true;
    } catch {
      this.completeError(ER_ABRT, ST_DF);
      return false;
    }
  }

  private dmaTransfer(ext: boolean, toMemory: boolean, fua = false): void {
    const lba = this.address(ext), count = this.count(ext);
    if (!this.checkRange(lba, count)) return;
    if (!toMemory && this.backend.readOnly) return this.completeError(ER_ABRT);
    const base = lba * SECTOR;
    this.requestDma({
      toMemory,
      length: count * SECTOR,
      produce: (offset, n) => {
        const data = new Uint8Array(n);
        this.backend.read(base + offset, data);
        return data;
      },
      consume: (offset, data) => this.backend.write(base + offset, data),
      complete: (transferred, error) => {
        this.dma = null;
        if (error !== null && error !== undefined) {
          this.setAddress(ext, lba + Math.floor(transferred / SECTOR));
          this.completeError(ER_UNC);
        } else if (transferred < count * SECTOR) {
          // The PRD table ended early: the bus master stopped, the command cannot finish.
          this.status = ST_DRDY | ST_DSC;
        } else {
          if (!toMemory && !this.afterWrite(fua)) return;
          this.completeOk(true);
        }
      },
    });
  }

  private verify(ext: boolean): void {
    const lba = this.address(ext), count = this.count(ext);
    if (!this.checkRange(lba, count)) return;
    const chunk = new Uint8Array(Math.min(count, 128) * SECTOR);
    for (let at = 0; at < count; at += 128) {
      const n = Math.min(128, count - at);
      try {
        this.backend.read((lba + at) * SECTOR, chunk.subarray(0, n * SECTOR));
      } catch {
        this.setAddress(ext, lba + at);
        return this.completeError(ER_UNC);
      }
    }
    this.completeOk();
  }

  private setFeatures(): void {
    switch (this.feature) {
      case 0x02: this.writeCache = true; break;
      case 0x82:
        this.writeCache = false;
        try { this.backend.flush(); } catch { return this.completeError(ER_ABRT); }
        break;
      case 0xaa: this.readAhead = true; break;
      case 0x55: this.readAhead = false; break;
      case 0x66: case 0xcc: break; // revert to power-on defaults: disable / enable
      case 0x03: { // set transfer mode (ATA-6 8.46.11)
        const mode = this.nsector;
        const kind = mode >> 3, value = mode & 7;
        if (kind === 0 || kind === 1) { /* PIO default / flow control PIO */ if (kind === 1 && value > 4) return this.completeError(); }
        else if (kind === 4 && value <= 2) { this.mwdmaMode = value; this.udmaMode = -1; }
        else if (kind === 8 && value <= 5) { this.udmaMode = value; this.mwdmaMode = -1; }
        else return this.completeError();
        break;
      }
      default: return this.completeError();
    }
    this.completeOk();
  }

  private setMultiple(): void {
    const n = this.nsector;
    if (n > MAX_MULTIPLE || (n & (n - 1)) !== 0) return this.completeError();
    this.multiple = n;
    this.completeOk();
  }

  private initializeParameters(): void {
    const heads = (this.select & 0x0f) + 1, spt = this.nsector;
    if (spt === 0) return this.completeError();
    this.curHeads = heads;
    this.curSpt = spt;
    this.completeOk();
  }

  private flush(): void {
    try {
      this.backend.flush();
    } catch {
      return this.completeError(ER_ABRT, ST_DF);
    }
    this.completeOk();
  }
}
