import type { PhysicalMemory } from '../../mem/physical-memory.js';

/**
 * Linear → physical translation through the guest's page tables (SDM Vol. 3, chapter 4):
 * 32-bit paging with 4 KiB and 4 MiB pages (PSE, PSE-36), PAE paging (PDPTEs cached at CR3 load),
 * and 4-level paging with 2 MiB and 1 GiB pages. Sets accessed/dirty bits and reports faults as a
 * page-fault error code (SDM Vol. 3, 4.7).
 */

/** Page-fault error code bits (SDM Vol. 3, Figure 4-12). */
export const PF_PRESENT = 1, PF_WRITE = 2, PF_USER = 4, PF_RSVD = 8, PF_FETCH = 16;

/** Access kinds. */
export const ACCESS_READ = 0, ACCESS_WRITE = 1, ACCESS_FETCH = 2;

/** Paging configuration taken from CR0/CR3/CR4/EFER at walk time. */
export interface PagingConfig {
  /** 0: 32-bit, 1: PAE, 2: 4-level. */
  kind: number;
  cr3Lo: number;
  cr3Hi: number;
  pse: boolean;
  wp: boolean;
  nxe: boolean;
  /** The four PAE PDPTEs loaded at the last CR3 write (lo, hi pairs). */
  pdpte: Int32Array;
  /** Highest physical address bit + 1 (MAXPHYADDR), for reserved-bit checks. */
  maxPhysBits: number;
}

/** The result of a successful walk. */
export interface WalkResult {
  phys: number;
  writable: boolean;
  user: boolean;
  executable: boolean;
  /** Whether the final entry's dirty bit is set (after this access). */
  dirty: boolean;
}

/** Walks page tables; on failure `walk` returns false and leaves the #PF error code in `errorCode`. */
export class PageWalker {
  errorCode = 0;
  readonly result: WalkResult = { phys: 0, writable: false, user: false, executable: false, dirty: false };

  constructor(private readonly memory: PhysicalMemory) {}

  /** Read a 64-bit entry as [lo, hi] (hi in this.entryHi). */
  private entryHi = 0;
  private readEntry(address: number, wide: boolean): number {
    const lo = this.memory.read(address, 4) | 0;
    this.entryHi = wide ? this.memory.read(address + 4, 4) | 0 : 0;
    return lo;
  }

  private setBits(address: number, lo: number, bits: number): void {
    if ((lo & bits) !== bits) this.memory.write(address, 4, (lo | bits) >>> 0);
  }

  /** Record a #PF error code (no closure per walk: walks are frequent). */
  private fault(baseCode: number, present: boolean, reserved: boolean): false {
    this.errorCode = baseCode | (present ? PF_PRESENT : 0) | (reserved ? PF_RSVD | PF_PRESENT : 0);
    return false;
  }

  /**
   * Translate. `linear` is a number (negative for the upper canonical half). Returns false on a
   * page fault, with `errorCode` set; on success `result` holds the translation.
   */
  walk(config: PagingConfig, linear: number, access: number, user: boolean): boolean {
    const write = access === ACCESS_WRITE, fetch = access === ACCESS_FETCH;
    const baseCode = (write ? PF_WRITE : 0) | (user ? PF_USER : 0) | (fetch && (config.nxe || false) ? PF_FETCH : 0);
    // Canonical upper-half addresses arrive as negative numbers; 4-level paging looks at bits 47:0
    // only, and linear + 2^48 is exact where linear + 2^64 would lose the low bits in a double.
    const lin = linear < 0 ? linear + 2 ** 48 : linear;
    let allowWrite = true, allowUser = true, noExec = false;
    const reservedAbovePhys = config.maxPhysBits >= 52 ? 0 : ~((1 << (config.maxPhysBits - 32)) - 1) & 0x000fffff;
    let phys: number;
    let finalAddress: number, finalLo: number;
    if (config.kind === 0) {
      // 32-bit paging.
      const dirBase = (config.cr3Lo & 0xfffff000) >>> 0;
      const pdeAddress = dirBase + ((lin >>> 22) & 0x3ff) * 4;
      const pde = this.readEntry(pdeAddress, false);
      if ((pde & 1) === 0) return this.fault(baseCode, false, false);
      allowWrite &&= (pde & 2) !== 0;
      allowUser &&= (pde & 4) !== 0;
      if ((pde & 0x80) !== 0 && config.pse) {
        // 4 MiB page; PSE-36 puts physical bits 39:32 in PDE bits 20:13 (bit 21 reserved).
        if ((pde & 0x200000) !== 0) return this.fault(baseCode, true, true);
        phys = ((pde & 0xffc00000) >>> 0) + ((pde >>> 13) & 0xff) * 2 ** 32 + (lin & 0x3fffff);
        finalAddress = pdeAddress; finalLo = pde;
      } else {
        this.setBits(pdeAddress, pde, 0x20);
        const pteAddress = ((pde & 0xfffff000) >>> 0) + ((lin >>> 12) & 0x3ff) * 4;
        const pte = this.readEntry(pteAddress, false);
        if ((pte & 1) === 0) return this.fault(baseCode, false, false);
        allowWrite &&= (pte & 2) !== 0;
        allowUser &&= (pte & 4) !== 0;
        phys = ((pte & 0xfffff000) >>> 0) + (lin & 0xfff);
        finalAddress = pteAddress; finalLo = pte;
      }
    } else {
      let tableBase: number;
      let level: number;
      if (config.kind === 1) {
        // PAE: the PDPTE comes from the registers loaded at CR3 write (SDM Vol. 3, 4.4.1).
        const index = (lin >>> 30) & 3;
        const lo = config.pdpte[index * 2]!, hi = config.pdpte[index * 2 + 1]!;
        if ((lo & 1) === 0) return this.fault(baseCode, false, false);
        if ((lo & 0x1e6) !== 0 || (hi & reservedAbovePhys) !== 0) return this.fault(baseCode, true, true);
        tableBase = ((lo & 0xfffff000) >>> 0) + (hi & 0xfffff) * 2 ** 32;
        level = 2;
      } else {
        tableBase = ((config.cr3Lo & 0xfffff000) >>> 0) + (config.cr3Hi & 0xfffff) * 2 ** 32;
        level = 4;
      }
      for (;;) {
        const shift = 12 + 9 * (level - 1);
        const index = Math.floor(lin / 2 ** shift) % 512;
        const address = tableBase + index * 8;
        const lo = this.readEntry(address, true);
        const hi = this.entryHi;
        if ((lo & 1) === 0) return this.fault(baseCode, false, false);
        if ((hi & reservedAbovePhys & 0x7fffffff) !== 0 || (!config.nxe && hi < 0)) return this.fault(baseCode, true, true);
        allowWrite &&= (lo & 2) !== 0;
        allowUser &&= (lo & 4) !== 0;
        if (config.nxe && hi < 0) noExec = true;
        const large = level === 2 || (level === 3 && config.kind === 2);
        if ((lo & 0x80) !== 0) {
          if (level === 4 || (level === 3 && config.kind === 1) || !large) return this.fault(baseCode, true, true);
          const pageSize = 2 ** shift;
          const frameLo = (lo & 0xfffff000) >>> 0;
          // The PAT bit (12) and the bits below the page size must be zero (reserved).
          const lowMask = (pageSize - 1) & ~0xfff & 0xffffffff;
          if ((frameLo & lowMask & ~0x1000) !== 0) return this.fault(baseCode, true, true);
          const frame = frameLo - (frameLo % pageSize) + (hi & 0xfffff) * 2 ** 32;
          phys = frame + (lin % pageSize);
          finalAddress = address; finalLo = lo;
          break;
        }
        if (level === 1) {
          phys = ((lo & 0xfffff000) >>> 0) + (hi & 0xfffff) * 2 ** 32 + (lin & 0xfff);
          finalAddress = address; finalLo = lo;
          break;
        }
        this.setBits(address, lo, 0x20);
        tableBase = ((lo & 0xfffff000) >>> 0) + (hi & 0xfffff) * 2 ** 32;
        level--;
      }
    }
    // Permission checks (SDM Vol. 3, 4.6).
    if (user && !allowUser) return this.fault(baseCode, true, false);
    if (write && !allowWrite && (user || config.wp)) return this.fault(baseCode, true, false);
    if (fetch && noExec) return this.fault(baseCode, true, false);
    // Accessed on the final entry, dirty on a write (SDM Vol. 3, 4.8).
    const bits = write ? 0x60 : 0x20;
    this.setBits(finalAddress, finalLo, bits);
    const r = this.result;
    r.phys = phys;
    r.writable = allowWrite || (!user && !config.wp);
    r.user = allowUser;
    r.executable = !noExec;
    r.dirty = write || (finalLo & 0x40) !== 0;
    return true;
  }
}
