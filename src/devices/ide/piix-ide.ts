import type { DmaMemory } from '../../bus/dma-memory.js';
import type { IrqLine } from '../../bus/irq-line.js';
import type { IoHandler } from '../../mem/io-handler.js';
import type { PortBus } from '../../bus/port-bus.js';
import type { DiskBackend } from '../../backends/disk/disk-backend.js';
import { AtaDisk } from './ata-disk.js';
import { AtapiCdrom } from './atapi-cdrom.js';
import { COMMAND_IO, COMMAND_MASTER, PCI_COMMAND, PciDevice } from '../pci/pci-device.js';
import { IdeChannel } from './ide-channel.js';
import type { IdeDevice } from './ide-device.js';

/** Legacy ("compatibility mode") resources of the two channels. */
export const IDE_LEGACY = [
  { command: 0x1f0, control: 0x3f6, irq: 14 },
  { command: 0x170, control: 0x376, irq: 15 },
] as const;

/** IDETIM bit 15: IDE decode enable for the channel (82371SB datasheet 2.3.9). */
const IDETIM_DECODE = 0x8000;

export interface PiixIdeOptions {
  /** Guest memory as the bus master sees it. */
  memory: DmaMemory;
  /** IRQ14 and IRQ15. */
  irqs: [IrqLine, IrqLine];
  /** Devices per channel: [master, slave] (null = empty position). */
  devices: [[IdeDevice | null, IdeDevice | null], [IdeDevice | null, IdeDevice | null]];
  /** Map or unmap the 16-byte bus master register block (BAR4). */
  mapBusMaster: (base: number | null, handler: IoHandler) => void;
}

/**
 * Intel 82371SB PIIX3 IDE function (PCI 8086:7010, class 0101h with programming interface 80h:
 * bus master capable, both channels fixed in compatibility mode). The channels decode their
 * legacy ports when the PCI I/O space enable and the channel's IDETIM decode enable (40h/42h bit
 * 15) are set, and interrupt on ISA IRQ14/15 (no PCI interrupt pin). BAR4 holds the bus master
 * IDE registers: command (+0), status (+2) and PRD table pointer (+4) per channel, the second
 * channel at +8.
 */
export class PiixIde extends PciDevice {
  readonly channels: [IdeChannel, IdeChannel];

  constructor(private readonly options: PiixIdeOptions) {
    super(0x8086, 0x7010, 0x010180, 0x00);
    this.writeMask[PCI_COMMAND] = COMMAND_IO | COMMAND_MASTER;
    this.writeMask[PCI_COMMAND + 1] = 0;
    this.config[0x06] = 0x80; // status: fast back-to-back capable
    this.config[0x07] = 0x02; // DEVSEL medium
    this.writeMask[0x0d] = 0xf0; // master latency timer
    this.defineBar(4, { size: 16, io: true });
    // IDETIM primary/secondary, SIDETIM: timing registers (storage) with the decode enables.
    for (const r of [0x40, 0x41, 0x42, 0x43, 0x44]) this.writeMask[r] = 0xff;
    this.writeMask[0x41] = 0xf3;
    this.writeMask[0x43] = 0xf3;
    const master = () => (this.config[PCI_COMMAND]! & COMMAND_MASTER) !== 0;
    this.channels = [0, 1].map((i) => {
      const ch = new IdeChannel(options.irqs[i]!, options.memory, options.devices[i]![0], options.devices[i]![1]);
      ch.busMasterEnabled = master;
      return ch;
    }) as [IdeChannel, IdeChannel];
    this.onBarMapped = (bar, address) => {
      if (bar === 4) options.mapBusMaster(address, this.busMasterBlock);
    };
  }

  /** Hardware reset of the function: default configuration and both channels reset. */
  reset(): void {
    this.writeConfig(PCI_COMMAND, 2, 0);
    this.writeConfig(0x20, 4, 0);
    this.writeConfig(0x40, 4, 0);
    this.writeConfig(0x44, 1, 0);
    for (const ch of this.channels) ch.reset();
  }

  /** Claim 1F0h-1F7h/3F6h and 170h-177h/376h (3F7h stays with the floppy controller). */
  registerLegacyPorts(ports: PortBus): void {
    IDE_LEGACY.forEach((l, i) => {
      ports.register(`ide${i}`, l.command, 8, this.commandBlock(i));
      ports.register(`ide${i}-control`, l.control, 1, this.controlBlock(i));
    });
  }

  /** The channel decodes its compatibility-mode ports. */
  legacyDecode(channel: number): boolean {
    const idetim = this.config[0x40 + 2 * channel]! | (this.config[0x41 + 2 * channel]! << 8);
    return (this.config[PCI_COMMAND]! & COMMAND_IO) !== 0 && (idetim & IDETIM_DECODE) !== 0;
  }

  /** The command block handler of a channel as the board registers it (1F0h or 170h, 8 ports). */
  commandBlock(channel: number): IoHandler {
    const inner = this.channels[channel]!.commandBlock;
    return {
      read: (offset, size) => (this.legacyDecode(channel) ? inner.read(offset, size) : 2 ** (8 * size) - 1),
      write: (offset, size, value) => { if (this.legacyDecode(channel)) inner.write(offset, size, value); },
    };
  }

  /** The control block handler of a channel (3F6h or 376h, one port). */
  controlBlock(channel: number): IoHandler {
    const inner = this.channels[channel]!.controlBlock;
    return {
      read: (offset, size) => (this.legacyDecode(channel) ? inner.read(offset, size) : 0xff),
      write: (offset, size, value) => { if (this.legacyDecode(channel)) inner.write(offset, size, value); },
    };
  }

  /** BAR4: the bus master IDE registers, any access size. */
  readonly busMasterBlock: IoHandler = {
    read: (offset, size) => {
      let value = 0;
      for (let i = 0; i < size; i++) {
        const at = offset + i;
        value += this.channels[(at >> 3) & 1]!.readBusMaster(at & 7) * 2 ** (8 * i);
      }
      return value;
    },
    write: (offset, size, value) => {
      for (let i = 0; i < size; i++) {
        const at = offset + i;
        this.channels[(at >> 3) & 1]!.writeBusMaster(at & 7, Math.floor(value / 2 ** (8 * i)) & 0xff);
      }
    },
  };
}

/** A drive as the board's options describe it. */
export interface IdeDriveSpec {
  channel: 0 | 1;
  position: 0 | 1;
  kind: 'disk' | 'cdrom';
  /** The image; null is an empty CD-ROM drive (a disk needs one). */
  backend: DiskBackend | null;
}

/** Build the device models for a list of drives, checking for clashes. */
export function ideDevices(specs: readonly IdeDriveSpec[]): [[IdeDevice | null, IdeDevice | null], [IdeDevice | null, IdeDevice | null]] {
  const out: [[IdeDevice | null, IdeDevice | null], [IdeDevice | null, IdeDevice | null]] = [[null, null], [null, null]];
  for (const s of specs) {
    const name = `ide${s.channel}-${s.position === 0 ? 'master' : 'slave'}`;
    if (out[s.channel][s.position] !== null) throw new Error(`two drives at ${name}`);
    if (s.kind === 'disk') {
      if (s.backend === null) throw new Error(`the disk at ${name} has no image`);
      out[s.channel][s.position] = new AtaDisk(s.backend, { serial: `XV${s.channel}${s.position}000000000001` });
    } else {
      out[s.channel][s.position] = new AtapiCdrom(s.backend, { serial: `XV${s.channel}${s.position}000000000002` });
    }
  }
  return out;
}
