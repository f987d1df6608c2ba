import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FwCfg, FwCfgKey, FW_CFG_PORT_DATA, FW_CFG_PORT_SELECTOR, FW_CFG_PORT_DMA } from '../../src/devices/fw-cfg.js';
import { PortBus } from '../../src/bus/port-bus.js';
import { PhysicalMemory } from '../../src/mem/physical-memory.js';
import { dmaFrom } from '../../src/bus/dma-memory.js';

function machine() {
  const wasm = new WebAssembly.Memory({ initial: 16, maximum: 16 });
  const mem = new PhysicalMemory(wasm);
  mem.mapRam('ram', 0, 0x100000, 0);
  const fw = new FwCfg(dmaFrom(mem));
  const ports = new PortBus();
  ports.register('fw_cfg', FW_CFG_PORT_SELECTOR, 12, fw);
  return { mem, fw, ports };
}

const be32 = (v: number) => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

function readItem(ports: PortBus, key: number, length: number): number[] {
  ports.write(FW_CFG_PORT_SELECTOR, 2, key);
  return Array.from({ length }, () => ports.read(FW_CFG_PORT_DATA, 1));
}

describe('fw_cfg', () => {
  it('presents the "QEMU" signature and the DMA feature bit through the I/O ports', () => {
    const { ports } = machine();
    assert.equal(String.fromCharCode(...readItem(ports, FwCfgKey.Signature, 4)), 'QEMU');
    assert.deepEqual(readItem(ports, FwCfgKey.Id, 4), [3, 0, 0, 0]);
    assert.deepEqual(readItem(ports, FwCfgKey.Signature, 6).slice(4), [0, 0], 'reads past the end are 0');
  });

  it('lists files in a big-endian directory sorted by name, readable by their select key', () => {
    const { ports, fw } = machine();
    fw.addFile('etc/zzz', new Uint8Array([9]));
    fw.addFile('bootorder', new TextEncoder().encode('/pci@i0cf8/ide@1,1/drive@0/disk@0\n'));
    const dir = readItem(ports, FwCfgKey.FileDir, 4 + 2 * 64);
    const view = new DataView(new Uint8Array(dir).buffer);
    assert.equal(view.getUint32(0), 2);
    const name0 = String.fromCharCode(...dir.slice(12, 12 + 9));
    assert.equal(name0, 'bootorder');
    const select = view.getUint16(4 + 4);
    const size = view.getUint32(4);
    assert.equal(String.fromCharCode(...readItem(ports, select, size)).trim(), '/pci@i0cf8/ide@1,1/drive@0/disk@0');
  });

  it('runs DMA read and skip descriptors and clears the control word', () => {
    const { ports, fw, mem } = machine();
    fw.addFile('etc/e820', new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const desc = 0x1000, target = 0x2000;
    const key = FwCfgKey.FileFirst;
    const put = (control: number, length: number, address: number) => {
      const d = new DataView(new ArrayBuffer(16));
      d.setUint32(0, control); d.setUint32(4, length); d.setUint32(8, 0); d.setUint32(12, address);
      mem.load(desc, new Uint8Array(d.buffer));
      ports.write(FW_CFG_PORT_DMA, 4, be32(0));
      ports.write(FW_CFG_PORT_DMA + 4, 4, be32(desc));
    };
    put((key << 16) | 0x08 | 0x04, 2, 0); // select + skip 2
    put(0x02, 4, target); // read 4
    assert.deepEqual([...mem.dump(target, 4)], [3, 4, 5, 6]);
    assert.deepEqual([...mem.dump(desc, 4)], [0, 0, 0, 0]);
  });

  it('a DMA write to a read-only item reports an error in the control word', () => {
    const { ports, fw, mem } = machine();
    fw.addFile('etc/ro', new Uint8Array(4));
    const d = new DataView(new ArrayBuffer(16));
    d.setUint32(0, (FwCfgKey.FileFirst << 16) | 0x08 | 0x10); d.setUint32(4, 4); d.setUint32(12, 0x3000);
    mem.load(0x1000, new Uint8Array(d.buffer));
    ports.write(FW_CFG_PORT_DMA, 4, 0);
    ports.write(FW_CFG_PORT_DMA + 4, 4, be32(0x1000));
    assert.equal(mem.read(0x1000 + 3, 1) & 1, 1);
  });
});
