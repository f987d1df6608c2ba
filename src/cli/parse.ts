/**
 * Command line → configuration. Checks syntax and values only (sizes, counts, names); files are
 * checked in run.ts. Every problem is a `UsageError`: one line naming it and what to do.
 */
import { CPU_MODELS, qemuFeatureName } from '../cpu/cpuid.js';
import { DEFAULT_GUEST_CPUS, DEFAULT_GUEST_RAM, DEFAULT_RAM, findOption } from './options.js';
import type { GuestArch } from '../fetch/index.js';
import { TRACE_ITEMS } from './trace.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type BootDevice = 'floppy' | 'disk' | 'cdrom' | 'network';

export interface DriveConfig {
  file: string;
  media: 'disk' | 'cdrom';
  /** IDE position: 0 primary master, 1 primary slave, 2 secondary master, 3 secondary slave. */
  index: number;
  readOnly: boolean;
  snapshot: boolean;
  /** The option that named it, for messages. */
  origin: string;
}

/** A -drive if=virtio disk: a virtio-blk-pci function on PCI slot 4, 5, ... in command line order. */
export interface VirtioDriveConfig {
  file: string;
  readOnly: boolean;
  snapshot: boolean;
  /** serial=: what the device answers to VIRTIO_BLK_T_GET_ID (null: none). */
  serial: string | null;
  origin: string;
}

export type SerialConfig = { kind: 'stdio' } | { kind: 'file'; path: string } | { kind: 'none' };

export interface MachineConfig {
  ramSize: number;
  cpus: number;
  cpuModel: string;
  /** -cpu flag changes after the model (+x2apic, -x2apic, x2apic=off), in order. */
  cpuFlags: { flag: string; on: boolean }[];
  bios: string | null;
  kernel: string | null;
  initrd: string | null;
  append: string | null;
  drives: DriveConfig[];
  virtioDrives: VirtioDriveConfig[];
  bootOrder: BootDevice[] | null;
  /** SeaBIOS's boot menu (-boot menu=on) and its wait in ms (splash-time=; null: SeaBIOS's default). */
  bootMenu: { enabled: boolean; waitMs: number | null };
  /** -boot reboot-timeout: ms before SeaBIOS reboots when nothing booted; -1 never (QEMU's default). */
  rebootTimeoutMs: number;
  snapshot: boolean;
  nographic: boolean;
  serial: SerialConfig;
  noReboot: boolean;
  /** isa-debug-exit and its ports, or null when not asked for. */
  debugExit: { iobase: number; iosize: number } | null;
  /** QEMU's pc-testdev (-device pc-testdev). */
  pcTestdev: boolean;
  /** --guest (or no options): boot the default Debian guest of this architecture. */
  guest: GuestArch | null;
  trace: Set<string>;
  traceFile: string | null;
}

export type CliConfig =
  | { mode: 'help' }
  | { mode: 'version' }
  | { mode: 'list'; text: string }
  | { mode: 'demo'; traceFile: string | null; maxInstructions: number }
  | { mode: 'machine'; machine: MachineConfig };

const MIB = 1 << 20;
/** The pc board's RAM, BIOS and vCPU state share one WebAssembly memory of at most 4 GiB. */
export const MAX_RAM = 4000 * MIB;
const HELP_NEXT = 'run x86vm --help for the options';

/** A size with an optional K/M/G/T suffix (QEMU's qemu_strtosz); `defaultUnit` applies to plain numbers. */
export function parseSize(text: string, defaultUnit: number): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(?:i?[bB])?$/.exec(text.trim());
  if (!m) return null;
  const units: Record<string, number> = { '': defaultUnit, k: 1024, m: MIB, g: 1024 * MIB, t: 1024 * 1024 * MIB };
  const bytes = Number(m[1]) * units[m[2]!.toLowerCase()]!;
  return Number.isFinite(bytes) ? Math.round(bytes) : null;
}

/** QEMU's key=value,key=value lists, with ",," for a literal comma; a leading bare value gets `implied`. */
export function parseKeyValues(text: string, implied: string | null, option: string): Map<string, string> {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === ',' && text[i + 1] === ',') { current += ','; i++; }
    else if (ch === ',') { parts.push(current); current = ''; }
    else current += ch;
  }
  parts.push(current);
  const out = new Map<string, string>();
  parts.forEach((part, i) => {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (i === 0 && implied !== null && part !== '') { out.set(implied, part); return; }
      throw new UsageError(`${option} ${text}: '${part}' is not key=value; ${HELP_NEXT}`);
    }
    out.set(part.slice(0, eq), part.slice(eq + 1));
  });
  return out;
}

function onOff(value: string, what: string): boolean {
  if (['on', 'yes', 'true', '1'].includes(value)) return true;
  if (['off', 'no', 'false', '0'].includes(value)) return false;
  throw new UsageError(`${what}=${value}: use on or off`);
}

const BOOT_LETTERS: Record<string, BootDevice> = { a: 'floppy', b: 'floppy', c: 'disk', d: 'cdrom', n: 'network', o: 'network', p: 'network' };

/** What -boot gives: the order, SeaBIOS's boot menu (and its wait) and the reboot timeout. */
interface BootOptions {
  order: BootDevice[] | null;
  menu: boolean;
  splashTimeMs: number | null;
  rebootTimeoutMs: number | null;
}

/** A whole number of milliseconds within QEMU's range for the -boot key. */
function bootMs(key: string, value: string, min: number): number {
  const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= 0xffff)) {
    throw new UsageError(`-boot ${key}=${value}: use a number of milliseconds from ${min} to 65535${min < 0 ? ' (-1: never)' : ''}`);
  }
  return n;
}

function parseBoot(text: string): BootOptions {
  const kv = parseKeyValues(text, 'order', '-boot');
  let order: string | null = null;
  const out: BootOptions = { order: null, menu: false, splashTimeMs: null, rebootTimeoutMs: null };
  for (const [key, value] of kv) {
    if (key === 'order' || key === 'once') order = value;
    else if (key === 'menu') out.menu = onOff(value, '-boot menu');
    else if (key === 'strict') onOff(value, '-boot strict');
    // QEMU's splash-time is how long SeaBIOS waits for the boot menu key; reboot-timeout is how
    // long it waits before rebooting when nothing booted (-1: never, QEMU's default).
    else if (key === 'splash-time') out.splashTimeMs = bootMs(key, value, 0);
    else if (key === 'reboot-timeout') out.rebootTimeoutMs = bootMs(key, value, -1);
    else if (key === 'splash') throw new UsageError(`-boot splash=${value}: x86vm has no graphical display to show a splash image; drop splash= (splash-time= still sets the boot menu wait)`);
    else throw new UsageError(`-boot ${text}: unknown key '${key}'; use -boot order=LETTERS (c disk, d CD-ROM, a floppy, n network)[,menu=on][,splash-time=MS][,reboot-timeout=MS]`);
  }
  if (order === null) return out;
  const devices: BootDevice[] = [];
  for (const letter of order) {
    const device = BOOT_LETTERS[letter];
    if (!device) throw new UsageError(`-boot: '${letter}' is not a boot device; use c (disk), d (CD-ROM), a (floppy) or n (network)`);
    if (!devices.includes(device)) devices.push(device);
  }
  if (devices.length === 0) throw new UsageError('-boot: empty boot order; use e.g. -boot order=cd');
  out.order = devices;
  return out;
}

function parseSmp(text: string): number {
  const kv = parseKeyValues(text, 'cpus', '-smp');
  let cpus: number | null = null;
  for (const [key, value] of kv) {
    if (key === 'cpus' || key === 'maxcpus') {
      if (!/^\d+$/.test(value)) throw new UsageError(`-smp ${text}: '${value}' is not a whole number of vCPUs; use e.g. -smp 2`);
      const n = Number(value);
      if (key === 'maxcpus' && cpus !== null && n !== cpus) throw new UsageError(`-smp ${text}: CPU hotplug is not supported, so maxcpus must equal cpus`);
      if (key === 'cpus' || cpus === null) cpus = n;
    } else if (key === 'sockets' || key === 'cores' || key === 'threads' || key === 'dies') {
      if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`-smp ${text}: ${key} must be a positive whole number`);
    } else {
      throw new UsageError(`-smp ${text}: unknown key '${key}'; use -smp N`);
    }
  }
  if (cpus === null) throw new UsageError(`-smp ${text}: no CPU count; use e.g. -smp 2`);
  if (cpus < 1 || cpus > 255) throw new UsageError(`-smp ${cpus}: the pc board takes 1 to 255 vCPUs`);
  return cpus;
}

function parseSerial(text: string): SerialConfig {
  if (text === 'stdio' || text === 'mon:stdio') return { kind: 'stdio' };
  if (text === 'none' || text === 'null') return { kind: 'none' };
  if (text.startsWith('file:') && text.length > 5) return { kind: 'file', path: text.slice(5) };
  throw new UsageError(`-serial ${text}: not a serial backend this build has; use stdio, file:PATH or none`);
}

type ParsedDrive =
  | ({ kind: 'ide' } & Omit<DriveConfig, 'index'> & { index: number | null })
  | ({ kind: 'virtio' } & VirtioDriveConfig);

function parseDrive(text: string, snapshotAll: boolean): ParsedDrive {
  const kv = parseKeyValues(text, 'file', '-drive');
  let file: string | null = null;
  let media: 'disk' | 'cdrom' = 'disk';
  let index: number | null = null;
  let readOnly = false;
  let snapshot = snapshotAll;
  let iface: 'ide' | 'virtio' = 'ide';
  let serial: string | null = null;
  for (const [key, value] of kv) {
    switch (key) {
      case 'file': file = value; break;
      case 'format':
        if (value !== 'raw') throw new UsageError(`-drive format=${value}: only raw images are supported; convert with qemu-img convert -O raw IMAGE out.img`);
        break;
      case 'if':
        if (value !== 'ide' && value !== 'virtio') throw new UsageError(`-drive if=${value}: only if=ide and if=virtio are supported`);
        iface = value;
        break;
      case 'media':
        if (value !== 'disk' && value !== 'cdrom') throw new UsageError(`-drive media=${value}: use media=disk or media=cdrom`);
        media = value;
        break;
      case 'index':
        if (!/^[0-3]$/.test(value)) throw new UsageError(`-drive index=${value}: IDE has positions 0 to 3`);
        index = Number(value);
        break;
      case 'readonly': readOnly = onOff(value, '-drive readonly'); break;
      case 'snapshot': snapshot = onOff(value, '-drive snapshot'); break;
      case 'serial':
        // VIRTIO_BLK_ID_BYTES: the device ID string is at most 20 bytes.
        if (!/^[\x20-\x7e]{1,20}$/.test(value)) throw new UsageError(`-drive serial=${value}: use 1 to 20 printable ASCII characters`);
        serial = value;
        break;
      case 'cache': case 'aio': case 'discard': case 'id': break; // accepted, no effect here
      default: throw new UsageError(`-drive ${text}: unknown key '${key}'; keys: file, format, if, media, index, readonly, snapshot, serial`);
    }
  }
  if (file === null || file === '') throw new UsageError(`-drive ${text}: no file=PATH given`);
  if (iface === 'virtio') {
    if (media === 'cdrom') throw new UsageError(`-drive ${text}: a virtio block device is a disk; put CD-ROMs on IDE (if=ide,media=cdrom)`);
    if (index !== null) throw new UsageError(`-drive ${text}: index= picks an IDE position; virtio disks take PCI slots 4, 5, ... in command line order`);
    return { kind: 'virtio', file, readOnly, snapshot, serial, origin: '-drive' };
  }
  if (serial !== null) throw new UsageError(`-drive ${text}: serial= is supported with if=virtio only`);
  return { kind: 'ide', file, media, index, readOnly, snapshot, origin: '-drive' };
}

/** Parse argv (without node and the script). Throws UsageError. */
export function parseCommandLine(argv: readonly string[]): CliConfig {
  const given: { key: string; value: string; name: string }[] = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    if (!arg.startsWith('-') || arg === '-' || arg === '--') {
      throw new UsageError(`unexpected argument '${arg}': options start with a dash (to boot an image, use -hda ${arg} or -cdrom ${arg}); ${HELP_NEXT}`);
    }
    let inline: string | null = null;
    if (arg.startsWith('--') && arg.includes('=')) {
      inline = arg.slice(arg.indexOf('=') + 1);
      arg = arg.slice(0, arg.indexOf('='));
    }
    const spec = findOption(arg);
    if (!spec) throw new UsageError(`unknown option '${arg}'; ${HELP_NEXT}`);
    let value = '';
    if (spec.arg) {
      if (inline !== null) value = inline;
      else {
        if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value (${spec.arg}); ${HELP_NEXT}`);
        value = argv[++i]!;
      }
    } else if (inline !== null) {
      throw new UsageError(`${arg} takes no value; ${HELP_NEXT}`);
    }
    given.push({ key: spec.key, value, name: arg });
  }

  const has = (key: string) => given.some((g) => g.key === key);
  const last = (key: string): string | null => {
    const all = given.filter((g) => g.key === key);
    return all.length ? all[all.length - 1]!.value : null;
  };
  if (has('help')) return { mode: 'help' };
  if (has('version')) return { mode: 'version' };
  if (last('cpu') === 'help' || last('cpu') === '?') {
    return { mode: 'list', text: Object.entries(CPU_MODELS).map(([n, m]) => `${n.padEnd(8)} ${m.description}\n`).join('') };
  }
  if (last('machine') === 'help' || last('machine') === '?') return { mode: 'list', text: 'pc       Standard PC (i440FX + PIIX3) (default)\n' };
  if (last('d') === 'help') {
    return { mode: 'list', text: 'Log items (comma separated):\n' + Object.entries(TRACE_ITEMS).map(([n, d]) => `${n.padEnd(8)} ${d}\n`).join('') };
  }

  const demoKeys = new Set(['demo', 'trace', 'max-instructions']);
  const machineGiven = given.filter((g) => !demoKeys.has(g.key));
  if (has('demo') || (given.length > 0 && machineGiven.length === 0)) {
    if (machineGiven.length > 0) throw new UsageError(`--demo runs the built-in program and cannot be combined with ${machineGiven[0]!.name}; drop one of them`);
    const limitText = last('max-instructions') ?? '100000000';
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit <= 0) throw new UsageError(`--max-instructions needs a positive whole number, not '${limitText}'`);
    return { mode: 'demo', traceFile: last('trace'), maxInstructions: limit };
  }
  for (const key of demoKeys) {
    if (has(key)) throw new UsageError(`--${key} belongs to --demo; for a machine trace use -d in_asm -D FILE`);
  }
  // No options at all: the default guest (the README's first command).
  const guestText = given.length === 0 ? 'amd64' : last('guest');
  if (guestText !== null && guestText !== 'amd64' && guestText !== 'i386') {
    throw new UsageError(`--guest ${guestText}: the default guest exists for amd64 and i386; use --guest amd64 or --guest i386`);
  }
  const guest = guestText as GuestArch | null;
  if (guest !== null) {
    const clash = given.find((g) => ['kernel', 'initrd', 'hda', 'hdb', 'hdc', 'hdd', 'cdrom', 'drive', 'bios', 'boot'].includes(g.key));
    if (clash) throw new UsageError(`--guest boots Debian's kernel directly and cannot be combined with ${clash.name}; drop one of them`);
  }

  // Machine.
  const ramText = last('m') ?? (guest !== null ? DEFAULT_GUEST_RAM : DEFAULT_RAM);
  let ramSpec = ramText;
  if (ramText.includes('=')) {
    const kv = parseKeyValues(ramText, 'size', '-m');
    for (const key of kv.keys()) if (key !== 'size' && key !== 'slots' && key !== 'maxmem') throw new UsageError(`-m ${ramText}: unknown key '${key}'; use -m SIZE`);
    ramSpec = kv.get('size') ?? '';
  }
  const ramSize = parseSize(ramSpec, MIB);
  if (ramSize === null) throw new UsageError(`-m ${ramText}: not a size; use a number of MiB or a suffix, e.g. -m 512M or -m 2G`);
  if (ramSize < MIB) throw new UsageError(`-m ${ramText}: the guest needs at least 1 MiB of RAM; e.g. -m 128M`);
  if (ramSize > MAX_RAM) throw new UsageError(`-m ${ramText}: at most ${MAX_RAM / MIB} MiB fit in x86vm's 4 GiB guest memory; use a smaller -m`);

  const cpus = has('smp') ? parseSmp(last('smp')!) : guest !== null ? DEFAULT_GUEST_CPUS : 1;
  const cpuText = last('cpu') ?? 'x86vm';
  const cpuModel = cpuText.split(',')[0]!;
  if (!(cpuModel in CPU_MODELS)) throw new UsageError(`-cpu ${cpuModel}: unknown CPU model; known models: ${Object.keys(CPU_MODELS).join(', ')}`);
  // QEMU's flag syntax after the model: +flag, -flag, flag=on|off; vendor= only as our own vendor.
  const cpuFlags: { flag: string; on: boolean }[] = [];
  for (const item of cpuText.split(',').slice(1)) {
    if (item === '') continue;
    let change: { flag: string; on: boolean };
    if (item.startsWith('+') || item.startsWith('-')) change = { flag: item.slice(1), on: item[0] === '+' };
    else if (item.includes('=')) {
      const [key, value] = [item.slice(0, item.indexOf('=')), item.slice(item.indexOf('=') + 1)];
      if (key === 'vendor') {
        if (value !== 'GenuineIntel') throw new UsageError(`-cpu ${cpuText}: vendor=${value} is not supported; x86vm's CPU is GenuineIntel`);
        continue;
      }
      change = { flag: key, on: onOff(value, `-cpu ${key}`) };
    } else change = { flag: item, on: true };
    if (qemuFeatureName(change.flag) === undefined) throw new UsageError(`-cpu ${cpuText}: unknown CPU feature or property '${change.flag}'; use +flag/-flag with QEMU's feature names`);
    cpuFlags.push(change);
  }

  const machineType = last('machine');
  if (machineType !== null) {
    const type = machineType.split(',')[0]!;
    if (type !== 'pc' && !type.startsWith('pc-i440fx')) throw new UsageError(`-machine ${machineType}: x86vm has only the pc board (i440FX + PIIX3); use -machine pc or drop the option`);
  }
  const accel = last('accel');
  if (accel !== null && accel.split(',')[0] !== 'tcg') throw new UsageError(`-accel ${accel}: x86vm is an emulator and uses no accelerator; drop the option (or use -accel tcg)`);
  if (has('enable-kvm')) throw new UsageError('-enable-kvm: x86vm is an emulator and does not use KVM; drop the option');
  let debugExit: MachineConfig['debugExit'] = null;
  let pcTestdev = false;
  for (const g of given.filter((x) => x.key === 'device')) {
    const kv = parseKeyValues(g.value, 'driver', '-device');
    const driver = kv.get('driver');
    if (driver === 'pc-testdev') {
      for (const key of kv.keys()) {
        if (key !== 'driver') throw new UsageError(`-device ${g.value}: pc-testdev has no property '${key}'; use -device pc-testdev`);
      }
      pcTestdev = true;
      continue;
    }
    if (driver !== 'isa-debug-exit') throw new UsageError(`-device ${g.value}: unknown device; the extra devices are isa-debug-exit and pc-testdev`);
    // x86vm's default iobase is 0xF4 (QEMU's is 0x501, but test kernels are run with iobase=0xf4).
    const ports = { iobase: 0xf4, iosize: 1 };
    for (const [key, value] of kv) {
      if (key === 'driver') continue;
      const n = /^(0x[0-9a-f]+|\d+)$/i.test(value) ? Number(value) : NaN;
      if (key === 'iobase' && n >= 0 && n <= 0xffff) ports.iobase = n;
      else if (key === 'iosize' && [1, 2, 4].includes(n)) ports.iosize = n;
      else if (key === 'iobase' || key === 'iosize') throw new UsageError(`-device ${g.value}: ${key}=${value} is not valid; use a port 0-0xffff for iobase and 1, 2 or 4 for iosize`);
      else throw new UsageError(`-device ${g.value}: isa-debug-exit has no property '${key}'; use iobase= and iosize=`);
    }
    if (ports.iobase + ports.iosize > 0x10000) throw new UsageError(`-device ${g.value}: the ports end beyond 0xFFFF; use a lower iobase`);
    debugExit = ports;
  }
  const display = last('display');
  if (display !== null && display !== 'none') throw new UsageError(`-display ${display}: x86vm has no graphical display; use -nographic (serial console on this terminal)`);

  // Boot.
  const kernel = last('kernel'), initrd = last('initrd'), append = last('append');
  if (kernel === null && initrd !== null) throw new UsageError('-initrd is only allowed with -kernel');
  if (kernel === null && guest === null && append !== null) throw new UsageError('-append is only allowed with -kernel or --guest');
  for (const [key, v] of [['kernel', kernel], ['initrd', initrd], ['bios', last('bios')]] as const) {
    if (v === '') throw new UsageError(`-${key} needs a file name`);
  }
  const boot = has('boot') ? parseBoot(last('boot')!) : null;
  const bootOrder = boot?.order ?? null;
  const bootMenu = { enabled: boot?.menu ?? false, waitMs: boot?.splashTimeMs ?? null };
  const rebootTimeoutMs = boot?.rebootTimeoutMs ?? -1;

  // Drives, in command line order; explicit positions first, then the next free ones.
  const snapshot = has('snapshot');
  const fixed: Record<string, number> = { hda: 0, hdb: 1, hdc: 2, hdd: 3, cdrom: 2 };
  const drives: DriveConfig[] = [];
  const virtioDrives: VirtioDriveConfig[] = [];
  const pending: (Omit<DriveConfig, 'index'> & { index: number | null })[] = [];
  for (const g of given) {
    if (g.key in fixed) {
      if (g.value === '') throw new UsageError(`${g.name} needs a file name`);
      const media = g.key === 'cdrom' ? 'cdrom' : 'disk';
      pending.push({ file: g.value, media, index: fixed[g.key]!, readOnly: media === 'cdrom', snapshot, origin: g.name });
    } else if (g.key === 'drive') {
      const parsed = parseDrive(g.value, snapshot);
      if (parsed.kind === 'virtio') {
        if (virtioDrives.length >= 28) throw new UsageError(`-drive ${g.value}: the PCI bus has room for 28 virtio disks (slots 4 to 31)`);
        const { kind: _virtio, ...d } = parsed;
        virtioDrives.push(d);
        continue;
      }
      const { kind: _ide, ...d } = parsed;
      if (d.media === 'cdrom') d.readOnly = true;
      pending.push(d);
    }
  }
  const used = new Map<number, string>();
  for (const d of pending.filter((p) => p.index !== null)) {
    if (used.has(d.index!)) throw new UsageError(`${d.origin} ${d.file}: IDE position ${d.index} is already used by ${used.get(d.index!)}; use another position (-hda/-hdb/-hdc/-hdd or index=)`);
    used.set(d.index!, `${d.origin} ${d.file}`);
    drives.push({ ...d, index: d.index! });
  }
  for (const d of pending.filter((p) => p.index === null)) {
    let index = 0;
    while (used.has(index)) index++;
    if (index > 3) throw new UsageError(`${d.origin} ${d.file}: all four IDE positions are taken`);
    used.set(index, `${d.origin} ${d.file}`);
    drives.push({ ...d, index });
  }
  drives.sort((a, b) => a.index - b.index);

  // Console and tracing.
  const nographic = has('nographic');
  const serialGiven = given.filter((g) => g.key === 'serial');
  if (serialGiven.length > 1) throw new UsageError('-serial given twice: the pc board has one serial port (COM1)');
  const serial = serialGiven.length ? parseSerial(serialGiven[0]!.value) : { kind: 'stdio' as const };
  const trace = new Set<string>();
  const traceText = last('d');
  if (traceText !== null) {
    for (const item of traceText.split(',')) {
      if (!(item in TRACE_ITEMS)) throw new UsageError(`-d ${item}: unknown log item; known items: ${Object.keys(TRACE_ITEMS).join(', ')}`);
      trace.add(item);
    }
  }
  const traceFile = last('D');
  if (traceFile === '') throw new UsageError('-D needs a file name');

  return {
    mode: 'machine',
    machine: {
      ramSize, cpus, cpuModel, cpuFlags, bios: last('bios'), kernel, initrd, append, drives, virtioDrives, bootOrder, bootMenu, rebootTimeoutMs, snapshot, nographic,
      serial, noReboot: has('no-reboot'), debugExit, pcTestdev, trace, traceFile, guest,
    },
  };
}
