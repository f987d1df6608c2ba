/**
 * One x86vm guest run in a process of its own (so that its host CPU time and peak RSS are its own),
 * started by the harness (bench/guests.ts). Prints JSON lines (bench/protocol.ts) on stdout: one per
 * marker seen on COM1, then an exit line; the console output goes to stderr.
 *
 *   tsx bench/guest-run.ts --kernel K --initrd I [--cmdline C] [--decompress guest|host] [--cpus N] [--memory MiB]
 *                          --marker name=text ... [--timeout S] [--clock deterministic|realtime]
 *   tsx bench/guest-run.ts --bios ROM --marker ...        firmware boot (e.g. protocol.ts's tinyRom)
 *   tsx bench/guest-run.ts --idle S                       the idle measurement of bench/idle.ts
 *
 * Stops at the last marker (the guest's own poweroff is not waited for).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PcMachine, type RunResult } from '../src/machine/pc.js';
import { VirtualClock } from '../src/machine/clock.js';
import { BufferCharBackend } from '../src/backends/char.js';
import { bootLinux } from '../src/machine/boot/linux.js';
import { pcAcpiConfig } from '../src/devices/acpi/config.js';
import { DEFAULT_GUEST_CMDLINE } from '../src/machine/boot/default-guest.js';
import { emit, MarkerWatcher, parseMarkers, sample } from './protocol.js';
import { runIdle } from './idle.js';

const { values } = parseArgs({
  options: {
    kernel: { type: 'string' },
    initrd: { type: 'string' },
    cmdline: { type: 'string', default: DEFAULT_GUEST_CMDLINE },
    decompress: { type: 'string', default: 'guest' },
    bios: { type: 'string' },
    cpus: { type: 'string', default: '1' },
    memory: { type: 'string', default: '256' },
    marker: { type: 'string', multiple: true, default: [] },
    timeout: { type: 'string', default: '1800' },
    clock: { type: 'string', default: 'deterministic' },
    idle: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

if (values.idle !== undefined) {
  const r = await runIdle(Number(values.idle));
  emit({ type: 'idle', seconds: r.seconds, cpuSeconds: r.cpuSeconds, ticks: r.ticks, ...sample(r.instructions) });
  process.exit(0);
}

const cpus = Number(values.cpus);
const watcher = new MarkerWatcher(parseMarkers(values.marker));
const serial = new BufferCharBackend();
const pc = new PcMachine({
  ramSize: Number(values.memory) << 20,
  cpus,
  clock: values.clock === 'realtime' ? undefined : VirtualClock.deterministic(),
  serial,
  serialConsole: true,
  bios: values.bios ? readFileSync(values.bios) : undefined,
});
const instructions = () => pc.cpus.reduce((n, cpu) => n + cpu.instructionCount, 0);
serial.onWrite = (bytes) => {
  const chunk = Buffer.from(bytes).toString('latin1');
  if (!values.quiet) process.stderr.write(chunk);
  // Figures are taken here, synchronously, while the guest is writing the marker.
  for (const { name, line } of watcher.feed(chunk)) emit({ type: 'marker', name, line, ...sample(instructions()) });
};
if (values.kernel) {
  bootLinux(pc, {
    kernel: readFileSync(values.kernel),
    initrd: values.initrd ? readFileSync(values.initrd) : null,
    cmdline: values.cmdline!,
    acpi: pcAcpiConfig(cpus, pc.ramBelow4g),
    entry: 'auto',
    decompress: values.decompress === 'host' ? 'host' : 'guest',
  });
}

const limitMs = Number(values.timeout) * 1000;
let result: RunResult | 'timeout' | 'error' = 'done';
let message: string | undefined;
try {
  for (;;) {
    if (watcher.done) break;
    if (performance.now() > limitMs) { result = 'timeout'; break; }
    result = values.clock === 'realtime' ? await pc.runRealtime(50e6, () => watcher.done) : pc.runFor(50e6, () => watcher.done);
    if (result !== 'done') break;
  }
} catch (error) {
  result = 'error';
  message = (error as Error).stack ?? String(error);
}
const status = watcher.done ? 'ok' : result === 'done' ? 'timeout' : result;
if (status !== 'ok' && message === undefined) {
  const stopped = pc.cpus.map((cpu, i) => `cpu${i} last fault vector ${cpu.faultVector}`).join(', ');
  message = `${status} before the marker "${watcher.waitingFor}" (${(instructions() / 1e9).toFixed(2)} G instructions, guest time ${(pc.clock.now() / 1e9).toFixed(1)} s${result === 'stopped' ? `; ${stopped}` : ''})`;
}
emit({ type: 'exit', status, message, ...sample(instructions()) });
process.exit(status === 'ok' ? 0 : 1);
