import type { OpcodeRow } from '../row.js';

/**
 * The one-byte opcode map (Intel SDM Vol. 2, Appendix A, Table A-2) with its groups 1, 1A, 2, 3, 4,
 * 5 and 11 (Table A-6). x87 escapes D8-DF are in x87.ts.
 */

const ALU = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP'] as const;
const CC = ['O', 'NO', 'B', 'AE', 'E', 'NE', 'BE', 'A', 'S', 'NS', 'P', 'NP', 'L', 'GE', 'LE', 'G'] as const;
// /6 is an undocumented alias of SHL (/4), spelled SHL as binutils does.
const SHIFT = ['ROL', 'ROR', 'RCL', 'RCR', 'SHL', 'SHR', 'SHL', 'SAR'] as const;
const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/** 00-3F: the eight ALU operations, each in six forms (Table A-2 rows 0-3, columns 0-5 and 8-D). */
function aluRows(): OpcodeRow[] {
  const rows: OpcodeRow[] = [];
  ALU.forEach((name, i) => {
    const base = i * 8;
    const exec = name.toLowerCase();
    const lock = name === 'CMP' ? undefined : 'lock';
    rows.push(
      { opcode: hex(base), name, operands: 'Eb,Gb', exec, attrs: lock },
      { opcode: hex(base + 1), name, operands: 'Ev,Gv', exec, attrs: lock },
      { opcode: hex(base + 2), name, operands: 'Gb,Eb', exec },
      { opcode: hex(base + 3), name, operands: 'Gv,Ev', exec },
      { opcode: hex(base + 4), name, operands: 'AL,Ib', exec },
      { opcode: hex(base + 5), name, operands: 'rAX,Iz', exec },
    );
  });
  return rows;
}

/** Group 1 (80, 81, 82, 83): ALU op selected by ModRM.reg. */
function group1Rows(): OpcodeRow[] {
  const rows: OpcodeRow[] = [];
  ALU.forEach((name, reg) => {
    const exec = name.toLowerCase();
    const lock = name === 'CMP' ? undefined : 'lock';
    rows.push(
      { opcode: `80 /${reg}`, name, operands: 'Eb,Ib', exec, attrs: lock },
      { opcode: `81 /${reg}`, name, operands: 'Ev,Iz', exec, attrs: lock },
      // 82 is an alias of 80, invalid in 64-bit mode (Table A-2 footnote).
      { opcode: `82 /${reg}`, name, operands: 'Eb,Ib', exec, attrs: lock ? 'lock i64' : 'i64' },
      { opcode: `83 /${reg}`, name, operands: 'Ev,Ibs', exec, attrs: lock },
    );
  });
  return rows;
}

/** Group 2: shifts and rotates (C0, C1, D0-D3). /6 is the undocumented alias of SHL. */
function group2Rows(): OpcodeRow[] {
  const rows: OpcodeRow[] = [];
  SHIFT.forEach((name, reg) => {
    const exec = name.toLowerCase();
    rows.push(
      { opcode: `C0 /${reg}`, name, operands: 'Eb,Ib', exec },
      { opcode: `C1 /${reg}`, name, operands: 'Ev,Ib', exec },
      { opcode: `D0 /${reg}`, name, operands: 'Eb,1', exec },
      { opcode: `D1 /${reg}`, name, operands: 'Ev,1', exec },
      { opcode: `D2 /${reg}`, name, operands: 'Eb,CL', exec },
      { opcode: `D3 /${reg}`, name, operands: 'Ev,CL', exec },
    );
  });
  return rows;
}

function ccRows(): OpcodeRow[] {
  return CC.map((cc, i) => ({ opcode: hex(0x70 + i), name: `J${cc}`, operands: 'Jb', exec: 'jcc', attrs: 'f64 branch' }));
}

export const ONE_BYTE_MAP: readonly OpcodeRow[] = [
  ...aluRows(),
  { opcode: '06', name: 'PUSH', operands: 'ES', exec: 'push_sreg', attrs: 'i64' },
  { opcode: '07', name: 'POP', operands: 'ES', exec: 'pop_sreg', attrs: 'i64' },
  { opcode: '0E', name: 'PUSH', operands: 'CS', exec: 'push_sreg', attrs: 'i64' },
  { opcode: '16', name: 'PUSH', operands: 'SS', exec: 'push_sreg', attrs: 'i64' },
  { opcode: '17', name: 'POP', operands: 'SS', exec: 'pop_sreg', attrs: 'i64 branch' },
  { opcode: '1E', name: 'PUSH', operands: 'DS', exec: 'push_sreg', attrs: 'i64' },
  { opcode: '1F', name: 'POP', operands: 'DS', exec: 'pop_sreg', attrs: 'i64' },
  { opcode: '27', name: 'DAA', exec: 'daa', attrs: 'i64' },
  { opcode: '2F', name: 'DAS', exec: 'das', attrs: 'i64' },
  { opcode: '37', name: 'AAA', exec: 'aaa', attrs: 'i64' },
  { opcode: '3F', name: 'AAS', exec: 'aas', attrs: 'i64' },
  // 40-4F are REX prefixes in 64-bit mode; the decoder consumes them before the map is consulted.
  { opcode: '40+r', name: 'INC', operands: 'Zv', exec: 'inc', attrs: 'i64' },
  { opcode: '48+r', name: 'DEC', operands: 'Zv', exec: 'dec', attrs: 'i64' },
  { opcode: '50+r', name: 'PUSH', operands: 'Zv', exec: 'push', attrs: 'd64' },
  { opcode: '58+r', name: 'POP', operands: 'Zv', exec: 'pop', attrs: 'd64' },
  { opcode: '60', name: 'PUSHA', exec: 'pusha', attrs: 'i64' },
  { opcode: '61', name: 'POPA', exec: 'popa', attrs: 'i64' },
  { opcode: '62 mem', name: 'BOUND', operands: 'Gv,Ma', exec: 'bound', attrs: 'i64' },
  { opcode: '63', name: 'ARPL', operands: 'Ew,Gw', exec: 'arpl', attrs: 'i64 pm' },
  // MOVSXD r16, r/m16 with 66; r32/r64 read 32 bits (SDM Vol. 2, MOVSX/MOVSXD).
  { opcode: '63', name: 'MOVSXD', operands: 'Gv,Ez', exec: 'movsx', attrs: 'o64' },
  { opcode: '68', name: 'PUSH', operands: 'Iz', exec: 'push', attrs: 'd64' },
  { opcode: '69', name: 'IMUL', operands: 'Gv,Ev,Iz', exec: 'imul3' },
  { opcode: '6A', name: 'PUSH', operands: 'Ibs', exec: 'push', attrs: 'd64' },
  { opcode: '6B', name: 'IMUL', operands: 'Gv,Ev,Ibs', exec: 'imul3' },
  { opcode: '6C', name: 'INSB', operands: 'Yb,DX', exec: 'ins', attrs: 'rep' },
  { opcode: '6D', name: 'INS', operands: 'Yz,DX', exec: 'ins', attrs: 'rep' },
  { opcode: '6E', name: 'OUTSB', operands: 'DX,Xb', exec: 'outs', attrs: 'rep' },
  { opcode: '6F', name: 'OUTS', operands: 'DX,Xz', exec: 'outs', attrs: 'rep' },
  ...ccRows(),
  ...group1Rows(),
  { opcode: '84', name: 'TEST', operands: 'Eb,Gb', exec: 'test' },
  { opcode: '85', name: 'TEST', operands: 'Ev,Gv', exec: 'test' },
  { opcode: '86', name: 'XCHG', operands: 'Eb,Gb', exec: 'xchg', attrs: 'lock' },
  { opcode: '87', name: 'XCHG', operands: 'Ev,Gv', exec: 'xchg', attrs: 'lock' },
  { opcode: '88', name: 'MOV', operands: 'Eb,Gb', exec: 'mov' },
  { opcode: '89', name: 'MOV', operands: 'Ev,Gv', exec: 'mov' },
  { opcode: '8A', name: 'MOV', operands: 'Gb,Eb', exec: 'mov' },
  { opcode: '8B', name: 'MOV', operands: 'Gv,Ev', exec: 'mov' },
  // MOV Sreg: ModRM.reg 6 and 7 name no segment register, and MOV CS is not allowed: #UD.
  // To memory the selector is always 16 bits; to a register it is zero-extended (Rv).
  ...[0, 1, 2, 3, 4, 5].flatMap((d) => [
    { opcode: `8C /${d} mem`, name: 'MOV', operands: 'Mw,Sw', exec: 'mov_from_sreg' },
    { opcode: `8C /${d} reg`, name: 'MOV', operands: 'Rv,Sw', exec: 'mov_from_sreg' },
  ]),
  { opcode: '8D mem', name: 'LEA', operands: 'Gv,M', exec: 'lea' },
  ...[0, 2, 3, 4, 5].map((d) => ({ opcode: `8E /${d}`, name: 'MOV', operands: 'Sw,Ew', exec: 'mov_to_sreg' })),
  { opcode: '8F /0', name: 'POP', operands: 'Ev', exec: 'pop', attrs: 'd64' },
  { opcode: '90', name: 'NOP', exec: 'nop' },
  { opcode: 'F3 90', name: 'PAUSE', exec: 'pause' },
  { opcode: '90+r', name: 'XCHG', operands: 'Zv,rAX', exec: 'xchg' },
  { opcode: '98', name: 'CBW', exec: 'cbw' },
  { opcode: '99', name: 'CWD', exec: 'cwd' },
  { opcode: '9A', name: 'CALLF', operands: 'Ap', exec: 'callf', attrs: 'i64 branch' },
  { opcode: '9B', name: 'FWAIT', exec: 'fwait' },
  { opcode: '9C', name: 'PUSHF', operands: 'Fv', exec: 'pushf', attrs: 'd64' },
  { opcode: '9D', name: 'POPF', operands: 'Fv', exec: 'popf', attrs: 'd64 branch' },
  { opcode: '9E', name: 'SAHF', exec: 'sahf' },
  { opcode: '9F', name: 'LAHF', exec: 'lahf' },
  { opcode: 'A0', name: 'MOV', operands: 'AL,Ob', exec: 'mov' },
  { opcode: 'A1', name: 'MOV', operands: 'rAX,Ov', exec: 'mov' },
  { opcode: 'A2', name: 'MOV', operands: 'Ob,AL', exec: 'mov' },
  { opcode: 'A3', name: 'MOV', operands: 'Ov,rAX', exec: 'mov' },
  { opcode: 'A4', name: 'MOVSB', operands: 'Yb,Xb', exec: 'movs', attrs: 'rep' },
  { opcode: 'A5', name: 'MOVS', operands: 'Yv,Xv', exec: 'movs', attrs: 'rep' },
  { opcode: 'A6', name: 'CMPSB', operands: 'Xb,Yb', exec: 'cmps', attrs: 'repcc' },
  { opcode: 'A7', name: 'CMPS', operands: 'Xv,Yv', exec: 'cmps', attrs: 'repcc' },
  { opcode: 'A8', name: 'TEST', operands: 'AL,Ib', exec: 'test' },
  { opcode: 'A9', name: 'TEST', operands: 'rAX,Iz', exec: 'test' },
  { opcode: 'AA', name: 'STOSB', operands: 'Yb,AL', exec: 'stos', attrs: 'rep' },
  { opcode: 'AB', name: 'STOS', operands: 'Yv,rAX', exec: 'stos', attrs: 'rep' },
  { opcode: 'AC', name: 'LODSB', operands: 'AL,Xb', exec: 'lods', attrs: 'rep' },
  { opcode: 'AD', name: 'LODS', operands: 'rAX,Xv', exec: 'lods', attrs: 'rep' },
  { opcode: 'AE', name: 'SCASB', operands: 'AL,Yb', exec: 'scas', attrs: 'repcc' },
  { opcode: 'AF', name: 'SCAS', operands: 'rAX,Yv', exec: 'scas', attrs: 'repcc' },
  { opcode: 'B0+r', name: 'MOV', operands: 'Zb,Ib', exec: 'mov' },
  { opcode: 'B8+r', name: 'MOV', operands: 'Zv,Iv', exec: 'mov' },
  ...group2Rows(),
  { opcode: 'C2', name: 'RET', operands: 'Iw', exec: 'ret', attrs: 'f64 branch' },
  { opcode: 'C3', name: 'RET', exec: 'ret', attrs: 'f64 branch' },
  { opcode: 'C4 mem', name: 'LES', operands: 'Gz,Mp', exec: 'les', attrs: 'i64' },
  { opcode: 'C5 mem', name: 'LDS', operands: 'Gz,Mp', exec: 'lds', attrs: 'i64' },
  { opcode: 'C6 /0', name: 'MOV', operands: 'Eb,Ib', exec: 'mov' },
  { opcode: 'C7 /0', name: 'MOV', operands: 'Ev,Iz', exec: 'mov' },
  // RTM (SDM Vol. 2, XBEGIN/XABORT): exact ModRM F8 in group 11.
  { opcode: 'C6 F8', name: 'XABORT', operands: 'Ib', exec: 'xabort', attrs: 'rtm' },
  { opcode: 'C7 F8', name: 'XBEGIN', operands: 'Jz', exec: 'xbegin', attrs: 'rtm branch' },
  { opcode: 'C8', name: 'ENTER', operands: 'Iw,Ib', exec: 'enter', attrs: 'd64' },
  { opcode: 'C9', name: 'LEAVE', exec: 'leave', attrs: 'd64' },
  { opcode: 'CA', name: 'RETF', operands: 'Iw', exec: 'retf', attrs: 'branch' },
  { opcode: 'CB', name: 'RETF', exec: 'retf', attrs: 'branch' },
  { opcode: 'CC', name: 'INT3', exec: 'int3', attrs: 'branch' },
  { opcode: 'CD', name: 'INT', operands: 'Ib', exec: 'int', attrs: 'branch' },
  { opcode: 'CE', name: 'INTO', exec: 'into', attrs: 'i64 branch' },
  { opcode: 'CF', name: 'IRET', exec: 'iret', attrs: 'branch' },
  { opcode: 'D4', name: 'AAM', operands: 'Ib', exec: 'aam', attrs: 'i64' },
  { opcode: 'D5', name: 'AAD', operands: 'Ib', exec: 'aad', attrs: 'i64' },
  // D6 is SALC: undocumented by Intel's table but executed by every Intel CPU outside 64-bit mode.
  { opcode: 'D6', name: 'SALC', exec: 'salc', attrs: 'i64' },
  { opcode: 'D7', name: 'XLAT', exec: 'xlat' },
  { opcode: 'E0', name: 'LOOPNE', operands: 'Jb', exec: 'loopne', attrs: 'f64 branch' },
  { opcode: 'E1', name: 'LOOPE', operands: 'Jb', exec: 'loope', attrs: 'f64 branch' },
  { opcode: 'E2', name: 'LOOP', operands: 'Jb', exec: 'loop', attrs: 'f64 branch' },
  { opcode: 'E3', name: 'JCXZ', operands: 'Jb', exec: 'jcxz', attrs: 'f64 branch' },
  { opcode: 'E4', name: 'IN', operands: 'AL,Ib', exec: 'in' },
  { opcode: 'E5', name: 'IN', operands: 'eAX,Ib', exec: 'in' },
  { opcode: 'E6', name: 'OUT', operands: 'Ib,AL', exec: 'out' },
  { opcode: 'E7', name: 'OUT', operands: 'Ib,eAX', exec: 'out' },
  { opcode: 'E8', name: 'CALL', operands: 'Jz', exec: 'call', attrs: 'f64 branch' },
  { opcode: 'E9', name: 'JMP', operands: 'Jz', exec: 'jmp', attrs: 'f64 branch' },
  { opcode: 'EA', name: 'JMPF', operands: 'Ap', exec: 'jmpf', attrs: 'i64 branch' },
  { opcode: 'EB', name: 'JMP', operands: 'Jb', exec: 'jmp', attrs: 'f64 branch' },
  { opcode: 'EC', name: 'IN', operands: 'AL,DX', exec: 'in' },
  { opcode: 'ED', name: 'IN', operands: 'eAX,DX', exec: 'in' },
  { opcode: 'EE', name: 'OUT', operands: 'DX,AL', exec: 'out' },
  { opcode: 'EF', name: 'OUT', operands: 'DX,eAX', exec: 'out' },
  { opcode: 'F1', name: 'INT1', exec: 'int1', attrs: 'branch' },
  { opcode: 'F4', name: 'HLT', exec: 'hlt', attrs: 'cpl0 branch' },
  { opcode: 'F5', name: 'CMC', exec: 'cmc' },
  // Group 3.
  { opcode: 'F6 /0', name: 'TEST', operands: 'Eb,Ib', exec: 'test' },
  { opcode: 'F6 /1', name: 'TEST', operands: 'Eb,Ib', exec: 'test' },
  { opcode: 'F6 /2', name: 'NOT', operands: 'Eb', exec: 'not', attrs: 'lock' },
  { opcode: 'F6 /3', name: 'NEG', operands: 'Eb', exec: 'neg', attrs: 'lock' },
  { opcode: 'F6 /4', name: 'MUL', operands: 'Eb', exec: 'mul' },
  { opcode: 'F6 /5', name: 'IMUL', operands: 'Eb', exec: 'imul1' },
  { opcode: 'F6 /6', name: 'DIV', operands: 'Eb', exec: 'div' },
  { opcode: 'F6 /7', name: 'IDIV', operands: 'Eb', exec: 'idiv' },
  { opcode: 'F7 /0', name: 'TEST', operands: 'Ev,Iz', exec: 'test' },
  { opcode: 'F7 /1', name: 'TEST', operands: 'Ev,Iz', exec: 'test' },
  { opcode: 'F7 /2', name: 'NOT', operands: 'Ev', exec: 'not', attrs: 'lock' },
  { opcode: 'F7 /3', name: 'NEG', operands: 'Ev', exec: 'neg', attrs: 'lock' },
  { opcode: 'F7 /4', name: 'MUL', operands: 'Ev', exec: 'mul' },
  { opcode: 'F7 /5', name: 'IMUL', operands: 'Ev', exec: 'imul1' },
  { opcode: 'F7 /6', name: 'DIV', operands: 'Ev', exec: 'div' },
  { opcode: 'F7 /7', name: 'IDIV', operands: 'Ev', exec: 'idiv' },
  { opcode: 'F8', name: 'CLC', exec: 'clc' },
  { opcode: 'F9', name: 'STC', exec: 'stc' },
  { opcode: 'FA', name: 'CLI', exec: 'cli' },
  { opcode: 'FB', name: 'STI', exec: 'sti', attrs: 'branch' },
  { opcode: 'FC', name: 'CLD', exec: 'cld' },
  { opcode: 'FD', name: 'STD', exec: 'std' },
  // Group 4 and 5.
  { opcode: 'FE /0', name: 'INC', operands: 'Eb', exec: 'inc', attrs: 'lock' },
  { opcode: 'FE /1', name: 'DEC', operands: 'Eb', exec: 'dec', attrs: 'lock' },
  { opcode: 'FF /0', name: 'INC', operands: 'Ev', exec: 'inc', attrs: 'lock' },
  { opcode: 'FF /1', name: 'DEC', operands: 'Ev', exec: 'dec', attrs: 'lock' },
  { opcode: 'FF /2', name: 'CALL', operands: 'Ev', exec: 'call_indirect', attrs: 'f64 branch' },
  { opcode: 'FF /3 mem', name: 'CALLF', operands: 'Mp', exec: 'callf_indirect', attrs: 'branch' },
  { opcode: 'FF /4', name: 'JMP', operands: 'Ev', exec: 'jmp_indirect', attrs: 'f64 branch' },
  { opcode: 'FF /5 mem', name: 'JMPF', operands: 'Mp', exec: 'jmpf_indirect', attrs: 'branch' },
  { opcode: 'FF /6', name: 'PUSH', operands: 'Ev', exec: 'push', attrs: 'd64' },
];
