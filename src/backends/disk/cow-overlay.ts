import type { DiskBackend } from './disk-backend.js';

const CLUSTER = 4096;

/**
 * Copy-on-write overlay in memory (QEMU's -snapshot): writes land in 4 KiB clusters held in a map;
 * reads see those clusters over the base image. The base is only ever read, so it may be opened
 * read-only; `flush` has nothing durable to do, and `close` drops the overlay and closes the base.
 */
export class CowOverlayBackend implements DiskBackend {
  private readonly clusters = new Map<number, Uint8Array>();
  readonly readOnly = false;

  constructor(private readonly base: DiskBackend) {}

  get sectorSize(): number {
    return this.base.sectorSize;
  }

  get length(): number {
    return this.base.length;
  }

  /** Bytes held in the overlay (for tests and status displays). */
  get dirtyBytes(): number {
    return this.clusters.size * CLUSTER;
  }

  read(offset: number, buffer: Uint8Array): void {
    let done = 0;
    while (done < buffer.length) {
      const at = offset + done;
      const index = Math.floor(at / CLUSTER), within = at - index * CLUSTER;
      const n = Math.min(CLUSTER - within, buffer.length - done);
      const cluster = this.clusters.get(index);
      if (cluster) {
        buffer.set(cluster.subarray(within, within + n), done);
      } else {
        // Coalesce a run of clean clusters into one base read.
        let run = n;
        while (done + run < buffer.length && !this.clusters.has(Math.floor((offset + done + run) / CLUSTER))) {
          run = Math.min(run + CLUSTER, buffer.length - done);
        }
        this.base.read(at, buffer.subarray(done, done + run));
        done += run;
        continue;
      }
      done += n;
    }
  }

  write(offset: number, data: Uint8Array): void {
    if (offset < 0 || offset + data.length > this.length) throw new RangeError(`write of ${data.length} bytes at ${offset} is beyond the end of the medium`);
    let done = 0;
    while (done < data.length) {
      const at = offset + done;
      const index = Math.floor(at / CLUSTER), within = at - index * CLUSTER;
      const n = Math.min(CLUSTER - within, data.length - done);
      let cluster = this.clusters.get(index);
      if (!cluster) {
        cluster = new Uint8Array(CLUSTER);
        if (n < CLUSTER) this.base.read(index * CLUSTER, cluster);
        this.clusters.set(index, cluster);
      }
      cluster.set(data.subarray(done, done + n), within);
      done += n;
    }
  }

  flush(): void {}

  close(): void {
    this.clusters.clear();
    this.base.close();
  }
}
