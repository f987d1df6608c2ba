import type { OpcodeRow } from '../row.js';

/**
 * The x87 escape opcodes D8-DF: Intel SDM Vol. 2, Appendix A.4, Tables. Memory forms are
 * selected by ModRM.reg (/digit); register forms (mod = 3) by ModRM.reg with ST(i) in rm, or by the
 * exact ModRM byte. Every D8-DF encoding has a ModRM byte, so undefined register encodings are #UD
 * with the right length. Memory sizes: Md m32, Mq m64, Mw m16, Mt m80, Me the 14/28-byte FPU
 * environment, Mst the 94/108-byte FSAVE image.
 *
 * The undocumented register aliases (DC D0 FCOM2, DD C8 FXCH4, DF C0 FFREEP, ...) execute on every
 * Intel x87 since the 387 and are listed under the names binutils gives them.
 */

const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/** Eight memory rows of one escape byte, by /digit; null = reserved (#UD). */
function memRows(esc: number, rows: readonly ([string, string] | null)[], attrs?: Record<string, string>): OpcodeRow[] {
  const out: OpcodeRow[] = [];
  rows.forEach((r, digit) => {
    if (!r) return;
    const [name, operand] = r;
    out.push({ opcode: `${hex(esc)} /${digit} mem`, name, operands: operand, exec: name.toLowerCase(), attrs: attrs?.[name] ?? 'x87' });
  });
  return out;
}

/** A register form over ST(i): `XX /digit reg`. */
function regRow(esc: number, digit: number, name: string, operands: string | undefined, exec = name.toLowerCase(), attrs = 'x87'): OpcodeRow {
  return { opcode: `${hex(esc)} /${digit} reg`, name, operands, exec, attrs };
}

/** A register form with no operands, by exact ModRM byte. */
function exact(esc: number, modrm: number, name: string, exec = name.toLowerCase(), operands?: string): OpcodeRow {
  return { opcode: `${hex(esc)} ${hex(modrm)}`, name, operands, exec, attrs: 'x87' };
}

const ARITH = ['FADD', 'FMUL', 'FCOM', 'FCOMP', 'FSUB', 'FSUBR', 'FDIV', 'FDIVR'] as const;
const IARITH = ['FIADD', 'FIMUL', 'FICOM', 'FICOMP', 'FISUB', 'FISUBR', 'FIDIV', 'FIDIVR'] as const;

/** D9 E0-FF: the constant loads and transcendental/control operations (Table A-10). */
const D9_EXACT: Record<number, string> = {
  0xe0: 'FCHS', 0xe1: 'FABS', 0xe4: 'FTST', 0xe5: 'FXAM', 0xe8: 'FLD1', 0xe9: 'FLDL2T', 0xea: 'FLDL2E',
  0xeb: 'FLDPI', 0xec: 'FLDLG2', 0xed: 'FLDLN2', 0xee: 'FLDZ', 0xf0: 'F2XM1', 0xf1: 'FYL2X',
  0xf2: 'FPTAN', 0xf3: 'FPATAN', 0xf4: 'FXTRACT', 0xf5: 'FPREM1', 0xf6: 'FDECSTP', 0xf7: 'FINCSTP',
  0xf8: 'FPREM', 0xf9: 'FYL2XP1', 0xfa: 'FSQRT', 0xfb: 'FSINCOS', 0xfc: 'FRNDINT', 0xfd: 'FSCALE',
  0xfe: 'FSIN', 0xff: 'FCOS',
};

export const X87_MAP: readonly OpcodeRow[] = [
  // D8: arithmetic with m32fp, or ST(0) op ST(i).
  ...memRows(0xd8, ARITH.map((n) => [n, 'Md'] as [string, string])),
  ...ARITH.map((n, d) => regRow(0xd8, d, n, n === 'FCOM' || n === 'FCOMP' ? 'STi' : 'ST0,STi')),
  // D9: loads/stores of m32fp, environment and control word; register forms.
  ...memRows(0xd9, [['FLD', 'Md'], null, ['FST', 'Md'], ['FSTP', 'Md'], ['FLDENV', 'Me'], ['FLDCW', 'Mw'], ['FNSTENV', 'Me'], ['FNSTCW', 'Mw']]),
  regRow(0xd9, 0, 'FLD', 'STi'),
  regRow(0xd9, 1, 'FXCH', 'STi'),
  exact(0xd9, 0xd0, 'FNOP'),
  regRow(0xd9, 3, 'FSTP1', 'STi', 'fstp'),
  ...Object.entries(D9_EXACT).map(([modrm, name]) => exact(0xd9, Number(modrm), name)),
  // DA: m32int arithmetic; FCMOVcc; FUCOMPP.
  ...memRows(0xda, IARITH.map((n) => [n, 'Md'] as [string, string])),
  regRow(0xda, 0, 'FCMOVB', 'ST0,STi', 'fcmov'),
  regRow(0xda, 1, 'FCMOVE', 'ST0,STi', 'fcmov'),
  regRow(0xda, 2, 'FCMOVBE', 'ST0,STi', 'fcmov'),
  regRow(0xda, 3, 'FCMOVU', 'ST0,STi', 'fcmov'),
  exact(0xda, 0xe9, 'FUCOMPP'),
  // DB: m32int load/store, m80fp load/store; FCMOVNcc, FNCLEX, FNINIT, FUCOMI, FCOMI.
  ...memRows(0xdb, [['FILD', 'Md'], ['FISTTP', 'Md'], ['FIST', 'Md'], ['FISTP', 'Md'], null, ['FLD', 'Mt'], null, ['FSTP', 'Mt']], { FISTTP: 'sse3' }),
  regRow(0xdb, 0, 'FCMOVNB', 'ST0,STi', 'fcmov'),
  regRow(0xdb, 1, 'FCMOVNE', 'ST0,STi', 'fcmov'),
  regRow(0xdb, 2, 'FCMOVNBE', 'ST0,STi', 'fcmov'),
  regRow(0xdb, 3, 'FCMOVNU', 'ST0,STi', 'fcmov'),
  // DB E0/E1/E4 (8087 FENI/FDISI, 287 FSETPM) execute as no-ops on the 387 and later.
  exact(0xdb, 0xe0, 'FNENI', 'fnop'),
  exact(0xdb, 0xe1, 'FNDISI', 'fnop'),
  exact(0xdb, 0xe2, 'FNCLEX'),
  exact(0xdb, 0xe3, 'FNINIT'),
  exact(0xdb, 0xe4, 'FNSETPM', 'fnop'),
  regRow(0xdb, 5, 'FUCOMI', 'ST0,STi', 'fcomi'),
  regRow(0xdb, 6, 'FCOMI', 'ST0,STi', 'fcomi'),
  // DC: m64fp arithmetic; ST(i) op ST(0) (note the SUB/SUBR and DIV/DIVR swap of Table A-13).
  ...memRows(0xdc, ARITH.map((n) => [n, 'Mq'] as [string, string])),
  regRow(0xdc, 0, 'FADD', 'STi,ST0'),
  regRow(0xdc, 1, 'FMUL', 'STi,ST0'),
  regRow(0xdc, 2, 'FCOM2', 'STi', 'fcom'),
  regRow(0xdc, 3, 'FCOMP3', 'STi', 'fcomp'),
  regRow(0xdc, 4, 'FSUBR', 'STi,ST0'),
  regRow(0xdc, 5, 'FSUB', 'STi,ST0'),
  regRow(0xdc, 6, 'FDIVR', 'STi,ST0'),
  regRow(0xdc, 7, 'FDIV', 'STi,ST0'),
  // DD: m64fp load/store, FRSTOR/FNSAVE, FNSTSW m16; FFREE, FST, FSTP, FUCOM, FUCOMP.
  ...memRows(0xdd, [['FLD', 'Mq'], ['FISTTP', 'Mq'], ['FST', 'Mq'], ['FSTP', 'Mq'], ['FRSTOR', 'Mst'], null, ['FNSAVE', 'Mst'], ['FNSTSW', 'Mw']], { FISTTP: 'sse3' }),
  regRow(0xdd, 0, 'FFREE', 'STi'),
  regRow(0xdd, 1, 'FXCH4', 'STi', 'fxch'),
  regRow(0xdd, 2, 'FST', 'STi'),
  regRow(0xdd, 3, 'FSTP', 'STi'),
  regRow(0xdd, 4, 'FUCOM', 'STi', 'fcom'),
  regRow(0xdd, 5, 'FUCOMP', 'STi', 'fcomp'),
  // DE: m16int arithmetic; arithmetic-and-pop.
  ...memRows(0xde, IARITH.map((n) => [n, 'Mw'] as [string, string])),
  regRow(0xde, 0, 'FADDP', 'STi,ST0', 'fadd'),
  regRow(0xde, 1, 'FMULP', 'STi,ST0', 'fmul'),
  regRow(0xde, 2, 'FCOMP5', 'STi', 'fcomp'),
  exact(0xde, 0xd9, 'FCOMPP'),
  regRow(0xde, 4, 'FSUBRP', 'STi,ST0', 'fsubr'),
  regRow(0xde, 5, 'FSUBP', 'STi,ST0', 'fsub'),
  regRow(0xde, 6, 'FDIVRP', 'STi,ST0', 'fdivr'),
  regRow(0xde, 7, 'FDIVP', 'STi,ST0', 'fdiv'),
  // DF: m16int and m64int load/store, packed BCD; FNSTSW AX, FUCOMIP, FCOMIP.
  ...memRows(0xdf, [['FILD', 'Mw'], ['FISTTP', 'Mw'], ['FIST', 'Mw'], ['FISTP', 'Mw'], ['FBLD', 'Mt'], ['FILD', 'Mq'], ['FBSTP', 'Mt'], ['FISTP', 'Mq']], { FISTTP: 'sse3' }),
  regRow(0xdf, 0, 'FFREEP', 'STi', 'ffree'),
  regRow(0xdf, 1, 'FXCH7', 'STi', 'fxch'),
  regRow(0xdf, 2, 'FSTP8', 'STi', 'fstp'),
  regRow(0xdf, 3, 'FSTP9', 'STi', 'fstp'),
  exact(0xdf, 0xe0, 'FNSTSW', 'fnstsw', 'AX'),
  regRow(0xdf, 5, 'FUCOMIP', 'ST0,STi', 'fcomi'),
  regRow(0xdf, 6, 'FCOMIP', 'ST0,STi', 'fcomi'),
];
