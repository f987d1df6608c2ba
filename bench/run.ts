/**
 * `npm run bench [-- --reps N --only NAME,...]`: prints a table of guest MIPS per workload (median,
 * min, max over N runs) and writes the figures as JSON to .cache/bench/latest.json.
 * Figures, not assertions: nothing here fails because the machine is slow.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { MICRO_WORKLOADS, runMicro, type MicroResult } from './interpreter.js';
import { runIdle } from './idle.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' }, only: { type: 'string' }, json: { type: 'string', default: '.cache/bench/latest.json' },
    // --idle: host CPU of a 4-vCPU guest whose vCPUs all halt (bench/idle.ts), for --seconds of real time.
    idle: { type: 'boolean', default: false }, seconds: { type: 'string', default: '10' },
  },
});
if (values.idle) {
  const r = await runIdle(Number(values.seconds));
  console.log(`idle 4-vCPU guest: ${r.seconds.toFixed(2)} s, host CPU ${r.cpuSeconds.toFixed(3)} s (${r.percentOfCore.toFixed(2)}% of a core), ${r.ticks} timer interrupts`);
  process.exit(0);
}
const reps = Math.max(1, Number(values.reps));
const only = values.only ? new Set(values.only.split(',')) : null;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: { name: string; mode: number; instructions: number; mipsMedian: number; mipsMin: number; mipsMax: number; cpuMipsMedian: number }[] = [];
for (const workload of MICRO_WORKLOADS) {
  if (only && !only.has(workload)) continue;
  for (const mode of [32, 64] as const) {
    const runs: MicroResult[] = [];
    for (let i = 0; i < reps; i++) runs.push(runMicro(workload, mode));
    const mips = runs.map((r) => r.mips);
    rows.push({ name: workload, mode, instructions: runs[0]!.instructions, mipsMedian: median(mips), mipsMin: Math.min(...mips), mipsMax: Math.max(...mips), cpuMipsMedian: median(runs.map((r) => r.cpuMips)) });
  }
}
console.log(`x86vm interpreter micro-benchmarks (${reps} runs each; ${cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version})`);
console.log('workload          mode  instructions   MIPS median    min    max   MIPS by CPU time');
for (const r of rows) {
  console.log(`${r.name.padEnd(17)} ${String(r.mode).padStart(4)}  ${String(r.instructions).padStart(12)}  ${r.mipsMedian.toFixed(1).padStart(11)} ${r.mipsMin.toFixed(1).padStart(6)} ${r.mipsMax.toFixed(1).padStart(6)} ${r.cpuMipsMedian.toFixed(1).padStart(18)}`);
}
mkdirSync(values.json.replace(/\/[^/]*$/, ''), { recursive: true });
writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), host: cpus()[0]?.model, node: process.version, reps, micro: rows }, null, 2));
console.log(`wrote ${values.json}`);
