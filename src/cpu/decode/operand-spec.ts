import { OpKind } from './instr.js';

/**
 * A parsed operand specification (SDM Vol. 2, Appendix A.2: addressing method + operand type).
 */
export interface OperandSpec {
  readonly text: string;
  /** Addressing method letter, or 'fixed' for a named register, 'const1' for the constant 1. */
  readonly method: string;
  /** Size code: b w d q v z y dq p a s t e st fx, or '' for none. */
  readonly size: string;
  /** For fixed registers: the register number (GPR or segment) and whether it is a high byte. */
  readonly fixedReg: number;
  readonly fixedKind: OpKind;
  /** Whether the operand is taken from ModRM (reg or rm field). */
  readonly usesModrm: boolean;
  /** Immediate bytes this operand consumes, as a function of (opSize, addrSize); 0 if none. */
  readonly immediate: boolean;
  /** Sign-extend an 8-bit immediate to the operand size. */
  readonly signExtendImm: boolean;
}

const GPR8 = ['AL', 'CL', 'DL', 'BL', 'AH', 'CH', 'DH', 'BH'];
const GPR16 = ['AX', 'CX', 'DX', 'BX', 'SP', 'BP', 'SI', 'DI'];
const SREGS = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'];
const MODRM_METHODS = new Set(['E', 'G', 'M', 'R', 'C', 'D', 'S', 'N', 'P', 'Q', 'U', 'V', 'W', 'STi']);
const SIZE_CODES = new Set(['', 'b', 'w', 'd', 'q', 'v', 'z', 'y', 'dq', 'p', 'a', 's', 't', 'e', 'st', 'fx', 'ps', 'pd', 'ss', 'sd', 'pi', 'x']);

export function parseOperand(text: string): OperandSpec {
  const base = { text, fixedReg: -1, fixedKind: OpKind.None, usesModrm: false, immediate: false, signExtendImm: false };
  if (text === '1') return { ...base, method: 'const1', size: 'b' };
  if (text === 'ST0') return { ...base, method: 'ST0', size: '' };
  if (text === 'XMM0') return { ...base, method: 'XMM0', size: 'x' };
  if (text === 'STi') return { ...base, method: 'STi', size: '', usesModrm: true };
  let reg = GPR8.indexOf(text);
  if (reg >= 0) return { ...base, method: 'fixed', size: 'b', fixedReg: reg, fixedKind: OpKind.Reg };
  reg = GPR16.indexOf(text);
  if (reg >= 0) return { ...base, method: 'fixed', size: 'w', fixedReg: reg, fixedKind: OpKind.Reg };
  // eAX: 16 or 32 bits (z size); rAX: 16, 32 or 64 bits (v size). SDM A.2.3.
  const wide = /^([er])(AX|CX|DX|BX|SP|BP|SI|DI)$/.exec(text);
  if (wide) {
    return { ...base, method: 'fixed', size: wide[1] === 'e' ? 'z' : 'v', fixedReg: GPR16.indexOf(wide[2]!), fixedKind: OpKind.Reg };
  }
  reg = SREGS.indexOf(text);
  if (reg >= 0) return { ...base, method: 'fixed', size: 'w', fixedReg: reg, fixedKind: OpKind.Sreg };
  if (text === 'Ibs') return { ...base, method: 'I', size: 'b', immediate: true, signExtendImm: true };
  const match = /^(Z|[A-Z])([a-z]*)$/.exec(text);
  if (!match || !SIZE_CODES.has(match[2]!)) throw new Error(`bad operand spec '${text}'`);
  const method = match[1]!, size = match[2]!;
  return {
    ...base,
    method,
    size,
    usesModrm: MODRM_METHODS.has(method),
    immediate: method === 'I' || method === 'J' || method === 'A' || method === 'O',
  };
}

/**
 * Operand size in bytes for a size code (SDM A.2.2), given the effective operand size (2, 4 or 8).
 */
export function sizeOf(code: string, opSize: number): number {
  switch (code) {
    case 'b': return 1;
    case 'w': return 2;
    case 'd': case 'ss': return 4;
    case 'q': case 'sd': case 'pi': return 8;
    case 'dq': case 'ps': case 'pd': case 'x': return 16;
    case 'v': return opSize;
    case 'z': return opSize === 2 ? 2 : 4;
    case 'y': return opSize === 8 ? 8 : 4;
    case 'p': return opSize + 2; // far pointer: offset then 16-bit selector
    case 'a': return opSize * 2; // BOUND: two signed bounds
    case 's': return 10; // pseudo-descriptor limit + base (6 bytes outside 64-bit mode)
    case 't': return 10;
    case 'e': return opSize === 2 ? 14 : 28; // FPU environment (SDM Vol. 1, 8.1.10)
    case 'st': return opSize === 2 ? 94 : 108; // FSAVE image: environment + eight 80-bit registers
    case 'fx': return 512; // FXSAVE image
    default: return 0;
  }
}
