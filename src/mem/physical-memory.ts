import { ALL_SIZES, IoHandler, sizeBit } from './io-handler.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
const PAGE_MASK = PAGE_SIZE - 1;
/** Pages below 4 GiB are looked up in a flat table; RAM above 4 GiB is a separate range. */
const LOW_PAGES = 1 << 20;

export const enum RegionKind {
  Ram = 1,
  Rom = 2,
  Mmio = 3,
  /** RAM that can be switched to read and/or write through to a ROM (the i440FX PAM ranges). */
  Shadow = 4,
}

export interface Region {
  readonly id: number;
  readonly kind: RegionKind;
  readonly name: string;
  start: number;
  readonly size: number;
  /** RAM/ROM/shadow RAM: byte offset of the region's first byte inside the WebAssembly memory. */
  readonly hostOffset: number;
  /** Where reads go (host offset of the first byte), or -1 for MMIO. */
  readHost: number;
  /** Where writes go, or -1 when they are dropped (ROM) or handled by MMIO. */
  writeHost: number;
  readonly handler: IoHandler | null;
  /** Bit set of accepted access sizes (MMIO). Other sizes are split into smaller accesses. */
  readonly sizes: number;
}

/** Handle of a shadow-RAM range: chooses whether reads and writes reach the RAM or the ROM. */
export interface ShadowHandle {
  readonly region: Region;
  setMode(readRam: boolean, writeRam: boolean): void;
}

/**
 * Handle returned by `mapMmio` and `mapRamHandle`: lets a device move (PCI BAR reprogramming) or
 * remove its region. `move` after `unmap` maps the region again; a move onto pages another region
 * owns throws and leaves the region where it was.
 */
export interface RegionHandle {
  readonly region: Region;
  /** Whether the region currently occupies guest-physical pages. */
  readonly mapped: boolean;
  move(newStart: number): void;
  unmap(): void;
}

/**
 * Guest-physical memory: RAM and ROM live inside the shared `WebAssembly.Memory`; MMIO regions are
 * handler callbacks. Lookup is page-granular. Accesses that cross a page or region boundary are split
 * into byte accesses, so each byte goes to whichever region owns it.
 *
 * It also tracks which physical pages hold decoded code (`codePages`), so a write to such a page can
 * drop the stale translations (DESIGN "Decode once").
 */
export class PhysicalMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Region id per 4 KiB page below 4 GiB (0 = unmapped). */
  readonly pageRegion = new Uint16Array(LOW_PAGES);
  readonly regions: (Region | null)[] = [null];
  /** Non-zero for pages that hold decoded instructions. Indexed by physical page number < 2^20. */
  readonly codePages = new Uint8Array(LOW_PAGES);
  /** Called when a write hits a page marked in `codePages` (the page number is passed). */
  onCodeWrite: (page: number) => void = () => {};
  /**
   * Called when what a range of pages maps to changes (shadow mode, moved or removed MMIO): the
   * CPUs must drop TLB entries and decoded code for it.
   */
  onRemap: (firstPage: number, pageCount: number) => void = () => {};
  /**
   * The vCPU whose instruction is accessing memory (set by `Cpu.run`): MMIO that each vCPU sees
   * differently (its own local APIC page) dispatches on it.
   */
  currentCpu = 0;
  /** RAM above 4 GiB: [start, size, hostOffset] or null. */
  private highRam: Region | null = null;

  constructor(readonly memory: WebAssembly.Memory) {
    this.bytes = new Uint8Array(memory.buffer);
    this.view = new DataView(memory.buffer);
  }

  private addRegion(kind: RegionKind, name: string, start: number, size: number, hostOffset: number,
    handler: IoHandler | null, sizes: number): Region {
    if (start % PAGE_SIZE !== 0 || size % PAGE_SIZE !== 0 || size <= 0) {
      throw new Error(`region ${name} must be page-aligned: start 0x${start.toString(16)} size 0x${size.toString(16)}`);
    }
    const readHost = kind === RegionKind.Mmio ? -1 : hostOffset;
    const writeHost = kind === RegionKind.Ram || kind === RegionKind.Shadow ? hostOffset : -1;
    const region: Region = { id: this.regions.length, kind, name, start, size, hostOffset, readHost, writeHost, handler, sizes };
    if (start + size > 2 ** 32) {
      if (kind !== RegionKind.Ram || start < 2 ** 32 || this.highRam) {
        throw new Error(`region ${name}: only one RAM region may lie above 4 GiB`);
      }
      this.regions.push(region);
      this.highRam = region;
      return region;
    }
    this.claimPages(region, start);
    this.regions.push(region);
    return region;
  }

  private claimPages(region: Region, start: number): void {
    const first = start / PAGE_SIZE, count = region.size / PAGE_SIZE;
    for (let p = first; p < first + count; p++) {
      const owner = this.pageRegion[p]!;
      if (owner !== 0) {
        throw new Error(`region ${region.name} overlaps ${this.regions[owner]!.name} at 0x${(p * PAGE_SIZE).toString(16)}`);
      }
    }
    this.pageRegion.fill(region.id, first, first + count);
  }

  mapRam(name: string, start: number, size: number, hostOffset: number): Region {
    return this.addRegion(RegionKind.Ram, name, start, size, hostOffset, null, ALL_SIZES);
  }

  mapRom(name: string, start: number, size: number, hostOffset: number): Region {
    return this.addRegion(RegionKind.Rom, name, start, size, hostOffset, null, ALL_SIZES);
  }

  /**
   * Shadow RAM over a ROM (SDM-independent: the i440FX datasheet's PAM registers): `ramHost` is
   * the RAM behind the range, `romHost` the ROM bytes seen when reads are not enabled to RAM.
   * Starts with reads from ROM and writes dropped, like the chipset after reset.
   */
  mapShadow(name: string, start: number, size: number, ramHost: number, romHost: number): ShadowHandle {
    const region = this.addRegion(RegionKind.Shadow, name, start, size, ramHost, null, ALL_SIZES);
    const apply = (readRam: boolean, writeRam: boolean) => {
      const readHost = readRam ? ramHost : romHost;
      const writeHost = writeRam ? ramHost : -1;
      if (region.readHost === readHost && region.writeHost === writeHost) return;
      region.readHost = readHost;
      region.writeHost = writeHost;
      this.onRemap(start / PAGE_SIZE, size / PAGE_SIZE);
    };
    apply(false, false);
    return { region, setMode: apply };
  }

  mapMmio(name: string, start: number, size: number, handler: IoHandler, sizes = ALL_SIZES): RegionHandle {
    return this.handleFor(this.addRegion(RegionKind.Mmio, name, start, size, -1, handler, sizes));
  }

  /**
   * RAM a device places and moves itself (a PCI memory BAR backed by RAM, such as a framebuffer):
   * guest accesses go straight to the WebAssembly memory at `hostOffset`, like `mapRam`.
   */
  mapRamHandle(name: string, start: number, size: number, hostOffset: number): RegionHandle {
    if (start + size > 2 ** 32) throw new Error(`region ${name}: a movable region must lie below 4 GiB`);
    const handle = this.handleFor(this.addRegion(RegionKind.Ram, name, start, size, hostOffset, null, ALL_SIZES));
    this.onRemap(start / PAGE_SIZE, size / PAGE_SIZE);
    return handle;
  }

  private handleFor(region: Region): RegionHandle {
    let mapped = true;
    return {
      region,
      get mapped() { return mapped; },
      move: (newStart: number) => {
        if (newStart % PAGE_SIZE !== 0 || newStart < 0 || newStart + region.size > 2 ** 32) {
          throw new Error(`region ${region.name} cannot move to 0x${newStart.toString(16)}`);
        }
        const oldStart = region.start;
        if (mapped) this.releasePages(region);
        try {
          this.claimPages(region, newStart);
        } catch (error) {
          if (mapped) this.claimPages(region, oldStart);
          throw error;
        }
        if (mapped) this.onRemap(oldStart / PAGE_SIZE, region.size / PAGE_SIZE);
        region.start = newStart;
        mapped = true;
        this.onRemap(newStart / PAGE_SIZE, region.size / PAGE_SIZE);
      },
      unmap: () => {
        if (!mapped) return;
        this.releasePages(region);
        mapped = false;
        this.onRemap(region.start / PAGE_SIZE, region.size / PAGE_SIZE);
      },
    };
  }

  private releasePages(region: Region): void {
    const first = region.start / PAGE_SIZE;
    this.pageRegion.fill(0, first, first + region.size / PAGE_SIZE);
  }

  /** The region owning a physical address, or null when nothing is there. */
  regionAt(phys: number): Region | null {
    if (phys < 2 ** 32) return this.regions[this.pageRegion[Math.floor(phys / PAGE_SIZE)]!] ?? null;
    const high = this.highRam;
    return high && phys >= high.start && phys < high.start + high.size ? high : null;
  }

  /**
   * Host offset of a physical page when reads may go straight to the WebAssembly memory (RAM or
   * ROM), else -1 (MMIO or unmapped).
   */
  readableHostOffset(physPage: number): number {
    const region = this.regionAt(physPage);
    if (!region || region.readHost < 0) return -1;
    return region.readHost + (physPage - region.start);
  }

  /** Host offset of a physical page when writes may go straight to memory (RAM only), else -1. */
  writableHostOffset(physPage: number): number {
    const region = this.regionAt(physPage);
    if (!region || region.writeHost < 0) return -1;
    return region.writeHost + (physPage - region.start);
  }

  /** Read 1, 2 or 4 bytes at a physical address (slow path: any region, any alignment). */
  read(phys: number, size: number): number {
    if ((phys & PAGE_MASK) + size <= PAGE_SIZE) {
      const region = this.regionAt(phys);
      if (region) {
        const offset = phys - region.start;
        if (region.kind !== RegionKind.Mmio) {
          const at = region.readHost + offset;
          return size === 1 ? this.bytes[at]! : size === 2 ? this.view.getUint16(at, true) : this.view.getUint32(at, true);
        }
        if ((region.sizes & sizeBit(size)) !== 0) return region.handler!.read(offset, size) >>> 0;
      } else {
        // Unmapped physical memory reads as all ones, like an open bus.
        return size === 4 ? 0xffffffff : (1 << (size * 8)) - 1;
      }
    }
    let value = 0;
    for (let i = 0; i < size; i++) value += this.read(phys + i, 1) * 2 ** (8 * i);
    return value;
  }

  /** Write 1, 2 or 4 bytes at a physical address (slow path). ROM and unmapped writes are dropped. */
  write(phys: number, size: number, value: number): void {
    if ((phys & PAGE_MASK) + size <= PAGE_SIZE) {
      const region = this.regionAt(phys);
      if (!region) return;
      const offset = phys - region.start;
      if (region.writeHost >= 0) {
        const page = Math.floor(phys / PAGE_SIZE);
        if (page < LOW_PAGES && this.codePages[page] !== 0) this.onCodeWrite(page);
        const at = region.writeHost + offset;
        if (size === 1) this.bytes[at] = value;
        else if (size === 2) this.view.setUint16(at, value, true);
        else this.view.setUint32(at, value >>> 0, true);
        return;
      }
      if (region.kind !== RegionKind.Mmio) return; // ROM, or shadow RAM with writes disabled
      if ((region.sizes & sizeBit(size)) !== 0) {
        region.handler!.write(offset, size, size === 4 ? value >>> 0 : value & ((1 << (size * 8)) - 1));
        return;
      }
    }
    for (let i = 0; i < size; i++) this.write(phys + i, 1, Math.floor(value / 2 ** (8 * i)) & 0xff);
  }

  /** Copy bytes into guest-physical memory (loaders, DMA). ROM is written too: loaders fill it. */
  load(phys: number, data: Uint8Array): void {
    for (let i = 0; i < data.length;) {
      const region = this.regionAt(phys + i);
      const pageLeft = PAGE_SIZE - ((phys + i) & PAGE_MASK);
      const chunk = Math.min(pageLeft, data.length - i);
      if (region && region.kind !== RegionKind.Mmio) {
        const page = Math.floor((phys + i) / PAGE_SIZE);
        if (page < LOW_PAGES && this.codePages[page] !== 0) this.onCodeWrite(page);
        this.bytes.set(data.subarray(i, i + chunk), region.hostOffset + (phys + i - region.start));
      } else {
        for (let j = 0; j < chunk; j++) this.write(phys + i + j, 1, data[i + j]!);
      }
      i += chunk;
    }
  }

  /**
   * A bus master's write (device DMA): like the CPU's stores, it lands in RAM and in shadow RAM
   * whose PAM range is write-enabled, reaches MMIO handlers, and is dropped on ROM and unmapped
   * addresses (unlike `load`, which fills ROM for loaders).
   */
  dmaWrite(phys: number, data: Uint8Array): void {
    for (let i = 0; i < data.length;) {
      const at = phys + i;
      const chunk = Math.min(PAGE_SIZE - (at & PAGE_MASK), data.length - i);
      const region = this.regionAt(at);
      if (region && region.writeHost >= 0) {
        const page = Math.floor(at / PAGE_SIZE);
        if (page < LOW_PAGES && this.codePages[page] !== 0) this.onCodeWrite(page);
        this.bytes.set(data.subarray(i, i + chunk), region.writeHost + (at - region.start));
      } else if (region && region.kind === RegionKind.Mmio) {
        for (let j = 0; j < chunk; j++) this.write(at + j, 1, data[i + j]!);
      }
      i += chunk;
    }
  }

  /** Copy bytes out of guest-physical memory. */
  dump(phys: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length;) {
      const at = phys + i;
      const chunk = Math.min(PAGE_SIZE - (at & PAGE_MASK), length - i);
      const region = this.regionAt(at);
      // RAM and ROM pages are copied whole (device DMA reads go through here); MMIO and holes byte by byte.
      if (region && region.readHost >= 0) out.set(this.bytes.subarray(region.readHost + (at - region.start), region.readHost + (at - region.start) + chunk), i);
      else for (let j = 0; j < chunk; j++) out[i + j] = this.read(at + j, 1);
      i += chunk;
    }
    return out;
  }
}
