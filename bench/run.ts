/**
 * `npm run bench [-- options]`: x86vm's interpreter micro-benchmarks, then guest workloads run side by
 * side on x86vm, v86 and QEMU (bench/guests.ts), and the idle cost. Prints tables and writes the
 * figures as JSON. Figures, not assertions: nothing here fails because the machine is slow.
 *
 *   --only NAME,...     workloads or groups: micro (all micro-benchmarks), guests (the default guest
 *                       workloads), linux, all (also the opt-in ones), or names from --list
 *   --reps N            runs per workload and system (default 3); guest runs alternate the systems
 *   --systems LIST      x86vm,v86,qemu (default: all that are installed)
 *   --json PATH         where the JSON goes (default .cache/bench/latest.json)
 *   --timeout S         limit per guest run (default 1800: x86vm boots Linux in minutes)
 *   --seconds S         length of the idle measurement (default 10)
 *   --micro-limit N     stop each micro-benchmark after N instructions (smoke tests)
 *   --tiny-loops N      loop count of the tiny-rom workload (default 5000000)
 *   --memory MiB        guest RAM for the Linux workloads (default 256)
 *   --cmdline TEXT      kernel command line for every system (default: the default guest's)
 *   --decompress W      guest (default: x86vm runs the kernel's own XZ decompressor, the same work
 *                       as the peers) or host (x86vm's default-guest path: unpacked on the host)
 *   --verbose           echo the guests' consoles to stderr
 *   --list              list the workloads and exit
 *   --idle              only the idle measurement, in this process (the former `--idle`)
 */
import { DEFAULT_GUEST_CMDLINE } from '../src/machine/boot/default-guest.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { MICRO_WORKLOADS, runMicro, type MicroResult } from './interpreter.js';
import { runIdle } from './idle.js';
import { findPeers, GUEST_WORKLOADS, runGuests, SYSTEMS, type GuestWorkload, type RunRecord, type SystemName } from './guests.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    only: { type: 'string' },
    systems: { type: 'string', default: SYSTEMS.join(',') },
    json: { type: 'string', default: '.cache/bench/latest.json' },
    timeout: { type: 'string', default: '1800' },
    idle: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '10' },
    'micro-limit': { type: 'string' },
    'tiny-loops': { type: 'string', default: '5000000' },
    memory: { type: 'string', default: '256' },
    cmdline: { type: 'string', default: DEFAULT_GUEST_CMDLINE },
    // 'guest': x86vm runs the kernel's own decompressor, the same work as the peers (default);
    // 'host': x86vm's default-guest path (payload unpacked on the host, vmlinux entered directly).
    decompress: { type: 'string', default: 'guest' },
    verbose: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
  },
});

if (values.list) {
  console.log('micro-benchmarks (x86vm interpreter, 32- and 64-bit; group "micro"):');
  for (const name of MICRO_WORKLOADS) console.log(`  ${name}`);
  console.log('guest workloads (group "guests" = the default ones, "all" = every one):');
  for (const w of GUEST_WORKLOADS) console.log(`  ${w.name.padEnd(18)} ${w.byDefault ? '       ' : '(opt-in)'} [${w.systems.join(', ')}] ${w.description}`);
  process.exit(0);
}
if (values.idle) {
  const r = await runIdle(Number(values.seconds));
  console.log(`idle 4-vCPU guest: ${r.seconds.toFixed(2)} s, host CPU ${r.cpuSeconds.toFixed(3)} s (${r.percentOfCore.toFixed(2)}% of a core), ${r.ticks} timer interrupts`);
  process.exit(0);
}

const reps = Math.max(1, Number(values.reps));
const systems = values.systems.split(',').filter((s): s is SystemName => (SYSTEMS as readonly string[]).includes(s));
const selected = new Set<string>();
const known = new Set([...MICRO_WORKLOADS, ...GUEST_WORKLOADS.map((w) => w.name)]);
for (const name of values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : ['micro', 'guests']) {
  if (name === 'micro') MICRO_WORKLOADS.forEach((m) => selected.add(m));
  else if (name === 'guests') GUEST_WORKLOADS.filter((w) => w.byDefault).forEach((w) => selected.add(w.name));
  else if (name === 'linux') GUEST_WORKLOADS.filter((w) => w.byDefault && w.kind === 'linux').forEach((w) => selected.add(w.name));
  else if (name === 'all') known.forEach((n) => selected.add(n));
  else if (known.has(name)) selected.add(name);
  else {
    console.error(`unknown workload "${name}" (see --list)`);
    process.exit(2);
  }
}

const host = { cpu: cpus()[0]?.model ?? 'unknown CPU', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}` };
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const spread = (xs: number[]) => (xs.length ? { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) } : null);

// ---- micro-benchmarks (in this process) ----
interface MicroRow { name: string; mode: number; instructions: number; mipsMedian: number; mipsMin: number; mipsMax: number; cpuMipsMedian: number }
const micro: MicroRow[] = [];
const microLimit = values['micro-limit'] ? Number(values['micro-limit']) : Infinity;
for (const workload of MICRO_WORKLOADS) {
  if (!selected.has(workload)) continue;
  for (const mode of [32, 64] as const) {
    const runs: MicroResult[] = [];
    for (let i = 0; i < reps; i++) runs.push(runMicro(workload, mode, microLimit));
    const mips = runs.map((r) => r.mips);
    micro.push({ name: workload, mode, instructions: runs[0]!.instructions, mipsMedian: median(mips), mipsMin: Math.min(...mips), mipsMax: Math.max(...mips), cpuMipsMedian: median(runs.map((r) => r.cpuMips)) });
  }
}
if (micro.length) {
  console.log(`x86vm interpreter micro-benchmarks (${reps} runs each; ${host.cpu}, node ${host.node})`);
  console.log('workload          mode  instructions   MIPS median    min    max   MIPS by CPU time');
  for (const r of micro) {
    console.log(`${r.name.padEnd(17)} ${String(r.mode).padStart(4)}  ${String(r.instructions).padStart(12)}  ${r.mipsMedian.toFixed(1).padStart(11)} ${r.mipsMin.toFixed(1).padStart(6)} ${r.mipsMax.toFixed(1).padStart(6)} ${r.cpuMipsMedian.toFixed(1).padStart(18)}`);
  }
}

// ---- guest workloads (child processes, systems alternating) ----
const guestWorkloads: GuestWorkload[] = GUEST_WORKLOADS.filter((w) => selected.has(w.name));
const peers = findPeers();
let records: RunRecord[] = [];
if (guestWorkloads.length) {
  for (const [name, why] of Object.entries(peers.missing)) if (systems.includes(name as SystemName)) console.error(`bench: no ${name}: ${why}`);
  records = await runGuests(guestWorkloads, {
    reps, systems, timeout: Number(values.timeout), idleSeconds: Number(values.seconds), tinyLoops: Number(values['tiny-loops']),
    memoryMiB: Number(values.memory), cmdline: values.cmdline, decompress: values.decompress === 'host' ? 'host' : 'guest', verbose: values.verbose, workDir: '.cache/bench',
    log: (line) => console.error(`bench: ${line}`),
  }, peers);
}

interface SystemSummary {
  runs: number;
  ok: number;
  errors: string[];
  wallSeconds: ReturnType<typeof spread>;
  cpuSeconds: ReturnType<typeof spread>;
  maxRssMiB: ReturnType<typeof spread>;
  instructions: number | null;
  mips: ReturnType<typeof spread>;
  result?: string;
}
interface Ratio { perRun: (number | null)[]; median: number | null }
interface GuestSummary {
  workload: string;
  description: string;
  measure: string;
  systems: Partial<Record<SystemName, SystemSummary>>;
  /** x86vm / peer, per pair of runs of the same repetition, and their median. */
  ratios: Partial<Record<SystemName, { wall: Ratio; cpu: Ratio }>>;
}
const guests: GuestSummary[] = guestWorkloads.map((w) => {
  const summary: GuestSummary = {
    workload: w.name, description: w.description,
    measure: w.kind === 'idle' ? `host CPU over ${values.seconds} s of idle` : w.cpuWorkload || w.kind === 'tiny-rom' ? 'start to end marker' : 'process start to the booted marker',
    systems: {}, ratios: {},
  };
  for (const system of SYSTEMS) {
    const runs = records.filter((r) => r.workload === w.name && r.system === system);
    if (!runs.length) continue;
    const ok = runs.filter((r) => r.ok);
    const nums = (f: (r: RunRecord) => number | null) => ok.map(f).filter((v): v is number => v !== null);
    summary.systems[system] = {
      runs: runs.length, ok: ok.length, errors: runs.filter((r) => !r.ok).map((r) => r.error ?? 'failed'),
      wallSeconds: spread(nums((r) => r.wallSeconds)), cpuSeconds: spread(nums((r) => r.cpuSeconds)), maxRssMiB: spread(nums((r) => r.maxRssMiB)),
      instructions: nums((r) => r.instructions).length ? median(nums((r) => r.instructions)) : null, mips: spread(nums((r) => r.mips)),
      result: ok[0]?.result,
    };
  }
  for (const peer of SYSTEMS.filter((s) => s !== 'x86vm')) {
    const peerRuns = records.filter((r) => r.workload === w.name && r.system === peer);
    if (!peerRuns.length || !summary.systems.x86vm) continue;
    const ratio = (f: (r: RunRecord) => number | null): Ratio => {
      const perRun = Array.from({ length: reps }, (_, rep) => {
        const a = records.find((r) => r.workload === w.name && r.system === 'x86vm' && r.rep === rep && r.ok);
        const b = peerRuns.find((r) => r.rep === rep && r.ok);
        const x = a ? f(a) : null, y = b ? f(b) : null;
        return x !== null && y !== null && y > 0 ? x / y : null;
      });
      const known = perRun.filter((v): v is number => v !== null);
      return { perRun, median: known.length ? median(known) : null };
    };
    summary.ratios[peer] = { wall: ratio((r) => r.wallSeconds), cpu: ratio((r) => r.cpuSeconds) };
  }
  return summary;
});

if (guests.length) {
  const f = (v: number | null | undefined, digits = 2) => (v === null || v === undefined ? '-' : v.toFixed(digits));
  const range = (s: ReturnType<typeof spread>, digits = 2) => (s ? `${f(s.median, digits)} [${f(s.min, digits)}-${f(s.max, digits)}]` : '-');
  console.log(`\nguest workloads (${reps} run${reps > 1 ? 's' : ''} per system, alternating; ${host.cpu} x${host.cores}, node ${host.node}; ` +
    `v86 ${peers.available.v86 ?? 'absent'}, QEMU ${peers.available.qemu ?? 'absent'} -accel tcg)`);
  console.log('workload          system  ok   wall s median [min-max]     CPU s median [min-max]   peak RSS MiB  G instr   MIPS   x86vm/peer wall  CPU');
  const failures: string[] = [];
  for (const g of guests) {
    for (const system of SYSTEMS) {
      const s = g.systems[system];
      if (!s) continue;
      const r = g.ratios[system];
      console.log([
        (system === 'x86vm' || !g.systems.x86vm ? g.workload : '').padEnd(17), system.padEnd(6), `${s.ok}/${s.runs}`.padEnd(4),
        range(s.wallSeconds).padEnd(27), range(s.cpuSeconds).padEnd(24), f(s.maxRssMiB?.max, 0).padStart(12),
        (s.instructions === null ? '-' : (s.instructions / 1e9).toFixed(2)).padStart(8), f(s.mips?.median, 1).padStart(6),
        (r ? `${f(r.wall.median, 1)}x` : '').padStart(17), (r ? `${f(r.cpu.median, 1)}x` : '').padStart(5),
      ].join(' '));
      for (const e of s.errors) failures.push(`${g.workload} on ${system}: ${e}`);
    }
  }
  if (failures.length) {
    console.log('\nfailed runs:');
    for (const line of failures) console.log(`  ${line}`);
  }
}

mkdirSync(dirname(values.json), { recursive: true });
writeFileSync(values.json, JSON.stringify({
  date: new Date().toISOString(), host, reps, peers, options: { systems, timeout: Number(values.timeout), idleSeconds: Number(values.seconds), memoryMiB: Number(values.memory), cmdline: values.cmdline, decompress: values.decompress },
  micro, guests, runs: records,
}, null, 2));
console.log(`wrote ${values.json}`);
