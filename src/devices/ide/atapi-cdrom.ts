import type { DiskBackend } from '../../backends/disk/disk-backend.js';
import { Cmd, ER_ABRT, IR_COD, IR_IO, ST_DRDY, ST_DRQ, ST_DSC, ST_ERR, identifyBytes, putAtaString } from './ata.js';
import { IdeDevice } from './ide-device.js';
import { Mode1, PREGAP_FRAMES, RAW_SECTOR, USER_DATA, framesToMsf, mode1Sector, subQ } from './cd-sector.js';

const CD_SECTOR = 2048;
/** A medium larger than an 80-minute CD is reported as a DVD (profile 0010h). */
const CD_MAX_SECTORS = 80 * 60 * 75;

/** SCSI sense keys (SPC-3 4.5.6) and the additional sense codes we report. */
export const Sense = { NoSense: 0, NotReady: 2, MediumError: 3, IllegalRequest: 5, UnitAttention: 6 } as const;
export const Asc = {
  InvalidOpcode: 0x20, LbaOutOfRange: 0x21, InvalidField: 0x24, MediumMayHaveChanged: 0x28,
  SavingNotSupported: 0x39, MediumNotPresent: 0x3a, MediumRemovalPrevented: 0x53, UnrecoveredReadError: 0x11,
  /** ASCQ 02h: CANNOT READ MEDIUM - INCOMPATIBLE FORMAT (a DVD structure of a CD). */
  IncompatibleMedium: 0x30,
  /** ILLEGAL MODE FOR THIS TRACK (READ CD asking for a sector type the track does not have). */
  IllegalModeForTrack: 0x64,
  ParameterListLength: 0x1a,
} as const;

/** SCSI/MMC operation codes. */
export const Op = {
  TestUnitReady: 0x00, RequestSense: 0x03, Inquiry: 0x12, ModeSelect6: 0x15, ModeSense6: 0x1a, StartStopUnit: 0x1b,
  PreventAllow: 0x1e, ReadFormatCapacities: 0x23, ReadCapacity: 0x25, Read10: 0x28, Seek10: 0x2b, Verify10: 0x2f,
  ReadSubchannel: 0x42, ReadToc: 0x43, GetConfiguration: 0x46, GetEventStatus: 0x4a, ReadDiscInformation: 0x51,
  ReadTrackInformation: 0x52, ModeSelect10: 0x55, ModeSense10: 0x5a, ReadDvdStructure: 0xad, Read12: 0xa8,
  ReadCdMsf: 0xb9, SetCdSpeed: 0xbb, MechanismStatus: 0xbd, ReadCd: 0xbe,
} as const;

class CheckCondition {
  constructor(readonly key: number, readonly asc: number, readonly ascq = 0) {}
}

/** Where a command's data comes from: a block of bytes or, for reads, sectors of the medium. */
interface DataIn {
  length: number;
  produce(offset: number, n: number): Uint8Array;
}

export interface AtapiCdromOptions {
  model?: string;
  serial?: string;
  firmware?: string;
}

/**
 * An ATAPI CD/DVD-ROM drive (ATA/ATAPI-6 PACKET feature set, MMC-3 command set as SeaBIOS,
 * isolinux, GRUB and Linux's sr driver use it). After PACKET the drive asks for the 12-byte
 * command (interrupt reason C/D=1); data-in phases are at most the host's byte-count limit
 * (cylinder registers) each, announced by an interrupt with I/O=1 C/D=0; completion has
 * I/O=1 C/D=1. Data can also move by DMA (features bit 0). Errors are CHECK CONDITION: sense key
 * in the error register, sense data for REQUEST SENSE.
 */
export class AtapiCdrom extends IdeDevice {
  readonly kind = 'cdrom' as const;
  private medium: DiskBackend | null;
  private trayOpen = false;
  private locked = false;
  private senseKey: number = Sense.NoSense;
  private asc = 0;
  private ascq = 0;
  /** A medium was inserted or removed: unit attention (once) and a media event (once). */
  private mediaEvent: 0 | 2 | 3 = 0;
  /** A UNIT ATTENTION condition is pending (cleared when reported). */
  private unitAttention = false;
  /** The last sector read: the "current position" READ SUB-CHANNEL reports. */
  private head = 0;
  private readonly model: string;
  private readonly serial: string;
  private readonly firmware: string;

  constructor(medium: DiskBackend | null, options: AtapiCdromOptions = {}) {
    super();
    this.medium = medium;
    this.model = options.model ?? 'X86VM DVD-ROM';
    this.serial = options.serial ?? 'XV00000000000002';
    this.firmware = options.firmware ?? '1.0';
    this.completeReset();
  }

  /** The inserted medium, if the tray is closed. */
  get loaded(): DiskBackend | null {
    return this.trayOpen ? null : this.medium;
  }

  private get totalSectors(): number {
    const m = this.loaded;
    return m ? Math.floor(m.length / CD_SECTOR) : 0;
  }

  /** Change the medium from the host side (the monitor's "change"/"eject"). Returns false if locked. */
  changeMedium(medium: DiskBackend | null): boolean {
    if (this.locked && this.medium !== null) return false;
    this.medium = medium;
    this.trayOpen = false;
    this.mediaEvent = medium ? 2 : 3;
    this.unitAttention = true;
    return true;
  }

  protected override writeSignature(): void {
    this.nsector = 1;
    this.sector = 1;
    this.lcyl = 0x14;
    this.hcyl = 0xeb;
  }

  protected override statusAfterReset(): number {
    return 0; // packet devices clear DRDY after a reset (ATA-6 9.12)
  }

  protected execute(command: number): void {
    switch (command) {
      case Cmd.Packet: return this.packet();
      case Cmd.IdentifyPacketDevice: return this.identify();
      case Cmd.DeviceReset:
        // DEVICE RESET (ATA-6 8.10): the packet device resets and posts its signature; no interrupt.
        this.diagnose();
        return;
      case Cmd.IdentifyDevice: case Cmd.ReadSectors: case Cmd.ReadSectorsNoRetry:
        // A packet device aborts these and shows its signature so the host can tell what it is.
        this.completeError(ER_ABRT);
        this.writeSignature();
        return;
      case Cmd.SetFeatures:
        return this.feature === 0x03 || this.feature === 0x02 || this.feature === 0x82 || this.feature === 0x66 || this.feature === 0xcc
          ? this.completeOk() : this.completeError();
      case Cmd.CheckPowerMode:
        this.nsector = 0xff;
        return this.completeOk();
      case Cmd.IdleImmediate: case Cmd.StandbyImmediate: case Cmd.Idle: case Cmd.Standby: case Cmd.Sleep:
      case Cmd.FlushCache:
        return this.completeOk();
      default:
        return this.completeError(ER_ABRT);
    }
  }

  private identify(): void {
    const w = new Uint16Array(256);
    // ATAPI, CD-ROM device type, removable, accelerated DRQ (no interrupt for the packet), 12-byte packets.
    w[0] = (2 << 14) | (5 << 8) | (1 << 7) | (2 << 5);
    putAtaString(w, 10, 10, this.serial);
    putAtaString(w, 23, 4, this.firmware);
    putAtaString(w, 27, 20, this.model);
    w[49] = (1 << 9) | (1 << 8); // LBA, DMA
    w[53] = 0x0007;
    w[62] = 0x0007;
    w[63] = 0x0007;
    w[64] = 0x0003;
    w[65] = 0xb4; w[66] = 0xb4; w[67] = 0x12c; w[68] = 0xb4;
    w[71] = 30; w[72] = 30;
    w[80] = 0x001e; // ATA/ATAPI-1 to -4
    w[82] = (1 << 14) | (1 << 9) | (1 << 4); // NOP, DEVICE RESET, PACKET
    w[83] = 1 << 14;
    w[84] = 1 << 14;
    w[85] = (1 << 14) | (1 << 9) | (1 << 4);
    w[86] = 0;
    w[87] = 1 << 14;
    w[88] = 0x003f;
    w[93] = (1 << 14) | (1 << 13) | (this.unit === 0 ? 0x0009 : 0x0100);
    this.pioIn(identifyBytes(w), () => this.completeOk(false));
    this.status = ST_DRDY | ST_DSC | ST_DRQ;
    this.raiseIrq();
  }

  // ---- Packet protocol ----

  private packet(): void {
    const dma = (this.feature & 1) !== 0;
    let limit = (this.hcyl << 8) | this.lcyl;
    // A limit of zero is invalid; treat it (and FFFFh) as the largest even count.
    if (limit === 0 || limit === 0xffff) limit = 0xfffe;
    this.nsector = IR_COD; // the device wants the command packet
    this.pioOut(12, (cdb) => this.runPacket(cdb, dma, limit));
    this.status = ST_DRDY | ST_DSC | ST_DRQ;
  }

  private runPacket(cdb: Uint8Array, dma: boolean, limit: number): void {
    let data: DataIn | null;
    try {
      data = this.command10(cdb);
    } catch (e) {
      if (e instanceof CheckCondition) return this.checkCondition(e.key, e.asc, e.ascq);
      // A host I/O failure behind the medium: an unrecovered read error.
      return this.checkCondition(Sense.MediumError, Asc.UnrecoveredReadError);
    }
    if (data === null || data.length === 0) return this.packetDone();
    if (dma) return this.dmaIn(data);
    this.pioPhase(data, 0, limit);
  }

  /** One data-in DRQ block of at most `limit` bytes (odd limits shrink to even when more follows). */
  private pioPhase(data: DataIn, offset: number, limit: number): void {
    const left = data.length - offset;
    let n = left;
    if (n > limit) n = limit & ~1;
    let block: Uint8Array;
    try {
      block = data.produce(offset, n);
    } catch (e) {
      if (e instanceof CheckCondition) return this.checkCondition(e.key, e.asc, e.ascq);
      return this.checkCondition(Sense.MediumError, Asc.UnrecoveredReadError);
    }
    this.lcyl = n & 0xff;
    this.hcyl = n >>> 8;
    this.nsector = IR_IO;
    this.pioIn(block, () => {
      if (offset + n >= data.length) this.packetDone();
      else this.pioPhase(data, offset + n, limit);
    });
    this.status = ST_DRDY | ST_DSC | ST_DRQ;
    this.raiseIrq();
  }

  private dmaIn(data: DataIn): void {
    this.requestDma({
      toMemory: true,
      length: data.length,
      produce: (offset, n) => data.produce(offset, n),
      consume: () => {},
      complete: (transferred, error) => {
        this.dma = null;
        if (error instanceof CheckCondition) return this.checkCondition(error.key, error.asc, error.ascq);
        if (error !== null && error !== undefined) return this.checkCondition(Sense.MediumError, Asc.UnrecoveredReadError);
        if (transferred < data.length) {
          this.status = ST_DRDY | ST_DSC;
          return;
        }
        this.packetDone();
      },
    });
  }

  /** Command completed: status phase with I/O=1 C/D=1 and an interrupt. */
  private packetDone(): void {
    this.setSense(Sense.NoSense, 0);
    this.nsector = IR_IO | IR_COD;
    this.error = 0;
    this.status = ST_DRDY | ST_DSC;
    this.raiseIrq();
  }

  private checkCondition(key: number, asc: number, ascq = 0): void {
    this.setSense(key, asc, ascq);
    this.dma = null;
    this.nsector = IR_IO | IR_COD;
    this.error = key << 4;
    this.status = ST_DRDY | ST_ERR;
    this.raiseIrq();
  }

  private setSense(key: number, asc: number, ascq = 0): void {
    this.senseKey = key;
    this.asc = asc;
    this.ascq = ascq;
  }

  // ---- The command set ----

  /** Execute a CDB; returns the data-in phase (null: no data) or throws a CheckCondition. */
  private command10(cdb: Uint8Array): DataIn | null {
    const op = cdb[0]!;
    // A pending unit attention is reported to the first command that is not allowed to bypass it.
    const bypassUa = op === Op.Inquiry || op === Op.RequestSense || op === Op.GetConfiguration || op === Op.GetEventStatus;
    if (this.unitAttention && !bypassUa) {
      this.unitAttention = false;
      throw new CheckCondition(Sense.UnitAttention, Asc.MediumMayHaveChanged);
    }
    switch (op) {
      case Op.TestUnitReady: this.needMedium(); return null;
      case Op.RequestSense: return this.requestSense(cdb);
      case Op.Inquiry: return this.inquiry(cdb);
      case Op.ReadCapacity: {
        const last = this.needMedium() - 1;
        return bytes(be32(last), be32(CD_SECTOR));
      }
      case Op.Read10: return this.read(be32At(cdb, 2), (cdb[7]! << 8) | cdb[8]!);
      case Op.Read12: return this.read(be32At(cdb, 2), be32At(cdb, 6));
      case Op.Seek10: {
        const total = this.needMedium();
        if (be32At(cdb, 2) >= total) throw new CheckCondition(Sense.IllegalRequest, Asc.LbaOutOfRange);
        return null;
      }
      case Op.ModeSense6: return this.modeSense(cdb, false);
      case Op.ModeSense10: return this.modeSense(cdb, true);
      case Op.GetConfiguration: return this.getConfiguration(cdb);
      case Op.ReadToc: return this.readToc(cdb);
      case Op.GetEventStatus: return this.getEventStatus(cdb);
      case Op.StartStopUnit: return this.startStop(cdb);
      case Op.PreventAllow:
        this.locked = (cdb[4]! & 1) !== 0;
        return null;
      case Op.ReadDiscInformation: return this.readDiscInformation(cdb);
      case Op.ReadTrackInformation: return this.readTrackInformation(cdb);
      case Op.MechanismStatus: return this.mechanismStatus(cdb);
      case Op.SetCdSpeed:
        // SET CD SPEED (MMC-3 6.1.36): the speeds are requests the drive may round; a medium is
        // not needed and there is no data phase. This drive reads at one speed whatever is asked.
        return null;
      case Op.Verify10: return this.verify(cdb);
      case Op.ReadCd: return this.readCd(cdb, be32At(cdb, 2), (cdb[6]! << 16) | (cdb[7]! << 8) | cdb[8]!);
      case Op.ReadCdMsf: {
        // READ CD MSF (MMC-3 6.1.16): from the starting address up to, not including, the ending one.
        const start = msfToLba(cdb[3]!, cdb[4]!, cdb[5]!), end = msfToLba(cdb[6]!, cdb[7]!, cdb[8]!);
        if (end < start) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
        return this.readCd(cdb, start, end - start);
      }
      case Op.ReadSubchannel: return this.readSubchannel(cdb);
      case Op.ReadDvdStructure: return this.readDvdStructure(cdb);
      default:
        throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidOpcode);
    }
  }

  /** Sectors on the medium, or NOT READY / MEDIUM NOT PRESENT. */
  private needMedium(): number {
    if (!this.loaded) throw new CheckCondition(Sense.NotReady, Asc.MediumNotPresent);
    return this.totalSectors;
  }

  private requestSense(cdb: Uint8Array): DataIn {
    if (this.unitAttention) {
      this.unitAttention = false;
      this.setSense(Sense.UnitAttention, Asc.MediumMayHaveChanged);
    }
    const s = new Uint8Array(18);
    s[0] = 0x70; // current error, fixed format
    s[2] = this.senseKey;
    s[7] = 10;
    s[12] = this.asc;
    s[13] = this.ascq;
    // Reporting the sense clears it.
    this.setSense(Sense.NoSense, 0);
    return truncated(s, cdb[4]!);
  }

  private inquiry(cdb: Uint8Array): DataIn {
    if ((cdb[1]! & 1) !== 0) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField); // no VPD pages
    const d = new Uint8Array(36);
    d[0] = 0x05; // CD/DVD device
    d[1] = 0x80; // removable
    d[2] = 0x00;
    d[3] = 0x21; // ATAPI, response format 1
    d[4] = 36 - 5;
    ascii(d, 8, 8, 'X86VM');
    ascii(d, 16, 16, this.model.replace(/^X86VM /, ''));
    ascii(d, 32, 4, this.firmware);
    return truncated(d, (cdb[3]! << 8) | cdb[4]!);
  }

  private read(lba: number, count: number): DataIn | null {
    const total = this.needMedium();
    if (lba + count > total) throw new CheckCondition(Sense.IllegalRequest, Asc.LbaOutOfRange);
    if (count === 0) return null;
    const medium = this.loaded!;
    const base = lba * CD_SECTOR;
    this.head = lba + count - 1;
    return {
      length: count * CD_SECTOR,
      produce: (offset, n) => {
        const data = new Uint8Array(n);
        medium.read(base + offset, data);
        return data;
      },
    };
  }

  private capabilitiesPage(): Uint8Array {
    const p = new Uint8Array(22);
    p[0] = 0x2a;
    p[1] = 20;
    p[2] = 0x3b; // reads CD-R, CD-RW, method 2, DVD-ROM, DVD-R
    p[3] = 0x00; // writes nothing
    p[4] = 0x71; // audio play, composite, digital port 1, multisession
    p[5] = 0xff; // CD-DA commands, accurate stream, R-W, C2, ISRC, UPC, barcode
    p[6] = 0x29 | (this.locked ? 0x02 : 0); // tray loader, eject, lock supported (+ lock state)
    p[7] = 0x00;
    set16(p, 8, 706 * 4); // maximum read speed (kB/s)
    set16(p, 10, 256); // volume levels
    set16(p, 12, 512); // buffer size (KiB)
    set16(p, 14, 706 * 4); // current read speed
    return p;
  }

  private modeSense(cdb: Uint8Array, ten: boolean): DataIn {
    const control = cdb[2]! >> 6, page = cdb[2]! & 0x3f;
    if (control === 3) throw new CheckCondition(Sense.IllegalRequest, Asc.SavingNotSupported);
    const errorRecovery = Uint8Array.of(0x01, 0x06, 0x00, 0x05, 0, 0, 0, 0);
    // CD audio control (MMC-3 6.3.7): output port 0 carries channel 0, port 1 channel 1, full volume.
    const audioControl = Uint8Array.of(0x0e, 0x0e, 0x04, 0, 0, 0, 0, 0, 0x01, 0xff, 0x02, 0xff, 0, 0, 0, 0);
    let pages: Uint8Array[];
    if (page === 0x01) pages = [errorRecovery];
    else if (page === 0x0e) pages = [audioControl];
    else if (page === 0x2a) pages = [this.capabilitiesPage()];
    else if (page === 0x3f) pages = [errorRecovery, audioControl, this.capabilitiesPage()];
    else throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
    if (control === 1) for (const p of pages) p.fill(0, 2); // changeable values: none
    const body = concat(pages);
    const mediumType = this.loaded ? (this.totalSectors > CD_MAX_SECTORS ? 0x00 : 0x01) : 0x70;
    let header: Uint8Array;
    if (ten) {
      header = new Uint8Array(8);
      set16(header, 0, 8 - 2 + body.length);
      header[2] = mediumType;
      return truncated(concat([header, body]), (cdb[7]! << 8) | cdb[8]!);
    }
    header = new Uint8Array(4);
    header[0] = 4 - 1 + body.length;
    header[1] = mediumType;
    return truncated(concat([header, body]), cdb[4]!);
  }

  private getConfiguration(cdb: Uint8Array): DataIn {
    const rt = cdb[1]! & 3, start = (cdb[2]! << 8) | cdb[3]!;
    const dvd = this.loaded !== null && this.totalSectors > CD_MAX_SECTORS;
    const profile = this.loaded ? (dvd ? 0x0010 : 0x0008) : 0;
    const feature = (code: number, version: number, persistent: boolean, current: boolean, data: number[]) =>
      ({ code, current, bytes: Uint8Array.of(code >> 8, code & 0xff, (version << 2) | (persistent ? 2 : 0) | (current ? 1 : 0), data.length, ...data) });
    const features = [
      // Profile list: DVD-ROM and CD-ROM, the mounted one current.
      feature(0x0000, 0, true, true, [0x00, 0x10, profile === 0x10 ? 1 : 0, 0, 0x00, 0x08, profile === 0x08 ? 1 : 0, 0]),
      // Core: ATAPI physical interface, DBE.
      feature(0x0001, 1, true, true, [0, 0, 0, 2, 1, 0, 0, 0]),
      // Morphing: asynchronous events not supported, OCEvent.
      feature(0x0002, 1, true, true, [0x02, 0, 0, 0]),
      // Removable medium: tray, eject, lock.
      feature(0x0003, 0, true, true, [(1 << 5) | (1 << 3) | (1 << 0) | (this.locked ? 1 << 2 : 0), 0, 0, 0]),
      // Random readable (2048-byte blocks, blocking 1, PP).
      feature(0x0010, 0, false, this.loaded !== null, [0, 0, 0x08, 0x00, 0, 1, 1, 0]),
      // CD read.
      feature(0x001e, 2, false, this.loaded !== null && !dvd, [0, 0, 0, 0]),
      // DVD read.
      feature(0x001f, 0, false, dvd, []),
    ];
    const chosen = features.filter((f) => (rt === 2 ? f.code === start : f.code >= start && (rt !== 1 || f.current)));
    const body = concat(chosen.map((f) => f.bytes));
    const header = new Uint8Array(8);
    const length = 4 + body.length;
    header.set(be32(length), 0);
    set16(header, 6, profile);
    return truncated(concat([header, body]), (cdb[7]! << 8) | cdb[8]!);
  }

  private readToc(cdb: Uint8Array): DataIn {
    const total = this.needMedium();
    const msf = (cdb[1]! & 2) !== 0;
    let format = cdb[2]! & 0x0f;
    if (format === 0) format = cdb[9]! >> 6; // SFF-8020 placed the format in the control byte
    const track = cdb[6]!, alloc = (cdb[7]! << 8) | cdb[8]!;
    const address = (lba: number): number[] => {
      if (!msf) return [...be32(lba)];
      const [m, s, f] = toMsf(lba);
      return [0, m, s, f];
    };
    let out: number[];
    switch (format) {
      case 0: { // TOC: one data track and the lead-out
        if (track > 1 && track !== 0xaa) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
        out = [0, 0, 1, 1];
        if (track <= 1) out.push(0, 0x14, 1, 0, ...address(0));
        out.push(0, 0x16, 0xaa, 0, ...address(total));
        break;
      }
      case 1: // multisession information: first track of the last session
        out = [0, 0, 1, 1, 0, 0x14, 1, 0, ...address(0)];
        break;
      case 2: { // raw TOC: points A0, A1, A2 and track 1, addresses always MSF
        const [lm, ls, lf] = toMsf(total);
        const [tm, ts, tf] = toMsf(0);
        out = [0, 0, 1, 1,
          1, 0x14, 0, 0xa0, 0, 0, 0, 0, 1, 0x00, 0,
          1, 0x14, 0, 0xa1, 0, 0, 0, 0, 1, 0, 0,
          1, 0x14, 0, 0xa2, 0, 0, 0, 0, lm, ls, lf,
          1, 0x14, 0, 1, 0, 0, 0, 0, tm, ts, tf];
        break;
      }
      default:
        throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
    }
    const data = Uint8Array.from(out);
    set16(data, 0, data.length - 2);
    return truncated(data, alloc);
  }

  private getEventStatus(cdb: Uint8Array): DataIn {
    if ((cdb[1]! & 1) === 0) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField); // only polled mode
    const classes = cdb[4]!, alloc = (cdb[7]! << 8) | cdb[8]!;
    const MEDIA = 1 << 4;
    let data: Uint8Array;
    if ((classes & MEDIA) !== 0) {
      data = new Uint8Array(8);
      set16(data, 0, 6);
      data[2] = 4; // media class
      data[3] = MEDIA;
      data[4] = this.mediaEvent;
      data[5] = (this.loaded ? 2 : 0) | (this.trayOpen ? 1 : 0);
      this.mediaEvent = 0;
    } else {
      data = new Uint8Array(4);
      set16(data, 0, 2);
      data[2] = 0x80; // no event available
      data[3] = MEDIA;
    }
    return truncated(data, alloc);
  }

  private startStop(cdb: Uint8Array): null {
    const loej = (cdb[4]! & 2) !== 0, start = (cdb[4]! & 1) !== 0;
    // A power condition (bits 7:4) other than 0 is a power-state change only: LoEj and Start are
    // ignored (MMC-3 6.1.35, Table 223).
    if ((cdb[4]! & 0xf0) !== 0 || !loej) return null;
    if (!start) {
      if (this.locked) throw new CheckCondition(Sense.IllegalRequest, Asc.MediumRemovalPrevented, 0x02);
      if (!this.trayOpen) this.mediaEvent = 3;
      this.trayOpen = true;
    } else {
      if (this.trayOpen && this.medium) this.mediaEvent = 2;
      this.trayOpen = false;
    }
    return null;
  }

  private readDiscInformation(cdb: Uint8Array): DataIn {
    if ((cdb[1]! & 7) !== 0) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
    this.needMedium();
    const d = new Uint8Array(34);
    set16(d, 0, 32);
    d[2] = 0x0e; // complete disc, complete last session
    d[3] = 1; // first track
    d[4] = 1; // sessions
    d[5] = 1; // first track in last session
    d[6] = 1; // last track in last session
    d[7] = 0x20; // unrestricted use
    d[8] = 0x00; // CD-DA or CD-ROM
    d.fill(0xff, 16, 24); // no lead-in / last possible lead-out
    return truncated(d, (cdb[7]! << 8) | cdb[8]!);
  }

  private mechanismStatus(cdb: Uint8Array): DataIn {
    // MECHANISM STATUS (MMC-3 6.1.9): header only (no changer, so no slot tables): mechanism idle,
    // door open bit, the current LBA (the last block read).
    const d = new Uint8Array(8);
    d[1] = this.trayOpen ? 0x10 : 0;
    if (this.loaded) d.set(be32(this.head).subarray(1), 2);
    return truncated(d, (cdb[8]! << 8) | cdb[9]!);
  }

  /**
   * READ TRACK INFORMATION (MMC-3 6.1.27): the one data track of a pressed disc, addressed by an
   * LBA inside it (type 0), by track number 1 (type 1) or by session 1 (type 2). 36-byte
   * descriptor: track mode 4 (data, uninterrupted), data mode 1, no writable space.
   */
  private readTrackInformation(cdb: Uint8Array): DataIn {
    const total = this.needMedium();
    const type = cdb[1]! & 3, value = be32At(cdb, 2);
    if (type === 0 && value >= total) throw new CheckCondition(Sense.IllegalRequest, Asc.LbaOutOfRange);
    if ((type === 1 || type === 2) && value !== 1) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
    if (type === 3) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
    const d = new Uint8Array(36);
    set16(d, 0, 34);
    d[2] = 1; // track number (LSB)
    d[3] = 1; // session number (LSB)
    d[5] = 0x04; // damage 0, copy 0, track mode: data, recorded uninterrupted
    d[6] = 0x01; // not reserved, not blank, not packet; data mode 1
    d[7] = 0x00; // LRA and NWA not valid: nothing is writable
    d.set(be32(0), 8); // track start address
    d.set(be32(total), 24); // track size
    return truncated(d, (cdb[7]! << 8) | cdb[8]!);
  }

  /** VERIFY(10) (MMC-3 6.1.40) without byte comparison: the range must lie on the medium. */
  private verify(cdb: Uint8Array): null {
    if ((cdb[1]! & 0x02) !== 0) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField); // BYTCHK needs a data-out phase
    const total = this.needMedium();
    if (be32At(cdb, 2) + ((cdb[7]! << 8) | cdb[8]!) > total) throw new CheckCondition(Sense.IllegalRequest, Asc.LbaOutOfRange);
    return null;
  }

  /**
   * READ CD / READ CD MSF (MMC-3 6.1.15/16). The medium is one Mode 1 data track, so the expected
   * sector type must be "any" (0) or Mode 1 (2); CD-DA and the Mode 2 forms end in ILLEGAL MODE
   * FOR THIS TRACK. Byte 9 picks the parts of each 2352-byte sector (sync, header, user data,
   * EDC/ECC; a Mode 1 sector has no sub-header) which must be adjacent in the sector (MMC-3
   * Table 227 lists the other combinations as illegal); C2 error pointers (all zero: no errors)
   * and sub-channel data (raw P-W with the Q bits, formatted Q, or R-W, which a data disc leaves
   * empty) follow each sector.
   */
  private readCd(cdb: Uint8Array, lba: number, count: number): DataIn | null {
    const total = this.needMedium();
    const type = (cdb[1]! >> 2) & 7;
    if (type > 5) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
    if (type !== 0 && type !== 2) throw new CheckCondition(Sense.IllegalRequest, Asc.IllegalModeForTrack);
    const flags = cdb[9]!, sub = cdb[10]! & 7, c2 = (flags >> 1) & 3;
    if (c2 === 3 || sub === 3 || sub > 4) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
    // Parts of the raw sector in order: sync, header, user data, EDC + zero + P/Q parity.
    const parts: [boolean, number, number][] = [
      [(flags & 0x80) !== 0, Mode1.Sync, 12],
      [(flags & 0x20) !== 0, Mode1.Header, 4],
      [(flags & 0x10) !== 0, Mode1.User, USER_DATA],
      [(flags & 0x08) !== 0, Mode1.Edc, RAW_SECTOR - Mode1.Edc],
    ];
    const chosen = parts.map(([on]) => on);
    const first = chosen.indexOf(true), last = chosen.lastIndexOf(true);
    if (first >= 0 && chosen.slice(first, last + 1).includes(false)) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
    if (lba + count > total) throw new CheckCondition(Sense.IllegalRequest, Asc.LbaOutOfRange);
    const from = first >= 0 ? parts[first]![1] : 0;
    const to = first >= 0 ? parts[last]![1] + parts[last]![2] : 0;
    const c2Bytes = c2 === 1 ? 294 : c2 === 2 ? 296 : 0;
    const subBytes = sub === 2 ? 16 : sub !== 0 ? 96 : 0;
    const perSector = to - from + c2Bytes + subBytes;
    if (count === 0 || perSector === 0) return null;
    // Plain 2048-byte reads go straight to the medium.
    if (from === Mode1.User && to === Mode1.Edc && perSector === USER_DATA) return this.read(lba, count);
    const medium = this.loaded!;
    this.head = lba + count - 1;
    const sector = (n: number): Uint8Array => {
      const out = new Uint8Array(perSector);
      const user = new Uint8Array(USER_DATA);
      medium.read((lba + n) * CD_SECTOR, user);
      const raw = from === Mode1.User && to === Mode1.Edc ? null : mode1Sector(lba + n, user);
      out.set(raw ? raw.subarray(from, to) : user, 0);
      // C2 pointers and the block error byte stay zero: no sector has an error.
      const at = to - from + c2Bytes;
      if (sub === 2) out.set(subQ(lba + n), at);
      else if (sub === 1) {
        // Raw P-W: one bit of each channel per byte, P in bit 7 (zero inside a track), Q in bit 6.
        const q = subQ(lba + n);
        for (let i = 0; i < 96; i++) out[at + i] = ((q[i >> 3]! >> (7 - (i & 7))) & 1) << 6;
      }
      return out;
    };
    let cached = -1;
    let cache: Uint8Array = new Uint8Array(0);
    return {
      length: count * perSector,
      produce: (offset, n) => {
        const data = new Uint8Array(n);
        for (let done = 0; done < n;) {
          const index = Math.floor((offset + done) / perSector), within = (offset + done) % perSector;
          if (index !== cached) { cache = sector(index); cached = index; }
          const take = Math.min(n - done, perSector - within);
          data.set(cache.subarray(within, within + take), done);
          done += take;
        }
        return data;
      },
    };
  }

  /**
   * READ SUB-CHANNEL (MMC-3 6.1.23): audio status "none to report" (15h), and with SubQ set the
   * CD current position (format 01h: the data track, absolute and track-relative addresses of the
   * last block read), the media catalogue number (02h) or a track's ISRC (03h); a pressed data
   * disc has neither, so their valid bits are clear.
   */
  private readSubchannel(cdb: Uint8Array): DataIn {
    this.needMedium();
    const msf = (cdb[1]! & 2) !== 0, wantQ = (cdb[2]! & 0x40) !== 0, format = cdb[3]!, track = cdb[6]!;
    const alloc = (cdb[7]! << 8) | cdb[8]!;
    const address = (frames: number, lba: number): number[] => {
      if (!msf) return [...be32(lba)];
      const [m, s, f] = framesToMsf(frames);
      return [0, m, s, f];
    };
    let body: number[] = [];
    if (wantQ) {
      switch (format) {
        case 1:
          body = [0x01, 0x14, 1, 1, ...address(this.head + PREGAP_FRAMES, this.head), ...address(this.head, this.head)];
          break;
        case 2:
          body = [0x02, 0, 0, 0, 0x00, ...new Array<number>(15).fill(0)];
          break;
        case 3:
          if (track !== 1) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
          body = [0x03, 0x14, 1, 0, 0x00, ...new Array<number>(15).fill(0)];
          break;
        default:
          throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
      }
    }
    const d = Uint8Array.from([0, 0x15, 0, 0, ...body]);
    set16(d, 2, body.length);
    return truncated(d, alloc);
  }

  /**
   * READ DVD STRUCTURE (MMC-5 6.22) for DVD media (media type 0): physical format information
   * (00h: DVD-ROM book, 120 mm, one embossed layer, data from PSN 30000h), copyright information
   * (01h: no protection system, all regions), disc manufacturing information (04h: empty) and the
   * list of structures (FFh). A CD has no DVD structures: CANNOT READ MEDIUM - INCOMPATIBLE FORMAT.
   */
  private readDvdStructure(cdb: Uint8Array): DataIn {
    const mediaType = cdb[1]! & 0x0f, layer = cdb[6]!, format = cdb[7]!, alloc = (cdb[8]! << 8) | cdb[9]!;
    if (mediaType !== 0) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField); // BD structures
    const structures: [number, number][] = [[0x00, 2048], [0x01, 4], [0x04, 2048], [0xff, 16]];
    if (format === 0xff) {
      const list: number[] = [];
      for (const [code, length] of structures) list.push(code, 0x40 /* RDS: readable */, length >> 8, length & 0xff);
      const d = Uint8Array.from([0, 0, 0, 0, ...list]);
      set16(d, 0, d.length - 2);
      return truncated(d, alloc);
    }
    const total = this.needMedium();
    if (total <= CD_MAX_SECTORS) throw new CheckCondition(Sense.IllegalRequest, Asc.IncompatibleMedium, 0x02);
    if (layer !== 0) throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
    let body: Uint8Array;
    switch (format) {
      case 0x00: {
        body = new Uint8Array(2048);
        body[0] = 0x01; // book type DVD-ROM, part version 1
        body[1] = 0x02; // 120 mm, maximum rate 10.08 Mbit/s
        body[2] = 0x01; // one layer, parallel track path, embossed (read-only) layer
        body[3] = 0x00; // 0.267 um/bit, 0.74 um/track
        body.set(be32(0x30000), 4); // first physical sector of the data area
        body.set(be32(0x30000 + total - 1), 8); // last physical sector of the data area
        body.set(be32(0), 12); // last sector of layer 0: single layer
        body[16] = 0; // no burst cutting area
        break;
      }
      case 0x01: body = Uint8Array.of(0x00, 0x00, 0, 0); break; // no copy protection, region-free
      case 0x04: body = new Uint8Array(2048); break;
      default: throw new CheckCondition(Sense.IllegalRequest, Asc.InvalidField);
    }
    const d = new Uint8Array(4 + body.length);
    set16(d, 0, d.length - 2);
    d.set(body, 4);
    return truncated(d, alloc);
  }
}

/** An absolute MSF address to an LBA (LBA 0 = 00:02:00). */
function msfToLba(m: number, s: number, f: number): number {
  return (m * 60 + s) * 75 + f - PREGAP_FRAMES;
}

// ---- byte helpers ----

function be32(v: number): Uint8Array {
  return Uint8Array.of((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

function be32At(a: Uint8Array, i: number): number {
  return ((a[i]! << 24) | (a[i + 1]! << 16) | (a[i + 2]! << 8) | a[i + 3]!) >>> 0;
}

function set16(a: Uint8Array, i: number, v: number): void {
  a[i] = (v >>> 8) & 0xff;
  a[i + 1] = v & 0xff;
}

function bytes(...parts: Uint8Array[]): DataIn {
  return truncated(concat(parts), Infinity);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A reply cut to the allocation length. */
function truncated(data: Uint8Array, alloc: number): DataIn {
  const d = data.subarray(0, Math.min(data.length, alloc));
  return { length: d.length, produce: (offset, n) => d.slice(offset, offset + n) };
}

function ascii(d: Uint8Array, at: number, length: number, text: string): void {
  const padded = text.padEnd(length, ' ').slice(0, length);
  for (let i = 0; i < length; i++) d[at + i] = padded.charCodeAt(i);
}

/** LBA to MSF (the 2-second pregap: LBA 0 = 00:02:00). */
function toMsf(lba: number): [number, number, number] {
  const frames = lba + 150;
  return [Math.floor(frames / (60 * 75)) & 0xff, Math.floor(frames / 75) % 60, frames % 75];
}
