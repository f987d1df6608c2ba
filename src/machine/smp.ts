import type { Cpu } from '../cpu/cpu.js';
import type { PhysicalMemory, RegionHandle } from '../mem/physical-memory.js';
import type { TimerQueue } from './timer-queue.js';
import { ApicBus } from '../devices/apic/apic-bus.js';
import { LocalApic, type ExtIntSource } from '../devices/apic/local-apic.js';
import { IoApic, IOAPIC_DEFAULT_BASE } from '../devices/apic/io-apic.js';

/**
 * The interrupt architecture of a multiprocessor PC: one local APIC per vCPU (its interrupt source,
 * CR8/MSR target), the APIC bus, and an I/O APIC. Every vCPU sees its own local APIC at its APIC
 * base: one MMIO region per base in use dispatches each access to the APIC of the vCPU executing it
 * (`PhysicalMemory.currentCpu`); a vCPU whose APIC is elsewhere, disabled or in x2APIC mode reads
 * all ones there and its writes are dropped.
 */
export interface SmpOptions {
  physical: PhysicalMemory;
  cpus: readonly Cpu[];
  timers: TimerQueue;
  /** The 8259 pair behind LINT0 (ExtINT), or null. */
  pic: ExtIntSource | null;
  /** I/O APIC ID (QEMU: the number of vCPUs) and address; null: no I/O APIC. */
  ioApic?: { id: number; address?: number } | null;
  /**
   * End the sender's quantum when its IPI reaches another vCPU, so the target handles it before
   * the sender spins waiting for it (default true). Tests that queue several IPIs before the
   * targets run turn it off.
   */
  yieldOnIpi?: boolean;
}

export interface SmpHardware {
  bus: ApicBus;
  lapics: LocalApic[];
  ioApic: IoApic | null;
  /** Power-on reset of the APICs (the board resets the vCPUs). */
  reset(): void;
}

export function installApics(options: SmpOptions): SmpHardware {
  const { physical, cpus, timers } = options;
  const bus = new ApicBus();
  const x2 = (cpu: Cpu) => (cpu.features.leaves.find((l) => l.leaf === 1)!.ecx & (1 << 21)) !== 0;
  const lapics = cpus.map((cpu, i) => new LocalApic({
    id: cpu.id, bus, timers, bsp: i === 0, extInt: options.pic, x2apic: x2(cpu),
    cpu: {
      nmi: () => cpu.raiseNmi(),
      init: () => cpu.signalInit(),
      startup: (vector) => cpu.signalStartup(vector),
      kick: () => { cpu.blockBreak = true; },
      readTsc: () => cpu.readTsc(),
      ipiSent: options.yieldOnIpi === false ? undefined : () => cpu.pauseHint(),
    },
  }));
  cpus.forEach((cpu, i) => {
    cpu.apic = lapics[i]!;
    cpu.interruptSource = lapics[i]!;
  });

  // The xAPIC pages: a region per distinct base, each access routed to the executing vCPU's APIC.
  const regions = new Map<number, RegionHandle>();
  const remap = () => {
    const wanted = new Set(lapics.map((a) => a.mmioBase).filter((b) => b >= 0));
    for (const [base, handle] of regions) {
      if (!wanted.has(base)) { handle.unmap(); regions.delete(base); }
    }
    for (const base of wanted) {
      if (regions.has(base)) continue;
      try {
        regions.set(base, physical.mapMmio(`lapic@${base.toString(16)}`, base, 4096, {
          read: (offset, size) => {
            const apic = lapics[physical.currentCpu];
            if (apic === undefined || apic.mmioBase !== base) return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
            return apic.mmioRead(offset, size);
          },
          write: (offset, size, value) => {
            const apic = lapics[physical.currentCpu];
            if (apic !== undefined && apic.mmioBase === base) apic.mmioWrite(offset, size, value);
          },
        }));
      } catch {
        // Relocation over RAM or another device: the APIC page is not visible there (not modelled).
      }
    }
  };
  for (const a of lapics) a.onMmioChange = remap;
  remap();

  let ioApic: IoApic | null = null;
  if (options.ioApic !== null) {
    ioApic = new IoApic(bus, options.ioApic?.id ?? cpus.length);
    physical.mapMmio('ioapic', options.ioApic?.address ?? IOAPIC_DEFAULT_BASE, 4096, ioApic);
  }
  return {
    bus, lapics, ioApic,
    reset: () => {
      for (const a of lapics) a.reset();
      ioApic?.reset();
      remap();
    },
  };
}
