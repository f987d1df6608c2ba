/**
 * The command line's option table: QEMU's spelling where QEMU has the option. Parsing (parse.ts)
 * and --help are both generated from this data, so an option cannot exist without its help line.
 */
import { CPU_MODELS } from '../cpu/cpuid.js';

export type OptionGroup = 'Machine' | 'Boot' | 'Drives' | 'Console' | 'Debugging' | 'Demo' | 'General';

export interface OptionSpec {
  /** Key in the parsed option list. */
  readonly key: string;
  /** Spellings, the first one shown in --help (each also accepted with a second leading dash). */
  readonly names: readonly string[];
  /** Placeholder of the value; absent for flags. */
  readonly arg?: string;
  /** May be given more than once (otherwise the last one wins, as in QEMU). */
  readonly repeatable?: boolean;
  readonly group: OptionGroup;
  readonly help: string;
}

export const DEFAULT_RAM = '128M';
export const DEFAULT_BIOS = '/usr/share/seabios/bios-256k.bin';
/** The default guest's machine when -smp / -m are not given. */
export const DEFAULT_GUEST_CPUS = 2;
export const DEFAULT_GUEST_RAM = '256M';

const cpuNames = Object.keys(CPU_MODELS).join(', ');

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'm', names: ['-m'], arg: 'SIZE', group: 'Machine', help: `guest RAM: a number of MiB or a size with a K/M/G suffix, e.g. 512M, 2G (default ${DEFAULT_RAM})` },
  { key: 'smp', names: ['-smp'], arg: 'N', group: 'Machine', help: 'number of vCPUs, 1 to 255 (also cpus=N)' },
  { key: 'cpu', names: ['-cpu'], arg: 'MODEL', group: 'Machine', help: `CPU model: ${cpuNames} (default x86vm); -cpu help lists them` },
  { key: 'machine', names: ['-machine', '-M'], arg: 'TYPE', group: 'Machine', help: "board: pc (i440FX + PIIX3, the only one); 'help' lists it" },
  { key: 'accel', names: ['-accel'], arg: 'NAME', group: 'Machine', help: 'accelerator: tcg only (x86vm is an emulator; KVM is not used)' },
  { key: 'enable-kvm', names: ['-enable-kvm'], group: 'Machine', help: 'refused: x86vm does not use KVM' },
  { key: 'device', names: ['-device'], arg: 'DRIVER', repeatable: true, group: 'Machine', help: 'extra device: isa-debug-exit[,iobase=0xf4][,iosize=1|2|4] (a write of V exits with status (V<<1)|1); pc-testdev (QEMU\'s test device for kvm-unit-tests)' },

  { key: 'guest', names: ['--guest'], arg: 'ARCH', group: 'Boot', help: `boot x86vm's default guest, Debian's Linux kernel with a busybox shell, for ARCH amd64 or i386 (fetched with apt into ~/.cache/x86vm on first use; -smp, -m, -append apply; default ${DEFAULT_GUEST_CPUS} vCPUs, ${DEFAULT_GUEST_RAM}). What x86vm does with no options` },
  { key: 'bios', names: ['-bios'], arg: 'FILE', group: 'Boot', help: `firmware image (default ${DEFAULT_BIOS} when present; with -kernel: boot the kernel through it, QEMU's way)` },
  { key: 'kernel', names: ['-kernel'], arg: 'BZIMAGE', group: 'Boot', help: 'boot a Linux bzImage or a Multiboot kernel directly, without firmware (unless -bios is given)' },
  { key: 'initrd', names: ['-initrd'], arg: 'FILE', group: 'Boot', help: "initial ramdisk for -kernel (Multiboot: the modules, 'file args,file args')" },
  { key: 'append', names: ['-append'], arg: 'CMDLINE', group: 'Boot', help: 'kernel command line for -kernel (e.g. console=ttyS0)' },
  { key: 'boot', names: ['-boot'], arg: 'ORDER', group: 'Boot', help: 'boot order: letters c (disk), d (CD-ROM), a (floppy), n (network), as c, order=dc or once=d; menu=on (SeaBIOS boot menu, ESC on the console), splash-time=MS (how long it waits for ESC), reboot-timeout=MS (retry after a failed boot; -1 never, the default)' },
  { key: 'no-reboot', names: ['-no-reboot'], group: 'Boot', help: 'a guest reset (reboot, triple fault) ends the run instead of restarting' },

  { key: 'hda', names: ['-hda'], arg: 'FILE', group: 'Drives', help: 'raw disk image on IDE primary master' },
  { key: 'hdb', names: ['-hdb'], arg: 'FILE', group: 'Drives', help: 'raw disk image on IDE primary slave' },
  { key: 'hdc', names: ['-hdc'], arg: 'FILE', group: 'Drives', help: 'raw disk image on IDE secondary master' },
  { key: 'hdd', names: ['-hdd'], arg: 'FILE', group: 'Drives', help: 'raw disk image on IDE secondary slave' },
  { key: 'cdrom', names: ['-cdrom'], arg: 'FILE', group: 'Drives', help: 'ISO image on an ATAPI CD-ROM at IDE secondary master (read-only)' },
  { key: 'drive', names: ['-drive'], arg: 'SPEC', repeatable: true, group: 'Drives', help: 'file=PATH[,format=raw][,if=ide|virtio][,media=disk|cdrom][,index=0-3][,readonly=on][,snapshot=on][,serial=ID]' },
  { key: 'snapshot', names: ['-snapshot'], group: 'Drives', help: 'keep disk writes in memory: the image files are never modified' },

  { key: 'nographic', names: ['-nographic'], group: 'Console', help: 'serial port on stdio and the firmware console on it (x86vm has no display, so this is also the default)' },
  { key: 'display', names: ['-display'], arg: 'TYPE', group: 'Console', help: 'none only (x86vm has no graphical display)' },
  { key: 'serial', names: ['-serial'], arg: 'DEV', group: 'Console', help: 'COM1 backend: stdio (default), mon:stdio, file:PATH, none' },

  { key: 'd', names: ['-d'], arg: 'ITEMS', group: 'Debugging', help: 'trace to the log: in_asm, exec, cpu, int (comma-separated); -d help lists them' },
  { key: 'D', names: ['-D'], arg: 'FILE', group: 'Debugging', help: 'write the -d log to FILE (default: stderr)' },

  { key: 'demo', names: ['--demo'], group: 'Demo', help: 'run the built-in demo program (a boot sector switching to protected mode; no downloads)' },
  { key: 'trace', names: ['--trace'], arg: 'FILE', group: 'Demo', help: 'with --demo: write a disassembly of every executed instruction to FILE' },
  { key: 'max-instructions', names: ['--max-instructions'], arg: 'N', group: 'Demo', help: 'with --demo: stop after N guest instructions (default 100000000)' },

  { key: 'help', names: ['--help', '-h', '-help'], group: 'General', help: 'show this help' },
  { key: 'version', names: ['--version', '-version'], group: 'General', help: 'print the version' },
];

const GROUP_ORDER: readonly OptionGroup[] = ['Machine', 'Boot', 'Drives', 'Console', 'Debugging', 'Demo', 'General'];

/** Option lookup by spelling: `-m` and `--m` both find -m. */
export function findOption(name: string): OptionSpec | undefined {
  const bare = name.replace(/^--?/, '');
  return OPTIONS.find((o) => o.names.some((n) => n.replace(/^--?/, '') === bare));
}

export function helpText(): string {
  const lines = [
    'Usage: x86vm [options]',
    '',
    'A PC emulator (i440FX + PIIX3, SeaBIOS) with QEMU-style options. With no options it boots the',
    'default guest (--guest amd64: Debian Linux to a busybox shell on this terminal). Examples:',
    '  x86vm -nographic -hda disk.img            boot a raw disk image, serial console on this terminal',
    '  x86vm -nographic -cdrom live.iso -m 1G    boot a CD image',
    '  x86vm -hda disk.img -snapshot             keep the image unchanged',
    '',
  ];
  const width = Math.max(...OPTIONS.map((o) => label(o).length)) + 2;
  for (const group of GROUP_ORDER) {
    lines.push(`${group}:`);
    for (const o of OPTIONS.filter((x) => x.group === group)) lines.push(`  ${label(o).padEnd(width)}${o.help}`);
    lines.push('');
  }
  lines.push('Keys on the console (stdio serial): Ctrl-A x quit, Ctrl-A h help, Ctrl-A c monitor, Ctrl-A a send Ctrl-A.');
  lines.push('Exit status: 0 guest power-off or quit, 1 emulator failure, 2 bad command line or files,');
  lines.push('(V<<1)|1 from isa-debug-exit.');
  return lines.join('\n') + '\n';
}

function label(o: OptionSpec): string {
  return o.names.join(', ') + (o.arg ? ` ${o.arg}` : '');
}
