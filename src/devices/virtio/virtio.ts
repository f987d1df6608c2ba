/**
 * What every virtio device shares, independent of the transport (OASIS "Virtual I/O Device
 * (VIRTIO) Version 1.1", chapters 2 and 6): device status bits, reserved feature bits, and the
 * interface between a transport (virtio-pci.ts) and a device type (virtio-blk.ts).
 */
import type { SplitVirtqueue } from './virtqueue.js';

/** Device status field (2.1). */
export const VIRTIO_STATUS_ACKNOWLEDGE = 1;
export const VIRTIO_STATUS_DRIVER = 2;
export const VIRTIO_STATUS_DRIVER_OK = 4;
export const VIRTIO_STATUS_FEATURES_OK = 8;
export const VIRTIO_STATUS_DEVICE_NEEDS_RESET = 0x40;
export const VIRTIO_STATUS_FAILED = 0x80;

/** Reserved feature bits (6), as bit numbers. */
export const VIRTIO_F_ANY_LAYOUT = 27; // legacy only (2.6.4.3): the device accepts any framing
export const VIRTIO_F_INDIRECT_DESC = 28;
export const VIRTIO_F_EVENT_IDX = 29;
export const VIRTIO_F_VERSION_1 = 32;

/** ISR status bits (4.1.4.5): a used buffer notification, a configuration change notification. */
export const VIRTIO_ISR_QUEUE = 1;
export const VIRTIO_ISR_CONFIG = 2;

export function bit(n: number): bigint {
  return 1n << BigInt(n);
}

/** What a device type hands the transport it sits on. */
export interface VirtioDevice {
  /** Virtio device ID (5): 2 for a block device. Also the PCI subsystem ID of a transitional device. */
  readonly deviceId: number;
  /** PCI device ID of the transitional device (4.1.2.3: 0x1000 + 1 for block). */
  readonly transitionalPciId: number;
  /** PCI class code (base class, sub class, prog-if) the device reports. */
  readonly pciClass: number;
  /** Maximum size of each virtqueue; the array length is the number of queues. */
  readonly queueSizes: readonly number[];
  /** Device-specific configuration space length in bytes (4.1.4.6, 5.x.4). */
  readonly configSize: number;
  /** Feature bits the device offers (device-specific and reserved ones, 64 bits). */
  deviceFeatures(): bigint;
  /** The driver's features took effect (FEATURES_OK, or each legacy write). */
  featuresNegotiated(features: bigint): void;
  /** One byte of the device configuration space (little-endian fields). */
  readConfig(offset: number): number;
  writeConfig(offset: number, value: number): void;
  /**
   * The driver made buffers available on `queue` and notified the device. The device takes chains
   * with `queue.pop()` and returns them with `queue.push()`; a `VirtqueueError` (a driver bug such
   * as a descriptor loop) may propagate: the transport then marks the device broken.
   */
  processQueue(index: number, queue: SplitVirtqueue): void;
  /** Device reset (2.1.2, 3.1.1): forget everything negotiated. */
  reset(): void;
}
