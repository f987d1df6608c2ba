/**
 * Debian's amd64 kernel drives both flavours of the device with its own, unmodified drivers:
 * virtio_pci (modern for 00:04.0, legacy for 00:05.0 which has no modern capabilities) and
 * virtio_blk, loaded from the kernel package's modules (Debian builds them as modules, so the
 * default initramfs has no virtio disk). The guest reads a known sector of each disk, writes one
 * with O_SYNC semantics (conv=fsync: a VIRTIO_BLK_T_FLUSH), reads it back past the page cache,
 * streams the whole of vda, and shows the interrupt lines of the two PCI links in
 * /proc/interrupts. Skips when the kernel cannot be fetched (no apt or no Debian archive).
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Apt, cacheDir, fetchGuest, unpackDeb, type GuestFiles } from '../../../src/fetch/index.js';
import { PcMachine } from '../../../src/machine/pc.js';
import { VirtualClock } from '../../../src/machine/clock.js';
import { BufferCharBackend } from '../../../src/backends/char.js';
import { MemoryDiskBackend } from '../../../src/backends/disk/disk-backend.js';
import { bootLinux } from '../../../src/machine/boot/linux.js';
import { defaultInitramfs, type CpioEntry } from '../../../src/machine/boot/initramfs.js';
import { DEFAULT_GUEST_CMDLINE } from '../../../src/machine/boot/default-guest.js';
import { pcAcpiConfig } from '../../../src/devices/acpi/config.js';

/** In dependency order (each module's .modinfo "depends="). */
const MODULES = ['virtio_ring', 'virtio', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio_pci', 'virtio_blk'];

/** The virtio modules of the default guest's kernel, unpacked once into the fetch cache. */
async function virtioModules(files: GuestFiles): Promise<Map<string, Uint8Array>> {
  const deb = await new Apt({ arch: files.arch, progress: null }).download(files.kernelPackage);
  const dir = join(cacheDir(), 'files', basename(deb, '.deb'), 'virtio-modules');
  if (!MODULES.every((m) => existsSync(join(dir, `${m}.ko`)))) {
    mkdirSync(dir, { recursive: true });
    for (const e of await unpackDeb(readFileSync(deb), { select: (p) => MODULES.some((m) => p.endsWith(`/${m}.ko`)) })) {
      if (e.type === 'file' && e.data) writeFileSync(join(dir, basename(e.path)), e.data);
    }
  }
  return new Map(MODULES.map((m) => [m, new Uint8Array(readFileSync(join(dir, `${m}.ko`)))]));
}

const INIT = `#!/bin/sh
export PATH=/bin:/sbin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in ${MODULES.join(' ')}; do insmod /lib/modules/$m.ko || echo "INSMOD-FAILED $m"; done
i=0; while [ ! -b /dev/vdb ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
for d in vda vdb; do
  echo "DISK $d size=$(cat /sys/block/$d/size) serial=$(cat /sys/block/$d/serial) cache=$(cat /sys/block/$d/queue/write_cache)"
  echo "SECTOR1 $d $(dd if=/dev/$d bs=512 skip=1 count=1 2>/dev/null | head -c 16)"
done
echo LINUX-WROTE-VDB > /tmp/w
dd if=/tmp/w of=/dev/vdb bs=512 seek=3 conv=sync,fsync 2>/dev/null
echo 3 > /proc/sys/vm/drop_caches
echo "READBACK $(dd if=/dev/vdb bs=512 skip=3 count=1 iflag=direct 2>/dev/null | head -c 15)"
echo "STREAM $(dd if=/dev/vda bs=1M 2>/dev/null | wc -c)"
grep virtio /proc/interrupts | sed 's/^/IRQ /'
echo VIRTIO-DONE
poweroff -f
`;

describe('Linux virtio_pci + virtio_blk', () => {
  let files: GuestFiles | string = 'not fetched';
  before(async () => {
    try {
      files = await fetchGuest('amd64', { progress: null });
    } catch (e) {
      files = `Debian's amd64 kernel could not be fetched (${(e as Error).message.split('\n')[0]})`;
    }
  });

  it('reads, writes with flush and streams two virtio disks (modern and legacy interface)', async (t) => {
    if (typeof files === 'string') return t.skip(files);
    const modules = await virtioModules(files);
    const extra: CpioEntry[] = [
      { path: 'lib', type: 'directory' }, { path: 'lib/modules', type: 'directory' },
      ...MODULES.map((m): CpioEntry => ({ path: `lib/modules/${m}.ko`, type: 'file', data: modules.get(m)!, mode: 0o644 })),
    ];
    const disk = (text: string, mib: number) => {
      const image = new Uint8Array(mib << 20);
      image.set(new TextEncoder().encode(text), 512);
      return new MemoryDiskBackend(image);
    };
    const vda = disk('VDA-SECTOR-ONE!!', 8), vdb = disk('VDB-SECTOR-ONE!!', 4);
    const serial = new BufferCharBackend();
    let text = '';
    serial.onWrite = (bytes) => { text += Buffer.from(bytes).toString('latin1'); };
    const pc = new PcMachine({
      ramSize: 256 << 20, cpus: 1, clock: VirtualClock.deterministic(), serial, serialConsole: true,
      drives: { ide: [], virtio: [{ backend: vda, serial: 'X86VM-VDA' }, { backend: vdb, serial: 'X86VM-VDB', modern: false }] },
    });
    bootLinux(pc, {
      kernel: readFileSync(files.kernel), initrd: defaultInitramfs(readFileSync(files.busybox), { init: INIT, extra }),
      cmdline: DEFAULT_GUEST_CMDLINE, acpi: pcAcpiConfig(1, pc.ramBelow4g),
    });
    const result = pc.runFor(60e9, () => pc.poweredOff);
    assert.equal(result, 'poweroff', `the console ends with: ${text.slice(-1500)}`);
    assert.doesNotMatch(text, /INSMOD-FAILED/);
    assert.match(text, /DISK vda size=16384 serial=X86VM-VDA cache=write back/);
    assert.match(text, /DISK vdb size=8192 serial=X86VM-VDB cache=write back/);
    assert.match(text, /SECTOR1 vda VDA-SECTOR-ONE!!/);
    assert.match(text, /SECTOR1 vdb VDB-SECTOR-ONE!!/);
    assert.match(text, /READBACK LINUX-WROTE-VDB/);
    assert.match(text, /STREAM 8388608/);
    // 00:04.0 INTA → PIRQD → IRQ 11, 00:05.0 INTA → PIRQA → IRQ 10; level-triggered on the I/O APIC.
    assert.match(text, /IRQ\s+11:\s+[1-9]\d*\s+IO-APIC\s+11-fasteoi\s+virtio0/);
    assert.match(text, /IRQ\s+10:\s+[1-9]\d*\s+IO-APIC\s+10-fasteoi\s+virtio1/);
    assert.equal(new TextDecoder().decode(vdb.data.subarray(1536, 1536 + 15)), 'LINUX-WROTE-VDB');
    assert.ok(vdb.flushCount > 0, 'the fsync reached the backend as a flush');
    assert.equal(pc.virtioBlk.every((d) => d.lastError === null), true);
  });
});
