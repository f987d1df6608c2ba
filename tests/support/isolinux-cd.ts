/**
 * Builds an ISOLINUX El Torito CD image from Debian's packages, the way a distribution's installer
 * CD is laid out: isolinux.bin (package `isolinux`) as the no-emulation boot image with a boot-info
 * table, ldlinux.c32 (package `syslinux-common`) beside it, an isolinux.cfg, and the kernel and
 * initramfs under /boot. xorriso writes the image; nothing is downloaded.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ISOLINUX_BIN = '/usr/lib/ISOLINUX/isolinux.bin';
export const LDLINUX_C32 = '/usr/lib/syslinux/modules/bios/ldlinux.c32';

/** Why an isolinux CD cannot be built here, or null when it can. */
export function isolinuxMissing(): string | null {
  if (!existsSync(ISOLINUX_BIN)) return `${ISOLINUX_BIN} not found (apt-get install isolinux)`;
  if (!existsSync(LDLINUX_C32)) return `${LDLINUX_C32} not found (apt-get install syslinux-common)`;
  try {
    execFileSync('xorriso', ['-version'], { stdio: 'ignore' });
  } catch {
    return 'xorriso is not installed (apt-get install xorriso)';
  }
  return null;
}

export interface IsolinuxCdSpec {
  /** Working directory; the tree goes to `dir/tree`, the image to `dir/name.iso`. */
  dir: string;
  name?: string;
  kernel: Uint8Array;
  initrd: Uint8Array;
  /** The kernel command line. */
  append: string;
  /** Lines added at the top of isolinux.cfg (e.g. SERIAL). */
  header?: string[];
}

/** Write the tree and the ISO image; returns the image's path. */
export function buildIsolinuxCd(spec: IsolinuxCdSpec): string {
  const tree = join(spec.dir, 'tree');
  mkdirSync(join(tree, 'isolinux'), { recursive: true });
  mkdirSync(join(tree, 'boot'), { recursive: true });
  copyFileSync(ISOLINUX_BIN, join(tree, 'isolinux', 'isolinux.bin'));
  copyFileSync(LDLINUX_C32, join(tree, 'isolinux', 'ldlinux.c32'));
  writeFileSync(join(tree, 'boot', 'vmlinuz'), spec.kernel);
  writeFileSync(join(tree, 'boot', 'initrd.img'), spec.initrd);
  // No prompt and no timeout: ISOLINUX boots the default label at once.
  const cfg = [
    ...(spec.header ?? []),
    'PROMPT 0',
    'TIMEOUT 0',
    'DEFAULT linux',
    'LABEL linux',
    '  KERNEL /boot/vmlinuz',
    '  INITRD /boot/initrd.img',
    `  APPEND ${spec.append}`,
    '',
  ].join('\n');
  writeFileSync(join(tree, 'isolinux', 'isolinux.cfg'), cfg);
  const iso = join(spec.dir, `${spec.name ?? 'isolinux'}.iso`);
  // -boot-info-table: isolinux.bin needs its own LBA and length patched in (ISOLINUX's doc).
  execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-o', iso, '-R', '-J',
    '-b', 'isolinux/isolinux.bin', '-c', 'isolinux/boot.cat',
    '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table', tree], { stdio: 'ignore' });
  return iso;
}
