/**
 * Virtio over PCI (virtio 1.1, 4.1) as a transitional device, the way QEMU's virtio-*-pci devices
 * appear on the pc machine: vendor 1AF4h, device 1000h + (virtio ID - 1), revision 0, subsystem
 * vendor 1AF4h and subsystem ID = the virtio device ID (4.1.2.3), INTx on pin A.
 *
 * Two interfaces reach the same device state:
 *  - the legacy interface (4.1.4.8 "Legacy Interfaces: A Note on PCI Device Layout") in I/O BAR0:
 *    device features, driver features, queue PFN, queue size, queue select, queue notify, device
 *    status, ISR status, then the device configuration space (at 20: no MSI-X);
 *  - the modern interface (4.1.4) in memory BAR4, described by vendor-specific capabilities:
 *    common configuration (4.1.4.3) at +0, ISR (4.1.4.5) at +0x1000, device configuration
 *    (4.1.4.6) at +0x2000, notifications (4.1.4.4, 4-byte stride per queue) at +0x3000, plus the
 *    PCI configuration access capability (4.1.4.7) for firmware that cannot reach the BAR.
 * A driver uses one of them; VIRTIO_F_VERSION_1 is offered only through the modern one.
 *
 * There is no MSI-X: notifications go through the ISR and the INTx line (4.1.5.3/4.1.5.4), which
 * follows "ISR != 0" unless the command register's Interrupt Disable bit is set, and is reflected
 * in the status register's Interrupt Status bit (PCI 3.0, 6.2.2/6.2.3). Requests complete
 * synchronously inside the driver's notification write.
 */
import type { DmaMemory } from '../../bus/dma-memory.js';
import type { IrqLine } from '../../bus/irq-line.js';
import type { IoHandler } from '../../mem/io-handler.js';
import { COMMAND_MASTER, PCI_COMMAND, PCI_STATUS, PCI_SUBSYSTEM_ID, PCI_SUBSYSTEM_VENDOR, PciDevice } from '../pci/pci-device.js';
import {
  bit, VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_VERSION_1, VIRTIO_ISR_CONFIG, VIRTIO_ISR_QUEUE,
  VIRTIO_STATUS_ACKNOWLEDGE, VIRTIO_STATUS_DEVICE_NEEDS_RESET, VIRTIO_STATUS_DRIVER, VIRTIO_STATUS_DRIVER_OK,
  VIRTIO_STATUS_FEATURES_OK, type VirtioDevice,
} from './virtio.js';
import { SplitVirtqueue, VirtqueueError } from './virtqueue.js';

export const VIRTIO_PCI_VENDOR = 0x1af4;

/** Legacy register offsets in BAR0 (4.1.4.8). */
export const LEGACY_DEVICE_FEATURES = 0x00, LEGACY_DRIVER_FEATURES = 0x04, LEGACY_QUEUE_PFN = 0x08,
  LEGACY_QUEUE_SIZE = 0x0c, LEGACY_QUEUE_SELECT = 0x0e, LEGACY_QUEUE_NOTIFY = 0x10, LEGACY_STATUS = 0x12,
  LEGACY_ISR = 0x13, LEGACY_CONFIG = 0x14;
/** The legacy queue address register holds a 4096-byte page number (4.1.4.8: VIRTIO_PCI_QUEUE_ADDR_SHIFT). */
export const LEGACY_PFN_SHIFT = 12;

/** Common configuration structure fields (4.1.4.3). */
export const COMMON_DFSELECT = 0x00, COMMON_DF = 0x04, COMMON_GFSELECT = 0x08, COMMON_GF = 0x0c,
  COMMON_MSIX = 0x10, COMMON_NUMQ = 0x12, COMMON_STATUS = 0x14, COMMON_CFGGENERATION = 0x15,
  COMMON_Q_SELECT = 0x16, COMMON_Q_SIZE = 0x18, COMMON_Q_MSIX = 0x1a, COMMON_Q_ENABLE = 0x1c,
  COMMON_Q_NOFF = 0x1e, COMMON_Q_DESCLO = 0x20, COMMON_Q_DESCHI = 0x24, COMMON_Q_AVAILLO = 0x28,
  COMMON_Q_AVAILHI = 0x2c, COMMON_Q_USEDLO = 0x30, COMMON_Q_USEDHI = 0x34;

/** Where the modern structures live in BAR4, and the notification stride. */
export const MODERN_BAR = 4, MODERN_BAR_SIZE = 0x4000;
export const MODERN_COMMON = 0x0000, MODERN_ISR = 0x1000, MODERN_DEVICE = 0x2000, MODERN_NOTIFY = 0x3000;
export const MODERN_REGION_SIZE = 0x1000, NOTIFY_OFF_MULTIPLIER = 4;

/** Virtio PCI capability types (4.1.4). */
export const VIRTIO_PCI_CAP_COMMON_CFG = 1, VIRTIO_PCI_CAP_NOTIFY_CFG = 2, VIRTIO_PCI_CAP_ISR_CFG = 3,
  VIRTIO_PCI_CAP_DEVICE_CFG = 4, VIRTIO_PCI_CAP_PCI_CFG = 5;
const PCI_CAP_ID_VNDR = 0x09, PCI_CAPABILITY_LIST = 0x34, PCI_STATUS_CAP_LIST = 0x10, PCI_STATUS_INTERRUPT = 0x08;
const COMMAND_INTX_DISABLE = 0x400;
/** The PCI configuration access capability: its offset in config space and that of pci_cfg_data. */
const PCI_CFG_CAP = 0x84, PCI_CFG_DATA = PCI_CFG_CAP + 16;
/** "No MSI-X vector" (4.1.4.3: VIRTIO_MSI_NO_VECTOR): what the vector fields read without MSI-X. */
const NO_VECTOR = 0xffff;

export interface VirtioPciOptions {
  /** Guest memory as this bus master sees it. */
  memory: DmaMemory;
  /** The function's INTA# (the board routes it through the PIIX3 PIRQ links). */
  irq: IrqLine;
  /** Map or unmap the legacy I/O BAR0 (null: not decoded). */
  mapIo: (base: number | null, size: number, handler: IoHandler) => void;
  /** Map or unmap the modern memory BAR4. */
  mapMmio: (base: number | null, size: number, handler: IoHandler) => void;
  /** Offer the modern interface (capabilities + BAR4) next to the legacy one (default true). */
  modern?: boolean;
}

export class VirtioPciDevice extends PciDevice {
  readonly queues: SplitVirtqueue[];
  readonly modern: boolean;
  private readonly legacySize: number;
  /** Device status (2.1), ISR (4.1.4.5), features the driver accepted. */
  private status = 0;
  private isr = 0;
  private driverFeatures = 0n;
  private queueSelect = 0;
  private deviceFeatureSelect = 0;
  private driverFeatureSelect = 0;
  /** Set when the driver broke the protocol (DEVICE_NEEDS_RESET): the queues are left alone until reset. */
  private broken = false;
  /** Why the device needs a reset (tests, diagnostics). */
  lastError: string | null = null;

  constructor(readonly device: VirtioDevice, private readonly options: VirtioPciOptions) {
    super(VIRTIO_PCI_VENDOR, device.transitionalPciId, device.pciClass, 0);
    this.modern = options.modern ?? true;
    const v = new DataView(this.config.buffer);
    v.setUint16(PCI_SUBSYSTEM_VENDOR, VIRTIO_PCI_VENDOR, true);
    v.setUint16(PCI_SUBSYSTEM_ID, device.deviceId, true);
    this.setInterruptPin(1);
    this.queues = device.queueSizes.map((n) => new SplitVirtqueue(options.memory, n));
    // BAR0 holds the 20 register bytes and the device configuration space, rounded to a power of two.
    this.legacySize = Math.max(32, 2 ** Math.ceil(Math.log2(LEGACY_CONFIG + device.configSize)));
    this.defineBar(0, { size: this.legacySize, io: true });
    if (this.modern) {
      this.defineBar(MODERN_BAR, { size: MODERN_BAR_SIZE, io: false });
      this.buildCapabilities();
    }
    this.onBarMapped = (n, address) => {
      if (n === 0) options.mapIo(address, this.legacySize, this.legacyHandler);
      else if (n === MODERN_BAR) options.mapMmio(address, MODERN_BAR_SIZE, this.modernHandler);
    };
  }

  /** The vendor-specific capabilities of 4.1.4, chained from 0x34. */
  private buildCapabilities(): void {
    const v = new DataView(this.config.buffer);
    this.config[PCI_STATUS] = this.config[PCI_STATUS]! | PCI_STATUS_CAP_LIST;
    const caps: [at: number, type: number, offset: number, length: number, extra: number][] = [
      [0x40, VIRTIO_PCI_CAP_COMMON_CFG, MODERN_COMMON, MODERN_REGION_SIZE, 0],
      [0x50, VIRTIO_PCI_CAP_ISR_CFG, MODERN_ISR, MODERN_REGION_SIZE, 0],
      [0x60, VIRTIO_PCI_CAP_DEVICE_CFG, MODERN_DEVICE, MODERN_REGION_SIZE, 0],
      [0x70, VIRTIO_PCI_CAP_NOTIFY_CFG, MODERN_NOTIFY, MODERN_REGION_SIZE, 4],
      [PCI_CFG_CAP, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 4],
    ];
    this.config[PCI_CAPABILITY_LIST] = caps[0]![0];
    caps.forEach(([at, type, offset, length, extra], i) => {
      this.config[at] = PCI_CAP_ID_VNDR;
      this.config[at + 1] = caps[i + 1]?.[0] ?? 0;
      this.config[at + 2] = 16 + extra;
      this.config[at + 3] = type;
      this.config[at + 4] = type === VIRTIO_PCI_CAP_PCI_CFG ? 0 : MODERN_BAR;
      v.setUint32(at + 8, offset, true);
      v.setUint32(at + 12, length, true);
    });
    v.setUint32(0x70 + 16, NOTIFY_OFF_MULTIPLIER, true);
    // 4.1.4.7: the driver chooses bar, offset and length, then accesses pci_cfg_data.
    this.writeMask[PCI_CFG_CAP + 4] = 0xff;
    for (let i = 8; i < 20; i++) this.writeMask[PCI_CFG_CAP + i] = 0xff;
  }

  // --- Configuration space hooks --------------------------------------------------------------

  override readConfig(offset: number, size: number): number {
    if (this.modern && overlaps(offset, size, PCI_CFG_DATA, 4)) this.pciCfgAccess(false);
    return super.readConfig(offset, size);
  }

  override writeConfig(offset: number, size: number, value: number): void {
    super.writeConfig(offset, size, value);
    if (this.modern && overlaps(offset, size, PCI_CFG_DATA, 4)) this.pciCfgAccess(true);
  }

  protected override configWritten(offset: number, size: number): void {
    super.configWritten(offset, size);
    // The Interrupt Disable bit may have changed.
    if (overlaps(offset, size, PCI_COMMAND, 2)) this.updateIrq();
  }

  /**
   * 4.1.4.7.1: a pci_cfg_data access performs an access of cap.length (1, 2 or 4) bytes at
   * cap.offset in the BAR named by cap.bar; anything else is ignored.
   */
  private pciCfgAccess(write: boolean): void {
    const v = new DataView(this.config.buffer);
    const bar = this.config[PCI_CFG_CAP + 4]!, at = v.getUint32(PCI_CFG_CAP + 8, true), length = v.getUint32(PCI_CFG_CAP + 12, true);
    if (bar !== MODERN_BAR || (length !== 1 && length !== 2 && length !== 4) || at % length !== 0 || at + length > MODERN_BAR_SIZE) return;
    if (write) {
      const value = length === 4 ? v.getUint32(PCI_CFG_DATA, true) : length === 2 ? v.getUint16(PCI_CFG_DATA, true) : this.config[PCI_CFG_DATA]!;
      this.modernWrite(at, length, value);
    } else {
      const value = this.modernRead(at, length);
      for (let i = 0; i < length; i++) this.config[PCI_CFG_DATA + i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
    }
  }

  // --- State shared by both interfaces ---------------------------------------------------------

  /** Feature bits offered: the device's, the ring features the transport implements, VERSION_1 on the modern interface. */
  offeredFeatures(): bigint {
    let f = this.device.deviceFeatures() | bit(VIRTIO_F_INDIRECT_DESC) | bit(VIRTIO_F_EVENT_IDX);
    if (this.modern) f |= bit(VIRTIO_F_VERSION_1);
    return f;
  }

  get deviceStatus(): number {
    return this.status;
  }

  get negotiatedFeatures(): bigint {
    return this.driverFeatures;
  }

  private setFeatures(features: bigint): void {
    this.driverFeatures = features & this.offeredFeatures();
    this.device.featuresNegotiated(this.driverFeatures);
  }

  /** Device reset (2.1, 4.1.4.3.1: writing 0 to device_status): back to the initial state. */
  resetDevice(): void {
    this.status = 0;
    this.driverFeatures = 0n;
    this.queueSelect = 0;
    this.deviceFeatureSelect = this.driverFeatureSelect = 0;
    this.broken = false;
    this.lastError = null;
    for (const q of this.queues) q.reset();
    this.device.reset();
    this.isr = 0;
    this.updateIrq();
  }

  /** Power-on / board reset: the PCI function's registers too (BARs unassigned, decoding off). */
  reset(): void {
    this.writeConfig(PCI_COMMAND, 2, 0);
    for (let n = 0; n < 6; n++) this.writeConfig(0x10 + 4 * n, 4, 0);
    if (this.modern) for (let i = 4; i < 20; i++) this.config[PCI_CFG_CAP + i] = 0;
    this.resetDevice();
  }

  private writeStatus(value: number, legacy: boolean): void {
    value &= 0xff;
    if (value === 0) {
      this.resetDevice();
      return;
    }
    if (!legacy && (value & VIRTIO_STATUS_FEATURES_OK) !== 0 && (this.status & VIRTIO_STATUS_FEATURES_OK) === 0) {
      // 3.1.1 steps 5-6: the device leaves FEATURES_OK clear when it cannot work with the features;
      // through the modern interface that includes a driver that did not accept VERSION_1 (6.2: a
      // device may fail to operate further if VIRTIO_F_VERSION_1 is not accepted).
      if ((this.driverFeatures & bit(VIRTIO_F_VERSION_1)) === 0n) value &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    // DEVICE_NEEDS_RESET is the device's to set; only a reset clears it.
    this.status = value | (this.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    if (legacy && value === (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)) {
      // Linux before 2.6.34 drove the legacy device without enabling bus mastering; QEMU sets the
      // command register's bus master bit for it at this point, and so do we.
      this.writeConfig(PCI_COMMAND, 1, this.config[PCI_COMMAND]! | COMMAND_MASTER);
    }
  }

  /** The driver notified queue `index` (4.1.4.4 / legacy Queue Notify). */
  notify(index: number): void {
    const queue = this.queues[index];
    // 3.1.1: no buffers are consumed before DRIVER_OK; without bus mastering the device cannot
    // reach memory at all; a device that needs a reset does nothing until it gets one.
    if (!queue || !queue.enabled || this.broken) return;
    if ((this.status & VIRTIO_STATUS_DRIVER_OK) === 0 || (this.config[PCI_COMMAND]! & COMMAND_MASTER) === 0) return;
    queue.eventIdx = (this.driverFeatures & bit(VIRTIO_F_EVENT_IDX)) !== 0n;
    let error: VirtqueueError | null = null;
    try {
      this.device.processQueue(index, queue);
    } catch (e) {
      if (!(e instanceof VirtqueueError)) throw e;
      error = e;
    }
    if (queue.needsNotification()) this.raiseIsr(VIRTIO_ISR_QUEUE);
    if (error) this.needsReset(error.message);
  }

  /**
   * 2.1.2: the device hit an error it cannot recover from: DEVICE_NEEDS_RESET, and a configuration
   * change notification so the driver looks at the status.
   */
  private needsReset(reason: string): void {
    this.broken = true;
    this.lastError = reason;
    this.status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    this.raiseIsr(VIRTIO_ISR_CONFIG);
  }

  private raiseIsr(bits: number): void {
    this.isr |= bits;
    this.updateIrq();
  }

  /** Reading the ISR returns and clears it, which deasserts INTx (4.1.4.5.1). */
  private readIsr(): number {
    const value = this.isr;
    this.isr = 0;
    this.updateIrq();
    return value;
  }

  private updateIrq(): void {
    const pending = this.isr !== 0;
    const st = this.config[PCI_STATUS]!;
    this.config[PCI_STATUS] = pending ? st | PCI_STATUS_INTERRUPT : st & ~PCI_STATUS_INTERRUPT;
    const command = this.config[PCI_COMMAND]! | (this.config[PCI_COMMAND + 1]! << 8);
    this.options.irq.set(pending && (command & COMMAND_INTX_DISABLE) === 0);
  }

  private readDeviceConfig(offset: number, size: number): number {
    let value = 0;
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      const byte = at < this.device.configSize ? this.device.readConfig(at) & 0xff : 0xff;
      value += byte * 2 ** (8 * i);
    }
    return value;
  }

  private writeDeviceConfig(offset: number, size: number, value: number): void {
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      if (at < this.device.configSize) this.device.writeConfig(at, Math.floor(value / 2 ** (8 * i)) & 0xff);
    }
  }

  private get selectedQueue(): SplitVirtqueue | undefined {
    return this.queues[this.queueSelect];
  }

  // --- Legacy interface (BAR0) ------------------------------------------------------------------

  /**
   * BAR0. Registers answer at their own offset (a narrower access sees the low bytes, a write
   * of any width stores the value given, as QEMU's ioport handler does); other offsets inside the
   * register block read all ones and ignore writes.
   */
  readonly legacyHandler: IoHandler = {
    read: (offset, size) => {
      const mask = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
      if (offset >= LEGACY_CONFIG) return this.readDeviceConfig(offset - LEGACY_CONFIG, size);
      const q = this.selectedQueue;
      let value: number;
      switch (offset) {
        case LEGACY_DEVICE_FEATURES: value = Number(this.offeredFeatures() & 0xffffffffn); break;
        case LEGACY_DRIVER_FEATURES: value = Number(this.driverFeatures & 0xffffffffn); break;
        case LEGACY_QUEUE_PFN: value = q && q.enabled ? Math.floor(q.descAddr / 2 ** LEGACY_PFN_SHIFT) : 0; break;
        case LEGACY_QUEUE_SIZE: value = q ? q.maxSize : 0; break;
        case LEGACY_QUEUE_SELECT: value = this.queueSelect; break;
        case LEGACY_STATUS: value = this.status; break;
        case LEGACY_ISR: value = this.readIsr(); break;
        default: value = 0xffffffff;
      }
      return (value & mask) >>> 0;
    },
    write: (offset, size, value) => {
      if (offset >= LEGACY_CONFIG) {
        this.writeDeviceConfig(offset - LEGACY_CONFIG, size, value);
        return;
      }
      switch (offset) {
        case LEGACY_DRIVER_FEATURES:
          // Legacy drivers see and accept only bits 0-31 (2.2.3 "Legacy Interface: A Note on Feature Bits").
          if ((this.status & VIRTIO_STATUS_DRIVER_OK) === 0) this.setFeatures(BigInt(value >>> 0));
          break;
        case LEGACY_QUEUE_PFN: {
          const q = this.selectedQueue;
          if (!q) break;
          if (value === 0) q.reset(); // a zero address takes the queue out of use
          else q.setLegacyBase((value >>> 0) * 2 ** LEGACY_PFN_SHIFT);
          break;
        }
        case LEGACY_QUEUE_SELECT: this.queueSelect = value & 0xffff; break;
        case LEGACY_QUEUE_NOTIFY: this.notify(value & 0xffff); break;
        case LEGACY_STATUS: this.writeStatus(value, true); break;
        default: break;
      }
    },
  };

  // --- Modern interface (BAR4) ------------------------------------------------------------------

  readonly modernHandler: IoHandler = {
    read: (offset, size) => this.modernRead(offset, size),
    write: (offset, size, value) => this.modernWrite(offset, size, value),
  };

  private modernRead(offset: number, size: number): number {
    if (offset < MODERN_COMMON + MODERN_REGION_SIZE) return this.commonRead(offset, size);
    if (offset < MODERN_ISR + MODERN_REGION_SIZE) return offset === MODERN_ISR ? this.readIsr() : 0;
    if (offset < MODERN_DEVICE + MODERN_REGION_SIZE) return this.readDeviceConfig(offset - MODERN_DEVICE, size);
    return 0;
  }

  private modernWrite(offset: number, size: number, value: number): void {
    if (offset < MODERN_COMMON + MODERN_REGION_SIZE) this.commonWrite(offset, size, value);
    else if (offset < MODERN_ISR + MODERN_REGION_SIZE) return;
    else if (offset < MODERN_DEVICE + MODERN_REGION_SIZE) this.writeDeviceConfig(offset - MODERN_DEVICE, size, value);
    else {
      // 4.1.4.4: queue n is notified by a write at queue_notify_off(n) × multiplier; the value is the
      // queue index, which the address already says.
      const at = offset - MODERN_NOTIFY;
      if (at % NOTIFY_OFF_MULTIPLIER === 0) this.notify(at / NOTIFY_OFF_MULTIPLIER);
    }
  }

  /**
   * Common configuration (4.1.4.3). Fields are accessed at their natural width (4.1.3.1; 64-bit
   * addresses as two 32-bit halves); accesses that do not start a field read 0 and are ignored.
   */
  private commonRead(offset: number, size: number): number {
    const q = this.selectedQueue;
    const mask = size === 4 ? 0xffffffff : (1 << (8 * size)) - 1;
    let value: number;
    switch (offset) {
      case COMMON_DFSELECT: value = this.deviceFeatureSelect; break;
      case COMMON_DF: value = this.deviceFeatureSelect < 2 ? Number((this.offeredFeatures() >> BigInt(32 * this.deviceFeatureSelect)) & 0xffffffffn) : 0; break;
      case COMMON_GFSELECT: value = this.driverFeatureSelect; break;
      case COMMON_GF: value = this.driverFeatureSelect < 2 ? Number((this.driverFeatures >> BigInt(32 * this.driverFeatureSelect)) & 0xffffffffn) : 0; break;
      case COMMON_MSIX: value = NO_VECTOR; break;
      case COMMON_NUMQ: value = this.queues.length; break;
      case COMMON_STATUS: value = this.status; break;
      case COMMON_CFGGENERATION: value = 0; break;
      case COMMON_Q_SELECT: value = this.queueSelect; break;
      // 4.1.4.3.2: an unavailable queue reads size 0.
      case COMMON_Q_SIZE: value = q ? q.size : 0; break;
      case COMMON_Q_MSIX: value = NO_VECTOR; break;
      case COMMON_Q_ENABLE: value = q?.enabled ? 1 : 0; break;
      case COMMON_Q_NOFF: value = q ? this.queueSelect : 0; break;
      case COMMON_Q_DESCLO: value = q ? q.descAddr % 2 ** 32 : 0; break;
      case COMMON_Q_DESCHI: value = q ? Math.floor(q.descAddr / 2 ** 32) : 0; break;
      case COMMON_Q_AVAILLO: value = q ? q.availAddr % 2 ** 32 : 0; break;
      case COMMON_Q_AVAILHI: value = q ? Math.floor(q.availAddr / 2 ** 32) : 0; break;
      case COMMON_Q_USEDLO: value = q ? q.usedAddr % 2 ** 32 : 0; break;
      case COMMON_Q_USEDHI: value = q ? Math.floor(q.usedAddr / 2 ** 32) : 0; break;
      default: value = 0;
    }
    return (value & mask) >>> 0;
  }

  private commonWrite(offset: number, size: number, value: number): void {
    const q = this.selectedQueue;
    value = size === 4 ? value >>> 0 : value & ((1 << (8 * size)) - 1);
    // The queue's layout may change only while it is disabled (4.1.4.3.2: before queue_enable).
    const layoutWritable = q !== undefined && !q.enabled;
    // A high half beyond the 52-bit physical address space makes the queue fail at queue_enable.
    const setHalf = (current: number, high: boolean) => high
      ? value * 2 ** 32 + (current % 2 ** 32)
      : Math.floor(current / 2 ** 32) * 2 ** 32 + value;
    switch (offset) {
      case COMMON_DFSELECT: this.deviceFeatureSelect = value; break;
      case COMMON_GFSELECT: this.driverFeatureSelect = value; break;
      case COMMON_GF:
        // Features are fixed once FEATURES_OK is set (3.1.1 step 5).
        if (this.driverFeatureSelect < 2 && (this.status & VIRTIO_STATUS_FEATURES_OK) === 0) {
          const shift = BigInt(32 * this.driverFeatureSelect);
          this.setFeatures((this.driverFeatures & ~(0xffffffffn << shift)) | (BigInt(value) << shift));
        }
        break;
      case COMMON_STATUS: this.writeStatus(value, false); break;
      case COMMON_Q_SELECT: this.queueSelect = value; break;
      case COMMON_Q_SIZE:
        // Split queues have a power-of-2 size (2.6); the driver may only lower it.
        if (layoutWritable && value > 0 && value <= q.maxSize && (value & (value - 1)) === 0) q.size = value;
        break;
      case COMMON_Q_ENABLE:
        if (q && !q.enabled && value === 1) {
          try {
            q.enable();
          } catch (e) {
            if (!(e instanceof VirtqueueError)) throw e;
            this.needsReset(e.message);
          }
        }
        break;
      case COMMON_Q_DESCLO: case COMMON_Q_DESCHI:
        if (layoutWritable) q.descAddr = setHalf(q.descAddr, offset === COMMON_Q_DESCHI);
        break;
      case COMMON_Q_AVAILLO: case COMMON_Q_AVAILHI:
        if (layoutWritable) q.availAddr = setHalf(q.availAddr, offset === COMMON_Q_AVAILHI);
        break;
      case COMMON_Q_USEDLO: case COMMON_Q_USEDHI:
        if (layoutWritable) q.usedAddr = setHalf(q.usedAddr, offset === COMMON_Q_USEDHI);
        break;
      default: break; // msix_config / queue_msix_vector: no MSI-X, they stay NO_VECTOR
    }
  }
}

function overlaps(offset: number, size: number, start: number, length: number): boolean {
  return offset < start + length && offset + size > start;
}
