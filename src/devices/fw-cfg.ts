import type { IoHandler } from '../mem/io-handler.js';
import type { DmaMemory } from '../bus/dma-memory.js';

/**
 * QEMU's firmware configuration device (docs/specs/fw_cfg in QEMU): a selector register, a byte
 * data port and a DMA interface, through which the firmware (SeaBIOS) and boot loaders read the
 * machine's description: RAM size, CPU counts, the e820 map, boot order, kernel/initrd/command
 * line, ACPI tables and named files.
 *
 * I/O ports on x86: 0x510 selector (16-bit), 0x511 data (8-bit), 0x514 DMA address (two big-endian
 * 32-bit halves; writing the low half at 0x518 starts the transfer).
 */

export const FW_CFG_PORT_SELECTOR = 0x510;
export const FW_CFG_PORT_DATA = 0x511;
export const FW_CFG_PORT_DMA = 0x514;

/** Well-known item keys. */
export const FwCfgKey = {
  Signature: 0x0000,
  Id: 0x0001,
  Uuid: 0x0002,
  RamSize: 0x0003,
  NoGraphic: 0x0004,
  NbCpus: 0x0005,
  MachineId: 0x0006,
  KernelAddr: 0x0007,
  KernelSize: 0x0008,
  KernelCmdline: 0x0009,
  InitrdAddr: 0x000a,
  InitrdSize: 0x000b,
  BootDevice: 0x000c,
  Numa: 0x000d,
  BootMenu: 0x000e,
  MaxCpus: 0x000f,
  KernelEntry: 0x0010,
  KernelData: 0x0011,
  InitrdData: 0x0012,
  CmdlineAddr: 0x0013,
  CmdlineSize: 0x0014,
  CmdlineData: 0x0015,
  SetupAddr: 0x0016,
  SetupSize: 0x0017,
  SetupData: 0x0018,
  FileDir: 0x0019,
  FileFirst: 0x0020,
  X86AcpiTables: 0x8000,
  X86SmbiosEntries: 0x8001,
  X86Irq0Override: 0x8002,
  X86E820Table: 0x8003,
  X86Hpet: 0x8004,
} as const;

/** DMA control bits (FWCfgDmaAccess.control). */
const DMA_ERROR = 0x01, DMA_READ = 0x02, DMA_SKIP = 0x04, DMA_SELECT = 0x08, DMA_WRITE = 0x10;
/** ID feature bits: traditional I/O interface and DMA. */
const ID_TRADITIONAL = 1, ID_DMA = 2;
const FILE_NAME_BYTES = 56;

interface Item {
  data: Uint8Array;
  /** Called after the guest writes the item through DMA (writable files). */
  onWrite?: (data: Uint8Array) => void;
}

export function le(value: number | bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = BigInt(value);
  for (let i = 0; i < bytes; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

export class FwCfg implements IoHandler {
  private readonly items = new Map<number, Item>();
  private readonly files: { name: string; key: number }[] = [];
  private selected = 0;
  private offset = 0;
  private dmaHigh = 0;

  constructor(private readonly dma: DmaMemory | null) {
    this.setItem(FwCfgKey.Signature, new TextEncoder().encode('QEMU'));
    this.setItem(FwCfgKey.Id, le(ID_TRADITIONAL | (dma ? ID_DMA : 0), 4));
    this.rebuildDirectory();
  }

  setItem(key: number, data: Uint8Array): void {
    this.items.set(key, { data });
  }

  setNumber(key: number, value: number | bigint, bytes: number): void {
    this.setItem(key, le(value, bytes));
  }

  /** Add or replace a named file; returns its key. */
  addFile(name: string, data: Uint8Array, onWrite?: (data: Uint8Array) => void): number {
    if (name.length >= FILE_NAME_BYTES) throw new Error(`fw_cfg file name too long: ${name}`);
    const existing = this.files.find((f) => f.name === name);
    const key = existing?.key ?? FwCfgKey.FileFirst + this.files.length;
    this.items.set(key, { data, onWrite });
    if (!existing) {
      this.files.push({ name, key });
      this.rebuildDirectory();
    }
    return key;
  }

  /** The directory: a big-endian count, then {size, select, reserved, name[56]} per file, sorted by name. */
  private rebuildDirectory(): void {
    const sorted = [...this.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const out = new Uint8Array(4 + sorted.length * 64);
    const view = new DataView(out.buffer);
    view.setUint32(0, sorted.length);
    sorted.forEach((file, i) => {
      const at = 4 + i * 64;
      view.setUint32(at, this.items.get(file.key)!.data.length);
      view.setUint16(at + 4, file.key);
      out.set(new TextEncoder().encode(file.name), at + 8);
    });
    this.items.set(FwCfgKey.FileDir, { data: out });
  }

  private select(key: number): void {
    this.selected = key & 0xffff;
    this.offset = 0;
  }

  private readByte(): number {
    const item = this.items.get(this.selected);
    if (!item || this.offset >= item.data.length) return 0;
    return item.data[this.offset++]!;
  }

  read(offset: number, size: number): number {
    if (offset === 1) {
      // The data port returns consecutive bytes; a wider read packs them little-endian.
      let value = 0;
      for (let i = 0; i < size; i++) value += this.readByte() * 2 ** (8 * i);
      return value;
    }
    if (offset === 4 || offset === 8) return 0; // DMA address registers read as zero
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    switch (offset) {
      case 0:
        this.select(value);
        return;
      case 1:
        return; // data-port writes are ignored since QEMU 2.4; writable items use DMA
      case 4:
        // High half of the DMA address, big-endian on the bus.
        this.dmaHigh = size === 4 ? swap32(value) : 0;
        return;
      case 8:
        if (size === 4) this.runDma(this.dmaHigh * 2 ** 32 + swap32(value));
        return;
      default:
    }
  }

  /** Execute one FWCfgDmaAccess descriptor at guest-physical `address`. */
  private runDma(address: number): void {
    const dma = this.dma;
    if (!dma) return;
    const desc = new DataView(dma.read(address, 16).buffer);
    let control = desc.getUint32(0);
    const length = desc.getUint32(4);
    const target = desc.getUint32(8) * 2 ** 32 + desc.getUint32(12);
    if ((control & DMA_SELECT) !== 0) this.select(control >>> 16);
    const item = this.items.get(this.selected);
    let status = 0;
    if ((control & DMA_READ) !== 0) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = this.readByte();
      dma.write(target, out);
    } else if ((control & DMA_WRITE) !== 0) {
      if (!item?.onWrite) status = DMA_ERROR;
      else {
        const data = dma.read(target, length);
        const end = Math.min(item.data.length, this.offset + length);
        item.data.set(data.subarray(0, end - this.offset), this.offset);
        this.offset += length;
        item.onWrite(item.data);
      }
    } else if ((control & DMA_SKIP) !== 0) {
      this.offset += length;
    }
    control = status;
    const done = new Uint8Array(4);
    new DataView(done.buffer).setUint32(0, control);
    dma.write(address, done);
  }
}

function swap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}
