import { closeSync, fstatSync, fsyncSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import type { DiskBackend } from './disk-backend.js';

/** Opening an image failed (missing file, a directory, no permission): a message for the user. */
export class DiskOpenError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`cannot open disk image ${path}: ${reason}`);
    this.name = 'DiskOpenError';
  }
}

export interface RawFileOptions {
  /** Open without write access (ISO files, CD-ROMs, -snapshot bases). */
  readOnly?: boolean;
  /** Logical sector size (default 512; 2048 for CD images). */
  sectorSize?: number;
}

/**
 * A raw image file (QEMU's "raw" format): sector n lives at byte n × sector size. The file stays open
 * on one descriptor; reads and writes are positional; `flush` is fsync.
 */
export class RawFileBackend implements DiskBackend {
  private fd: number | null;
  readonly sectorSize: number;
  readonly readOnly: boolean;
  private size: number;

  private constructor(readonly path: string, fd: number, size: number, options: RawFileOptions) {
    this.fd = fd;
    this.size = size;
    this.sectorSize = options.sectorSize ?? 512;
    this.readOnly = options.readOnly ?? false;
  }

  static open(path: string, options: RawFileOptions = {}): RawFileBackend {
    let stat;
    try {
      stat = statSync(path);
    } catch (e) {
      throw new DiskOpenError(path, describe(e));
    }
    if (stat.isDirectory()) throw new DiskOpenError(path, 'it is a directory');
    if (!stat.isFile() && !stat.isBlockDevice() && !stat.isCharacterDevice()) throw new DiskOpenError(path, 'not a regular file or device');
    let fd: number;
    try {
      fd = openSync(path, options.readOnly ? 'r' : 'r+');
    } catch (e) {
      throw new DiskOpenError(path, describe(e));
    }
    const size = fstatSync(fd).size;
    return new RawFileBackend(path, fd, size, options);
  }

  get length(): number {
    return this.size;
  }

  private descriptor(): number {
    if (this.fd === null) throw new Error(`disk image ${this.path} is closed`);
    return this.fd;
  }

  read(offset: number, buffer: Uint8Array): void {
    const fd = this.descriptor();
    let done = 0;
    while (done < buffer.length) {
      const n = readSync(fd, buffer, done, buffer.length - done, offset + done);
      if (n === 0) break; // end of file: the rest reads as zero
      done += n;
    }
    buffer.fill(0, done);
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new Error(`disk image ${this.path} is read-only`);
    if (offset < 0 || offset + data.length > this.size) throw new RangeError(`write of ${data.length} bytes at ${offset} is beyond the end of ${this.path}`);
    const fd = this.descriptor();
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, offset + done);
  }

  flush(): void {
    if (!this.readOnly) fsyncSync(this.descriptor());
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function describe(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return e instanceof Error ? e.message : String(e);
}
