/**
 * `x86vm [machine options]`: check every file, build the pc board, then run it in real time —
 * the vCPUs in slices of about 20 ms between host events, and when every vCPU is halted the host
 * sleeps until the next timer deadline or the next keystroke (no busy waiting).
 */
import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ExitReason } from '../cpu/cpu.js';
import { customizeCpuModel } from '../cpu/cpuid.js';
import { PcMachine, type VirtioDriveSpec } from '../machine/pc.js';
import { DiskOpenError, openDiskImage, type DiskBackend } from '../backends/disk/index.js';
import type { IdeDriveSpec } from '../devices/ide/piix-ide.js';
import { pcAcpiConfig } from '../devices/acpi/config.js';
import { bootLinux, HDRS_MAGIC, parseBzImage } from '../machine/boot/linux.js';
import { installLinuxFwCfg } from '../machine/boot/fwcfg-linux.js';
import { installMultibootFwCfg } from '../machine/boot/fwcfg-multiboot.js';
import { cacheDir } from '../fetch/apt.js';
import { fetchGuest, FetchError } from '../fetch/index.js';
import { defaultInitramfs } from '../machine/boot/initramfs.js';
import { DEFAULT_GUEST_CMDLINE } from '../machine/boot/default-guest.js';
import { bootMultiboot, findMultibootHeader, type MultibootModule } from '../machine/boot/multiboot.js';
import { DEFAULT_BIOS } from './options.js';
import { UsageError, type MachineConfig } from './parse.js';
import { HostCharBackend } from './serial.js';
import { EscapeDecoder, ESCAPE_HELP, TerminalGuard } from './terminal.js';
import { Monitor } from './monitor.js';
import { attachTracer, LogSink } from './trace.js';
import { formatRegisters, recentInstructions } from './report.js';

/** Where the command line's streams are (process.* in the CLI; tests may substitute). */
export interface CliStreams {
  stdin: NodeJS.ReadStream;
  stdout: { write(data: Uint8Array | string): unknown; fd?: number };
  stderr: { write(data: string): unknown };
}

type Outcome =
  | { kind: 'poweroff' }
  | { kind: 'quit' }
  | { kind: 'reset' }
  | { kind: 'debug-exit'; status: number }
  | { kind: 'fatal'; error: unknown };

const MIB = 1 << 20;

/** Why a file cannot be used, in words. */
function fileProblem(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return e instanceof Error ? e.message : String(e);
}

/** A file that must exist and be readable (firmware, kernel, initrd). */
function checkReadable(option: string, path: string): void {
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`${option} ${path}: it is a directory; give a file`);
    accessSync(path, constants.R_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${option} ${path}: ${fileProblem(e)}; check the path and permissions`);
  }
}

/** A file x86vm will create or overwrite: its directory must exist and be writable, and it must not be a directory. */
function checkCreatable(option: string, path: string): void {
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${option} ${path}: ${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${option} ${path}: cannot create it in ${dir} (${fileProblem(e)}); choose another path`);
  }
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new UsageError(`${option} ${path}: it is a directory; give a file name`);
    try {
      accessSync(path, constants.W_OK);
    } catch {
      throw new UsageError(`${option} ${path}: the file is not writable; choose another path`);
    }
  }
}

function loadFirmware(config: MachineConfig): Uint8Array {
  const path = config.bios ?? (existsSync(DEFAULT_BIOS) ? DEFAULT_BIOS : null);
  if (path === null) {
    throw new UsageError(`no firmware: ${DEFAULT_BIOS} is missing; install Debian's seabios package (apt-get install seabios) or pass -bios FILE`);
  }
  checkReadable('-bios', path);
  const bios = readFileSync(path);
  if (bios.length < 0x10000 || bios.length > 16 * MIB || bios.length % 0x10000 !== 0) {
    throw new UsageError(`-bios ${path}: a firmware image must be 64 KiB to 16 MiB in 64 KiB steps (this one is ${bios.length} bytes); use SeaBIOS's bios-256k.bin`);
  }
  return bios;
}

function openDrives(config: MachineConfig): { specs: IdeDriveSpec[]; virtio: VirtioDriveSpec[]; backends: DiskBackend[] } {
  const backends: DiskBackend[] = [];
  const specs: IdeDriveSpec[] = [];
  const virtio: VirtioDriveSpec[] = [];
  /** Open one image as a user mistake would be reported: one line naming the option and the file. */
  const open = (d: { file: string; origin: string; snapshot: boolean; readOnly: boolean }, cdrom: boolean): DiskBackend => {
    const label = `${d.origin} ${d.file}`;
    let backend: DiskBackend;
    try {
      backend = openDiskImage(d.file, { cdrom, snapshot: d.snapshot && !cdrom, readOnly: d.readOnly });
    } catch (e) {
      const reason = e instanceof DiskOpenError ? e.message.replace(/^cannot open disk image .*?: /, '') : fileProblem(e);
      const hint = reason === 'permission denied'
        ? (d.snapshot || d.readOnly ? 'check its permissions' : 'check its permissions, or add -snapshot to keep writes in memory')
        : 'check the path';
      throw new UsageError(`${label}: cannot open the image (${reason}); ${hint}`);
    }
    backends.push(backend);
    if (backend.length === 0) throw new UsageError(`${label}: the image is empty; create one with e.g. truncate -s 64M ${d.file}`);
    try {
      backend.read(0, new Uint8Array(Math.min(backend.sectorSize, backend.length)));
    } catch (e) {
      throw new UsageError(`${label}: the image cannot be read (${fileProblem(e)}); check the file`);
    }
    return backend;
  };
  try {
    for (const d of config.drives) {
      const backend = open(d, d.media === 'cdrom');
      specs.push({ channel: (d.index >> 1) as 0 | 1, position: (d.index & 1) as 0 | 1, kind: d.media, backend });
    }
    for (const d of config.virtioDrives) {
      const backend = open({ ...d, origin: `${d.origin} if=virtio` }, false);
      if (backend.length < 512) throw new UsageError(`${d.origin} ${d.file}: the image is smaller than one 512-byte sector; a virtio disk needs at least one`);
      virtio.push({ backend, serial: d.serial ?? undefined });
    }
  } catch (e) {
    for (const b of backends) b.close();
    throw e;
  }
  return { specs, virtio, backends };
}

/** A -kernel image (Linux bzImage or Multiboot) with its -initrd / module files, read and recognised. */
interface KernelImage {
  kind: 'linux' | 'multiboot';
  image: Uint8Array;
  initrd: Uint8Array | null;
  modules: MultibootModule[];
  /**
   * With -bios: QEMU's option ROM through which SeaBIOS boots the kernel (linuxboot_dma.bin for
   * Linux, multiboot_dma.bin for Multiboot).
   */
  optionRom: Uint8Array | null;
}

/** Where Debian's qemu-system-data installs QEMU's Linux loader option ROM. */
const QEMU_ROM_DIR = '/usr/share/qemu';
const LINUXBOOT_ROM = 'linuxboot_dma.bin', MULTIBOOT_ROM = 'multiboot_dma.bin';

/** One of QEMU's option ROMs: installed, or unpacked by x86vm's package fetcher into its cache. */
function findQemuRom(name: string): string | null {
  if (existsSync(join(QEMU_ROM_DIR, name))) return join(QEMU_ROM_DIR, name);
  const files = join(cacheDir(), 'files');
  try {
    for (const entry of readdirSync(files).filter((e) => e.startsWith('qemu-system-data_')).sort().reverse()) {
      const path = join(files, entry, name);
      if (existsSync(path)) return path;
    }
  } catch {
    // No cache yet.
  }
  return null;
}

function readFileFor(option: string, path: string): Uint8Array {
  checkReadable(option, path);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`${option} ${path}: cannot read it (${fileProblem(e)}); check the file`);
  }
}

/** QEMU's way for -kernel with -bios: the firmware loads the kernel from fw_cfg with QEMU's option ROM. */
function readQemuRom(name: string): Uint8Array {
  const rom = findQemuRom(name);
  if (rom === null) {
    throw new UsageError(`-kernel with -bios needs QEMU's option ROM ${join(QEMU_ROM_DIR, name)} (apt-get install qemu-system-data); or drop -bios to boot the kernel directly`);
  }
  return readFileFor('-kernel with -bios: the option ROM', rom);
}

function readKernel(config: MachineConfig): KernelImage {
  const path = config.kernel!;
  const image = readFileFor('-kernel', path);
  let isLinux = false;
  try {
    parseBzImage(image);
    isLinux = true;
  } catch (e) {
    if (image.length >= 0x206 && new DataView(image.buffer, image.byteOffset).getUint32(0x202, true) === HDRS_MAGIC) {
      throw new UsageError(`-kernel ${path}: ${(e as Error).message}`);
    }
  }
  if (isLinux) {
    const initrd = config.initrd !== null ? readFileFor('-initrd', config.initrd) : null;
    const optionRom = config.bios !== null ? readQemuRom(LINUXBOOT_ROM) : null;
    return { kind: 'linux', image, initrd, modules: [], optionRom };
  }
  if (findMultibootHeader(image) === null) {
    throw new UsageError(`-kernel ${path}: neither a Linux bzImage nor a Multiboot kernel; give a bzImage (e.g. /boot/vmlinuz-*) or boot a disk image with -hda`);
  }
  // Multiboot: -initrd lists the modules, "file args,file args" (QEMU's convention).
  const modules: MultibootModule[] = [];
  if (config.initrd !== null) {
    for (const spec of config.initrd.split(',')) {
      const [file, ...args] = spec.trim().split(/\s+/);
      if (!file) continue;
      modules.push({ data: readFileFor('-initrd', file), cmdline: [file, ...args].join(' ') });
    }
  }
  const optionRom = config.bios !== null ? readQemuRom(MULTIBOOT_ROM) : null;
  return { kind: 'multiboot', image, initrd: null, modules, optionRom };
}

/**
 * The default guest: Debian's kernel and busybox for the architecture (fetched into the cache on
 * first use, with progress on stderr) and x86vm's own initramfs.
 */
async function defaultGuest(config: MachineConfig, io: CliStreams): Promise<KernelImage> {
  let files;
  try {
    files = await fetchGuest(config.guest!, { progress: { write: (text: string) => io.stderr.write(text) } as NodeJS.WritableStream });
  } catch (e) {
    if (e instanceof FetchError) throw new UsageError(`--guest ${config.guest}: ${e.message}`);
    throw e;
  }
  const image = readFileFor('--guest kernel', files.kernel);
  const initrd = defaultInitramfs(readFileFor('--guest busybox', files.busybox));
  config.append = [DEFAULT_GUEST_CMDLINE, config.append ?? ''].join(' ').trim();
  return { kind: 'linux', image, initrd, modules: [], optionRom: null };
}

/** Opens (creates) an output file after all checks passed; remembers it for removal on a later failure. */
class CreatedFiles {
  private readonly created: string[] = [];
  open(option: string, path: string): number {
    const existed = existsSync(path);
    try {
      const fd = openSync(path, 'w');
      if (!existed) this.created.push(path);
      return fd;
    } catch (e) {
      throw new UsageError(`${option} ${path}: cannot create it (${fileProblem(e)}); choose another path`);
    }
  }
  removeAll(): void {
    for (const path of this.created.splice(0)) {
      try { unlinkSync(path); } catch { /* already gone */ }
    }
  }
}

/** Build and run the machine; returns the exit status. Throws UsageError before anything is created. */
export async function runMachine(config: MachineConfig, io: CliStreams): Promise<number> {
  // 1. Every input file, before anything is created.
  const kernel = config.guest !== null ? await defaultGuest(config, io) : config.kernel !== null ? readKernel(config) : null;
  const bios = kernel === null || kernel.optionRom !== null ? loadFirmware(config) : undefined;
  if (config.serial.kind === 'file') checkCreatable('-serial', config.serial.path);
  if (config.traceFile !== null) checkCreatable('-D', config.traceFile);
  const { specs, virtio, backends } = openDrives(config);
  const closeDisks = () => {
    for (const b of backends) {
      try { b.flush(); } catch { /* reported by the guest's device already */ }
      b.close();
    }
  };

  // 2. The machine.
  const cpu = customizeCpuModel(config.cpuModel, config.cpuFlags);
  // QEMU's TCG warns and goes on when a requested feature is not emulated; so does x86vm.
  for (const flag of cpu.ignored) io.stderr.write(`x86vm: warning: -cpu +${flag}: not implemented by x86vm; the guest does not see it\n`);
  let debugExit: number | null = null;
  const serial = config.serial.kind === 'none' ? null : new HostCharBackend((bytes) => {
    if (serialFd !== null) writeSync(serialFd, bytes);
    else io.stdout.write(bytes);
  });
  let serialFd: number | null = null;
  let pc: PcMachine;
  try {
    pc = new PcMachine({
      ramSize: config.ramSize,
      cpus: config.cpus,
      bios,
      features: cpu.features,
      serial,
      serialConsole: true,
      bootOrder: config.bootOrder ?? undefined,
      bootMenu: { enabled: config.bootMenu.enabled, waitMs: config.bootMenu.waitMs ?? undefined },
      rebootTimeoutMs: config.rebootTimeoutMs,
      drives: { ide: specs, virtio },
      debugExitPorts: config.debugExit ?? undefined,
      pcTestdev: config.pcTestdev,
      onDebugExit: config.debugExit ? (status) => {
        // The first write ends the run (QEMU exits inside it); a wider OUT split into several
        // port writes must not replace its status.
        debugExit ??= status;
        for (const cpu of pc.cpus) cpu.requestStop();
      } : undefined,
    });
  } catch (e) {
    closeDisks();
    if (e instanceof RangeError) throw new UsageError(`-m ${config.ramSize / MIB}M: the host cannot provide that much guest memory (${e.message}); use a smaller -m`);
    if (e instanceof Error && e.message.startsWith('pc-testdev:')) throw new UsageError(`-device ${e.message}`);
    if (e instanceof Error && e.message.startsWith('port range isa-debug-exit')) {
      throw new UsageError(`-device isa-debug-exit: iobase 0x${config.debugExit!.iobase.toString(16)} ${e.message.slice('port range isa-debug-exit '.length)}; choose another iobase`);
    }
    throw e;
  }
  if (kernel !== null) {
    // Firmware-less boot: the loader places the kernel now and again after every guest reset
    // (with -bios: fw_cfg items the firmware loads the kernel from, as QEMU does).
    try {
      if (kernel.optionRom !== null && kernel.kind === 'multiboot') {
        installMultibootFwCfg(pc.fwCfg, { kernel: kernel.image, cmdline: [config.kernel, config.append ?? ''].join(' ').trim(), modules: kernel.modules, rom: kernel.optionRom });
      } else if (kernel.optionRom !== null) {
        installLinuxFwCfg(pc.fwCfg, { kernel: kernel.image, initrd: kernel.initrd, cmdline: config.append ?? '', linuxboot: kernel.optionRom, ramBelow4g: pc.ramBelow4g });
      } else if (kernel.kind === 'linux') {
        bootLinux(pc, { kernel: kernel.image, initrd: kernel.initrd, cmdline: config.append ?? '', acpi: pcAcpiConfig(config.cpus, pc.ramBelow4g) });
      } else {
        bootMultiboot(pc, { kernel: kernel.image, cmdline: [config.kernel, config.append ?? ''].join(' ').trim(), modules: kernel.modules });
      }
    } catch (e) {
      closeDisks();
      throw new UsageError(`-kernel ${config.kernel}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // 3. Output files, now that nothing else can fail.
  const files = new CreatedFiles();
  let sink: LogSink | null = null;
  try {
    if (config.serial.kind === 'file') serialFd = files.open('-serial', config.serial.path);
    if (config.traceFile !== null) sink = new LogSink(files.open('-D', config.traceFile), true);
    else if (config.trace.size > 0) sink = new LogSink(2, false);
  } catch (e) {
    if (serialFd !== null) closeSync(serialFd);
    files.removeAll();
    closeDisks();
    throw e;
  }
  if (sink !== null && config.trace.size > 0) attachTracer(pc.cpus, config.trace, sink);
  for (const cpu of pc.cpus) cpu.recentBlocks = new Float64Array(16).fill(NaN);

  // 4. The console: raw terminal, Ctrl-A escapes, the monitor.
  const stdioSerial = config.serial.kind === 'stdio';
  const say = (text: string) => io.stderr.write(`x86vm: ${text}\n`);
  const guard = new TerminalGuard(io.stdin, process, (signal) => {
    serial?.flush();
    sink?.close();
    if (serialFd !== null) closeSync(serialFd);
    say(`terminating on signal ${signal}`);
  });
  const loop = new RunLoop(pc, config.noReboot, () => debugExit);
  const monitor = new Monitor({
    cpus: pc.cpus,
    write: (text) => io.stdout.write(text),
    quit: () => loop.stop({ kind: 'quit' }),
    stop: () => loop.pause(),
    cont: () => loop.resume(),
    reset: () => { pc.resetRequested = true; loop.wake(); },
    running: () => !loop.paused,
  });
  let inMonitor = false;
  const escapes = new EscapeDecoder();
  const onData = (chunk: Buffer) => {
    for (const action of escapes.feed(chunk)) {
      if (action.kind === 'quit') loop.stop({ kind: 'quit' });
      else if (action.kind === 'help') io.stdout.write(`\r\n${ESCAPE_HELP}`);
      else if (action.kind === 'monitor') {
        inMonitor = !inMonitor;
        if (inMonitor) {
          io.stdout.write('\r\nx86vm monitor - type \'help\' for commands, Ctrl-A c returns to the console\r\n');
          monitor.prompt();
        } else io.stdout.write('\r\n');
      } else if (inMonitor) monitor.input(action.bytes);
      else serial?.feed(action.bytes);
    }
    loop.wake();
  };
  guard.enter(stdioSerial);
  if (stdioSerial) {
    // A pipe as well as a terminal: bytes pass through the escape decoder (Ctrl-A x quits either).
    io.stdin.on('data', onData);
    io.stdin.resume();
  }

  // 5. Run.
  let outcome: Outcome;
  try {
    outcome = await loop.run(() => serial?.flush());
  } finally {
    if (stdioSerial) {
      io.stdin.removeListener('data', onData);
      io.stdin.pause();
    }
    guard.restore();
    serial?.flush();
    if (serialFd !== null) closeSync(serialFd);
    closeDisks();
  }
  if (config.trace.size > 0 && sink !== null) sink.flush();

  let status: number;
  switch (outcome.kind) {
    case 'poweroff': status = 0; break;
    case 'quit': say('terminated (quit)'); status = 0; break;
    case 'reset': say('the guest reset the machine; stopping because of -no-reboot'); status = 0; break;
    case 'debug-exit': status = outcome.status; break;
    case 'fatal': {
      const e = outcome.error;
      const lines = [`emulator error: ${e instanceof Error ? e.message : String(e)}`];
      for (const cpu of pc.cpus.slice(0, 4)) {
        lines.push(`vCPU ${cpu.id}:`, formatRegisters(cpu).trimEnd(), 'last instructions:', ...recentInstructions(cpu));
      }
      if (sink !== null && sink.tail.length) lines.push('last -d log lines:', ...sink.tail);
      if (e instanceof Error && e.stack) lines.push(e.stack);
      say(lines.join('\n'));
      status = 1;
      break;
    }
  }
  sink?.close();
  return status;
}

/**
 * The real-time run loop. `run()` resolves with why the machine stopped; `wake()` ends a sleep
 * early (input arrived, a timer was armed earlier than the one slept for).
 */
class RunLoop {
  paused = false;
  private state: 'idle' | 'scheduled' | 'sleeping' | 'done' = 'idle';
  private timer: NodeJS.Timeout | null = null;
  private pending: Outcome | null = null;
  private resolve: (o: Outcome) => void = () => {};
  private flushOutput: () => void = () => {};

  constructor(private readonly pc: PcMachine, private readonly noReboot: boolean, private readonly debugExit: () => number | null) {
    pc.timers.onEarlierDeadline = () => this.wake();
  }

  run(flushOutput: () => void): Promise<Outcome> {
    this.flushOutput = flushOutput;
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.schedule();
    });
  }

  stop(outcome: Outcome): void {
    if (this.state === 'done') return;
    this.pending ??= outcome;
    for (const cpu of this.pc.cpus) cpu.requestStop();
    this.wake(true);
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.pc.clock.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pc.clock.resume();
    this.wake();
  }

  wake(force = false): void {
    if (this.state === 'sleeping' || (force && this.state === 'idle')) this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.state = 'scheduled';
    setImmediate(() => this.tick());
  }

  private finish(outcome: Outcome): void {
    this.state = 'done';
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.flushOutput();
    this.resolve(outcome);
  }

  private tick(): void {
    if (this.state === 'done') return;
    const pc = this.pc;
    const sliceEnd = performance.now() + 20;
    try {
      for (;;) {
        if (this.pending !== null) return this.finish(this.pending);
        if (this.paused) {
          this.state = 'sleeping';
          return;
        }
        const step = pc.scheduler.step();
        const exitStatus = this.debugExit();
        if (exitStatus !== null) return this.finish({ kind: 'debug-exit', status: exitStatus });
        if (pc.poweredOff) return this.finish({ kind: 'poweroff' });
        if (this.pending !== null) return this.finish(this.pending);
        if (pc.resetRequested) {
          if (this.noReboot) return this.finish({ kind: 'reset' });
          pc.reset();
          continue;
        }
        if (step.exit !== null && step.exit !== ExitReason.TripleFault && step.exit !== ExitReason.Stopped) {
          return this.finish({ kind: 'fatal', error: new Error(`vCPU run ended unexpectedly (exit reason ${step.exit})`) });
        }
        if (step.idle) {
          this.flushOutput();
          this.state = 'sleeping';
          if (Number.isFinite(step.sleepNs)) this.timer = setTimeout(() => this.schedule(), Math.max(0, Math.floor(step.sleepNs / 1e6)));
          return;
        }
        if (performance.now() >= sliceEnd) {
          this.flushOutput();
          this.schedule();
          return;
        }
      }
    } catch (e) {
      this.finish({ kind: 'fatal', error: e });
    }
  }
}
