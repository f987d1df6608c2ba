import { PhysicalMemory, type ShadowHandle } from '../mem/physical-memory.js';
import { PortBus } from '../bus/port-bus.js';
import { dmaFrom } from '../bus/dma-memory.js';
import type { IrqLine } from '../bus/irq-line.js';
import { CodeCache, Cpu, CPU_BLOCK_BYTES, ExitReason } from '../cpu/cpu.js';
import { DEFAULT_FEATURES, type CpuFeatures } from '../cpu/cpuid.js';
import { VirtualClock } from './clock.js';
import { TimerQueue } from './timer-queue.js';
import { Scheduler, type StepResult } from './scheduler.js';
import { Pic8259 } from '../devices/pic8259.js';
import { Pit8254 } from '../devices/pit8254.js';
import { RtcCmos } from '../devices/rtc-cmos.js';
import { Uart16550 } from '../devices/uart16550.js';
import { DebugConsole } from '../devices/debug-console.js';
import { PostPort } from '../devices/post-port.js';
import { IsaDebugExit } from '../devices/isa-debug-exit.js';
import { SystemControlPortA } from '../devices/system-control-port.js';
import { I8042 } from '../devices/i8042.js';
import { FwCfg, FwCfgKey, FW_CFG_PORT_SELECTOR, le } from '../devices/fw-cfg.js';
import { PciHost } from '../devices/pci/pci-host.js';
import { I440fx } from '../devices/pci/i440fx.js';
import { Piix3 } from '../devices/pci/piix3.js';
import { PiixIde, ideDevices, type IdeDriveSpec } from '../devices/ide/piix-ide.js';
import { Piix4Pm } from '../devices/pci/piix4-pm.js';
import { StdVga, DEFAULT_VRAM_SIZE } from '../devices/vga/std-vga.js';
import { VirtioPciDevice } from '../devices/virtio/virtio-pci.js';
import { VirtioBlk } from '../devices/virtio/virtio-blk.js';
import type { DiskBackend } from '../backends/disk/disk-backend.js';
import type { RegionHandle } from '../mem/physical-memory.js';
import type { IoHandler } from '../mem/io-handler.js';
import type { CharBackend } from '../backends/char.js';
import { IrqLine as Line } from '../bus/irq-line.js';
import { installApics, type SmpHardware } from './smp.js';
import type { LocalApic } from '../devices/apic/local-apic.js';
import type { IoApic } from '../devices/apic/io-apic.js';
import { Hpet, HPET_DEFAULT_BASE } from '../devices/hpet.js';
import { PcTestdev, PC_TESTDEV_IOMEM_BASE, PC_TESTDEV_IOMEM_SIZE } from '../devices/pc-testdev.js';
import { installAcpi, layoutAcpiAt } from '../devices/acpi/loader.js';
import { installSmbios } from '../devices/smbios/smbios.js';
import { cpuidLookup } from '../cpu/cpuid.js';
import { pcAcpiConfig, piix3SlotPirq } from '../devices/acpi/config.js';
import { buildMpTables, MP_FLOATING_POINTER_ADDRESS } from './boot/mptable.js';

/**
 * QEMU's "pc" board (i440FX + PIIX3), the machine Debian's SeaBIOS is built for: RAM below the
 * PCI hole and above 4 GiB, the BIOS ROM at the top of 4 GiB with its last 128 KiB aliased at
 * 0xE0000 through the PAM shadow ranges, the legacy ISA devices, PCI configuration, fw_cfg with
 * QEMU's items, and a virtual clock with a timer queue. Reset puts vCPU 0 at F000:FFF0.
 */

const WASM_PAGE = 65536;
const MIB = 1 << 20;
/** QEMU's default for the i440FX: RAM below 4 GiB stops at 3.5 GiB (max-ram-below-4g). */
const MAX_RAM_BELOW_4G = 0xe0000000;
const OPEN_BUS_SIZE = 0x20000;
/** Firmware-less ROM F segment: MP tables at 0xF0000 (at most ~6 KiB), then the ACPI tables up to the reset code. */
const ROM_ACPI_ADDRESS = 0xf2000, ROM_ACPI_LIMIT = 0xfff00;

export interface PcOptions {
  /** Guest RAM in bytes. */
  ramSize: number;
  cpus?: number;
  /**
   * The firmware image (SeaBIOS bios.bin / bios-256k.bin): 64 KiB to 16 MiB, a multiple of 64 KiB.
   * Absent: a 64 KiB ROM whose reset vector halts (for firmware-less boots, see `directBoot`).
   */
  bios?: Uint8Array;
  features?: CpuFeatures;
  /** Deterministic time (instruction-driven) for reproducible runs; real time otherwise. */
  clock?: VirtualClock;
  /** Backend of COM1; null leaves the port unconnected. */
  serial?: CharBackend | null;
  /** Bytes written to the debug-console ports 0x402 (SeaBIOS log) and 0xE9. */
  debugConsole?: (byte: number) => void;
  /** Boot order written to CMOS and fw_cfg (default: disk, cdrom, network). */
  bootOrder?: ('floppy' | 'disk' | 'cdrom' | 'network')[];
  /** When COM1 should also carry the firmware's console (QEMU's -nographic). */
  serialConsole?: boolean;
  /**
   * SeaBIOS's boot menu (QEMU's -boot menu=on,splash-time=MS): fw_cfg item 0x0E, which SeaBIOS
   * reads as etc/show-boot-menu, makes it print "Press ESC for boot menu." and wait `waitMs`
   * (etc/boot-menu-wait, 0-65535; absent: SeaBIOS's own 2500 ms) for the key. Off by default.
   */
  bootMenu?: { enabled: boolean; waitMs?: number };
  /**
   * When nothing boots, SeaBIOS retries (reboots) after this many milliseconds: QEMU's -boot
   * reboot-timeout, written to etc/boot-fail-wait as a 32-bit count of milliseconds. -1, the
   * default as in QEMU, means never: SeaBIOS stays at "No bootable device.".
   */
  rebootTimeoutMs?: number;
  /** isa-debug-exit was written: the guest asked to exit with this status ((value << 1) | 1). */
  onDebugExit?: (status: number) => void;
  /**
   * Ports of isa-debug-exit (QEMU's iobase/iosize properties). Default 0xF4, 1 port: what test
   * kernels write (QEMU's own default iobase is 0x501, but every user passes iobase=0xf4).
   */
  debugExitPorts?: { iobase: number; iosize: number };
  /** QEMU's pc-testdev (devices/pc-testdev.ts), which kvm-unit-tests runs with. */
  pcTestdev?: boolean;
  /**
   * Drives on the PIIX3 IDE function (00:01.1): channel 0/1, master (0) or slave (1); and virtio
   * block devices (QEMU's -drive if=virtio), one transitional virtio-blk-pci function each on
   * slots 4, 5, ... (after the slots QEMU gives its default devices).
   */
  drives?: { ide: IdeDriveSpec[]; virtio?: VirtioDriveSpec[] };
  /**
   * The std VGA (PCI 00:02.0) with its BIOS behind the expansion ROM BAR (Debian's
   * vgabios-stdvga.bin) and its VRAM size (default 16 MiB); null or absent: no display.
   */
  vga?: { bios: Uint8Array | null; vramSize?: number } | null;
}

/** A virtio block device as the board's options describe it. */
export interface VirtioDriveSpec {
  backend: DiskBackend;
  /** What the device reports for VIRTIO_BLK_T_GET_ID (QEMU's serial=). */
  serial?: string;
  /** false: legacy interface only, no modern capabilities (QEMU's disable-modern=on). Default true. */
  modern?: boolean;
}

/** PCI slot of the first virtio block device (QEMU puts -drive if=virtio after 00:02 VGA and 00:03 NIC). */
export const VIRTIO_BLK_FIRST_SLOT = 4;

/** Why `runFor` returned. */
export type RunResult = 'done' | 'idle' | 'stopped' | 'poweroff';

/** 64 KiB of ROM whose reset vector (F000:FFF0) is CLI; HLT; JMP $-1. */
function haltingRom(): Uint8Array {
  const rom = new Uint8Array(0x10000).fill(0xff);
  rom.set([0xfa, 0xf4, 0xeb, 0xfd], 0xfff0);
  return rom;
}

export class PcMachine {
  readonly memory: WebAssembly.Memory;
  readonly physical: PhysicalMemory;
  readonly ports = new PortBus();
  readonly code: CodeCache;
  readonly cpus: Cpu[] = [];
  readonly clock: VirtualClock;
  readonly timers: TimerQueue;
  readonly scheduler: Scheduler;
  readonly pic = new Pic8259();
  /** The local APICs (one per vCPU, index = APIC ID) and the I/O APIC at 0xFEC00000. */
  readonly lapics: LocalApic[];
  readonly ioApic: IoApic;
  readonly hpet: Hpet;
  /** QEMU's pc-testdev, when `options.pcTestdev` asked for it. */
  readonly testdev: PcTestdev | null = null;
  private readonly smp: SmpHardware;
  /** GSI lines: ISA IRQ n reaches 8259 input n and I/O APIC pin n (IRQ0: pin 2), as QEMU's gsi_handler. */
  private readonly gsiLines: IrqLine[] = [];
  readonly pit: Pit8254;
  readonly rtc: RtcCmos;
  readonly com1: Uart16550;
  readonly i8042: I8042;
  readonly fwCfg: FwCfg;
  readonly pci = new PciHost();
  readonly i440fx: I440fx;
  readonly piix3: Piix3;
  readonly ide: PiixIde;
  readonly pm: Piix4Pm;
  /** The guest powered the machine off (ACPI S5). */
  poweredOff = false;
  readonly vga: StdVga | null = null;
  /** The virtio block devices, in `options.drives.virtio` order (PCI slots 4, 5, ...). */
  readonly virtioBlk: VirtioPciDevice[] = [];
  /** Devices asserting each PCI interrupt line PIRQA-D (the lines are wired-OR). */
  private readonly pirqAsserted = [0, 0, 0, 0];
  readonly ramBelow4g: number;
  readonly ramAbove4g: number;
  /** Set when the guest requested a reset (triple fault, 0xCF9, port 0x92, 8042); the run loop performs it. */
  resetRequested = false;
  private readonly ramOffset: number;
  private readonly pam: ShadowHandle[] = [];
  private directBootHook: ((pc: PcMachine) => void) | null = null;

  constructor(readonly options: PcOptions) {
    const cpuCount = options.cpus ?? 1;
    if (cpuCount < 1 || cpuCount > 255) throw new Error(`cannot build a machine with ${cpuCount} vCPUs`);
    const bios = options.bios ?? haltingRom();
    if (bios.length < 0x10000 || bios.length > 16 * MIB || bios.length % 0x10000 !== 0) {
      throw new Error(`the BIOS image must be 64 KiB to 16 MiB in 64 KiB steps (got ${bios.length} bytes)`);
    }
    const ramSize = Math.ceil(options.ramSize / MIB) * MIB;
    this.ramBelow4g = Math.min(ramSize, MAX_RAM_BELOW_4G);
    this.ramAbove4g = ramSize - this.ramBelow4g;
    const stateBytes = Math.ceil((cpuCount * CPU_BLOCK_BYTES) / WASM_PAGE) * WASM_PAGE;
    const vramSize = options.vga ? options.vga.vramSize ?? DEFAULT_VRAM_SIZE : 0;
    const total = stateBytes + ramSize + bios.length + OPEN_BUS_SIZE + vramSize;
    if (total > 0xffff0000) throw new Error(`${ramSize / MIB} MiB of RAM does not fit in one 4 GiB WebAssembly memory; use less RAM`);
    const pages = Math.ceil(total / WASM_PAGE);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    this.physical = new PhysicalMemory(this.memory);
    this.ramOffset = stateBytes;
    const biosHost = stateBytes + ramSize;
    const openBusHost = biosHost + bios.length;
    const bytes = new Uint8Array(this.memory.buffer);
    bytes.set(bios, biosHost);
    bytes.fill(0xff, openBusHost, openBusHost + OPEN_BUS_SIZE);

    // Memory map: conventional RAM, the VGA window (unclaimed until a display exists), the PAM
    // shadow ranges C0000-FFFFF, extended RAM, the BIOS at the top of 4 GiB, RAM above 4 GiB.
    const mem = this.physical;
    mem.mapRam('ram-low', 0, 0xa0000, stateBytes);
    const isaBiosHost = biosHost + bios.length - 0x20000;
    for (let i = 0; i < 12; i++) {
      const start = 0xc0000 + i * 0x4000;
      // The E segment shows the BIOS only when the image reaches that far (128 KiB or more); below
      // that (the 64 KiB firmware-less ROM) it is open bus, not the bytes before the image.
      const romHost = start >= 0xe0000
        ? (bios.length >= 0x20000 ? isaBiosHost + (start - 0xe0000) : openBusHost + (start - 0xe0000))
        : openBusHost + (start - 0xc0000);
      this.pam.push(mem.mapShadow(`pam-${start.toString(16)}`, start, 0x4000, stateBytes + start, romHost));
    }
    this.pam.unshift(mem.mapShadow('pam-f0000', 0xf0000, 0x10000, stateBytes + 0xf0000, isaBiosHost + 0x10000));
    mem.mapRam('ram', 0x100000, this.ramBelow4g - 0x100000, stateBytes + 0x100000);
    mem.mapRom('bios', 2 ** 32 - bios.length, bios.length, biosHost);
    if (this.ramAbove4g > 0) mem.mapRam('ram-high', 2 ** 32, this.ramAbove4g, stateBytes + this.ramBelow4g);

    this.code = new CodeCache(mem);
    for (let i = 0; i < cpuCount; i++) {
      const cpu = new Cpu(mem, this.ports, this.code, i * CPU_BLOCK_BYTES, i, options.features ?? DEFAULT_FEATURES);
      cpu.onReset = () => { this.resetRequested = true; };
      this.cpus.push(cpu);
    }

    this.clock = options.clock ?? VirtualClock.realtime();
    this.timers = new TimerQueue(this.clock);
    this.scheduler = new Scheduler(this.cpus, this.clock, this.timers);
    // The time-stamp counter runs at 1 GHz of guest time (the TSC-deadline timer relies on it).
    const clock = this.clock;
    for (const cpu of this.cpus) cpu.tscSource = () => BigInt(clock.now());

    // Local APICs, the I/O APIC (ID = vCPU count, as QEMU) and the GSI wiring.
    this.smp = installApics({ physical: mem, cpus: this.cpus, timers: this.timers, pic: this.pic, ioApic: { id: cpuCount } });
    this.lapics = this.smp.lapics;
    this.ioApic = this.smp.ioApic!;
    for (let n = 0; n < 24; n++) {
      const pin = this.ioApic.pin(n === 0 ? 2 : n);
      this.gsiLines.push(n < 16 ? Line.fanOut(`gsi${n}`, this.pic.irq(n), pin) : pin);
    }
    // HPET at 0xFED00000; the PIT and RTC reach IRQ0/IRQ8 through it (legacy replacement cuts them off).
    this.hpet = new Hpet({ timers: this.timers, gsi: (n) => this.gsi(n) });
    mem.mapMmio('hpet', HPET_DEFAULT_BASE, 4096, this.hpet);

    // ISA devices.
    this.pic.registerPorts(this.ports);
    this.pit = new Pit8254(this.timers, { irq0: this.hpet.pitInput });
    this.pit.registerPorts(this.ports);
    this.rtc = new RtcCmos(this.timers, { irq: this.hpet.rtcInput });
    this.rtc.setMemoryLayout({ belowFourG: this.ramBelow4g, aboveFourG: this.ramAbove4g, cpus: cpuCount });
    this.rtc.setBootOrder(options.bootOrder ?? ['disk', 'cdrom', 'network']);
    this.rtc.registerPorts(this.ports);
    this.com1 = new Uart16550(this.timers, this.gsi(4), options.serial ?? null);
    this.com1.registerPorts(this.ports, 0x3f8, 'com1');
    const debug = options.debugConsole ?? (() => {});
    this.ports.register('debugcon', 0x402, 1, new DebugConsole(debug));
    // Bochs' debug port 0xE9 (QEMU has it only with -debugcon); pc-testdev claims 0xE8-0xEB instead.
    if (!options.pcTestdev) this.ports.register('debugcon-e9', 0xe9, 1, new DebugConsole(debug));
    this.ports.register('post', 0x80, 1, new PostPort());
    if (options.onDebugExit) {
      const { iobase, iosize } = options.debugExitPorts ?? { iobase: 0xf4, iosize: 1 };
      new IsaDebugExit(options.onDebugExit).registerPorts(this.ports, iobase, iosize);
    }
    const a20 = new Line((level) => this.setA20(level), 'a20');
    this.ports.register('port92', 0x92, 1, new SystemControlPortA(a20, () => { this.resetRequested = true; }));
    // The 8042 keyboard controller with its PS/2 keyboard (IRQ1) and mouse (IRQ12); its output port
    // drives A20 and the CPU reset line too.
    this.i8042 = new I8042({ irq1: this.gsi(1), irq12: this.gsi(12), a20, requestReset: () => { this.resetRequested = true; } });
    this.i8042.registerPorts(this.ports);
    // x87 errors with CR0.NE = 0 raise FERR#, wired to IRQ13 on the PC (SDM Vol. 1, 8.7).
    for (const cpu of this.cpus) cpu.onFerr = () => this.gsi(13).pulse();

    if (options.pcTestdev) {
      // The flush-page port remaps the page as a hypervisor would after unmapping it (onRemap drops
      // the TLB entries of every vCPU and the page's decoded code).
      this.testdev = new PcTestdev({
        irq: (n) => this.gsiLines[n] ?? null,
        remapPage: (address) => mem.onRemap(Math.floor(address / 4096), 1),
      });
      this.testdev.registerPorts(this.ports);
      if (mem.regionAt(PC_TESTDEV_IOMEM_BASE + PC_TESTDEV_IOMEM_SIZE - 1)) {
        throw new Error('pc-testdev: its IORAM at 0xFF000000 overlaps a 16 MiB firmware image; use a smaller BIOS');
      }
      mem.mapMmio('pc-testdev-iomem', PC_TESTDEV_IOMEM_BASE, PC_TESTDEV_IOMEM_SIZE, this.testdev.iomemHandler);
    }

    // PCI: the host bridge at 00.0 and the PIIX3 ISA bridge at 01.0.
    this.i440fx = new I440fx(this.pam);
    this.piix3 = new Piix3((irq, level) => this.gsi(irq).set(level), () => { this.resetRequested = true; });
    this.pci.attach(0, 0, this.i440fx);
    this.pci.attach(1, 0, this.piix3);
    // PIIX3 IDE at 01.1: compatibility-mode ports on IRQ14/15, bus master registers behind BAR4.
    this.ide = new PiixIde({
      memory: dmaFrom(mem),
      irqs: [this.gsi(14), this.gsi(15)],
      devices: ideDevices(options.drives?.ide ?? []),
      mapBusMaster: (base, handler) => {
        this.ports.unregister('piix-ide-bm');
        if (base !== null) this.ports.register('piix-ide-bm', base, 16, handler);
      },
    });
    this.pci.attach(1, 1, this.ide);
    this.ide.registerLegacyPorts(this.ports);
    this.pm = new Piix4Pm({
      timers: this.timers,
      sci: this.gsi(9),
      mapIo: (base, handler) => {
        this.ports.unregister('piix4-pm');
        if (base !== null) this.ports.register('piix4-pm', base, 64, handler);
      },
      powerOff: () => { this.poweredOff = true; },
    });
    this.pci.attach(1, 3, this.pm);
    this.ports.register('apm', 0xb2, 2, this.pm.apm, 1);
    // 0xCF8-0xCFB: a dword access is CONFIG_ADDRESS; a byte access to 0xCF9 is the PIIX3 reset
    // control register (82371SB datasheet, 4.1.5); other accesses there reach nothing.
    const address = this.pci.addressPort, rcr = this.piix3.resetControlPort;
    this.ports.register('pci-conf-address+rcr', 0xcf8, 4, {
      read: (offset, size) => (size === 4 ? address.read(0, 4) : offset === 1 && size === 1 ? rcr.read(0, 1) : 0xff),
      write: (offset, size, value) => {
        if (size === 4) address.write(0, 4, value);
        else if (offset === 1 && size === 1) rcr.write(0, 1, value);
      },
    });
    this.ports.register('pci-conf-data', 0xcfc, 4, this.pci.dataPort);

    // fw_cfg with QEMU's items for the pc machine.
    this.fwCfg = new FwCfg(dmaFrom(mem));
    this.ports.register('fw_cfg', FW_CFG_PORT_SELECTOR, 12, this.fwCfg);
    // The std VGA at 00:02.0, its VRAM after the open-bus bytes in the WebAssembly memory.
    if (options.vga) {
      const vramHost = openBusHost + OPEN_BUS_SIZE;
      this.vga = new StdVga({
        physical: mem, ports: this.ports, bios: options.vga.bios, now: () => this.clock.now(),
        vram: new Uint8Array(this.memory.buffer, vramHost, vramSize), vramHostOffset: vramHost,
      });
      this.pci.attach(2, 0, this.vga);
    }
    (options.drives?.virtio ?? []).forEach((drive, i) => this.attachVirtioBlk(VIRTIO_BLK_FIRST_SLOT + i, drive));
    this.describeMachine(cpuCount, options);
    // Without firmware the board's own ROM is the BIOS: its F segment carries the MP tables a
    // firmware-less boot looks for (SeaBIOS builds its own when it runs).
    if (!options.bios) {
      const fSegment = isaBiosHost + 0x10000;
      bytes.set(this.mpTables(options.features ?? DEFAULT_FEATURES), fSegment + (MP_FLOATING_POINTER_ADDRESS - 0xf0000));
      // The ACPI tables too, with the RSDP where an OS without boot-loader help scans for it (ACPI 6.x,
      // 5.2.5.1: 16-byte boundaries of 0xE0000-0xFFFFF), as SeaBIOS leaves them for a Multiboot kernel
      // under QEMU. In ROM the FACS is read-only (no S3 waking vector); the Linux loader hands the
      // kernel its own copy in RAM.
      const acpi = layoutAcpiAt(ROM_ACPI_ADDRESS, pcAcpiConfig(cpuCount, this.ramBelow4g));
      if (acpi.bytes.length > ROM_ACPI_LIMIT - ROM_ACPI_ADDRESS) throw new Error('ACPI tables do not fit in the ROM F segment');
      bytes.set(acpi.bytes, fSegment + (ROM_ACPI_ADDRESS - 0xf0000));
    }
    this.reset();
  }

  /**
   * INTx pin `pin` (0 = INTA) of a function in `slot`: the PIIX3 routes the slot's pins onto the
   * four PIRQ lines by rotation (the same table as the DSDT's _PRT and the MP table), and a line is
   * asserted while any function on it asserts (PCI interrupts are shared, level-triggered).
   */
  private pciInterrupt(slot: number, pin: number): IrqLine {
    const pirq = piix3SlotPirq(slot, pin);
    return new Line((level) => {
      this.pirqAsserted[pirq]! += level ? 1 : -1;
      this.piix3.setPirq(pirq, this.pirqAsserted[pirq]! > 0);
    }, `pci-${slot}-int${'ABCD'[pin]}`);
  }

  /** A virtio-blk-pci function in `slot`, its BARs mapped wherever the guest puts them. */
  private attachVirtioBlk(slot: number, drive: VirtioDriveSpec): void {
    if (slot > 31) throw new Error('too many virtio disks: the PCI bus has room for 28 after slot 3');
    const name = `virtio-blk-${slot}`;
    const memory = dmaFrom(this.physical);
    let mmio: RegionHandle | null = null;
    const dev = new VirtioPciDevice(new VirtioBlk({ backend: drive.backend, memory, serial: drive.serial }), {
      memory,
      modern: drive.modern ?? true,
      irq: this.pciInterrupt(slot, 0),
      mapIo: (base, size, handler) => {
        this.ports.unregister(name);
        // A BAR placed over another device's ports (the guest's mistake) decodes nothing.
        if (base !== null) try { this.ports.register(name, base, size, handler); } catch { /* conflict */ }
      },
      mapMmio: (base, size, handler) => { mmio = this.placeMmio(mmio, `${name}-mmio`, base, size, handler); },
    });
    this.pci.attach(slot, 0, dev);
    this.virtioBlk.push(dev);
  }

  /** Map, move or hide a memory BAR; one placed over another region or above 4 GiB does not decode. */
  private placeMmio(handle: RegionHandle | null, name: string, base: number | null, size: number, handler: IoHandler): RegionHandle | null {
    if (base === null || base + size > 2 ** 32) {
      handle?.unmap();
      return handle;
    }
    try {
      if (handle) handle.move(base);
      else handle = this.physical.mapMmio(name, base, size, handler);
    } catch {
      handle?.unmap();
    }
    return handle;
  }

  /** The MP floating pointer and configuration table for this board (machine/boot/mptable.ts). */
  private mpTables(features: CpuFeatures): Uint8Array {
    const pciInterrupts: { slot: number; pin: number }[] = [];
    for (let slot = 0; slot < 32; slot++) {
      for (let fn = 0; fn < 8; fn++) {
        const pin = this.pci.find(slot, fn)?.readConfig(0x3d, 1) ?? 0;
        if (pin >= 1 && pin <= 4) pciInterrupts.push({ slot, pin: pin - 1 });
      }
    }
    const leaf1 = cpuidLookup(features, 1, 0);
    return buildMpTables({
      acpi: pcAcpiConfig(this.cpus.length, this.ramBelow4g), cpuSignature: leaf1.eax, cpuFeatures: leaf1.edx, pciInterrupts,
    });
  }

  private describeMachine(cpuCount: number, options: PcOptions): void {
    const fw = this.fwCfg;
    fw.setNumber(FwCfgKey.RamSize, this.ramBelow4g + this.ramAbove4g, 8);
    fw.setNumber(FwCfgKey.NbCpus, cpuCount, 2);
    fw.setNumber(FwCfgKey.MaxCpus, cpuCount, 2);
    fw.setNumber(FwCfgKey.NoGraphic, options.serialConsole ? 1 : 0, 2);
    const menu = options.bootMenu ?? { enabled: false };
    fw.setNumber(FwCfgKey.BootMenu, menu.enabled ? 1 : 0, 2);
    if (menu.waitMs !== undefined) {
      if (!Number.isInteger(menu.waitMs) || menu.waitMs < 0 || menu.waitMs > 0xffff) throw new Error(`the boot menu wait must be 0 to 65535 ms (got ${menu.waitMs})`);
      fw.addFile('etc/boot-menu-wait', le(menu.waitMs, 2));
    }
    fw.setNumber(FwCfgKey.Numa, 0, 8);
    fw.setNumber(FwCfgKey.X86Irq0Override, 1, 4);
    // The e820 map (etc/e820): usable RAM below the hole and above 4 GiB. SeaBIOS adds its own
    // reservations (EBDA, BIOS area) on top.
    const entries: [number, number, number][] = [[0, this.ramBelow4g, 1]];
    if (this.ramAbove4g > 0) entries.push([2 ** 32, this.ramAbove4g, 1]);
    const e820 = new Uint8Array(entries.length * 20);
    entries.forEach(([address, length, type], i) => {
      e820.set(le(address, 8), i * 20);
      e820.set(le(length, 8), i * 20 + 8);
      e820.set(le(type, 4), i * 20 + 16);
    });
    fw.addFile('etc/e820', e820);
    if (options.serialConsole) fw.addFile('etc/sercon-port', le(0x3f8, 2));
    // SeaBIOS's boot_fail() waits this many milliseconds before rebooting; all-ones: forever.
    const reboot = options.rebootTimeoutMs ?? -1;
    if (!Number.isInteger(reboot) || reboot < -1 || reboot > 0xffff) throw new Error(`the reboot timeout must be -1 (never) or 0 to 65535 ms (got ${reboot})`);
    fw.addFile('etc/boot-fail-wait', le(reboot >>> 0, 4));
    // ACPI: FADT/DSDT, the MADT with the local APICs, the I/O APIC and the IRQ0 → GSI2 override, the HPET table.
    installAcpi(fw, pcAcpiConfig(cpuCount, this.ramBelow4g));
    // SMBIOS: system, enclosure, processor (the CPUID signature the vCPUs report; the TSC's 1 GHz),
    // memory array, devices and mapped ranges; SeaBIOS adds its BIOS information and installs them.
    const features = options.features ?? DEFAULT_FEATURES;
    const leaf1 = cpuidLookup(features, 1, 0);
    installSmbios(fw, {
      cpus: cpuCount, ramBelow4g: this.ramBelow4g, ramAbove4g: this.ramAbove4g,
      cpuidSignature: leaf1.eax, cpuidFeatures: leaf1.edx,
      longMode: (cpuidLookup(features, 0x80000001, 0).edx & (1 << 29)) !== 0, cpuMhz: 1000,
    });
  }

  /** A20 gate (port 0x92 bit 1, the 8042 output port): when off, physical bit 20 is forced to 0. */
  setA20(enabled: boolean): void {
    const mask = enabled ? -1 : ~(1 << 20);
    for (const cpu of this.cpus) {
      if (cpu.a20Mask !== mask) {
        cpu.a20Mask = mask;
        cpu.flushTlb();
      }
    }
  }

  /** Power-on / hard reset: CPUs to their reset state, vCPU 0 runs from F000:FFF0, others wait. */
  reset(): void {
    this.resetRequested = false;
    this.i440fx.writeConfig(0x59, 4, 0);
    this.i440fx.writeConfig(0x5c, 4, 0);
    this.ide.reset();
    for (const dev of this.virtioBlk) dev.reset();
    for (const cpu of this.cpus) {
      cpu.reset();
      cpu.a20Mask = -1;
    }
    this.smp.reset();
    this.hpet.reset();
    this.vga?.reset();
    // Application processors wait for a start-up IPI (their local APIC delivers INIT/SIPI).
    for (const cpu of this.cpus.slice(1)) cpu.enterWaitForSipi();
    if (this.directBootHook !== null) {
      this.configureLikeFirmware();
      this.directBootHook(this);
    }
  }

  /**
   * What SeaBIOS does to the chipset before any OS runs, for boots without firmware: an OS finds
   * the ACPI PM registers where the FADT says (the PIIX4 PMBA at the configured base, PM I/O
   * enabled: without it the kernel's PM1 writes — disabling RTC events, entering S5 — reach
   * nothing) and the PCI interrupt links routed as SeaBIOS routes them (PIRQA-D → IRQ 10, 10, 11,
   * 11, level-triggered in the ELCR). Done through PCI configuration writes, as firmware would.
   */
  private configureLikeFirmware(): void {
    const pmBase = pcAcpiConfig(this.cpus.length, this.ramBelow4g).pm.ioBase;
    this.pm.writeConfig(0x40, 4, pmBase | 1);
    this.pm.writeConfig(0x80, 1, 0x01);
    const pirq = [10, 10, 11, 11];
    pirq.forEach((irq, i) => this.piix3.writeConfig(0x60 + i, 1, irq));
    const elcr = pirq.reduce((mask, irq) => mask | (1 << irq), 0);
    this.ports.write(0x4d0, 1, elcr & 0xff);
    this.ports.write(0x4d1, 1, elcr >> 8);
  }

  /**
   * Firmware-less boot: `boot` loads the guest into memory and puts vCPU 0 at its entry point
   * (machine/boot/linux.ts, multiboot.ts). It runs now and after every reset, instead of the
   * reset vector; null returns to booting the firmware.
   */
  directBoot(boot: ((pc: PcMachine) => void) | null): void {
    this.directBootHook = boot;
    this.reset();
  }

  /** RAM contents at a guest-physical address (for loaders and tests). */
  ramView(phys: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, this.ramOffset + phys, length);
  }

  /**
   * Run for up to `ns` of guest time (deterministic clock) or until `until()` holds; performs
   * guest-requested resets. Returns 'idle' when every vCPU halted with no timer pending.
   */
  runFor(ns: number, until: () => boolean = () => false): RunResult {
    const end = this.clock.now() + ns;
    while (this.clock.now() < end && !until()) {
      const step = this.scheduler.step(end);
      const ended = this.afterStep(step);
      if (ended !== null) return ended;
      if (step.idle && this.timers.nextDeadline() === Infinity) return 'idle';
      if (step.idle && !this.clock.deterministic) return 'idle';
    }
    return 'done';
  }

  /**
   * What the board does after a scheduler step, for both run loops: power-off ends the run, a
   * guest-requested reset is performed, a triple fault (a reset request, performed above) goes on,
   * any other vCPU exit stops the machine. Null: keep running.
   */
  private afterStep(step: StepResult): RunResult | null {
    if (this.poweredOff) return 'poweroff';
    if (this.resetRequested) this.reset();
    if (step.exit !== null && step.exit !== ExitReason.TripleFault) return 'stopped';
    return null;
  }

  /** ISA IRQ `n` (0-15: the 8259 and the I/O APIC) or GSI 16-23 (I/O APIC only). */
  irq(n: number): IrqLine {
    return this.gsi(n);
  }

  gsi(n: number): IrqLine {
    const line = this.gsiLines[n];
    if (line === undefined) throw new Error(`no GSI ${n}`);
    return line;
  }

  /**
   * Real-time run: like `runFor` with the host's clock, but when every vCPU is halted the host
   * sleeps until the next timer deadline (an idle guest costs no host CPU). Resolves after `ns`
   * of guest time or when `until()` holds.
   */
  async runRealtime(ns: number, until: () => boolean = () => false): Promise<RunResult> {
    const end = this.clock.now() + ns;
    while (this.clock.now() < end && !until()) {
      const step = this.scheduler.step(end);
      const ended = this.afterStep(step);
      if (ended !== null) return ended;
      if (step.idle) {
        const sleepNs = Math.min(step.sleepNs, end - this.clock.now());
        if (this.clock.deterministic) {
          if (this.timers.nextDeadline() === Infinity) return 'idle';
          continue;
        }
        // Whole milliseconds, rounded up: waking early would only cost another sleep.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.ceil(sleepNs / 1e6))));
      }
    }
    return 'done';
  }
}
