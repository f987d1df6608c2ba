/**
 * The Intel MultiProcessor Specification 1.4 tables (chapter 4) for boots without firmware: the MP
 * floating pointer structure and the MP configuration table describing the processors, the PCI and
 * ISA buses, the I/O APIC and how interrupts reach it. SeaBIOS writes its own when it runs; a
 * firmware-less boot (Linux direct boot, Multiboot kernels) finds this one instead, in the BIOS
 * F segment where MP spec 4.1 says an OS searches (0xF0000-0xFFFFF).
 *
 * The interrupt assignments follow the pc board and agree with the ACPI MADT (devices/acpi/
 * tables.ts): ISA IRQ n on I/O APIC input n except IRQ0 on input 2 (and no entry for the cascade,
 * IRQ2); the SCI level-triggered, active high; PCI INTx routed through the PIIX3 PIRQ links to the
 * ISA IRQs they are programmed to (level, active high as the board's I/O APIC sees the line), those
 * IRQs then having no ISA entry; LINT0 ExtINT and LINT1 NMI on every local APIC (virtual wire mode).
 */
import { apicIdOf, type AcpiConfig } from '../../devices/acpi/config.js';

/** Where the board's ROM F segment holds the floating pointer and, right after it, the table. */
export const MP_FLOATING_POINTER_ADDRESS = 0xf0000;

export const MpEntryType = { Processor: 0, Bus: 1, IoApic: 2, IoInterrupt: 3, LocalInterrupt: 4 } as const;
/** Interrupt types of I/O and local interrupt entries (MP spec Table 4-10). */
export const MpInterruptType = { Int: 0, Nmi: 1, Smi: 2, ExtInt: 3 } as const;
/** Flags of interrupt entries: polarity bits 1:0, trigger bits 3:2 (00 = conforms to the bus). */
export const MpIntFlags = { Conforms: 0, ActiveHigh: 1, ActiveLow: 3, Edge: 1 << 2, Level: 3 << 2 } as const;

const PCI_BUS = 0, ISA_BUS = 1;
const LOCAL_APIC_VERSION = 0x14, IO_APIC_VERSION = 0x11;

export interface MpTableOptions {
  acpi: AcpiConfig;
  /** CPUID.01H:EAX (stepping, model, family) and EDX (feature flags) for the processor entries. */
  cpuSignature: number;
  cpuFeatures: number;
  /** INTx pins of the PCI functions on bus 0: slot (device number) and pin (0-3 = INTA-D). */
  pciInterrupts: readonly { slot: number; pin: number }[];
}

/**
 * The floating pointer (16 bytes) followed by the configuration table, laid out to sit at
 * `address` (16-byte aligned): the pointer's table address and both checksums depend on it.
 */
export function buildMpTables(options: MpTableOptions, address = MP_FLOATING_POINTER_ADDRESS): Uint8Array {
  if (address % 16 !== 0) throw new Error('MP floating pointer must be 16-byte aligned');
  const { acpi } = options;
  const entries: number[][] = [];
  const u16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
  const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];

  // Processor entries (4.3.1): enabled; the first vCPU is the bootstrap processor.
  for (let i = 0; i < acpi.cpus; i++) {
    const apicId = apicIdOf(acpi, i);
    if (apicId > 254) throw new Error('MP table: local APIC IDs are 0-254');
    entries.push([MpEntryType.Processor, apicId, LOCAL_APIC_VERSION, 1 | (i === 0 ? 2 : 0),
      ...u32(options.cpuSignature), ...u32(options.cpuFeatures), ...u32(0), ...u32(0)]);
  }
  // Bus entries (4.3.2): type strings from Table 4-8, blank-padded to 6 characters.
  const bus = (id: number, type: string) => [MpEntryType.Bus, id, ...[...type.padEnd(6)].map((c) => c.charCodeAt(0))];
  entries.push(bus(PCI_BUS, 'PCI'), bus(ISA_BUS, 'ISA'));
  // I/O APIC entry (4.3.3).
  entries.push([MpEntryType.IoApic, acpi.ioApic.id, IO_APIC_VERSION, 1, ...u32(acpi.ioApic.address)]);

  // I/O interrupt assignments (4.3.4). The APIC ID 0xFF would mean "all I/O APICs"; there is one.
  const ioInt = (type: number, flags: number, srcBus: number, srcIrq: number, intin: number) =>
    [MpEntryType.IoInterrupt, type, ...u16(flags), srcBus, srcIrq, acpi.ioApic.id, intin];
  const pciIrqs = new Set<number>();
  const pciEntries: number[][] = [];
  const seen = new Set<string>();
  for (const { slot, pin } of options.pciInterrupts) {
    const key = `${slot}:${pin}`;
    if (seen.has(key)) continue; // functions of one device share its INTx pins
    seen.add(key);
    const irq = acpi.pci.pirqGsi[acpi.pci.slotPirq(slot, pin)]!;
    pciIrqs.add(irq);
    // Source bus IRQ for PCI (4.3.4, PCI bus interrupt encoding): device in bits 6:2, pin in 1:0.
    pciEntries.push(ioInt(MpInterruptType.Int, MpIntFlags.ActiveHigh | MpIntFlags.Level, PCI_BUS, (slot << 2) | pin, irq - acpi.ioApic.gsiBase));
  }
  for (let irq = 0; irq < 16; irq++) {
    if (irq === 2 || pciIrqs.has(irq)) continue;
    const flags = irq === acpi.pm.sciIrq ? MpIntFlags.ActiveHigh | MpIntFlags.Level : MpIntFlags.Conforms;
    entries.push(ioInt(MpInterruptType.Int, flags, ISA_BUS, irq, (irq === 0 ? 2 : irq) - acpi.ioApic.gsiBase));
  }
  entries.push(...pciEntries);
  // Local interrupt assignments (4.3.5): destination local APIC 0xFF = all of them.
  entries.push([MpEntryType.LocalInterrupt, MpInterruptType.ExtInt, ...u16(MpIntFlags.Conforms), ISA_BUS, 0, 0xff, 0]);
  entries.push([MpEntryType.LocalInterrupt, MpInterruptType.Nmi, ...u16(MpIntFlags.Conforms), ISA_BUS, 0, 0xff, 1]);

  const body = entries.flat();
  const tableLength = 44 + body.length;
  const out = new Uint8Array(16 + tableLength);
  const table = out.subarray(16);
  const ascii = (at: number, text: string, width: number) => [...text.padEnd(width).slice(0, width)].forEach((c, i) => { table[at + i] = c.charCodeAt(0); });
  // Configuration table header (4.2, Table 4-2).
  ascii(0, 'PCMP', 4);
  table.set(u16(tableLength), 4);
  table[6] = 4; // specification revision 1.4
  ascii(8, acpi.oemId.trim(), 8);
  ascii(16, 'x86vm pc', 12);
  table.set(u16(entries.length), 34);
  table.set(u32(acpi.localApicAddress), 36);
  table.set(body, 44);
  table[7] = checksum(table);
  // Floating pointer structure (4.1, Table 4-1): no default configuration (feature byte 1 = 0),
  // IMCRP clear in feature byte 2 (virtual wire mode: the 8259 reaches the BSP through LINT0).
  out.set([0x5f, 0x4d, 0x50, 0x5f], 0); // "_MP_"
  out.set(u32(address + 16), 4);
  out[8] = 1; // length in 16-byte paragraphs
  out[9] = 4;
  out[10] = checksum(out.subarray(0, 16));
  return out;
}

/** The byte that makes `bytes` sum to zero (mod 256), given that byte is currently 0. */
function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return (256 - (sum & 0xff)) & 0xff;
}
