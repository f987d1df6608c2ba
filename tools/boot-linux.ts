/**
 * Boot Debian's Linux kernel with the default busybox initramfs directly on the pc board (no
 * firmware) and print the serial console until the initramfs reports it is ready, then report the
 * figures. The reproducible measurement behind the issue notes:
 *
 *   npx tsx tools/boot-linux.ts [--arch amd64|i386] [--cpus N] [--seconds LIMIT] [--append CMDLINE]
 *                               [--decompress host|guest]
 *
 * The kernel and busybox come from Debian's packages through the fetcher (cached under
 * $X86VM_CACHE or ~/.cache/x86vm). The clock is deterministic, so runs are reproducible.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PcMachine } from '../src/machine/pc.js';
import { VirtualClock } from '../src/machine/clock.js';
import { BufferCharBackend } from '../src/backends/char.js';
import { bootLinux } from '../src/machine/boot/linux.js';
import { defaultInitramfs } from '../src/machine/boot/initramfs.js';
import { fetchGuest } from '../src/fetch/index.js';
import { pcAcpiConfig } from '../src/devices/acpi/config.js';
import { DEFAULT_GUEST_CMDLINE } from '../src/machine/boot/default-guest.js';

const { values } = parseArgs({
  options: {
    arch: { type: 'string', default: 'amd64' },
    cpus: { type: 'string', default: '1' },
    seconds: { type: 'string', default: '600' },
    append: { type: 'string', default: DEFAULT_GUEST_CMDLINE },
    decompress: { type: 'string', default: 'host' },
  },
});
const arch = values.arch === 'i386' ? 'i386' : 'amd64';
const cpus = Number(values.cpus);
const guest = await fetchGuest(arch);
const initrd = defaultInitramfs(readFileSync(guest.busybox));
const serial = new BufferCharBackend();
let text = '';
serial.onWrite = (bytes) => {
  const chunk = Buffer.from(bytes).toString('latin1');
  text += chunk;
  process.stdout.write(chunk);
};
const pc = new PcMachine({ ramSize: 256 << 20, cpus, clock: VirtualClock.deterministic(), serial, serialConsole: true });
bootLinux(pc, { kernel: readFileSync(guest.kernel), initrd, cmdline: values.append!, acpi: pcAcpiConfig(cpus, pc.ramBelow4g), entry: 'auto',
  decompress: values.decompress === 'guest' ? 'guest' : 'host' });
const started = Date.now();
const limitMs = Number(values.seconds) * 1000;
let result = 'done';
while (!text.includes('x86vm ready') && Date.now() - started < limitMs) {
  result = pc.runFor(50e6);
  if (result === 'stopped' || result === 'poweroff') break;
}
const instructions = pc.cpus.reduce((n, cpu) => n + cpu.instructionCount, 0);
const seconds = (Date.now() - started) / 1000;
process.stderr.write(`\n${text.includes('x86vm ready') ? 'ready marker seen' : `no ready marker (${result})`}: ` +
  `${(instructions / 1e9).toFixed(2)} G guest instructions, ${(pc.clock.now() / 1e9).toFixed(1)} s guest time, ` +
  `${seconds.toFixed(0)} s host, ${(instructions / seconds / 1e6).toFixed(1)} MIPS\n`);
process.exitCode = text.includes('x86vm ready') ? 0 : 1;
