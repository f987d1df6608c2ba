/** The command line parser on its own: values, QEMU spellings, drive positions. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine, parseKeyValues, parseSize, UsageError, type MachineConfig } from '../../src/cli/parse.js';
import { findOption, helpText, OPTIONS } from '../../src/cli/options.js';

function machine(...args: string[]): MachineConfig {
  const c = parseCommandLine(args);
  assert.equal(c.mode, 'machine');
  return (c as { machine: MachineConfig }).machine;
}

describe('command line parsing', () => {
  it('sizes: MiB by default, K/M/G suffixes', () => {
    assert.equal(parseSize('512', 1 << 20), 512 << 20);
    assert.equal(parseSize('512M', 1 << 20), 512 << 20);
    assert.equal(parseSize('2G', 1 << 20), 2 * 1024 * 1024 * 1024);
    assert.equal(parseSize('1.5G', 1 << 20), 1.5 * 1024 * 1024 * 1024);
    assert.equal(parseSize('65536k', 1 << 20), 64 << 20);
    assert.equal(parseSize('12Q', 1 << 20), null);
    assert.equal(machine('-m', 'size=256M').ramSize, 256 << 20);
  });

  it('key=value lists with ,, for a comma', () => {
    assert.deepEqual([...parseKeyValues('file=a,,b.img,if=ide', 'file', '-drive')], [['file', 'a,b.img'], ['if', 'ide']]);
    assert.deepEqual([...parseKeyValues('4,sockets=1', 'cpus', '-smp')], [['cpus', '4'], ['sockets', '1']]);
  });

  it('no options: the default guest (amd64, 2 vCPUs, 256 MiB); --guest i386 with -smp/-m/-append', () => {
    const none = parseCommandLine([]);
    assert.equal(none.mode, 'machine');
    if (none.mode !== 'machine') return;
    assert.equal(none.machine.guest, 'amd64');
    assert.equal(none.machine.cpus, 2);
    assert.equal(none.machine.ramSize, 256 << 20);
    const i386 = machine('--guest', 'i386', '-smp', '1', '-m', '512', '-append', 'loglevel=7');
    assert.deepEqual([i386.guest, i386.cpus, i386.ramSize, i386.append], ['i386', 1, 512 << 20, 'loglevel=7']);
    assert.equal(machine('-hda', 'a.img').guest, null);
    assert.throws(() => parseCommandLine(['--guest', 'arm64']), /amd64 or --guest i386/);
    assert.throws(() => parseCommandLine(['--guest', 'amd64', '-kernel', 'bzImage']), /cannot be combined with -kernel/);
    assert.throws(() => parseCommandLine(['-append', 'x']), /only allowed with -kernel or --guest/);
  });

  it('--demo: the demo; demo options do not mix with machine options', () => {
    assert.deepEqual(parseCommandLine(['--demo']), { mode: 'demo', traceFile: null, maxInstructions: 100000000 });
    assert.equal(parseCommandLine(['--demo', '--trace', 't.txt']).mode, 'demo');
    assert.throws(() => parseCommandLine(['--demo', '-hda', 'x.img']), UsageError);
    assert.throws(() => parseCommandLine(['--trace', 't.txt', '-hda', 'x.img']), /-d in_asm/);
  });

  it('drives: -hda/-hdb/-cdrom positions, -drive takes the next free one', () => {
    const m = machine('-drive', 'file=c.img', '-cdrom', 'x.iso', '-hda', 'a.img', '-drive', 'file=d.iso,media=cdrom');
    assert.deepEqual(m.drives.map((d) => [d.index, d.media, d.file, d.readOnly]), [
      [0, 'disk', 'a.img', false], [1, 'disk', 'c.img', false], [2, 'cdrom', 'x.iso', true], [3, 'cdrom', 'd.iso', true],
    ]);
    assert.equal(machine('-snapshot', '-hda', 'a.img').drives[0]!.snapshot, true);
    assert.equal(machine('-drive', 'file=a.img,snapshot=on').drives[0]!.snapshot, true);
    assert.throws(() => machine('-hda', 'a', '-hdb', 'b', '-hdc', 'c', '-hdd', 'd', '-drive', 'file=e'), /all four IDE positions/);
  });

  it('drives: if=virtio disks are listed apart, in command line order, with readonly/snapshot/serial', () => {
    const m = machine('-snapshot', '-drive', 'file=v1.img,if=virtio,format=raw', '-hda', 'a.img',
      '-drive', 'if=virtio,file=v2.img,readonly=on,snapshot=off,serial=VD-2');
    assert.deepEqual(m.drives.map((d) => [d.index, d.file]), [[0, 'a.img']]);
    assert.deepEqual(m.virtioDrives, [
      { file: 'v1.img', readOnly: false, snapshot: true, serial: null, origin: '-drive' },
      { file: 'v2.img', readOnly: true, snapshot: false, serial: 'VD-2', origin: '-drive' },
    ]);
    assert.deepEqual(machine('-hda', 'a.img').virtioDrives, []);
    // Four IDE positions do not limit virtio disks.
    assert.equal(machine('-hda', 'a', '-hdb', 'b', '-hdc', 'c', '-hdd', 'd', '-drive', 'file=e,if=virtio').virtioDrives.length, 1);
    assert.throws(() => machine('-drive', 'file=x,if=virtio,media=cdrom'), /virtio block device is a disk/);
    assert.throws(() => machine('-drive', 'file=x,if=virtio,index=1'), /PCI slots 4, 5/);
    assert.throws(() => machine('-drive', 'file=x,serial=ABC'), /serial= is supported with if=virtio only/);
    assert.throws(() => machine('-drive', 'file=x,if=virtio,serial=123456789012345678901'), /1 to 20 printable/);
    assert.throws(() => machine('-drive', 'file=x,if=scsi'), /only if=ide and if=virtio are supported/);
    assert.throws(() => machine(...Array.from({ length: 29 }, (_, i) => ['-drive', `file=d${i},if=virtio`]).flat()), /room for 28 virtio disks/);
  });

  it('-boot menu, splash-time and reboot-timeout (QEMU\'s keys and ranges)', () => {
    const plain = machine('-hda', 'a.img');
    assert.deepEqual([plain.bootOrder, plain.bootMenu, plain.rebootTimeoutMs], [null, { enabled: false, waitMs: null }, -1]);
    const m = machine('-boot', 'menu=on,splash-time=4000,reboot-timeout=2000');
    assert.deepEqual([m.bootOrder, m.bootMenu, m.rebootTimeoutMs], [null, { enabled: true, waitMs: 4000 }, 2000]);
    assert.deepEqual(machine('-boot', 'dc,menu=off').bootMenu, { enabled: false, waitMs: null });
    assert.equal(machine('-boot', 'reboot-timeout=-1').rebootTimeoutMs, -1);
    assert.throws(() => machine('-boot', 'splash-time=70000'), /splash-time=70000: use a number of milliseconds from 0 to 65535/);
    assert.throws(() => machine('-boot', 'reboot-timeout=-2'), /from -1 to 65535/);
    assert.throws(() => machine('-boot', 'menu=maybe'), /use on or off/);
    assert.throws(() => machine('-boot', 'splash=logo.bmp'), /no graphical display/);
  });

  it('boot order, serial, smp, cpu, tracing', () => {
    assert.deepEqual(machine('-boot', 'd').bootOrder, ['cdrom']);
    assert.deepEqual(machine('-boot', 'order=dc,menu=on').bootOrder, ['cdrom', 'disk']);
    assert.throws(() => machine('-boot', 'order=z'), /'z' is not a boot device/);
    assert.deepEqual(machine('-serial', 'file:/tmp/s.txt').serial, { kind: 'file', path: '/tmp/s.txt' });
    assert.deepEqual(machine('-serial', 'mon:stdio').serial, { kind: 'stdio' });
    assert.deepEqual(machine('-nographic').serial, { kind: 'stdio' });
    assert.throws(() => machine('-serial', 'pty'), /stdio, file:PATH or none/);
    assert.equal(machine('-smp', 'cpus=4,sockets=1,cores=4').cpus, 4);
    assert.equal(machine('-cpu', 'qemu64').cpuModel, 'qemu64');
    assert.deepEqual([...machine('-d', 'in_asm,int').trace], ['in_asm', 'int']);
    assert.throws(() => machine('-d', 'in_asm,bogus'), /unknown log item; known items: in_asm/);
    assert.equal(machine('--m=64').ramSize, 64 << 20, 'GNU-style --opt=value is accepted too');
  });

  it('-cpu flags after the model: +flag, -flag, flag=on|off, vendor=GenuineIntel', () => {
    const m = machine('-cpu', 'qemu64,+x2apic,-tsc-deadline,sse4.1=on,vendor=GenuineIntel');
    assert.equal(m.cpuModel, 'qemu64');
    assert.deepEqual(m.cpuFlags, [{ flag: 'x2apic', on: true }, { flag: 'tsc-deadline', on: false }, { flag: 'sse4.1', on: true }]);
    assert.deepEqual(machine('-cpu', 'max').cpuFlags, []);
    assert.deepEqual(machine('-cpu', 'qemu64,+pcid').cpuFlags, [{ flag: 'pcid', on: true }], 'known to QEMU, not modelled: accepted');
    assert.throws(() => machine('-cpu', 'qemu64,+frobnicate'), /unknown CPU feature or property 'frobnicate'/);
    assert.throws(() => machine('-cpu', 'qemu64,vendor=AuthenticAMD'), /vendor=AuthenticAMD is not supported/);
    assert.throws(() => machine('-cpu', 'qemu64,x2apic=maybe'), /use on or off/);
  });

  it('-device: isa-debug-exit with iobase/iosize, pc-testdev (kvm-unit-tests\' command line)', () => {
    const m = machine('-device', 'pc-testdev', '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x4');
    assert.equal(m.pcTestdev, true);
    assert.deepEqual(m.debugExit, { iobase: 0xf4, iosize: 4 });
    assert.deepEqual(machine('-device', 'isa-debug-exit').debugExit, { iobase: 0xf4, iosize: 1 });
    assert.deepEqual(machine('-device', 'driver=isa-debug-exit,iobase=0x501,iosize=2').debugExit, { iobase: 0x501, iosize: 2 });
    assert.equal(machine('-m', '64').debugExit, null);
    assert.equal(machine('-m', '64').pcTestdev, false);
    assert.throws(() => machine('-device', 'isa-debug-exit,iosize=3'), /iosize=3 is not valid/);
    assert.throws(() => machine('-device', 'isa-debug-exit,iobase=0x10000'), /iobase=0x10000 is not valid/);
    assert.throws(() => machine('-device', 'isa-debug-exit,foo=1'), /no property 'foo'/);
    assert.throws(() => machine('-device', 'pc-testdev,iobase=1'), /pc-testdev has no property/);
    assert.throws(() => machine('-device', 'virtio-net'), /unknown device; the extra devices are isa-debug-exit and pc-testdev/);
  });

  it('every option in the table is found by each of its spellings and shown in --help', () => {
    const help = helpText();
    for (const o of OPTIONS) {
      for (const name of o.names) {
        assert.equal(findOption(name), o);
        assert.ok(help.includes(name));
      }
    }
  });
});
