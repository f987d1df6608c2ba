/**
 * The default guest's pieces, from Debian's packages, cached under `cacheDir()`:
 *   the kernel image package `linux-image-amd64` (or `linux-image-686` for i386) depends on,
 *   busybox-static, seabios (bios-256k.bin, vgabios-stdvga.bin), and qemu-system-data's
 *   linuxboot_dma.bin (the option ROM that boots fw_cfg kernels under SeaBIOS).
 * A manifest per architecture records the unpacked files; once it exists no apt call is made.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Apt, cacheDir, FetchError } from './apt.js';
import { unpackDeb } from './deb.js';

export { Apt, cacheDir, FetchError, hasApt, OWN_KERNEL_HINT } from './apt.js';
export { parseAr, readTar, unpackDeb, type TarEntry } from './deb.js';

export type GuestArch = 'amd64' | 'i386';

export interface GuestFiles {
  arch: GuestArch;
  kernelPackage: string;
  /** The bzImage. */
  kernel: string;
  /** The static busybox binary. */
  busybox: string;
  /** SeaBIOS bios-256k.bin and the std VGA BIOS. */
  bios: string;
  vgaBios: string;
  /** QEMU's linuxboot_dma.bin, or null when qemu-system-data could not be fetched. */
  linuxboot: string | null;
}

export interface FetchOptions {
  cache?: string;
  progress?: NodeJS.WritableStream | null;
  /** Ignore the manifest and ask apt again. */
  refresh?: boolean;
}

const KERNEL_META: Record<GuestArch, string> = { amd64: 'linux-image-amd64', i386: 'linux-image-686' };

/** Fetch (first time) or look up (cached) the default guest's files. */
export async function fetchGuest(arch: GuestArch = 'amd64', options: FetchOptions = {}): Promise<GuestFiles> {
  const root = options.cache ?? cacheDir();
  const manifest = join(root, `guest-${arch}.json`);
  if (!options.refresh && existsSync(manifest)) {
    const files = JSON.parse(readFileSync(manifest, 'utf8')) as GuestFiles;
    if ([files.kernel, files.busybox, files.bios, files.vgaBios].every((f) => existsSync(f))) return files;
  }
  const apt = new Apt({ arch, cache: root, progress: options.progress });
  const progress = options.progress === undefined ? process.stderr : options.progress;
  const unpack = async (pkg: string, pattern: RegExp, count = 1): Promise<string[]> => {
    const deb = await apt.download(pkg);
    const dir = join(root, 'files', basename(deb, '.deb'));
    mkdirSync(dir, { recursive: true });
    const out: string[] = [];
    progress?.write(`x86vm: unpacking ${basename(deb)}\n`);
    for (const entry of await unpackDeb(readFileSync(deb), { select: (p) => pattern.test(p), limit: count })) {
      if (entry.type !== 'file' || entry.data === null) continue;
      const target = join(dir, basename(entry.path));
      writeFileSync(target, entry.data, { mode: entry.mode & 0o777 });
      out.push(target);
    }
    if (out.length < count) throw new FetchError(`${pkg}: expected ${pattern} in the package`);
    return out;
  };
  const kernelPackage = await apt.dependency(KERNEL_META[arch], /^linux-image-\d/);
  const [kernel] = await unpack(kernelPackage, /^boot\/vmlinuz-/);
  const [busybox] = await unpack('busybox-static', /^bin\/busybox$/);
  const seabios = await unpack('seabios', /^usr\/share\/seabios\/(bios-256k|vgabios-stdvga)\.bin$/, 2);
  let linuxboot: string | null = null;
  try {
    [linuxboot] = await unpack('qemu-system-data', /^usr\/share\/qemu\/linuxboot_dma\.bin$/);
  } catch (error) {
    progress?.write(`x86vm: no linuxboot_dma.bin (${(error as Error).message}); -kernel with -bios will not work\n`);
  }
  const files: GuestFiles = {
    arch, kernelPackage, kernel: kernel!, busybox: busybox!,
    bios: seabios.find((f) => f.endsWith('bios-256k.bin'))!, vgaBios: seabios.find((f) => f.endsWith('vgabios-stdvga.bin'))!,
    linuxboot,
  };
  writeFileSync(manifest, JSON.stringify(files, null, 2));
  return files;
}
