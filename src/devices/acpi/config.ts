/**
 * What the ACPI tables describe: the board's parameters, with defaults for QEMU's "pc" machine
 * (i440FX + PIIX3, PIIX4-style PM function). The tables are pure functions of this object.
 */

export interface AcpiConfig {
  /** OEMID (6 characters) and OEM Table ID (8 characters) of every table. */
  oemId: string;
  oemTableId: string;

  /** Number of vCPUs; CPU i has ACPI processor UID i and local APIC ID `apicIds[i]` (default i). */
  cpus: number;
  apicIds?: readonly number[];
  /** 'processor': ACPI 1.0 Processor() objects (old guests); 'device': Device(ACPI0007). */
  cpuObjects: 'processor' | 'device';

  localApicAddress: number;
  ioApic: { id: number; address: number; gsiBase: number };

  /** PIIX4 power management function. */
  pm: {
    /** PMBA: PM1a event block at +0, PM1a control at +4, PM timer at +8 (PIIX4 datasheet 7.2). */
    ioBase: number;
    /** GPE0 block (QEMU's PIIX4: 0xAFE0, 4 bytes = 2 status + 2 enable), or null for none. */
    gpe0: { address: number; length: number } | null;
    /** ISA IRQ (= GSI) of the SCI. */
    sciIrq: number;
    /**
     * The SMI command port and the values that switch SCI_EN on/off (QEMU: APM control port 0xB2,
     * 0xF1/0xF0). null: no SMI command port (SMI_CMD = 0) — the OS then assumes the machine is
     * already in ACPI mode, so the PM model must come out of reset with PM1_CNT.SCI_EN set.
     */
    smiCommand: { port: number; acpiEnable: number; acpiDisable: number } | null;
    /** SLP_TYP value for S5 (soft off). The PIIX4 PMCNTRL SUS_TYP encoding 000b is soft off. */
    s5SleepType: number;
  };

  /** The reset register (FADT RESET_REG): an I/O port and the value to write. */
  reset: { port: number; value: number };

  /** CMOS RTC index of the century byte. */
  rtcCentury: number;

  pci: {
    busMin: number;
    busMax: number;
    /** I/O ports of configuration mechanism #1 (consumed by the host bridge). */
    configPorts: { base: number; length: number };
    /** I/O windows forwarded to PCI, inclusive ranges. */
    ioWindows: readonly { min: number; max: number }[];
    /** The legacy VGA memory window (0xA0000-0xBFFFF), or null. */
    vgaWindow: { base: number; length: number } | null;
    /** The 32-bit PCI memory hole (QEMU: top of low RAM up to 0xFEBFFFFF). */
    memWindow32: { base: number; length: number };
    /** An optional 64-bit PCI memory window above 4 GiB. */
    memWindow64: { base: bigint; length: bigint } | null;
    /** Device:function of the PCI-to-ISA bridge (PIIX3 is 00:01.0). */
    isaBridge: { device: number; function: number };
    /** GSI (= ISA IRQ, the IOAPIC's pins 0-15 are the ISA IRQs) that PIRQA-D are routed to. */
    pirqGsi: readonly [number, number, number, number];
    /** PIRQ line (0-3 = A-D) of INTx pin (0-3 = INTA-D) of a device in `slot`. */
    slotPirq: (slot: number, pin: number) => number;
  };

  /** HPET: base address and number of comparators, or null when the board has none. */
  hpet: { address: number; comparators: number; minimumTick: number } | null;

  /** 16550 UARTs described under the ISA bridge (COM1 first). */
  serialPorts: readonly { base: number; irq: number }[];
}

/**
 * PIIX3 interrupt swizzle as wired on QEMU's pc board (QEMU pc_pci_slot_get_pirq behaviour):
 * INTx of slot s goes to PIRQ (s + x - 1) mod 4, so slot 1 INTA is PIRQA, slot 2 INTA is PIRQB.
 */
export function piix3SlotPirq(slot: number, pin: number): number {
  return (slot + pin - 1) & 3;
}

/** Defaults for QEMU's "pc" machine with `cpus` vCPUs and RAM below 4 GiB ending at `lowRamTop`. */
export function pcAcpiConfig(cpus: number, lowRamTop: number): AcpiConfig {
  const holeBase = Math.max(lowRamTop, 0xe0000000);
  return {
    oemId: 'X86VM ',
    oemTableId: 'X86VMPC ',
    cpus,
    cpuObjects: 'processor',
    localApicAddress: 0xfee00000,
    ioApic: { id: cpus, address: 0xfec00000, gsiBase: 0 },
    pm: {
      ioBase: 0x600,
      gpe0: { address: 0xafe0, length: 4 },
      sciIrq: 9,
      smiCommand: { port: 0xb2, acpiEnable: 0xf1, acpiDisable: 0xf0 },
      s5SleepType: 0,
    },
    reset: { port: 0xcf9, value: 0x06 },
    rtcCentury: 0x32,
    pci: {
      busMin: 0,
      busMax: 0xff,
      configPorts: { base: 0xcf8, length: 8 },
      ioWindows: [{ min: 0x0000, max: 0x0cf7 }, { min: 0x0d00, max: 0xffff }],
      vgaWindow: { base: 0xa0000, length: 0x20000 },
      memWindow32: { base: holeBase, length: 0xfec00000 - holeBase },
      memWindow64: null,
      isaBridge: { device: 1, function: 0 },
      pirqGsi: [10, 10, 11, 11],
      slotPirq: piix3SlotPirq,
    },
    hpet: { address: 0xfed00000, comparators: 3, minimumTick: 0x80 },
    serialPorts: [{ base: 0x3f8, irq: 4 }],
  };
}

export function apicIdOf(config: AcpiConfig, cpu: number): number {
  return config.apicIds?.[cpu] ?? cpu;
}
