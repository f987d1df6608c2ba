/**
 * Initramfs images: a cpio "newc" writer (the format the kernel unpacks, Documentation/
 * driver-api/early-userspace/buffer-format.rst) with gzip from node:zlib, and x86vm's default
 * initramfs around a static busybox.
 */
import { gzipSync } from 'node:zlib';

export interface CpioEntry {
  /** Path without a leading "/" (e.g. "bin/busybox"). */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'chardev';
  /** Permission bits (default 0755 for directories and files, 0777 for links). */
  mode?: number;
  /** File contents or the link target. */
  data?: Uint8Array | string;
  /** Device numbers of a character device node. */
  major?: number;
  minor?: number;
}

const S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000, S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

/** A cpio archive in the "newc" (070701) format, terminated by TRAILER!!!. */
export function writeCpio(entries: readonly CpioEntry[], mtime = 0): Uint8Array {
  const parts: Uint8Array[] = [];
  let length = 0;
  const push = (bytes: Uint8Array) => {
    parts.push(bytes);
    length += bytes.length;
    const pad = (4 - (length % 4)) % 4;
    if (pad) { parts.push(new Uint8Array(pad)); length += pad; }
  };
  const encoder = new TextEncoder();
  const hex8 = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  let ino = 1;
  const record = (name: string, mode: number, data: Uint8Array, major = 0, minor = 0, nlink = 1) => {
    const nameBytes = encoder.encode(`${name}\0`);
    const header = '070701' + [
      ino++, mode, 0, 0, nlink, mtime, data.length, 0, 0, major, minor, nameBytes.length, 0,
    ].map(hex8).join('');
    // The header (110 bytes) and name are padded together to a multiple of 4, then the data.
    const head = new Uint8Array(110 + nameBytes.length);
    head.set(encoder.encode(header), 0);
    head.set(nameBytes, 110);
    push(head);
    if (data.length) push(data);
  };
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, '');
    const data = typeof e.data === 'string' ? encoder.encode(e.data) : e.data ?? new Uint8Array(0);
    switch (e.type) {
      case 'directory': record(path, S_IFDIR | (e.mode ?? 0o755), new Uint8Array(0), 0, 0, 2); break;
      case 'file': record(path, S_IFREG | (e.mode ?? 0o755), data); break;
      case 'symlink': record(path, S_IFLNK | (e.mode ?? 0o777), data); break;
      case 'chardev': {
        // Device numbers go in rdevmajor/rdevminor (fields 11/12), not devmajor/devminor.
        const nameBytes = encoder.encode(`${path}\0`);
        const header = '070701' + [ino++, S_IFCHR | (e.mode ?? 0o600), 0, 0, 1, mtime, 0, 0, 0, e.major ?? 0, e.minor ?? 0, nameBytes.length, 0].map(hex8).join('');
        const head = new Uint8Array(110 + nameBytes.length);
        head.set(encoder.encode(header), 0);
        head.set(nameBytes, 110);
        push(head);
        break;
      }
    }
  }
  record(TRAILER, 0, new Uint8Array(0), 0, 0, 1);
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** One entry of a newc archive as read back (tests, diagnostics). */
export interface CpioRecord {
  name: string;
  mode: number;
  nlink: number;
  rdevMajor: number;
  rdevMinor: number;
  data: Uint8Array;
}

/** Read a newc archive (up to the trailer). */
export function readCpio(archive: Uint8Array): CpioRecord[] {
  const out: CpioRecord[] = [];
  const decoder = new TextDecoder();
  let at = 0;
  for (;;) {
    const magic = decoder.decode(archive.subarray(at, at + 6));
    if (magic !== '070701' && magic !== '070702') throw new Error(`cpio: bad magic at ${at}`);
    const field = (i: number) => Number.parseInt(decoder.decode(archive.subarray(at + 6 + i * 8, at + 14 + i * 8)), 16);
    const mode = field(1), nlink = field(4), size = field(6), rdevMajor = field(9), rdevMinor = field(10), nameSize = field(11);
    const name = decoder.decode(archive.subarray(at + 110, at + 110 + nameSize - 1));
    at = Math.ceil((at + 110 + nameSize) / 4) * 4;
    const data = archive.subarray(at, at + size);
    at = Math.ceil((at + size) / 4) * 4;
    if (name === TRAILER) return out;
    out.push({ name, mode, nlink, rdevMajor, rdevMinor, data });
  }
}

/** Applets linked in the image; /init installs links for the rest (`busybox --install -s`). */
const CORE_APPLETS = [
  'sh', 'ash', 'mount', 'umount', 'mkdir', 'cat', 'echo', 'ls', 'grep', 'setsid', 'cttyhack', 'poweroff',
  'reboot', 'halt', 'nproc', 'uname', 'dmesg', 'ps', 'sleep', 'head', 'tail', 'ln', 'rm', 'cp', 'mv', 'true', 'false',
];

export const READY_MARKER = 'x86vm ready:';

/** /init: mount the kernel file systems, say the ready marker with the CPU count, run a shell on the console. */
export const DEFAULT_INIT = `#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s /bin 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /tmp
echo "${READY_MARKER} $(grep -c ^processor /proc/cpuinfo) cpus"
while true; do
  setsid cttyhack sh -l
  echo "x86vm: the shell exited; poweroff to stop the machine"
done
`;

/** The default initramfs: busybox as /bin/busybox with its core applet links, /init, /dev/console. */
export function defaultInitramfs(busybox: Uint8Array, options: { init?: string; extra?: CpioEntry[] } = {}): Uint8Array {
  const entries: CpioEntry[] = [
    ...['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'tmp', 'root', 'etc'].map((path): CpioEntry => ({ path, type: 'directory' })),
    { path: 'dev/console', type: 'chardev', major: 5, minor: 1, mode: 0o600 },
    { path: 'bin/busybox', type: 'file', data: busybox, mode: 0o755 },
    ...CORE_APPLETS.map((name): CpioEntry => ({ path: `bin/${name}`, type: 'symlink', data: 'busybox' })),
    { path: 'etc/profile', type: 'file', mode: 0o644, data: 'export PS1="x86vm:\\w# "\nexport HOME=/root\ncd /root\n' },
    { path: 'init', type: 'file', data: options.init ?? DEFAULT_INIT, mode: 0o755 },
    ...(options.extra ?? []),
  ];
  return gzipSync(writeCpio(entries), { level: 6 });
}

/** Markers of the benchmark /init (bench/): each on a line of its own on the console. */
export const BENCH_MARKERS = {
  /** User space is up: the kernel booted and ran /init. */
  booted: 'x86vm-bench: booted',
  /** The CPU workload starts / ended (only with a workload). */
  start: 'x86vm-bench: start',
  end: 'x86vm-bench: end',
  /** Last line before `poweroff -f`. */
  done: 'x86vm-bench: done',
} as const;

/** CPU workloads the benchmark /init can run between its start and end markers. */
export const BENCH_WORKLOADS = {
  /** md5sum of 64 MiB of zeros generated in the guest (kernel clear/copy, a pipe, MD5 in user space). */
  md5: { command: 'dd if=/dev/zero bs=1M count=64 2>/dev/null | md5sum', expect: '7f614da9329cd3aebf59b91aadc30bf0' },
  /** A shell arithmetic loop (busybox ash): 100000 iterations of test, add and assignment. */
  'sh-loop': { command: 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; echo $i', expect: '100000' },
} as const satisfies Record<string, { command: string; expect: string }>;

export type BenchWorkload = keyof typeof BENCH_WORKLOADS;

/**
 * The benchmark /init: mount /proc and /dev, print the booted marker; with a workload, print the start
 * marker, run it, print the end marker followed by its output (which should contain `expect`); then the done marker and `poweroff -f`.
 */
export function benchInit(workload: BenchWorkload | null = null): string {
  const lines = [
    '#!/bin/sh',
    'export PATH=/bin:/sbin:/usr/bin:/usr/sbin',
    '/bin/busybox --install -s /bin 2>/dev/null',
    'mount -t proc proc /proc',
    'mount -t devtmpfs devtmpfs /dev 2>/dev/null',
    `echo "${BENCH_MARKERS.booted} $(grep -c ^processor /proc/cpuinfo) cpus"`,
  ];
  if (workload !== null) {
    lines.push(`echo "${BENCH_MARKERS.start} ${workload}"`, `out=$(${BENCH_WORKLOADS[workload].command})`, `echo "${BENCH_MARKERS.end} $out"`);
  }
  lines.push(`echo "${BENCH_MARKERS.done}"`, 'poweroff -f', 'while true; do sleep 1; done', '');
  return lines.join('\n');
}

/** The default initramfs with the benchmark /init (see `benchInit`). */
export function benchInitramfs(busybox: Uint8Array, workload: BenchWorkload | null = null): Uint8Array {
  return defaultInitramfs(busybox, { init: benchInit(workload) });
}
