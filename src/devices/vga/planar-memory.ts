import type { VgaRegisters } from './registers.js';

/**
 * The VGA's host interface to display memory (IBM VGA Technical Reference, "Graphics Controller" and
 * "Sequencer"; FreeVGA "VGA Memory Organization"): four 64 KiB planes behind the 0xA0000-0xBFFFF
 * window, with the latches, read modes 0/1, write modes 0-3 (rotate, set/reset, logical function,
 * bit mask), the map mask, and the chain-4 and odd/even address modes.
 *
 * Planes are stored interleaved, as QEMU's stdvga does: plane p, offset o is byte `4 * o + p` of the
 * VRAM, so the 256 KiB of VGA memory are the first 256 KiB of the linear framebuffer.
 *
 * Address modes: chain-4 (SR04 bit 3) selects plane A1:A0 at offset A & ~3; odd/even (SR04 bit 2
 * clear for writes, GR05 bit 4 set for reads) selects plane A0 (reads: with GR04 bit 1 as the plane
 * pair) at offset A & ~1; otherwise the map mask (writes) or read map select (reads) picks the planes
 * at offset A.
 */

export const PLANE_SIZE = 0x10000;
export const VGA_MEMORY_SIZE = 4 * PLANE_SIZE;

/** GR06 bits 3:2 → [window start, window size]. */
const MEMORY_MAPS: readonly [number, number][] = [
  [0xa0000, 0x20000],
  [0xa0000, 0x10000],
  [0xb0000, 0x08000],
  [0xb8000, 0x08000],
];

export class PlanarMemory {
  /** The four latches, one byte per plane (packed little-endian: plane 0 in bits 7:0). */
  latch = 0;

  constructor(private readonly regs: VgaRegisters, readonly vram: Uint8Array) {}

  /** The window currently decoded (GR06 memory map select) as [start, size] physical. */
  window(): readonly [number, number] {
    return MEMORY_MAPS[(this.regs.gr[6]! >> 2) & 3]!;
  }

  /**
   * Offset of a physical address inside the decoded window, or -1 when the address is outside it
   * (0xA0000-0xBFFFF is the legacy region the device claims).
   */
  windowOffset(phys: number): number {
    const [start, size] = this.window();
    const offset = phys - start;
    return offset >= 0 && offset < size ? offset : -1;
  }

  private loadLatches(offset: number): void {
    const v = this.vram, at = offset * 4;
    this.latch = (v[at]! | (v[at + 1]! << 8) | (v[at + 2]! << 16) | (v[at + 3]! << 24)) >>> 0;
  }

  /** A host read at `address` (offset inside the window). */
  read(address: number): number {
    const r = this.regs;
    let plane: number, offset: number;
    if ((r.seq[4]! & 0x08) !== 0) {
      plane = address & 3;
      offset = address & 0xfffc;
    } else if ((r.gr[5]! & 0x10) !== 0) {
      plane = (r.gr[4]! & 2) | (address & 1);
      offset = address & 0xfffe;
    } else {
      plane = r.gr[4]! & 3;
      offset = address & 0xffff;
    }
    this.loadLatches(offset);
    if ((r.gr[5]! & 0x08) === 0) return (this.latch >>> (8 * plane)) & 0xff;
    // Read mode 1: colour compare against GR02 for the planes enabled in GR07 (colour don't care).
    const compare = r.gr[2]!, care = r.gr[7]!;
    let result = 0xff;
    for (let p = 0; p < 4; p++) {
      if ((care & (1 << p)) === 0) continue;
      const want = (compare & (1 << p)) !== 0 ? 0xff : 0x00;
      result &= ~(((this.latch >>> (8 * p)) & 0xff) ^ want);
    }
    return result & 0xff;
  }

  /** A host write at `address` (offset inside the window). */
  write(address: number, value: number): void {
    const r = this.regs;
    let planes = r.seq[2]! & 0x0f;
    let offset: number;
    if ((r.seq[4]! & 0x08) !== 0) {
      planes &= 1 << (address & 3);
      offset = address & 0xfffc;
    } else if ((r.seq[4]! & 0x04) === 0) {
      planes &= (address & 1) !== 0 ? 0x0a : 0x05;
      offset = address & 0xfffe;
    } else {
      offset = address & 0xffff;
    }
    if (planes === 0) return;

    const mode = r.gr[5]! & 3;
    const latch = this.latch;
    let data: number; // four plane bytes packed like the latches
    if (mode === 1) {
      data = latch;
    } else {
      const rotate = r.gr[3]! & 7;
      const rotated = ((value >> rotate) | (value << (8 - rotate))) & 0xff;
      let mask = r.gr[8]!;
      if (mode === 0) {
        data = expand(rotated);
        const enable = r.gr[1]!, setReset = expandBits(r.gr[0]!);
        const em = expandBits(enable);
        data = ((data & ~em) | (setReset & em)) >>> 0;
      } else if (mode === 2) {
        data = expandBits(value & 0x0f);
      } else {
        data = expandBits(r.gr[0]!);
        mask &= rotated;
      }
      switch ((r.gr[3]! >> 3) & 3) {
        case 1: data = (data & latch) >>> 0; break;
        case 2: data = (data | latch) >>> 0; break;
        case 3: data = (data ^ latch) >>> 0; break;
        default:
      }
      const m = expand(mask);
      data = ((data & m) | (latch & ~m)) >>> 0;
    }
    const v = this.vram, at = offset * 4;
    for (let p = 0; p < 4; p++) if ((planes & (1 << p)) !== 0) v[at + p] = (data >>> (8 * p)) & 0xff;
  }
}

/** A byte replicated into the four plane lanes. */
function expand(byte: number): number {
  return (byte * 0x01010101) >>> 0;
}

/** Bits 3:0 expanded: bit p set → plane p's lane 0xFF. */
function expandBits(bits: number): number {
  return (((bits & 1) ? 0xff : 0) | ((bits & 2) ? 0xff00 : 0) | ((bits & 4) ? 0xff0000 : 0) | ((bits & 8) ? 0xff000000 : 0)) >>> 0;
}
