/**
 * Issue 5's acceptance (and issue 7's "amd64 kernel through SeaBIOS + an isolinux CD image"):
 * Debian's unmodified SeaBIOS on the pc board boots an ISOLINUX CD built here from Debian's
 * `isolinux` and `syslinux-common` packages, holding Debian's amd64 kernel and x86vm's busybox
 * initramfs; the kernel must reach the initramfs's ready marker on the serial console, after
 * reporting the SMBIOS system and BIOS information it found (the board's tables, SeaBIOS's type 0).
 *
 * The CD is the IDE secondary master, as QEMU's -cdrom. SeaBIOS logs to the debug port; with
 * etc/sercon-port its screen output, ISOLINUX's (SERIAL 0 115200) and the kernel's console
 * (console=ttyS0) reach COM1. The clock is deterministic, so the run is reproducible. This is the
 * suite's one full Linux boot through firmware: it takes minutes of host time.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcMachine } from '../../../src/machine/pc.js';
import { VirtualClock } from '../../../src/machine/clock.js';
import { BufferCharBackend } from '../../../src/backends/char.js';
import { openDiskImage } from '../../../src/backends/disk/index.js';
import { DEFAULT_INIT, defaultInitramfs, READY_MARKER } from '../../../src/machine/boot/initramfs.js';
import { fetchGuest, type GuestFiles } from '../../../src/fetch/index.js';
import { DEFAULT_GUEST_CMDLINE } from '../../../src/machine/boot/default-guest.js';
import { buildIsolinuxCd, isolinuxMissing } from '../../support/isolinux-cd.js';

const BIOS = '/usr/share/seabios/bios-256k.bin';
const RAM = 256 << 20;
/** The default guest's command line (no crypto self-tests, no speculation mitigations). */
const APPEND = DEFAULT_GUEST_CMDLINE;
/** Guest-time bound: the deterministic boot needs about 7 s of guest time. */
const GUEST_LIMIT_NS = 60e9;

/** One output stream and, per byte, its position among all output bytes. */
class Stream {
  text = '';
  private readonly order: number[] = [];

  add(byte: number, position: number): void {
    this.text += String.fromCharCode(byte);
    this.order.push(position);
  }

  /** Output position of the end of the first match that starts after output position `after`. */
  find(pattern: RegExp, after: number): number | null {
    let start = 0;
    while (start < this.order.length && this.order[start]! <= after) start++;
    const m = pattern.exec(this.text.slice(start));
    return m ? this.order[start + m.index + m[0].length - 1]! : null;
  }
}

/**
 * x86vm's default /init with one more line before the marker: what Linux found in the SMBIOS
 * tables (the board's system information, SeaBIOS's BIOS information).
 */
const INIT = DEFAULT_INIT.split('\n').map((line) => (line.includes(READY_MARKER)
  ? 'echo "x86vm dmi: $(cat /sys/class/dmi/id/sys_vendor) / $(cat /sys/class/dmi/id/product_name) / ' +
    '$(cat /sys/class/dmi/id/bios_vendor) $(cat /sys/class/dmi/id/bios_version)"\n' + line
  : line)).join('\n');

let guest: GuestFiles | null = null;
let why: string | null = existsSync(BIOS) ? isolinuxMissing() : `Debian's SeaBIOS not found at ${BIOS} (apt-get install seabios)`;
if (why === null) {
  try {
    guest = await fetchGuest('amd64', { progress: null });
  } catch (error) {
    why = `cannot get Debian's kernel and busybox through the package fetcher: ${(error as Error).message}`;
  }
}

describe('SeaBIOS boots an ISOLINUX CD with Debian\'s amd64 kernel', { skip: why ?? false }, () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'x86vm-isolinux-')); });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('banner, RAM size, CD-ROM, "Booting from DVD/CD", ISOLINUX, then the kernel reaches the initramfs', () => {
    const iso = buildIsolinuxCd({
      dir,
      kernel: readFileSync(guest!.kernel),
      initrd: defaultInitramfs(readFileSync(guest!.busybox), { init: INIT }),
      append: APPEND,
      header: ['SERIAL 0 115200'],
    });
    const cd = openDiskImage(iso, { cdrom: true });
    // The firmware's debug log and COM1, each with the order of its bytes among all output
    // (SeaBIOS writes every character to both, so one merged text would interleave them).
    const streams = { debug: new Stream(), serial: new Stream() };
    let written = 0;
    const serial = new BufferCharBackend();
    serial.onWrite = (bytes) => { for (const b of bytes) streams.serial.add(b, written++); };
    const pc = new PcMachine({
      ramSize: RAM,
      bios: readFileSync(BIOS),
      clock: VirtualClock.deterministic(),
      serial,
      serialConsole: true,
      bootOrder: ['cdrom', 'disk'],
      debugConsole: (b) => streams.debug.add(b, written++),
      drives: { ide: [{ channel: 1, position: 0, kind: 'cdrom', backend: cd }] },
    });
    let result = 'done';
    while (!streams.serial.text.includes(READY_MARKER) && pc.clock.now() < GUEST_LIMIT_NS) {
      result = pc.runFor(100e6);
      if (result === 'stopped' || result === 'poweroff') break;
    }
    cd.close();
    const tail = `\n--- debug log ---\n${streams.debug.text.slice(-1500)}\n--- COM1 ---\n${streams.serial.text.slice(-2500)}`;
    assert.notEqual(result, 'stopped', `the machine stopped${tail}`);
    // Each milestone after the previous one.
    const milestones: [string, Stream, RegExp][] = [
      ['the SeaBIOS banner', streams.debug, /SeaBIOS \(version 1\.\d+/],
      // SeaBIOS sizes RAM from fw_cfg's etc/e820 (logging each entry), not from the CMOS fields.
      ['the RAM size', streams.debug, new RegExp(`qemu/e820: addr 0x0{16} len 0x${RAM.toString(16).padStart(16, '0')} \\[RAM\\]`)],
      ['the CD-ROM on ide1-0', streams.debug, /DVD\/CD \[ata1-0: X86VM DVD-ROM ATAPI-4 DVD\/CD\]/],
      ['"Booting from DVD/CD" on the console', streams.serial, /Booting from DVD\/CD\.\.\./],
      ['the ISOLINUX banner', streams.serial, /ISOLINUX 6\.\d+ \S+ .*Copyright \(C\) \d{4}-\d{4} H\. Peter Anvin/],
      ['Linux reading the SMBIOS tables SeaBIOS installed', streams.serial, /x86vm dmi: x86vm \/ Standard PC \(i440FX \+ PIIX, 1996\) \/ SeaBIOS 1\.\d+/],
      ['the initramfs ready marker', streams.serial, /x86vm ready: 1 cpus/],
    ];
    let after = -1;
    for (const [what, stream, pattern] of milestones) {
      const found = stream.find(pattern, after);
      assert.ok(found !== null, `${what} not seen after output byte ${after}${tail}`);
      after = found;
    }
  });
});
