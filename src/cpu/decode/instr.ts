import type { CompiledRow } from './compile.js';

/** Operand kinds of a decoded instruction. */
export const enum OpKind {
  None = 0,
  Reg = 1, // general-purpose register; `reg` is the index into the view of its size (see Instr)
  Mem = 2, // memory; address from base/index/scale/disp/seg
  Imm = 3, // immediate (immLo/immHi), already sign- or zero-extended to 64 bits
  Sreg = 4, // segment register number
  Cr = 5,
  Dr = 6,
  Mmx = 7,
  Xmm = 8,
  St = 9, // x87 stack register ST(i)
  Rel = 10, // branch target: immLo/immHi is the displacement from the next instruction
  Far = 11, // far pointer immediate: immLo = offset, imm2 = selector
  Implicit = 12, // string operands (X/Y), flags (F), DX port: handled by the executor
}

/** Prefix flags recorded on the decoded instruction. */
export const PFX_LOCK = 1, PFX_REP = 2, PFX_REPNE = 4, PFX_OPSIZE = 8, PFX_ADDRSIZE = 16, PFX_SEG = 32, PFX_REX = 64;

export type Handler = (cpu: any, ins: Instr) => void;

/**
 * A decoded instruction. Allocated once per decode (never per execution) and cached by physical
 * address. Operand slots 0..2 are flattened into fields so the record keeps one hidden class.
 *
 * Register operands: `reg0..2` is an index into the GPR view of the operand's size: for 1-byte
 * operands the byte index in the 128-byte GPR file (AH = 1, CH = 9, ...), for 2-byte ones the
 * uint16 index (n*4), for 4- and 8-byte ones the int32 index of the low half (n*2).
 */
export class Instr {
  exec: Handler;
  row: CompiledRow | null = null;
  /** Bytes of the instruction, prefixes included. */
  len = 0;
  /** Operand size for the 'v' size code: 2, 4 or 8. */
  opSize = 4;
  /** Address size: 2, 4 or 8. */
  addrSize = 4;
  prefixes = 0;
  /** Segment of the memory operand (override or default), SEG_* index. */
  seg = 3;
  modrm = -1;
  /** ModRM.reg with REX.R applied (also used for the group digit). */
  regField = 0;
  /** Memory operand: base (-1 none, 16 = RIP), index (-1 none), scale shift, signed displacement. */
  base = -1;
  index = -1;
  scale = 0;
  disp = 0;
  dispHi = 0;
  kind0 = OpKind.None;
  kind1 = OpKind.None;
  kind2 = OpKind.None;
  reg0 = 0;
  reg1 = 0;
  reg2 = 0;
  size0 = 0;
  size1 = 0;
  size2 = 0;
  operandCount = 0;
  immLo = 0;
  immHi = 0;
  imm2 = 0;
  /** Needs CPL 0 (the row's cpl0 attribute): checked by the run loop before executing. */
  privileged = false;
  /** Exception raised when executed, for invalid encodings (-1 = valid). */
  fault = -1;
  /** The code page offset this instruction was decoded at (for the trace/disassembler). */
  physAddr = 0;

  constructor(exec: Handler) {
    this.exec = exec;
  }
}
