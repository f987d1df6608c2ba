import {
  type Aml, concat, device, dwordConst, dwordMemory, eisaId, integer, io, irqNoFlags, memory32Fixed, method, name,
  packageOf, processor, qwordMemory, ref, resourceTemplate, returnOp, scope, store, arg, string, wordBusNumber,
  wordIo, Zero,
} from './aml.js';
import { type AcpiConfig } from './config.js';

/**
 * The AML body of the DSDT (ACPI 6.4, 5.2.11.1) for the pc board:
 *
 *   \PICF, \_PIC(mode)        interrupt model chosen by the OS (stored; the _PRT is the same in both)
 *   \_S5                      Package { SLP_TYPa, SLP_TYPb, 0, 0 } for soft off
 *   \_SB.PCI0                 PNP0A03 host bridge: _BBN, _UID, _CRS (bus numbers, config ports,
 *                             I/O windows, VGA window, PCI memory hole), _PRT (static GSIs)
 *   \_SB.PCI0.ISA             the PCI-to-ISA bridge: keyboard, mouse, RTC, COM ports, PIT, PIC, HPET
 *   \_SB.Cxxx                 one processor object per vCPU
 *
 * The layout avoids constructs that SeaBIOS's small DSDT parser (used to find PS/2 and other
 * devices) cannot skip: _HID is always `Name(_HID, EisaId(...))` or a string, _CRS always a
 * `Name(_CRS, ResourceTemplate)`.
 */
export function dsdtBody(config: AcpiConfig): Aml {
  return concat([
    name('PICF', Zero),
    method('_PIC', 1, false, [store(arg(0), ref('PICF'))]),
    name('_S5', packageOf([integer(config.pm.s5SleepType), integer(config.pm.s5SleepType), Zero, Zero])),
    scope('\\_SB', [pci0(config), ...cpus(config)]),
  ]);
}

function pci0(config: AcpiConfig): Aml {
  const pci = config.pci;
  const crs: Aml[] = [
    wordBusNumber({ min: pci.busMin, max: pci.busMax }),
    io(pci.configPorts.base, pci.configPorts.base, 1, pci.configPorts.length),
    ...pci.ioWindows.map((w) => wordIo({ min: w.min, max: w.max })),
  ];
  if (pci.vgaWindow) {
    const w = pci.vgaWindow;
    crs.push(dwordMemory({ min: w.base, max: w.base + w.length - 1 }, 'cacheable'));
  }
  const hole = pci.memWindow32;
  if (hole.length > 0) crs.push(dwordMemory({ min: hole.base, max: hole.base + hole.length - 1 }, 'noncacheable'));
  if (pci.memWindow64 && pci.memWindow64.length > 0n) {
    const w = pci.memWindow64;
    crs.push(qwordMemory({ min: w.base, max: w.base + w.length - 1n }, 'noncacheable'));
  }
  return device('PCI0', [
    name('_HID', eisaId('PNP0A03')),
    // _BBN (base bus number) rather than _ADR: a device has _HID or _ADR, not both (ACPI 6.4, 6.1).
    name('_BBN', integer(pci.busMin)),
    name('_UID', Zero),
    name('_CRS', resourceTemplate(crs)),
    name('_PRT', prt(config)),
    isaBridge(config),
  ]);
}

/**
 * _PRT: for every slot and INTx pin, Package { address 0xSSSSFFFF, pin, Zero, GSI }. Source Zero
 * means "SourceIndex is a global system interrupt" (ACPI 6.4, 6.2.13); the PIIX3 routes the PIRQ
 * lines to fixed ISA IRQs, which are also IOAPIC pins, so the same table serves PIC and APIC mode.
 * Slot 0 (the host bridge) has no interrupt; 31 slots × 4 pins = 124 entries.
 */
function prt(config: AcpiConfig): Aml {
  const entries: Aml[] = [];
  for (let slot = 1; slot < 32; slot++) {
    for (let pin = 0; pin < 4; pin++) {
      const gsi = config.pci.pirqGsi[config.pci.slotPirq(slot, pin) & 3]!;
      entries.push(packageOf([dwordConst(((slot << 16) | 0xffff) >>> 0), integer(pin), Zero, integer(gsi)]));
    }
  }
  return packageOf(entries);
}

function isaDevice(seg: string, hid: string, crs: Aml[], uid?: number): Aml {
  const terms = [name('_HID', eisaId(hid))];
  if (uid !== undefined) terms.push(name('_UID', integer(uid)));
  terms.push(name('_CRS', resourceTemplate(crs)));
  return device(seg, terms);
}

function isaBridge(config: AcpiConfig): Aml {
  const b = config.pci.isaBridge;
  const devices: Aml[] = [
    name('_ADR', dwordConst(((b.device << 16) | b.function) >>> 0)),
    isaDevice('KBD', 'PNP0303', [io(0x60, 0x60, 1, 1), io(0x64, 0x64, 1, 1), irqNoFlags([1])]),
    isaDevice('MOU', 'PNP0F13', [irqNoFlags([12])]),
    isaDevice('RTC', 'PNP0B00', [io(0x70, 0x70, 1, 8), irqNoFlags([8])]),
    isaDevice('TMR', 'PNP0100', [io(0x40, 0x40, 1, 4), irqNoFlags([0])]),
    isaDevice('PIC', 'PNP0000', [io(0x20, 0x20, 1, 2), io(0xa0, 0xa0, 1, 2), io(0x4d0, 0x4d0, 1, 2), irqNoFlags([2])]),
  ];
  config.serialPorts.forEach((port, i) => {
    devices.push(isaDevice(`COM${i + 1}`, 'PNP0501', [io(port.base, port.base, 1, 8), irqNoFlags([port.irq])], i + 1));
  });
  if (config.hpet) {
    devices.push(device('HPET', [
      name('_HID', eisaId('PNP0103')),
      name('_UID', Zero),
      method('_STA', 0, false, [returnOp(integer(0x0f))]),
      name('_CRS', resourceTemplate([memory32Fixed(config.hpet.address, 0x400, false)])),
    ]));
  }
  return device('ISA', devices);
}

/** Processor objects C000, C001, ... with processor ID / _UID = the CPU index (the MADT's UID). */
function cpus(config: AcpiConfig): Aml[] {
  const out: Aml[] = [];
  for (let i = 0; i < config.cpus; i++) {
    const seg = `C${i.toString(16).toUpperCase().padStart(3, '0')}`;
    if (config.cpuObjects === 'processor') out.push(processor(seg, i, 0, 0));
    else out.push(device(seg, [name('_HID', string('ACPI0007')), name('_UID', integer(i))]));
  }
  return out;
}
