import type { OpcodeRow } from './row.js';
import { parseOperand, type OperandSpec } from './operand-spec.js';
import { EXEC_NAMES } from './generated/exec-names.js';

/** Opcode maps, as selected by the escape bytes. */
export const MAP_ONE_BYTE = 0, MAP_0F = 1, MAP_0F38 = 2, MAP_0F3A = 3;

/** Row attributes turned into bit flags. */
export const ATTR_LOCK = 1 << 0;
export const ATTR_I64 = 1 << 1;
export const ATTR_O64 = 1 << 2;
export const ATTR_D64 = 1 << 3;
export const ATTR_F64 = 1 << 4;
export const ATTR_REP = 1 << 5;
export const ATTR_REPCC = 1 << 6;
export const ATTR_BRANCH = 1 << 7;
export const ATTR_CPL0 = 1 << 8;
export const ATTR_PM = 1 << 9;
/** A 66-prefixed row whose 66 still selects the 16-bit operand size (66 0F 38 F0 MOVBE r16). */
export const ATTR_OPSIZE = 1 << 10;

const ATTR_BITS: Record<string, number> = {
  lock: ATTR_LOCK, i64: ATTR_I64, o64: ATTR_O64, d64: ATTR_D64, f64: ATTR_F64, rep: ATTR_REP,
  repcc: ATTR_REPCC, branch: ATTR_BRANCH, cpl0: ATTR_CPL0, pm: ATTR_PM, opsize: ATTR_OPSIZE,
};

/** CPUID feature names a row may require (anything in attrs that is not a flag above). */
export const FEATURE_NAMES = new Set([
  'mmx', 'sse', 'sse2', 'sse3', 'ssse3', 'sse41', 'sse42', 'popcnt', 'bmi1', 'abm', 'rdrand', 'rdseed',
  'rdpid', 'rdtscp', 'xsave', 'smap', 'fsgsbase', 'clflush', 'movbe', 'aes', 'pclmul', 'cx16', 'fxsr',
  'x87', 'cmov', 'monitor', 'xsaveopt', 'xsavec', 'xsaves', 'clwb', 'clflushopt', 'vmx', 'sha', 'adx',
  'invpcid', 'rtm', 'wbnoinvd', 'serialize', 'pku', 'smx',
]);

export interface CompiledRow {
  readonly source: OpcodeRow;
  readonly name: string;
  readonly map: number;
  readonly opcode: number;
  readonly plusR: boolean;
  /** -1: any; 0: none of 66/F2/F3 (NP); else the mandatory prefix byte. */
  readonly prefix: number;
  /** ModRM.reg digit (/0../7) or -1. */
  readonly digit: number;
  /** 0: any mod; 1: memory only (mod != 3); 2: register only (mod = 3). */
  readonly modClass: number;
  /** Exact ModRM byte or -1. */
  readonly exactModrm: number;
  readonly operands: readonly OperandSpec[];
  readonly needsModrm: boolean;
  /**
   * ModRM.rm names a register whatever ModRM.mod says (MOV to/from CRn/DRn, SDM Vol. 2 MOV-Control
   * Registers: "the mod field is ignored"): no SIB or displacement follows.
   */
  readonly rmAlwaysRegister: boolean;
  readonly attrs: number;
  readonly feature: string | null;
  readonly execName: string;
  readonly execId: number;
}

export function compileRow(row: OpcodeRow): CompiledRow {
  const tokens = row.opcode.split(/\s+/);
  let at = 0;
  let prefix = -1;
  const first = tokens[0]!;
  if (first === 'NP') { prefix = 0; at++; }
  else if ((first === '66' || first === 'F2' || first === 'F3') && tokens.length > 1 && !tokens[1]!.startsWith('/')) {
    // '66 0F ...' is a mandatory prefix; 'F3 90' (PAUSE) too. A lone 'F3' would be the opcode.
    prefix = parseInt(first, 16);
    at++;
  }
  let map = MAP_ONE_BYTE;
  if (tokens[at] === '0F') {
    at++;
    map = MAP_0F;
    if (tokens[at] === '38' && tokens.length > at + 1 && /^[0-9A-F]{2}/.test(tokens[at + 1]!)) { map = MAP_0F38; at++; }
    else if (tokens[at] === '3A' && tokens.length > at + 1 && /^[0-9A-F]{2}/.test(tokens[at + 1]!)) { map = MAP_0F3A; at++; }
  }
  const opToken = tokens[at++];
  const opMatch = opToken ? /^([0-9A-F]{2})(\+r)?$/.exec(opToken) : null;
  if (!opMatch) throw new Error(`bad opcode '${row.opcode}'`);
  const opcode = parseInt(opMatch[1]!, 16);
  const plusR = opMatch[2] !== undefined;
  let digit = -1, modClass = 0, exactModrm = -1, slashR = false;
  for (; at < tokens.length; at++) {
    const t = tokens[at]!;
    if (/^\/[0-7]$/.test(t)) digit = Number(t[1]);
    else if (t === '/r') slashR = true;
    else if (t === 'mem') modClass = 1;
    else if (t === 'reg') modClass = 2;
    else if (/^[0-9A-F]{2}$/.test(t)) exactModrm = parseInt(t, 16);
    else throw new Error(`bad opcode token '${t}' in '${row.opcode}'`);
  }
  const operands = row.operands ? row.operands.split(',').map((s) => parseOperand(s.trim())) : [];
  let attrs = 0;
  let feature: string | null = null;
  for (const a of (row.attrs ?? '').split(/\s+/).filter(Boolean)) {
    if (a in ATTR_BITS) attrs |= ATTR_BITS[a]!;
    else if (FEATURE_NAMES.has(a)) feature = a;
    else throw new Error(`unknown attribute '${a}' on ${row.name} ${row.opcode}`);
  }
  const execId = (EXEC_NAMES as readonly string[]).indexOf(row.exec);
  if (execId < 0) throw new Error(`exec '${row.exec}' is not in generated/exec-names.ts: run npm run generate`);
  const needsModrm = slashR || digit >= 0 || modClass !== 0 || exactModrm >= 0 || operands.some((o) => o.usesModrm);
  const rmAlwaysRegister = modClass === 0 && operands.some((o) => o.method === 'R')
    && !operands.some((o) => o.method === 'E' || o.method === 'M' || o.method === 'Q' || o.method === 'W');
  return {
    source: row, name: row.name, map, opcode, plusR, prefix, digit, modClass, exactModrm, operands,
    needsModrm, rmAlwaysRegister, attrs, feature, execName: row.exec, execId,
  };
}

/** All rows of a map set, indexed by map * 256 + opcode. */
export class OpcodeIndex {
  readonly slots: (CompiledRow[] | undefined)[] = new Array(4 * 256);
  /** Whether any row of the slot takes a ModRM byte. */
  readonly slotNeedsModrm = new Uint8Array(4 * 256);
  /**
   * Immediate bytes an invalid encoding of the slot still consumes: the Ib every row of the slot
   * has (0F 70-73, 0F C2-C6, all of 0F 3A), so that a #UD's length matches the hardware's.
   */
  readonly slotInvalidImm = new Uint8Array(4 * 256);

  constructor(rows: readonly OpcodeRow[]) {
    for (const row of rows) {
      const compiled = compileRow(row);
      const count = compiled.plusR ? 8 : 1;
      for (let i = 0; i < count; i++) {
        const slot = compiled.map * 256 + compiled.opcode + i;
        (this.slots[slot] ??= []).push(compiled);
        if (compiled.needsModrm) this.slotNeedsModrm[slot] = 1;
      }
    }
    for (let slot = 0; slot < this.slots.length; slot++) {
      const rows = this.slots[slot];
      if (!rows) continue;
      // A slot either always or never has a ModRM byte: the length of an instruction cannot depend
      // on which row is selected afterwards.
      const modrm = rows.map((r) => r.needsModrm);
      if (modrm.some((m) => m !== modrm[0])) {
        throw new Error(`opcode slot ${slot.toString(16)} mixes rows with and without ModRM`);
      }
      const ib = (r: CompiledRow) => r.operands.filter((o) => o.immediate).map((o) => o.text).join();
      if (rows.every((r) => ib(r) === 'Ib')) this.slotInvalidImm[slot] = 1;
    }
    for (let op = 0; op < 256; op++) this.slotInvalidImm[MAP_0F3A * 256 + op] = 1;
  }
}
