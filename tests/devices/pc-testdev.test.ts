/** QEMU's pc-testdev: the scratch ports, flush-page, IRQ lines and IORAM, alone and on the pc board. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortBus } from '../../src/bus/port-bus.js';
import { IrqLine } from '../../src/bus/irq-line.js';
import { PcTestdev, PC_TESTDEV_IOMEM_BASE } from '../../src/devices/pc-testdev.js';
import { PcMachine } from '../../src/machine/pc.js';
import { VirtualClock } from '../../src/machine/clock.js';

function device() {
  const levels: boolean[][] = Array.from({ length: 24 }, () => []);
  const lines = levels.map((seen, n) => new IrqLine((level) => seen.push(level), `line${n}`));
  const remapped: number[] = [];
  const dev = new PcTestdev({ irq: (n) => (n < 16 ? lines[n]! : null), remapPage: (a) => remapped.push(a) });
  const bus = new PortBus();
  dev.registerPorts(bus);
  return { dev, bus, levels, remapped };
}

describe('pc-testdev', () => {
  it('port 0xE0: byte, word and dword accesses reach the byte lanes of one 32-bit register', () => {
    const { bus } = device();
    bus.write(0xe0, 4, 0x12345678);
    assert.equal(bus.read(0xe0, 4), 0x12345678);
    assert.equal(bus.read(0xe0, 1), 0x78);
    assert.equal(bus.read(0xe1, 1), 0x56);
    assert.equal(bus.read(0xe2, 2), 0x1234);
    bus.write(0xe1, 2, 0xabcd);
    assert.equal(bus.read(0xe0, 4), 0x12abcd78);
    bus.write(0xe0, 1, 0xff);
    assert.equal(bus.read(0xe0, 4), 0x12abcdff);
    bus.write(0xe0, 2, 0x9999);
    assert.equal(bus.read(0xe0, 2), 0x9999);
    assert.equal(bus.read(0xe0, 4), 0x12ab9999);
  });

  it('ports 0xE8-0xEB are the same register, accessed byte by byte', () => {
    const { bus, dev } = device();
    bus.write(0xe8, 4, 0xdeadbeef);
    assert.equal(dev.scratch, 0xdeadbeef);
    assert.equal(bus.read(0xe0, 4), 0xdeadbeef);
    assert.equal(bus.read(0xea, 2), 0xdead);
    bus.write(0xe0, 4, 0x01020304);
    assert.equal(bus.read(0xe8, 4), 0x01020304);
  });

  it('port 0xE4: a dword write remaps the page holding that address; other sizes do nothing', () => {
    const { bus, remapped } = device();
    bus.write(0xe4, 4, 0x00123456);
    bus.write(0xe4, 4, 0xfffff001);
    bus.write(0xe4, 1, 0x42);
    bus.write(0xe4, 2, 0x4242);
    assert.deepEqual(remapped, [0x00123000, 0xfffff000]);
    assert.equal(bus.read(0xe4, 4), 0);
  });

  it('ports 0x2000+n: a byte write drives line n to (value != 0); a word write drives two lines', () => {
    const { bus, levels } = device();
    bus.write(0x200e, 1, 1);
    bus.write(0x200e, 1, 0x80);
    bus.write(0x200e, 1, 0);
    bus.write(0x2003, 2, 0x0001);
    bus.write(0x2017, 1, 1); // no line 23 on this wiring: ignored
    assert.deepEqual(levels[14], [true, false], 'the line keeps its level; only changes are heard');
    assert.deepEqual(levels[3], [true]);
    assert.deepEqual(levels[4], []);
    assert.equal(bus.read(0x200e, 1), 0);
  });

  it('IORAM: 64 KiB of scratch bytes, any size and alignment, little-endian', () => {
    const { dev } = device();
    const io = dev.iomemHandler;
    io.write(0, 4, 0x11223344);
    io.write(5, 2, 0xbeef);
    io.write(0xffff, 1, 0x5a);
    assert.equal(io.read(0, 1), 0x44);
    assert.equal(io.read(1, 2), 0x2233);
    assert.equal(io.read(3, 4), 0xbeef0011);
    assert.equal(io.read(0xffff, 1), 0x5a);
    assert.equal(io.read(0xfffe, 2), 0x5a00);
  });
});

describe('pc-testdev on the pc board', () => {
  const machine = (pcTestdev: boolean) => new PcMachine({ ramSize: 16 << 20, clock: VirtualClock.deterministic(), pcTestdev });

  it('is absent unless asked for', () => {
    const pc = machine(false);
    assert.equal(pc.testdev, null);
    assert.equal(pc.ports.read(0xe0, 4), 0xffffffff);
    assert.equal(pc.physical.read(PC_TESTDEV_IOMEM_BASE, 4), 0xffffffff);
  });

  it('IRQ line 14 reaches the 8259 and I/O APIC pin 14; line 0 reaches pin 2', () => {
    const pc = machine(true);
    // I/O APIC pin 14: unmasked, level-triggered, so its Remote IRR shows the delivery.
    const ioWrite = (index: number, value: number) => { pc.ioApic.write(0, 1, index); pc.ioApic.write(0x10, 4, value); };
    ioWrite(0x10 + 2 * 14, 0x8000 | 0x40);
    ioWrite(0x10 + 2 * 2, 0x8000 | 0x41);
    pc.ports.write(0x200e, 1, 1);
    assert.equal(pc.pic.slave.irr & (1 << 6), 1 << 6, 'IRQ14 requested at the slave 8259');
    assert.notEqual(pc.ioApic.low[14]! & (1 << 14), 0, 'pin 14 sent its message (Remote IRR)');
    pc.ports.write(0x2000, 1, 1);
    assert.notEqual(pc.ioApic.low[2]! & (1 << 14), 0, 'IRQ0 is I/O APIC pin 2');
  });

  it('IORAM is MMIO at 0xFF000000; the flush port drops the decoded code of the page', () => {
    const pc = machine(true);
    pc.physical.write(PC_TESTDEV_IOMEM_BASE + 0x10, 4, 0xcafef00d);
    assert.equal(pc.physical.read(PC_TESTDEV_IOMEM_BASE + 0x12, 2), 0xcafe);
    assert.equal(pc.testdev!.iomem[0x10], 0x0d);
    pc.code.getOrCreate(0x123);
    assert.notEqual(pc.code.lookup(0x123), undefined);
    pc.ports.write(0xe4, 4, 0x123abc);
    assert.equal(pc.code.lookup(0x123), undefined, 'page 0x123 was remapped');
  });
});
