import {
  ATTR_CPL0, ATTR_D64, ATTR_F64, ATTR_I64, ATTR_LOCK, ATTR_O64, ATTR_OPSIZE, ATTR_PM, MAP_0F, MAP_0F38, MAP_0F3A, MAP_ONE_BYTE,
  OpcodeIndex, type CompiledRow,
} from './compile.js';
import { Instr, OpKind, PFX_ADDRSIZE, PFX_LOCK, PFX_OPSIZE, PFX_REP, PFX_REPNE, PFX_REX, PFX_SEG, type Handler } from './instr.js';
import { sizeOf, type OperandSpec } from './operand-spec.js';

/** How the code segment decodes: real mode, virtual-8086, 16/32-bit protected (and compatibility), 64-bit. */
export const enum DecodeMode {
  Real = 0,
  V86 = 1,
  Prot16 = 2,
  Prot32 = 3,
  Long64 = 4,
}

/** Exception vectors the decoder can produce. */
export const VEC_UD = 6, VEC_GP = 13;

/** The architectural instruction length limit (SDM Vol. 2, 2.3.11). */
export const MAX_INSTRUCTION_LENGTH = 15;

/** Thrown by the byte source when fetching past the 15-byte limit (becomes #GP(0)). */
const TOO_LONG = { tooLong: true };

/** Reads instruction bytes; may throw a guest fault (e.g. #PF on the second page). */
export type ByteSource = (offset: number) => number;

const SEG_ES = 0, SEG_SS = 2, SEG_DS = 3;

/**
 * Table-driven decoder. It reads prefixes, escape bytes, ModRM/SIB, displacement and immediates,
 * selects the opcode-map row, and fills an `Instr`. Invalid encodings produce an `Instr` whose
 * `fault` is #UD or #GP: the fault is raised only if the instruction is executed.
 */
export class Decoder {
  constructor(
    readonly index: OpcodeIndex,
    private readonly handlers: readonly Handler[],
    private readonly faultHandler: Handler,
    private readonly features: ReadonlySet<string>,
  ) {}

  decode(fetch: ByteSource, mode: DecodeMode): Instr {
    const ins = new Instr(this.faultHandler);
    let pos = 0;
    const next = (): number => {
      if (pos >= MAX_INSTRUCTION_LENGTH) throw TOO_LONG;
      return fetch(pos++);
    };
    try {
      this.decodeInto(ins, next, mode);
    } catch (e) {
      if (e !== TOO_LONG) throw e;
      ins.fault = VEC_GP;
      ins.exec = this.faultHandler;
      pos = MAX_INSTRUCTION_LENGTH;
    }
    ins.len = pos;
    return ins;
  }

  private invalid(ins: Instr, vector = VEC_UD): void {
    ins.fault = vector;
    ins.exec = this.faultHandler;
  }

  private decodeInto(ins: Instr, next: () => number, mode: DecodeMode): void {
    const long = mode === DecodeMode.Long64;
    const defaultSize = mode === DecodeMode.Prot32 || long ? 4 : 2;
    let prefixes = 0, seg = -1, rex = 0, lastRep = 0;
    let byte: number;
    // Legacy prefixes in any order and number; REX only counts when it is the last prefix.
    for (;;) {
      byte = next();
      if (long && (byte & 0xf0) === 0x40) { rex = byte; continue; }
      let isPrefix = true;
      switch (byte) {
        case 0x66: prefixes |= PFX_OPSIZE; break;
        case 0x67: prefixes |= PFX_ADDRSIZE; break;
        case 0xf0: prefixes |= PFX_LOCK; break;
        case 0xf2: prefixes |= PFX_REPNE; prefixes &= ~PFX_REP; lastRep = 0xf2; break;
        case 0xf3: prefixes |= PFX_REP; prefixes &= ~PFX_REPNE; lastRep = 0xf3; break;
        // In 64-bit mode ES/CS/SS/DS overrides are ignored (SDM Vol. 1, 3.3.7.1): they neither
        // select a segment nor cancel an earlier FS/GS override.
        case 0x26: if (!long) seg = 0; break;
        case 0x2e: if (!long) seg = 1; break;
        case 0x36: if (!long) seg = 2; break;
        case 0x3e: if (!long) seg = 3; break;
        case 0x64: seg = 4; break;
        case 0x65: seg = 5; break;
        default: isPrefix = false;
      }
      if (!isPrefix) break;
      rex = 0; // a REX followed by a legacy prefix is ignored (SDM Vol. 2, 2.2.1)
    }
    if (seg >= 0) prefixes |= PFX_SEG;
    if (rex) prefixes |= PFX_REX;
    const rexW = (rex & 8) !== 0, rexR = (rex & 4) << 1, rexX = (rex & 2) << 2, rexB = (rex & 1) << 3;

    let map = MAP_ONE_BYTE;
    if (byte === 0x0f) {
      map = MAP_0F;
      byte = next();
      if (byte === 0x38) { map = MAP_0F38; byte = next(); }
      else if (byte === 0x3a) { map = MAP_0F3A; byte = next(); }
    }
    const slot = map * 256 + byte;
    const rows = this.index.slots[slot];
    let modrm = -1;
    if (this.index.slotNeedsModrm[slot]) modrm = next();
    else if (!rows && map !== MAP_ONE_BYTE) {
      // Unknown 0F38/0F3A opcodes still have a ModRM (and 0F3A an imm8) before we can report #UD;
      // the length matters to debuggers and to a #UD's reported instruction.
      if (map === MAP_0F38 || map === MAP_0F3A) modrm = next();
    }
    // VEX (C4/C5) and EVEX (62) are recognised in 64-bit mode, and in protected mode when the next
    // byte would be a register-form ModRM. We do not implement AVX, so they raise #UD
    // (SDM Vol. 2, 2.3.5); in real and virtual-8086 mode the bytes are LES/LDS/BOUND.
    if (map === MAP_ONE_BYTE && (byte === 0xc4 || byte === 0xc5 || byte === 0x62)) {
      if (long || ((mode === DecodeMode.Prot16 || mode === DecodeMode.Prot32) && modrm >= 0xc0)) {
        this.invalid(ins);
        return;
      }
    }
    const opSizePrefix = (prefixes & PFX_OPSIZE) !== 0;
    const mandatory = lastRep !== 0 ? lastRep : opSizePrefix ? 0x66 : 0;
    const row = rows ? this.selectRow(rows, mode, modrm, mandatory, rexB, byte) : null;
    ins.prefixes = prefixes;
    ins.modrm = modrm;
    if (!row) {
      if (modrm >= 0) this.skipModrm(ins, next, modrm, mode, prefixes, rexB, rexX);
      if (modrm >= 0 && this.index.slotInvalidImm[slot]) next();
      this.invalid(ins);
      return;
    }
    ins.row = row;
    // Operand size: SDM Vol. 1, 3.6 and Vol. 2, 2.2.1.2 (REX.W wins over 66; d64/f64 rows).
    const mandatory66 = row.prefix === 0x66 && (row.attrs & ATTR_OPSIZE) === 0;
    let opSize = defaultSize;
    if (opSizePrefix && !mandatory66) opSize = defaultSize === 4 ? 2 : 4;
    if (long) {
      if (rexW) opSize = 8;
      else if ((row.attrs & ATTR_F64) !== 0) opSize = 8;
      else if ((row.attrs & ATTR_D64) !== 0) opSize = opSizePrefix && !mandatory66 ? 2 : 8;
    }
    let addrSize = long ? 8 : defaultSize;
    if ((prefixes & PFX_ADDRSIZE) !== 0) addrSize = long ? 4 : addrSize === 4 ? 2 : 4;
    ins.opSize = opSize;
    ins.addrSize = addrSize;
    ins.regField = modrm >= 0 ? ((modrm >> 3) & 7) | rexR : 0;
    if (modrm >= 0 && (modrm >> 6) !== 3 && !row.rmAlwaysRegister) this.decodeMemory(ins, next, modrm, addrSize, rexB, rexX, long);
    else ins.seg = SEG_DS;
    if (seg >= 0) ins.seg = seg;

    let hasMemory = false;
    const specs = row.operands;
    ins.operandCount = specs.length;
    let immIndex = 0;
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const kind = this.operand(ins, i, spec, modrm, opSize, addrSize, rex, rexB, byte, next, immIndex);
      if (spec.immediate) immIndex++;
      if (kind === OpKind.Mem) hasMemory = true;
    }
    // LOCK is legal only on the listed read-modify-write instructions with a memory destination
    // (SDM Vol. 2, LOCK: "#UD if the LOCK prefix is used with any other instruction").
    if ((prefixes & PFX_LOCK) !== 0 && (!(row.attrs & ATTR_LOCK) || ins.kind0 !== OpKind.Mem)) {
      this.invalid(ins);
      return;
    }
    if (!hasMemory && modrm >= 0 && (modrm >> 6) !== 3 && !row.rmAlwaysRegister) {
      // Rows such as 'LEA Gv,M' have their memory operand named; anything else with a memory ModRM
      // and no memory operand would be a table error.
      if (!specs.some((s) => s.usesModrm)) throw new Error(`row ${row.name} ${row.source.opcode} ignores its ModRM`);
    }
    ins.exec = this.handlers[row.execId]!;
    ins.privileged = (row.attrs & ATTR_CPL0) !== 0;
  }

  private selectRow(rows: readonly CompiledRow[], mode: DecodeMode, modrm: number, mandatory: number,
    rexB: number, opcodeByte: number): CompiledRow | null {
    const long = mode === DecodeMode.Long64;
    const real = mode === DecodeMode.Real || mode === DecodeMode.V86;
    const mod = modrm >> 6, digit = (modrm >> 3) & 7;
    // Two passes: rows with exactly this mandatory prefix first, then prefix-agnostic rows.
    for (let pass = 0; pass < 2; pass++) {
      for (const row of rows) {
        if (pass === 0 ? row.prefix < 0 || row.prefix !== mandatory : row.prefix >= 0) continue;
        if (row.digit >= 0 && row.digit !== digit) continue;
        if (row.modClass === 1 && mod === 3) continue;
        if (row.modClass === 2 && mod !== 3) continue;
        if (row.exactModrm >= 0 && row.exactModrm !== modrm) continue;
        if ((row.attrs & ATTR_I64) !== 0 && long) continue;
        if ((row.attrs & ATTR_O64) !== 0 && !long) continue;
        if ((row.attrs & ATTR_PM) !== 0 && real) continue;
        if (row.feature !== null && !this.features.has(row.feature)) continue;
        // 90 is NOP only without REX.B; 41 90 is XCHG r8, rAX (SDM Vol. 2, XCHG / NOP).
        if (row.map === MAP_ONE_BYTE && opcodeByte === 0x90 && !row.plusR && rexB !== 0) continue;
        return row;
      }
    }
    return null;
  }

  /** Consume the addressing bytes of an invalid instruction so its length is still right. */
  private skipModrm(ins: Instr, next: () => number, modrm: number, mode: DecodeMode, prefixes: number, rexB: number, rexX: number): void {
    if ((modrm >> 6) === 3) return;
    const long = mode === DecodeMode.Long64;
    let addrSize = long ? 8 : mode === DecodeMode.Prot32 ? 4 : 2;
    if ((prefixes & PFX_ADDRSIZE) !== 0) addrSize = long ? 4 : addrSize === 4 ? 2 : 4;
    this.decodeMemory(ins, next, modrm, addrSize, rexB, rexX, long);
  }

  /** ModRM/SIB/displacement (SDM Vol. 2, 2.1.5, Tables 2-1 to 2-3, and 2.2.1.6 for RIP-relative). */
  private decodeMemory(ins: Instr, next: () => number, modrm: number, addrSize: number, rexB: number, rexX: number, long: boolean): void {
    const mod = modrm >> 6, rm = modrm & 7;
    ins.seg = SEG_DS;
    if (addrSize === 2) {
      // 16-bit forms: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP (or disp16), BX.
      const BASES = [3, 3, 5, 5, 6, 7, 5, 3], INDEXES = [6, 7, 6, 7, -1, -1, -1, -1];
      if (mod === 0 && rm === 6) {
        ins.base = -1; ins.index = -1;
        ins.disp = next() | (next() << 8);
        return;
      }
      ins.base = BASES[rm]!;
      ins.index = INDEXES[rm]!;
      ins.scale = 0;
      if (rm === 2 || rm === 3 || rm === 6) ins.seg = SEG_SS;
      if (mod === 1) ins.disp = (next() << 24) >> 24;
      else if (mod === 2) ins.disp = ((next() | (next() << 8)) << 16) >> 16;
      return;
    }
    let base = rm | rexB, index = -1, scale = 0;
    if (rm === 4) {
      const sib = next();
      scale = sib >> 6;
      index = ((sib >> 3) & 7) | rexX;
      if (index === 4) index = -1; // no index (RSP cannot be an index; R12 can)
      base = (sib & 7) | rexB;
      if ((sib & 7) === 5 && mod === 0) base = -1; // disp32, no base
    } else if (rm === 5 && mod === 0) {
      // In 64-bit mode this is RIP-relative (EIP-relative with a 67 prefix); elsewhere disp32 alone.
      base = long ? 16 : -1;
    }
    ins.base = base;
    ins.index = index;
    ins.scale = scale;
    if (base === 4 || base === 5) ins.seg = SEG_SS;
    if (mod === 1) ins.disp = (next() << 24) >> 24;
    else if (mod === 2 || base === -1 || base === 16) ins.disp = next() | (next() << 8) | (next() << 16) | (next() << 24);
    // disp8/disp32 are sign-extended to 64 bits (SDM Vol. 2, 2.2.1.3); only moffs carries a disp64.
    ins.dispHi = ins.disp >> 31;
  }

  private operand(ins: Instr, i: number, spec: OperandSpec, modrm: number, opSize: number, addrSize: number,
    rex: number, rexB: number, opcodeByte: number, next: () => number, immIndex: number): OpKind {
    const size = sizeOf(spec.size, opSize);
    let kind = OpKind.None, reg = 0;
    const mod = modrm >> 6;
    switch (spec.method) {
      case 'fixed':
        kind = spec.fixedKind;
        reg = kind === OpKind.Reg ? gprIndex(spec.fixedReg, size, false, true) : spec.fixedReg;
        break;
      case 'const1':
        kind = OpKind.Imm;
        ins.immLo = 1; ins.immHi = 0;
        break;
      case 'Z':
        kind = OpKind.Reg;
        reg = gprIndex((opcodeByte & 7) | rexB, size, rex !== 0, false);
        break;
      case 'G':
        kind = OpKind.Reg;
        reg = gprIndex(ins.regField, size, rex !== 0, false);
        break;
      case 'E': case 'R': case 'M':
        if (mod === 3 || spec.method === 'R') {
          kind = OpKind.Reg;
          reg = gprIndex((modrm & 7) | rexB, size, rex !== 0, false);
        } else {
          kind = OpKind.Mem;
        }
        break;
      case 'S':
        kind = OpKind.Sreg;
        reg = (modrm >> 3) & 7;
        break;
      case 'C': kind = OpKind.Cr; reg = ins.regField; break;
      case 'D': kind = OpKind.Dr; reg = ins.regField; break;
      case 'P': kind = OpKind.Mmx; reg = (modrm >> 3) & 7; break;
      case 'V': kind = OpKind.Xmm; reg = ins.regField; break;
      case 'N': kind = OpKind.Mmx; reg = modrm & 7; break;
      case 'U': kind = OpKind.Xmm; reg = (modrm & 7) | rexB; break;
      case 'Q':
        if (mod === 3) { kind = OpKind.Mmx; reg = modrm & 7; } else kind = OpKind.Mem;
        break;
      case 'W':
        if (mod === 3) { kind = OpKind.Xmm; reg = (modrm & 7) | rexB; } else kind = OpKind.Mem;
        break;
      case 'ST0': kind = OpKind.St; reg = 0; break;
      case 'XMM0': kind = OpKind.Xmm; reg = 0; break;
      case 'STi': kind = OpKind.St; reg = modrm & 7; break;
      case 'I': {
        kind = OpKind.Imm;
        const bytes = spec.size === 'b' ? 1 : spec.size === 'w' ? 2 : spec.size === 'v' ? opSize : spec.size === 'd' ? 4 : Math.min(opSize, 4);
        let lo = 0, hi = 0;
        if (bytes === 8) {
          lo = readLe(next, 4); hi = readLe(next, 4);
        } else {
          lo = readLe(next, bytes);
          if (spec.signExtendImm) {
            lo = (lo << 24) >> 24;
            hi = lo >> 31;
          } else if (bytes === 4 && opSize === 8) {
            hi = lo >> 31; // Iz with a 64-bit operand size is sign-extended (SDM Vol. 2, 2.2.1.5)
          }
        }
        if (immIndex === 0) { ins.immLo = lo; ins.immHi = hi; } else ins.imm2 = lo;
        break;
      }
      case 'J': {
        kind = OpKind.Rel;
        const bytes = spec.size === 'b' ? 1 : opSize === 2 ? 2 : 4;
        let rel = readLe(next, bytes);
        rel = bytes === 1 ? (rel << 24) >> 24 : bytes === 2 ? (rel << 16) >> 16 : rel | 0;
        ins.immLo = rel; ins.immHi = rel >> 31;
        break;
      }
      case 'A': {
        kind = OpKind.Far;
        ins.immLo = readLe(next, opSize === 2 ? 2 : 4);
        ins.imm2 = readLe(next, 2);
        break;
      }
      case 'O': {
        // moffs: an address-size displacement with no ModRM (SDM Vol. 2, MOV A0-A3).
        kind = OpKind.Mem;
        ins.base = -1; ins.index = -1; ins.scale = 0;
        if ((ins.prefixes & PFX_SEG) === 0) ins.seg = SEG_DS; // a segment override applies (MOV A0-A3)
        if (addrSize === 8) { ins.disp = readLe(next, 4) | 0; ins.dispHi = readLe(next, 4) | 0; }
        else ins.disp = readLe(next, addrSize) | 0;
        break;
      }
      case 'X': case 'Y': case 'F':
        kind = OpKind.Implicit;
        reg = spec.method === 'Y' ? SEG_ES : SEG_DS;
        break;
      default:
        throw new Error(`operand method ${spec.method} not handled`);
    }
    if (i === 0) { ins.kind0 = kind; ins.reg0 = reg; ins.size0 = size; }
    else if (i === 1) { ins.kind1 = kind; ins.reg1 = reg; ins.size1 = size; }
    else { ins.kind2 = kind; ins.reg2 = reg; ins.size2 = size; }
    return kind;
  }
}

function readLe(next: () => number, bytes: number): number {
  let value = 0;
  for (let i = 0; i < bytes; i++) value |= next() << (8 * i);
  return bytes === 4 ? value | 0 : value;
}

/**
 * Index of GPR `n` in the view for `size` (see Instr). Without REX, byte registers 4-7 are AH, CH,
 * DH, BH (byte 1 of registers 0-3); with any REX they are SPL, BPL, SIL, DIL (SDM Vol. 2, 2.2.1.2).
 */
export function gprIndex(n: number, size: number, hasRex: boolean, fixedHighByteNames: boolean): number {
  if (size === 1) {
    if (fixedHighByteNames) return n < 4 ? n * 8 : (n - 4) * 8 + 1;
    if (!hasRex && n >= 4 && n < 8) return (n - 4) * 8 + 1;
    return n * 8;
  }
  if (size === 2) return n * 4;
  return n * 2;
}

export { MAP_0F, MAP_0F38, MAP_0F3A };
