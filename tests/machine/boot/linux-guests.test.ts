/**
 * Debian's unmodified kernels boot on the pc board to x86vm's initramfs shell:
 * - the default guest as `npm start` runs it (the CLI with no options: amd64, 2 vCPUs, real time,
 *   serial console on stdio): the ready marker counts 2 CPUs, `nproc` and /proc/cpuinfo answer
 *   through the serial port, `poweroff -f` ends the process with status 0;
 * - the i386 (686) kernel with 1 vCPU, booted directly with a deterministic clock (reproducible),
 *   reaches the marker and powers off through ACPI S5.
 * The kernels and busybox come from Debian's packages through the fetcher (apt-get download into
 * the cache); without apt or Debian's archive the tests skip with the reason.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fetchGuest, type GuestFiles } from '../../../src/fetch/index.js';
import { PcMachine } from '../../../src/machine/pc.js';
import { VirtualClock } from '../../../src/machine/clock.js';
import { BufferCharBackend } from '../../../src/backends/char.js';
import { bootLinux } from '../../../src/machine/boot/linux.js';
import { defaultInitramfs } from '../../../src/machine/boot/initramfs.js';
import { DEFAULT_GUEST_CMDLINE } from '../../../src/machine/boot/default-guest.js';
import { pcAcpiConfig } from '../../../src/devices/acpi/config.js';
import { runCli } from '../../cli/cli-process.js';

async function fetchOrSkip(arch: 'amd64' | 'i386'): Promise<GuestFiles | string> {
  try {
    return await fetchGuest(arch, { progress: null });
  } catch (e) {
    return `Debian's ${arch} kernel and busybox could not be fetched (${(e as Error).message.split('\n')[0]})`;
  }
}

const READY = /x86vm ready: (\d+) cpus/;

describe('Debian Linux guests', () => {
  let amd64: GuestFiles | string = 'not fetched';
  let i386: GuestFiles | string = 'not fetched';
  before(async () => {
    amd64 = await fetchOrSkip('amd64');
    i386 = await fetchOrSkip('i386');
  });

  it('npm start (the CLI, no options): amd64 with 2 vCPUs, a shell on the serial console, poweroff', async (t) => {
    if (typeof amd64 === 'string') return t.skip(amd64);
    const afterMarker = (out: string) => out.slice(out.search(READY) >>> 0);
    const run = await runCli([], {
      timeoutMs: 900_000,
      script: [
        // The shell's prompt after the marker ("x86vm:/root# ", then ash's cursor-position query ESC [6n).
        { when: (out) => READY.test(out) && /# (\x1b\[6n)?$/.test(out), input: 'nproc; grep -c ^processor /proc/cpuinfo; grep -m1 "model name" /proc/cpuinfo; echo end-$((6*7))\n' },
        { when: (out) => /\nend-42/.test(afterMarker(out)), input: 'poweroff -f\n' },
      ],
    });
    assert.equal(run.killed, false, `the guest did not power off; output ends with: ${run.stdout.slice(-400)}`);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(READY.exec(run.stdout)?.[1], '2');
    const answer = afterMarker(run.stdout).split('end-$((6*7))')[1] ?? '';
    assert.match(answer, /^\s*2\s+2\s+model name\s*:\s*x86vm interpreter CPU\s+end-42/);
    assert.match(run.stdout, /reboot: Power down/);
  });

  it('i386 (686) kernel, 1 vCPU, direct boot with a deterministic clock: marker, then ACPI power-off', async (t) => {
    if (typeof i386 === 'string') return t.skip(i386);
    const serial = new BufferCharBackend();
    let text = '';
    serial.onWrite = (bytes) => { text += Buffer.from(bytes).toString('latin1'); };
    const pc = new PcMachine({ ramSize: 256 << 20, cpus: 1, clock: VirtualClock.deterministic(), serial, serialConsole: true });
    const info = bootLinux(pc, {
      kernel: readFileSync(i386.kernel), initrd: defaultInitramfs(readFileSync(i386.busybox)), cmdline: DEFAULT_GUEST_CMDLINE,
      acpi: pcAcpiConfig(1, pc.ramBelow4g),
    });
    assert.equal(info.entryMode, 32);
    let result = pc.runFor(10e9, () => READY.test(text));
    assert.equal(READY.exec(text)?.[1], '1', `no ready marker (${result}); the console ends with: ${text.slice(-400)}`);
    serial.feed('poweroff -f\n');
    result = pc.runFor(10e9);
    assert.equal(result, 'poweroff', `the console ends with: ${text.slice(-400)}`);
  });
});
