import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortBus } from '../../../src/bus/port-bus.js';
import { PciHost } from '../../../src/devices/pci/pci-host.js';
import { PciDevice } from '../../../src/devices/pci/pci-device.js';
import { I440fx } from '../../../src/devices/pci/i440fx.js';
import { Piix3 } from '../../../src/devices/pci/piix3.js';
import { PhysicalMemory } from '../../../src/mem/physical-memory.js';

/** Config cycles through the real ports (0xCF8 dword address, 0xCFC data). */
function portsFor(host: PciHost) {
  const ports = new PortBus();
  ports.register('pci-conf-address', 0xcf8, 4, host.addressPort, 4);
  ports.register('pci-conf-data', 0xcfc, 4, host.dataPort);
  const conf = (dev: number, fn: number, reg: number) => (0x80000000 | (dev << 11) | (fn << 8) | (reg & 0xfc)) >>> 0;
  return {
    read: (dev: number, fn: number, reg: number, size: number) => { ports.write(0xcf8, 4, conf(dev, fn, reg)); return ports.read(0xcfc + (reg & 3), size); },
    write: (dev: number, fn: number, reg: number, size: number, v: number) => { ports.write(0xcf8, 4, conf(dev, fn, reg)); ports.write(0xcfc + (reg & 3), size, v); },
    addressReadback: () => ports.read(0xcf8, 4),
  };
}

describe('PCI configuration mechanism #1', () => {
  it('reads vendor/device of present functions and all ones for absent ones', () => {
    const host = new PciHost();
    host.attach(0, 0, new PciDevice(0x8086, 0x1237, 0x060000));
    const cfg = portsFor(host);
    assert.equal(cfg.read(0, 0, 0, 4), 0x12378086);
    assert.equal(cfg.read(0, 0, 2, 2), 0x1237);
    assert.equal(cfg.read(5, 0, 0, 4), 0xffffffff);
    assert.equal(cfg.addressReadback(), 0x80002800);
  });

  it('sizes a BAR by writing all ones and maps it when decoding is enabled', () => {
    const host = new PciHost();
    const dev = new PciDevice(0x1234, 0x1111, 0x030000);
    dev.defineBar(0, { size: 0x1000000, io: false, prefetchable: true });
    dev.defineBar(1, { size: 0x20, io: true });
    const events: string[] = [];
    dev.onBarMapped = (n, a) => events.push(`${n}:${a === null ? '-' : a.toString(16)}`);
    host.attach(2, 0, dev);
    const cfg = portsFor(host);
    cfg.write(2, 0, 0x10, 4, 0xffffffff);
    assert.equal(cfg.read(2, 0, 0x10, 4) >>> 0, 0xff000008);
    cfg.write(2, 0, 0x14, 4, 0xffffffff);
    assert.equal(cfg.read(2, 0, 0x14, 4) >>> 0, 0xffffffe1);
    cfg.write(2, 0, 0x10, 4, 0xfd000000);
    cfg.write(2, 0, 0x14, 4, 0xc000);
    assert.deepEqual(events, []);
    cfg.write(2, 0, 0x04, 2, 3);
    assert.deepEqual(events.sort(), ['0:fd000000', '1:c000']);
  });
});

describe('i440FX PAM registers', () => {
  it('route the BIOS area between ROM and shadow RAM', () => {
    const wasm = new WebAssembly.Memory({ initial: 64, maximum: 64 });
    const mem = new PhysicalMemory(wasm);
    const romHost = 0x200000, ramHost = 0x100000;
    new Uint8Array(wasm.buffer).fill(0xaa, romHost, romHost + 0x40000);
    const handles = [mem.mapShadow('pam-f', 0xf0000, 0x10000, ramHost + 0x30000, romHost + 0x30000)];
    for (let i = 0; i < 12; i++) handles.push(mem.mapShadow(`pam-${i}`, 0xc0000 + i * 0x4000, 0x4000, ramHost + i * 0x4000, romHost + i * 0x4000));
    const host = new PciHost();
    host.attach(0, 0, new I440fx(handles));
    const cfg = portsFor(host);
    assert.equal(mem.read(0xffff0, 1), 0xaa, 'reads reach the ROM after reset');
    mem.write(0xffff0, 1, 0x11);
    assert.equal(mem.read(0xffff0, 1), 0xaa, 'writes are not enabled yet');
    cfg.write(0, 0, 0x59, 1, 0x20); // F segment: write-only DRAM
    mem.write(0xffff0, 1, 0x11);
    assert.equal(mem.read(0xffff0, 1), 0xaa, 'write-only: reads still from ROM');
    cfg.write(0, 0, 0x59, 1, 0x30); // read/write DRAM
    assert.equal(mem.read(0xffff0, 1), 0x11);
    cfg.write(0, 0, 0x5a, 1, 0x03); // C0000-C3FFF read/write DRAM
    mem.write(0xc0000, 1, 0x22);
    assert.equal(mem.read(0xc0000, 1), 0x22);
    assert.equal(mem.read(0xc4000, 1), 0xaa);
  });
});

describe('PIIX3', () => {
  it('routes PIRQ lines to ISA IRQs and drops them when routing is disabled', () => {
    const levels = new Map<number, boolean>();
    const piix = new Piix3((irq, level) => levels.set(irq, level), () => {});
    const host = new PciHost();
    host.attach(1, 0, piix);
    const cfg = portsFor(host);
    assert.equal(cfg.read(1, 0, 0x0e, 1), 0x80, 'multi-function header');
    cfg.write(1, 0, 0x60, 1, 11); // PIRQA -> IRQ11
    piix.setPirq(0, true);
    assert.equal(levels.get(11), true);
    piix.setPirq(0, false);
    assert.equal(levels.get(11), false);
    piix.setPirq(1, true); // PIRQB unrouted
    assert.equal(levels.has(10), false);
  });

  it('resets the system when bit 2 of port 0xCF9 goes from 0 to 1', () => {
    let resets = 0;
    const piix = new Piix3(() => {}, () => resets++);
    piix.resetControlPort.write(0, 1, 0x02);
    assert.equal(resets, 0);
    piix.resetControlPort.write(0, 1, 0x06);
    assert.equal(resets, 1);
  });
});
