export { type DiskBackend, MemoryDiskBackend } from './disk-backend.js';
export { RawFileBackend, DiskOpenError, type RawFileOptions } from './raw-file.js';
export { CowOverlayBackend } from './cow-overlay.js';

import { RawFileBackend } from './raw-file.js';
import { CowOverlayBackend } from './cow-overlay.js';
import type { DiskBackend } from './disk-backend.js';

/** Open an image as the command line does: `-cdrom` files read-only with 2048-byte sectors, `-snapshot` over a read-only base. */
export function openDiskImage(path: string, options: { cdrom?: boolean; snapshot?: boolean; readOnly?: boolean } = {}): DiskBackend {
  if (options.cdrom) return RawFileBackend.open(path, { readOnly: true, sectorSize: 2048 });
  if (options.snapshot) return new CowOverlayBackend(RawFileBackend.open(path, { readOnly: true }));
  return RawFileBackend.open(path, { readOnly: options.readOnly ?? false });
}
