/**
 * One v86 guest run (the npm package `v86`, a devDependency) in a process of its own, started by
 * the harness (bench/guests.ts); the same JSON lines as bench/guest-run.ts (bench/protocol.ts).
 *
 *   tsx bench/v86-run.ts --bios BIOS --vga-bios VGABIOS [--kernel K --initrd I --cmdline C]
 *                        [--memory MiB] --marker name=text ... [--timeout S]
 *
 * v86 carries no BIOS in its package: the harness passes Debian's SeaBIOS bios.bin and
 * vgabios-stdvga.bin. The instruction count is v86's own counter (get_instruction_counter).
 */
import { DEFAULT_GUEST_CMDLINE } from '../src/machine/boot/default-guest.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { emit, MarkerWatcher, parseMarkers, sample } from './protocol.js';

const { values } = parseArgs({
  options: {
    kernel: { type: 'string' },
    initrd: { type: 'string' },
    cmdline: { type: 'string', default: DEFAULT_GUEST_CMDLINE },
    bios: { type: 'string' },
    'vga-bios': { type: 'string' },
    memory: { type: 'string', default: '256' },
    marker: { type: 'string', multiple: true, default: [] },
    timeout: { type: 'string', default: '1800' },
    quiet: { type: 'boolean', default: false },
  },
});

const buffer = (path: string) => {
  const bytes = readFileSync(path);
  return { buffer: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) };
};

let v86: typeof import('v86');
try {
  v86 = await import('v86');
} catch (error) {
  emit({ type: 'exit', status: 'error', message: `v86 is not installed (npm install): ${(error as Error).message}`, ...sample(null) });
  process.exit(1);
}
const watcher = new MarkerWatcher(parseMarkers(values.marker));
const emulator = new v86.V86({
  wasm_path: fileURLToPath(import.meta.resolve('v86/build/v86.wasm')),
  memory_size: Number(values.memory) << 20,
  bios: values.bios ? buffer(values.bios) : undefined,
  vga_bios: values['vga-bios'] ? buffer(values['vga-bios']) : undefined,
  bzimage: values.kernel ? buffer(values.kernel) : undefined,
  initrd: values.initrd ? buffer(values.initrd) : undefined,
  cmdline: values.kernel ? values.cmdline : undefined,
  autostart: true,
  disable_speaker: true,
});
const instructions = () => {
  try {
    return emulator.get_instruction_counter();
  } catch {
    return null;
  }
};
const finish = (status: 'ok' | 'timeout' | 'error', message?: string) => {
  emit({ type: 'exit', status, message, ...sample(instructions()) });
  // The emulator keeps timers alive; the figures are out, so leave at once.
  process.exit(status === 'ok' ? 0 : 1);
};
emulator.add_listener('serial0-output-byte', (byte: number) => {
  const chunk = String.fromCharCode(byte);
  if (!values.quiet) process.stderr.write(chunk);
  for (const { name, line } of watcher.feed(chunk)) emit({ type: 'marker', name, line, ...sample(instructions()) });
  if (watcher.done) finish('ok');
});
const limitMs = Number(values.timeout) * 1000;
setTimeout(() => finish('timeout', `timeout before the marker "${watcher.waitingFor}"`), Math.max(0, limitMs - performance.now())).unref();
// Keep the process alive while the emulator runs (its own timers may be unref'd).
setInterval(() => {}, 1 << 30);
