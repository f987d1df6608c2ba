/**
 * The VGA register file (IBM VGA Technical Reference; FreeVGA "VGA/SVGA Video Programming"):
 * miscellaneous output, sequencer (3C4/3C5), graphics controller (3CE/3CF), attribute controller
 * (3C0/3C1 with its index/data flip-flop), DAC (3C6-3C9), CRTC (3B4/3B5 or 3D4/3D5 as selected by
 * misc output bit 0), input status 0/1 and feature control. Port offsets are relative to 0x3B0.
 *
 * Reserved bits read back as zero (each register has a mask of implemented bits).
 */

export const SEQ_COUNT = 5, GR_COUNT = 9, AR_COUNT = 21, CRTC_COUNT = 25;

/** Implemented bits of the sequencer registers SR00-SR04. */
const SEQ_MASK = [0x03, 0x3d, 0x0f, 0x3f, 0x0e];
/** Implemented bits of the graphics controller registers GR00-GR08. */
const GR_MASK = [0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff];
/** Implemented bits of the attribute controller registers AR00-AR14. */
const AR_MASK = [...new Array<number>(16).fill(0x3f), 0xef, 0xff, 0x3f, 0x0f, 0x0f];

// Status bits of input status #1 (3BA/3DA).
export const ST1_DISPLAY_DISABLED = 0x01, ST1_VRETRACE = 0x08;

/** Timing of the simulated display for the status bits: 640x480@60 Hz-like (31.47 kHz lines, 525 lines). */
const LINE_NS = 31778;
const LINES_PER_FRAME = 525;
const VISIBLE_LINES = 480;
const VRETRACE_FIRST = 490, VRETRACE_LAST = 491;
/** Fraction of each line that is displayed (the rest is horizontal blanking). */
const HVISIBLE_NS = 25422;
/** Polling the status register with time standing still still sees time advance by this much. */
const POLL_STEP_NS = 400;

export class VgaRegisters {
  misc = 0;
  featureControl = 0;
  seqIndex = 0;
  readonly seq = new Uint8Array(SEQ_COUNT);
  grIndex = 0;
  readonly gr = new Uint8Array(GR_COUNT);
  /** Attribute index register, including bit 5 (palette address source). */
  arIndex = 0;
  /** The attribute flip-flop: false = next write to 3C0 is an index, true = data. */
  arFlipFlop = false;
  readonly ar = new Uint8Array(AR_COUNT);
  crtcIndex = 0;
  readonly crtc = new Uint8Array(CRTC_COUNT);
  /** DAC: 256 entries of red, green, blue (6 bits each, 8 with `dac8bit`). */
  readonly palette = new Uint8Array(256 * 3);
  pelMask = 0xff;
  dacWriteIndex = 0;
  dacReadIndex = 0;
  dacSub = 0;
  /** 3 after the last index write went to 3C7 (read mode), 0 after 3C8 (write mode). */
  dacState = 0;
  /** The VBE 8-bit DAC switch (DISPI ENABLE bit 5): palette entries keep all 8 bits. */
  dac8bit = false;
  /** Set whenever the palette changes (renderers may cache a converted palette). */
  paletteVersion = 0;
  private lastNow = -1;
  private skew = 0;

  /** `now` gives guest time in ns (for the retrace bits). */
  constructor(private readonly now: () => number = () => 0) {}

  /** Colour (3Dx) or monochrome (3Bx) CRTC/status addressing (misc output bit 0). */
  get colorIo(): boolean {
    return (this.misc & 1) !== 0;
  }

  reset(): void {
    this.misc = 0;
    this.featureControl = 0;
    this.seq.fill(0); this.gr.fill(0); this.ar.fill(0); this.crtc.fill(0);
    this.seqIndex = this.grIndex = this.arIndex = this.crtcIndex = 0;
    this.arFlipFlop = false;
    this.palette.fill(0);
    this.pelMask = 0xff;
    this.dacWriteIndex = this.dacReadIndex = this.dacSub = this.dacState = 0;
    this.dac8bit = false;
    this.paletteVersion++;
  }

  /** Input status #1: display-disabled and vertical-retrace bits from the display timing. */
  inputStatus1(): number {
    let t = this.now();
    if (t === this.lastNow) this.skew += POLL_STEP_NS;
    else this.lastNow = t;
    t += this.skew;
    const lineInFrame = Math.floor(t / LINE_NS) % LINES_PER_FRAME;
    const inLine = t % LINE_NS;
    let value = 0;
    if (lineInFrame >= VISIBLE_LINES || inLine >= HVISIBLE_NS) value |= ST1_DISPLAY_DISABLED;
    if (lineInFrame >= VRETRACE_FIRST && lineInFrame <= VRETRACE_LAST) value |= ST1_VRETRACE;
    return value;
  }

  /** Read a byte from port 0x3B0 + offset (offset 0-0x2F). */
  read(offset: number): number {
    const port = 0x3b0 + offset;
    switch (port) {
      case 0x3b4: case 0x3d4:
        return this.crtcPort(port) ? this.crtcIndex : 0xff;
      case 0x3b5: case 0x3d5:
        if (!this.crtcPort(port)) return 0xff;
        return this.crtcIndex < CRTC_COUNT ? this.crtc[this.crtcIndex]! : 0;
      case 0x3ba: case 0x3da:
        if (!this.crtcPort(port)) return 0xff;
        this.arFlipFlop = false;
        return this.inputStatus1();
      case 0x3c0:
        return this.arIndex;
      case 0x3c1: {
        const i = this.arIndex & 0x1f;
        return i < AR_COUNT ? this.ar[i]! : 0;
      }
      case 0x3c2:
        return 0x10; // input status #0: switch sense high, no CRT interrupt pending
      case 0x3c4:
        return this.seqIndex;
      case 0x3c5:
        return this.seqIndex < SEQ_COUNT ? this.seq[this.seqIndex]! : 0;
      case 0x3c6:
        return this.pelMask;
      case 0x3c7:
        return this.dacState;
      case 0x3c8:
        return this.dacWriteIndex;
      case 0x3c9: {
        const value = this.palette[this.dacReadIndex * 3 + this.dacSub]!;
        if (++this.dacSub === 3) {
          this.dacSub = 0;
          this.dacReadIndex = (this.dacReadIndex + 1) & 0xff;
        }
        return value;
      }
      case 0x3ca:
        return this.featureControl;
      case 0x3cc:
        return this.misc;
      case 0x3ce:
        return this.grIndex;
      case 0x3cf:
        return this.grIndex < GR_COUNT ? this.gr[this.grIndex]! : 0;
      default:
        return 0xff;
    }
  }

  /** Write a byte to port 0x3B0 + offset. */
  write(offset: number, value: number): void {
    const port = 0x3b0 + offset;
    value &= 0xff;
    switch (port) {
      case 0x3b4: case 0x3d4:
        if (this.crtcPort(port)) this.crtcIndex = value & 0x3f;
        return;
      case 0x3b5: case 0x3d5:
        if (this.crtcPort(port)) this.writeCrtc(this.crtcIndex, value);
        return;
      case 0x3ba: case 0x3da:
        if (this.crtcPort(port)) this.featureControl = value & 0x03;
        return;
      case 0x3c0:
        if (!this.arFlipFlop) {
          this.arIndex = value & 0x3f;
        } else {
          const i = this.arIndex & 0x1f;
          if (i < AR_COUNT) this.ar[i] = value & AR_MASK[i]!;
        }
        this.arFlipFlop = !this.arFlipFlop;
        return;
      case 0x3c2:
        this.misc = value & 0xef;
        return;
      case 0x3c4:
        this.seqIndex = value & 0x07;
        return;
      case 0x3c5:
        if (this.seqIndex < SEQ_COUNT) this.seq[this.seqIndex] = value & SEQ_MASK[this.seqIndex]!;
        return;
      case 0x3c6:
        this.pelMask = value;
        this.paletteVersion++;
        return;
      case 0x3c7:
        this.dacReadIndex = value;
        this.dacSub = 0;
        this.dacState = 3;
        return;
      case 0x3c8:
        this.dacWriteIndex = value;
        this.dacSub = 0;
        this.dacState = 0;
        return;
      case 0x3c9:
        this.palette[this.dacWriteIndex * 3 + this.dacSub] = this.dac8bit ? value : value & 0x3f;
        this.paletteVersion++;
        if (++this.dacSub === 3) {
          this.dacSub = 0;
          this.dacWriteIndex = (this.dacWriteIndex + 1) & 0xff;
        }
        return;
      case 0x3ce:
        this.grIndex = value & 0x0f;
        return;
      case 0x3cf:
        if (this.grIndex < GR_COUNT) this.gr[this.grIndex] = value & GR_MASK[this.grIndex]!;
        return;
      default:
    }
  }

  /** CRTC write with the protect bit (CR11 bit 7): CR00-CR07 are read-only except CR07 bit 4. */
  writeCrtc(index: number, value: number): void {
    if (index >= CRTC_COUNT) return;
    if ((this.crtc[0x11]! & 0x80) !== 0 && index <= 7) {
      if (index === 7) this.crtc[7] = (this.crtc[7]! & ~0x10) | (value & 0x10);
      return;
    }
    this.crtc[index] = value;
  }

  /** Whether a 3Bx/3Dx CRTC or status port is the one decoded under the current I/O address select. */
  private crtcPort(port: number): boolean {
    return ((port & 0xff0) === 0x3d0) === this.colorIo;
  }

  // --- Derived display parameters --------------------------------------------------------------

  /** Vertical display end (CR12 with overflow bits 8 and 9 from CR07). */
  verticalDisplayEnd(): number {
    const ov = this.crtc[7]!;
    return this.crtc[0x12]! | ((ov & 0x02) << 7) | ((ov & 0x40) << 3);
  }

  /** Start address (CR0C:CR0D) in CRTC address units. */
  startAddress(): number {
    return (this.crtc[0x0c]! << 8) | this.crtc[0x0d]!;
  }

  /** Cursor location (CR0E:CR0F) in CRTC address units. */
  cursorAddress(): number {
    return (this.crtc[0x0e]! << 8) | this.crtc[0x0f]!;
  }

  /** Line compare (CR18 with bit 8 in CR07 bit 4 and bit 9 in CR09 bit 6). */
  lineCompare(): number {
    return this.crtc[0x18]! | ((this.crtc[7]! & 0x10) << 4) | ((this.crtc[9]! & 0x40) << 3);
  }

  /** RGB (8 bits per channel) of DAC entry `index` after the PEL mask. */
  dacColor(index: number): [number, number, number] {
    const at = (index & this.pelMask) * 3;
    const p = this.palette;
    if (this.dac8bit) return [p[at]!, p[at + 1]!, p[at + 2]!];
    const c = (v: number) => ((v & 0x3f) << 2) | ((v & 0x3f) >> 4);
    return [c(p[at]!), c(p[at + 1]!), c(p[at + 2]!)];
  }
}
