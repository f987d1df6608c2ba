/**
 * Guest workloads run side by side on x86vm, v86 and QEMU (TCG), each run in a child process of its
 * own, the systems alternating run by run (x86vm, v86, qemu, x86vm, v86, qemu, ...).
 *
 * - x86vm: bench/guest-run.ts (direct Linux boot on the pc board, deterministic clock).
 * - v86 (npm devDependency): bench/v86-run.ts with Debian's SeaBIOS bios.bin and vgabios-stdvga.bin;
 *   32-bit guests only.
 * - QEMU: qemu-system-i386 / qemu-system-x86_64 -accel tcg, when installed (Debian's qemu-system-x86);
 *   -kernel/-initrd (SeaBIOS and linuxboot_dma), -nodefaults, the serial port on stdout.
 *
 * Every system gets the same kernel, initramfs (src/machine/boot/initramfs.ts, benchInitramfs),
 * command line and RAM size. Wall time is measured here, from spawning the child to reading the
 * marker on its output (so it includes each system's start-up); host CPU time and peak RSS are the
 * child's own (reported by the node children, read from /proc/PID for QEMU at the marker).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchInitramfs, BENCH_MARKERS, BENCH_WORKLOADS, type BenchWorkload } from '../src/machine/boot/initramfs.js';
import { cacheDir, fetchGuest, unpackDeb, Apt, type GuestArch } from '../src/fetch/index.js';
import { MarkerWatcher, tinyRom, type ChildLine } from './protocol.js';
import { idleRom } from './idle.js';

export type SystemName = 'x86vm' | 'v86' | 'qemu';
export const SYSTEMS: readonly SystemName[] = ['x86vm', 'v86', 'qemu'];

export interface GuestWorkload {
  name: string;
  description: string;
  kind: 'linux' | 'tiny-rom' | 'idle';
  arch: GuestArch;
  cpus: number;
  /** The CPU workload /init runs between its start and end markers (linux kind). */
  cpuWorkload: BenchWorkload | null;
  systems: readonly SystemName[];
  /** Part of a plain `npm run bench` (the others only with --only). */
  byDefault: boolean;
}

const ALL: readonly SystemName[] = SYSTEMS;
const NO_V86: readonly SystemName[] = ['x86vm', 'qemu'];

export const GUEST_WORKLOADS: readonly GuestWorkload[] = [
  { name: 'linux-i386', description: 'i386 686 kernel + busybox: to /init\'s marker', kind: 'linux', arch: 'i386', cpus: 1, cpuWorkload: null, systems: ALL, byDefault: true },
  { name: 'linux-amd64', description: 'amd64 kernel + busybox, 1 vCPU: to /init\'s marker', kind: 'linux', arch: 'amd64', cpus: 1, cpuWorkload: null, systems: NO_V86, byDefault: true },
  { name: 'linux-amd64-smp2', description: 'amd64 kernel + busybox, 2 vCPUs: to /init\'s marker', kind: 'linux', arch: 'amd64', cpus: 2, cpuWorkload: null, systems: NO_V86, byDefault: true },
  { name: 'md5-i386', description: 'in the i386 guest: dd 64 MiB of zeros | md5sum, start to end marker', kind: 'linux', arch: 'i386', cpus: 1, cpuWorkload: 'md5', systems: ALL, byDefault: true },
  { name: 'md5-amd64', description: 'in the amd64 guest: dd 64 MiB of zeros | md5sum, start to end marker', kind: 'linux', arch: 'amd64', cpus: 1, cpuWorkload: 'md5', systems: NO_V86, byDefault: true },
  { name: 'sh-loop-i386', description: 'in the i386 guest: 100000 iterations of a busybox sh arithmetic loop', kind: 'linux', arch: 'i386', cpus: 1, cpuWorkload: 'sh-loop', systems: ALL, byDefault: false },
  { name: 'sh-loop-amd64', description: 'in the amd64 guest: 100000 iterations of a busybox sh arithmetic loop', kind: 'linux', arch: 'amd64', cpus: 1, cpuWorkload: 'sh-loop', systems: NO_V86, byDefault: false },
  { name: 'tiny-rom', description: 'no BIOS, no Linux: a 64 KiB ROM counting a register down (harness check)', kind: 'tiny-rom', arch: 'i386', cpus: 1, cpuWorkload: null, systems: ALL, byDefault: false },
  { name: 'idle', description: 'host CPU of a 4-vCPU guest halted with a 100 Hz PIT for --seconds', kind: 'idle', arch: 'i386', cpus: 4, cpuWorkload: null, systems: NO_V86, byDefault: true },
];

export interface RunRecord {
  workload: string;
  system: SystemName;
  rep: number;
  ok: boolean;
  error?: string;
  /** The measured interval: spawn to the booted marker, or the CPU workload's start to end marker. */
  wallSeconds: number | null;
  cpuSeconds: number | null;
  maxRssMiB: number | null;
  instructions: number | null;
  mips: number | null;
  /** The end marker's line (the CPU workload's output) or the booted marker's. */
  result?: string;
}

export interface GuestOptions {
  reps: number;
  systems: readonly SystemName[];
  /** Per run, seconds (x86vm's Linux boots take minutes). */
  timeout: number;
  /** Idle measurement length, seconds. */
  idleSeconds: number;
  /** Count of the tiny ROM's loop. */
  tinyLoops: number;
  memoryMiB: number;
  cmdline: string;
  /** Where x86vm decompresses the kernel (bench/run.ts --decompress). */
  decompress: 'guest' | 'host';
  /** Echo the guests' consoles to stderr. */
  verbose: boolean;
  /** Where the initramfs images and ROMs are written. */
  workDir: string;
  log: (line: string) => void;
}

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** The peers found on this machine (name → version), and why the others are absent. */
export interface Peers {
  available: Partial<Record<SystemName, string>>;
  missing: Partial<Record<SystemName, string>>;
}

const QEMU_BINARY: Record<GuestArch, string> = { i386: 'qemu-system-i386', amd64: 'qemu-system-x86_64' };

export function findPeers(): Peers {
  const peers: Peers = { available: { x86vm: readPackageVersion(join(ROOT, 'package.json')) }, missing: {} };
  try {
    const path = fileURLToPath(import.meta.resolve('v86/package.json'));
    peers.available.v86 = readPackageVersion(path);
  } catch {
    peers.missing.v86 = 'the npm package v86 is not installed (npm install)';
  }
  const qemu = spawnSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' });
  if (qemu.status === 0 && spawnSync('qemu-system-i386', ['--version'], { stdio: 'ignore' }).status === 0) {
    peers.available.qemu = qemu.stdout.split('\n')[0]!.replace(/^QEMU emulator version /, '');
  } else {
    peers.missing.qemu = 'qemu-system-x86_64/qemu-system-i386 not found (Debian: apt-get install qemu-system-x86)';
  }
  return peers;
}

function readPackageVersion(path: string): string {
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/** Debian's SeaBIOS bios.bin (128 KiB, what v86 maps below 1 MiB) and vgabios-stdvga.bin. */
async function v86Firmware(): Promise<{ bios: string; vgaBios: string }> {
  const system = { bios: '/usr/share/seabios/bios.bin', vgaBios: '/usr/share/seabios/vgabios-stdvga.bin' };
  if (existsSync(system.bios) && existsSync(system.vgaBios)) return system;
  const dir = join(cacheDir(), 'files', 'seabios-bios.bin');
  const out = { bios: join(dir, 'bios.bin'), vgaBios: join(dir, 'vgabios-stdvga.bin') };
  if (existsSync(out.bios) && existsSync(out.vgaBios)) return out;
  const debs = join(cacheDir(), 'debs');
  let deb = existsSync(debs) ? readdirSync(debs).find((f) => f.startsWith('seabios_') && f.endsWith('.deb')) : undefined;
  deb = deb ? join(debs, deb) : await new Apt({ cache: cacheDir() }).download('seabios');
  mkdirSync(dir, { recursive: true });
  for (const entry of await unpackDeb(readFileSync(deb), { select: (p) => /^usr\/share\/seabios\/(bios|vgabios-stdvga)\.bin$/.test(p.replace(/^\.\//, '')), limit: 2 })) {
    if (entry.type === 'file' && entry.data) writeFileSync(join(dir, entry.path.split('/').pop()!), entry.data);
  }
  if (!existsSync(out.bios)) throw new Error(`no usr/share/seabios/bios.bin in ${deb}`);
  return out;
}

/** What a workload's runs need on disk. */
interface Prepared {
  kernel?: string;
  initrd?: string;
  rom?: string;
  markers: [string, string][];
  /** Measure from spawn to this marker, or between two markers. */
  measure: { to: string } | { from: string; to: string };
  expect?: string;
}

async function prepare(workload: GuestWorkload, options: GuestOptions): Promise<Prepared> {
  mkdirSync(options.workDir, { recursive: true });
  if (workload.kind === 'tiny-rom') {
    const rom = join(options.workDir, `tiny-${options.tinyLoops}.rom`);
    writeFileSync(rom, tinyRom(options.tinyLoops));
    return {
      rom,
      markers: [['booted', BENCH_MARKERS.booted], ['start', BENCH_MARKERS.start], ['end', BENCH_MARKERS.end], ['done', BENCH_MARKERS.done]],
      measure: { from: 'start', to: 'end' },
    };
  }
  if (workload.kind === 'idle') {
    const rom = join(options.workDir, 'idle.rom');
    writeFileSync(rom, idleRom());
    return { rom, markers: [], measure: { to: 'idle' } };
  }
  const guest = await fetchGuest(workload.arch, { progress: null });
  const initrd = join(options.workDir, `initrd-${workload.arch}-${workload.cpuWorkload ?? 'boot'}.cpio.gz`);
  writeFileSync(initrd, benchInitramfs(readFileSync(guest.busybox), workload.cpuWorkload));
  if (workload.cpuWorkload === null) {
    return { kernel: guest.kernel, initrd, markers: [['booted', BENCH_MARKERS.booted]], measure: { to: 'booted' }, expect: `${BENCH_MARKERS.booted} ${workload.cpus} cpus` };
  }
  return {
    kernel: guest.kernel,
    initrd,
    markers: [['booted', BENCH_MARKERS.booted], ['start', BENCH_MARKERS.start], ['end', BENCH_MARKERS.end], ['done', BENCH_MARKERS.done]],
    measure: { from: 'start', to: 'end' },
    expect: BENCH_WORKLOADS[workload.cpuWorkload].expect,
  };
}

/** What a child reported at one marker (wall as seen by the harness). */
interface Point {
  wallMs: number;
  cpuMs: number | null;
  maxRssKb: number | null;
  instructions: number | null;
}

interface ChildOutcome {
  points: Map<string, Point>;
  ok: boolean;
  message?: string;
  console: string;
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU time (user + system of all threads) and peak RSS of a running process, from /proc. */
function procSample(pid: number): { cpuMs: number; maxRssKb: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime), counted from field 3 after the command name.
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuMs, maxRssKb: hwm ? Number(hwm[1]) : 0 };
  } catch {
    return null;
  }
}

/**
 * Spawn a child and follow it to its last marker. `json`: the child speaks bench/protocol.ts on
 * stdout and its console on stderr; otherwise stdout is the console (QEMU) and the figures come
 * from /proc.
 */
function runChild(command: string, args: string[], markers: [string, string][], json: boolean, timeoutMs: number, verbose: boolean): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const points = new Map<string, Point>();
    const watcher = new MarkerWatcher(markers);
    let consoleText = '';
    let exitLine: Extract<ChildLine, { type: 'exit' }> | null = null;
    let settled = false;
    let lastProc: { cpuMs: number; maxRssKb: number } | null = null;
    const keepConsole = (text: string) => {
      if (verbose) process.stderr.write(text);
      consoleText = (consoleText + text).slice(-16384);
    };
    const finish = (ok: boolean, message?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poll);
      if (child.exitCode === null) child.kill('SIGKILL');
      resolve({ points, ok, message, console: consoleText });
    };
    const timer = setTimeout(() => finish(false, `no marker "${watcher.waitingFor}" within ${(timeoutMs / 1000).toFixed(0)} s`), timeoutMs);
    // QEMU: keep the last figures in case the process is gone when its marker is read.
    const poll = setInterval(() => {
      if (!json && child.pid) lastProc = procSample(child.pid) ?? lastProc;
    }, 500);
    let pending = '';
    child.stdout.setEncoding('latin1');
    child.stderr.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => {
      const now = performance.now() - start;
      if (!json) {
        keepConsole(chunk);
        const found = watcher.feed(chunk);
        if (found.length) {
          const proc = (child.pid ? procSample(child.pid) : null) ?? lastProc;
          for (const f of found) points.set(f.name, { wallMs: now, cpuMs: proc?.cpuMs ?? null, maxRssKb: proc?.maxRssKb ?? null, instructions: null });
        }
        if (watcher.done) finish(true);
        return;
      }
      pending += chunk;
      let eol: number;
      while ((eol = pending.indexOf('\n')) >= 0) {
        const text = pending.slice(0, eol);
        pending = pending.slice(eol + 1);
        let line: ChildLine;
        try {
          line = JSON.parse(text) as ChildLine;
        } catch {
          keepConsole(`${text}\n`);
          continue;
        }
        if (line.type === 'marker') points.set(line.name, { wallMs: now, cpuMs: line.cpuMs, maxRssKb: line.maxRssKb, instructions: line.instructions });
        else if (line.type === 'idle') {
          points.set('idle', { wallMs: line.seconds * 1000, cpuMs: line.cpuSeconds * 1000, maxRssKb: line.maxRssKb, instructions: line.instructions });
        } else exitLine = line;
      }
    });
    child.stderr.on('data', (chunk: string) => keepConsole(chunk));
    child.on('error', (error) => finish(false, `${command}: ${error.message}`));
    child.on('close', (code, signal) => {
      if (json && exitLine?.status === 'ok') return finish(true);
      if (json && points.has('idle')) return finish(true);
      const why = exitLine?.message ?? exitLine?.status ?? `exited with ${signal ?? code}`;
      finish(false, `${why}${watcher.waitingFor && !json ? ` before the marker "${watcher.waitingFor}"` : ''}`);
    });
  });
}

/** QEMU's command line for a workload. */
function qemuArgs(workload: GuestWorkload, prepared: Prepared, options: GuestOptions): string[] {
  const args = ['-accel', 'tcg', '-nodefaults', '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot', '-m', String(workload.kind === 'idle' ? 32 : options.memoryMiB), '-smp', String(workload.cpus)];
  if (prepared.rom) args.push('-bios', prepared.rom);
  if (prepared.kernel) args.push('-kernel', prepared.kernel, '-initrd', prepared.initrd!, '-append', options.cmdline);
  return args;
}

const tsxArgs = (script: string) => ['--import', 'tsx', join(ROOT, 'bench', script)];

/** Host CPU of an idle QEMU: 1 s to settle, then `seconds` measured from /proc. */
async function qemuIdle(workload: GuestWorkload, prepared: Prepared, options: GuestOptions): Promise<ChildOutcome> {
  const child = spawn(QEMU_BINARY[workload.arch], qemuArgs(workload, prepared, options), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => { err += t; });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  await sleep(1000);
  const a = child.pid ? procSample(child.pid) : null;
  const t0 = performance.now();
  await sleep(options.idleSeconds * 1000);
  const b = child.pid ? procSample(child.pid) : null;
  const wallMs = performance.now() - t0;
  child.kill('SIGKILL');
  if (!a || !b) return { points: new Map(), ok: false, message: `qemu exited: ${err.trim()}`, console: err };
  return { points: new Map([['idle', { wallMs, cpuMs: b.cpuMs - a.cpuMs, maxRssKb: b.maxRssKb, instructions: null }]]), ok: true, console: err };
}

async function runOnce(system: SystemName, workload: GuestWorkload, prepared: Prepared, options: GuestOptions, v86: { bios: string; vgaBios: string } | null): Promise<ChildOutcome> {
  const timeoutMs = options.timeout * 1000;
  const markerArgs = prepared.markers.flatMap(([name, text]) => ['--marker', `${name}=${text}`]);
  if (workload.kind === 'idle') {
    if (system === 'qemu') return qemuIdle(workload, prepared, options);
    return runChild(process.execPath, [...tsxArgs('guest-run.ts'), '--idle', String(options.idleSeconds)], [], true, timeoutMs + options.idleSeconds * 1000, options.verbose);
  }
  const guestArgs = [
    ...(prepared.kernel ? ['--kernel', prepared.kernel, '--initrd', prepared.initrd!, '--cmdline', options.cmdline] : []),
    ...(system === 'x86vm' && prepared.kernel ? ['--decompress', options.decompress] : []),
    ...markerArgs, '--memory', String(options.memoryMiB), '--timeout', String(options.timeout),
  ];
  switch (system) {
    case 'x86vm':
      return runChild(process.execPath, [...tsxArgs('guest-run.ts'), ...guestArgs, '--cpus', String(workload.cpus), ...(prepared.rom ? ['--bios', prepared.rom] : [])], prepared.markers, true, timeoutMs + 30_000, options.verbose);
    case 'v86':
      // The tiny ROM replaces the BIOS; Linux boots through SeaBIOS.
      return runChild(process.execPath, [...tsxArgs('v86-run.ts'), ...guestArgs, '--bios', prepared.rom ?? v86!.bios, ...(prepared.rom ? [] : ['--vga-bios', v86!.vgaBios])], prepared.markers, true, timeoutMs + 30_000, options.verbose);
    case 'qemu':
      return runChild(QEMU_BINARY[workload.arch], qemuArgs(workload, prepared, options), prepared.markers, false, timeoutMs, options.verbose);
  }
}

function toRecord(workload: GuestWorkload, system: SystemName, rep: number, prepared: Prepared, outcome: ChildOutcome): RunRecord {
  const base = { workload: workload.name, system, rep };
  const lastLines = () => outcome.console.trimEnd().split('\n').slice(-3).join(' | ').slice(-400);
  if (!outcome.ok) return { ...base, ok: false, error: `${outcome.message ?? 'failed'}${outcome.console ? ` — console: ${lastLines()}` : ''}`, wallSeconds: null, cpuSeconds: null, maxRssMiB: null, instructions: null, mips: null };
  const to = outcome.points.get(prepared.measure.to)!;
  const from = 'from' in prepared.measure ? outcome.points.get(prepared.measure.from)! : null;
  const diff = (a: number | null, b: number | null | undefined) => (a === null ? null : b === undefined ? a : b === null ? null : a - b);
  const wallSeconds = (to.wallMs - (from?.wallMs ?? 0)) / 1000;
  const cpuMs = diff(to.cpuMs, from?.cpuMs);
  const instructions = workload.kind === 'idle' ? to.instructions : diff(to.instructions, from?.instructions);
  const markerLine = (marker: string) => {
    const at = outcome.console.lastIndexOf(marker);
    return at < 0 ? undefined : outcome.console.slice(at, outcome.console.indexOf('\n', at) >>> 0).trim();
  };
  const result = workload.cpuWorkload ? markerLine(BENCH_MARKERS.end) : workload.kind === 'linux' ? markerLine(BENCH_MARKERS.booted) : undefined;
  const record: RunRecord = {
    ...base, ok: true, wallSeconds, cpuSeconds: cpuMs === null ? null : cpuMs / 1000,
    maxRssMiB: to.maxRssKb === null ? null : to.maxRssKb / 1024,
    instructions, mips: instructions === null || workload.kind === 'idle' ? null : instructions / wallSeconds / 1e6, result,
  };
  if (prepared.expect && result !== undefined && !result.includes(prepared.expect)) {
    return { ...record, ok: false, error: `wrong result "${result}" (expected ${prepared.expect})` };
  }
  return record;
}

/** Run the workloads, systems alternating run by run; failures are recorded, never thrown. */
export async function runGuests(workloads: readonly GuestWorkload[], options: GuestOptions, peers: Peers): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  let v86: { bios: string; vgaBios: string } | null = null;
  /** "system/arch" whose plain 1-vCPU boot failed: its CPU workloads would fail the same way (after the timeout). */
  const noBoot = new Map<string, string>();
  for (const workload of workloads) {
    const systems = workload.systems.filter((s) => options.systems.includes(s) && peers.available[s] !== undefined);
    for (const system of systems) {
      const failedBoot = workload.kind === 'linux' ? noBoot.get(`${system}/${workload.arch}`) : undefined;
      if (failedBoot) records.push({ workload: workload.name, system, rep: 0, ok: false, error: `skipped: ${failedBoot} did not boot on ${system}`, wallSeconds: null, cpuSeconds: null, maxRssMiB: null, instructions: null, mips: null });
    }
    let prepared: Prepared;
    try {
      prepared = await prepare(workload, options);
      if (systems.includes('v86') && workload.kind === 'linux' && v86 === null) v86 = await v86Firmware();
    } catch (error) {
      for (const system of systems) records.push({ workload: workload.name, system, rep: 0, ok: false, error: `cannot prepare the workload: ${(error as Error).message}`, wallSeconds: null, cpuSeconds: null, maxRssMiB: null, instructions: null, mips: null });
      options.log(`${workload.name}: cannot prepare: ${(error as Error).message}`);
      continue;
    }
    const failed = new Set<SystemName>(systems.filter((system) => workload.kind === 'linux' && noBoot.has(`${system}/${workload.arch}`)));
    for (let rep = 0; rep < options.reps; rep++) {
      for (const system of systems) {
        if (failed.has(system)) continue;
        options.log(`${workload.name} run ${rep + 1}/${options.reps} on ${system} ...`);
        const record = toRecord(workload, system, rep, prepared, await runOnce(system, workload, prepared, options, v86));
        records.push(record);
        if (record.ok) {
          options.log(`  ${record.wallSeconds!.toFixed(2)} s wall, ${record.cpuSeconds?.toFixed(2) ?? '?'} s CPU${record.mips !== null ? `, ${record.mips.toFixed(1)} MIPS` : ''}${record.result ? ` (${record.result})` : ''}`);
        } else {
          // One failure is enough: later runs would fail the same way (and a hung boot costs the timeout).
          failed.add(system);
          if (workload.kind === 'linux' && workload.cpuWorkload === null && workload.cpus === 1) noBoot.set(`${system}/${workload.arch}`, workload.name);
          options.log(`  FAILED: ${record.error}`);
        }
      }
    }
  }
  return records;
}
