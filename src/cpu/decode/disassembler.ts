import { ATTR_REP, ATTR_REPCC, MAP_0F, OpcodeIndex, type CompiledRow } from './compile.js';
import { Decoder, DecodeMode } from './decoder.js';
import { Instr, OpKind, PFX_LOCK, PFX_REP, PFX_REPNE, PFX_REX, type Handler } from './instr.js';
import { ALL_ROWS } from './maps/index.js';
import { EXEC_NAMES } from './generated/exec-names.js';
import { ALL_DECODER_FEATURES } from '../cpuid.js';

/**
 * Intel-syntax disassembler driven by the opcode tables: the mnemonic is the row's name, the
 * operands are rendered from the decoded `Instr` (kinds, registers, sizes, memory operand,
 * immediates). The output follows binutils' `objdump -M intel` conventions (lower case, `DWORD PTR`,
 * hexadecimal immediates, absolute branch targets) so the two can be compared.
 */

const GPR64 = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
const GPR32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'r8d', 'r9d', 'r10d', 'r11d', 'r12d', 'r13d', 'r14d', 'r15d'];
const GPR16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di', 'r8w', 'r9w', 'r10w', 'r11w', 'r12w', 'r13w', 'r14w', 'r15w'];
const GPR8_REX = ['al', 'cl', 'dl', 'bl', 'spl', 'bpl', 'sil', 'dil', 'r8b', 'r9b', 'r10b', 'r11b', 'r12b', 'r13b', 'r14b', 'r15b'];
const GPR8_HIGH = ['ah', 'ch', 'dh', 'bh'];
const SREG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', '?6', '?7'];

/** Name of the register at view index `index` (see Instr) for an operand of `size` bytes. */
export function gprName(index: number, size: number): string {
  if (size === 1) return index % 8 === 1 ? GPR8_HIGH[(index - 1) / 8]! : GPR8_REX[index / 8]!;
  if (size === 2) return GPR16[index / 4]!;
  return (size === 8 ? GPR64 : GPR32)[index / 2]!;
}

function regBySize(n: number, size: number): string {
  return size === 8 ? GPR64[n]! : size === 2 ? GPR16[n]! : size === 1 ? GPR8_REX[n]! : GPR32[n]!;
}

const hex = (v: bigint | number) => '0x' + v.toString(16);

/** Memory operand size keywords, as objdump prints them. */
function sizeKeyword(size: number, spec: string): string {
  if (spec === '' || spec === 's' || spec === 'e' || spec === 'st' || spec === 'fx') return '';
  switch (size) {
    case 1: return 'BYTE PTR ';
    case 2: return 'WORD PTR ';
    case 4: return 'DWORD PTR ';
    case 6: return 'FWORD PTR ';
    case 8: return 'QWORD PTR ';
    case 10: return 'TBYTE PTR ';
    case 16: return 'XMMWORD PTR ';
    default: return '';
  }
}

/** Mnemonics whose spelling depends on the operand or address size (objdump's suffixes). */
function mnemonic(ins: Instr, row: CompiledRow): string {
  const name = row.name.toLowerCase();
  const o = ins.opSize, w = (ins.prefixes & PFX_REX) !== 0 && o === 8;
  switch (name) {
    case 'cbw': return o === 2 ? 'cbw' : o === 4 ? 'cwde' : 'cdqe';
    case 'cwd': return o === 2 ? 'cwd' : o === 4 ? 'cdq' : 'cqo';
    case 'iret': return o === 2 ? 'iret' : o === 4 ? 'iretd' : 'iretq';
    case 'jcxz': return ins.addrSize === 2 ? 'jcxz' : ins.addrSize === 4 ? 'jecxz' : 'jrcxz';
    case 'movd': return row.operands.some((s, i) => s.size === 'y' && [ins.size0, ins.size1][i] === 8) ? 'movq' : 'movd';
    case 'callf': return 'call';
    case 'jmpf': return 'jmp';
    case 'pextrd': return ins.size0 === 8 ? 'pextrq' : name;
    case 'pinsrd': return ins.size1 === 8 ? 'pinsrq' : name;
    case 'cmpxchg8b': return w ? 'cmpxchg16b' : name;
    case 'fxsave': case 'fxrstor': case 'xsave': case 'xrstor': case 'xsaveopt': case 'xsavec':
    case 'xsaves': case 'xrstors':
      return w ? name + '64' : name;
    case 'movsb': case 'cmpsb': case 'stosb': case 'lodsb': case 'scasb': case 'insb': case 'outsb':
      return name.slice(0, -1);
    default: return name;
  }
}

function memory(ins: Instr, size: number, spec: string): string {
  const names = ins.addrSize === 8 ? GPR64 : ins.addrSize === 4 ? GPR32 : GPR16;
  const parts: string[] = [];
  if (ins.base === 16) parts.push(ins.addrSize === 4 ? 'eip' : 'rip');
  else if (ins.base >= 0) parts.push(names[ins.base]!);
  if (ins.index >= 0) parts.push(names[ins.index]! + (ins.addrSize === 2 ? '' : '*' + (1 << ins.scale)));
  let disp = BigInt(ins.disp | 0);
  if (ins.base < 0 && ins.index < 0 && ins.addrSize === 8 && ins.dispHi !== (ins.disp >> 31)) {
    disp = (BigInt(ins.dispHi >>> 0) << 32n) | BigInt(ins.disp >>> 0); // moffs64
  }
  const mask = ins.addrSize === 8 ? (1n << 64n) - 1n : ins.addrSize === 4 ? 0xffffffffn : 0xffffn;
  const seg = SREG[ins.seg]!;
  const explicitSeg = (ins.prefixes & 32) !== 0;
  let address: string;
  if (parts.length === 0) {
    // An absolute address: objdump spells the segment (ds: by default).
    return `${sizeKeyword(size, spec)}${seg}:${hex(disp & mask)}`;
  } else {
    address = parts.join('+');
    if (disp > 0n) address += '+' + hex(disp);
    else if (disp < 0n) address += '-' + hex(-disp);
  }
  return `${sizeKeyword(size, spec)}${explicitSeg ? seg + ':' : ''}[${address}]`;
}

function immediate(ins: Instr, index: number, row: CompiledRow, spec: { signExtendImm: boolean; size: string }): bigint {
  const lo = index === 0 ? ins.immLo : ins.imm2;
  const hi = index === 0 ? ins.immHi : 0;
  let width = spec.size === 'b' ? 1 : spec.size === 'w' ? 2 : spec.size === 'd' ? 4 : spec.size === 'v' ? ins.opSize : Math.min(ins.opSize, 4);
  if (spec.signExtendImm || (spec.size === 'z' && ins.opSize === 8)) width = ins.opSize;
  void row;
  const value = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return value & ((1n << BigInt(width * 8)) - 1n);
}

/** Render one decoded instruction at `address` (used for relative branch targets). */
export function disassemble(ins: Instr, address: bigint | number): string {
  const row = ins.row;
  if (!row || ins.fault >= 0) return '(bad)';
  const kinds = [ins.kind0, ins.kind1, ins.kind2];
  const regs = [ins.reg0, ins.reg1, ins.reg2];
  const sizes = [ins.size0, ins.size1, ins.size2];
  const operands: string[] = [];
  let immIndex = 0;
  for (let i = 0; i < ins.operandCount; i++) {
    const spec = row.operands[i]!;
    const kind = kinds[i]!, reg = regs[i]!, size = sizes[i]!;
    switch (kind) {
      case OpKind.Reg: operands.push(gprName(reg, size)); break;
      // moffs operands carry no size keyword in objdump's spelling.
      case OpKind.Mem: operands.push(memory(ins, size, spec.method === 'O' ? '' : spec.size)); break;
      case OpKind.Imm:
        if (spec.method === 'const1') operands.push('1');
        else operands.push(hex(immediate(ins, immIndex++, row, spec)));
        break;
      case OpKind.Sreg: operands.push(SREG[reg]!); break;
      case OpKind.Cr: operands.push(`cr${reg}`); break;
      case OpKind.Dr: operands.push(`dr${reg}`); break;
      case OpKind.Mmx: operands.push(`mm${reg}`); break;
      case OpKind.Xmm: operands.push(`xmm${reg}`); break;
      case OpKind.St: operands.push(spec.method === 'ST0' ? 'st' : `st(${reg})`); break;
      case OpKind.Rel: {
        const next = BigInt(address) + BigInt(ins.len);
        const target = next + ((BigInt(ins.immHi) << 32n) | BigInt(ins.immLo >>> 0));
        const mask = ins.opSize === 2 ? 0xffffn : ins.opSize === 4 ? 0xffffffffn : (1n << 64n) - 1n;
        operands.push(hex(target & mask));
        immIndex++;
        break;
      }
      case OpKind.Far: operands.push(`${hex(ins.imm2)}:${hex(ins.immLo >>> 0)}`); immIndex++; break;
      case OpKind.Implicit: {
        if (spec.method === 'F') break;
        const names = ins.addrSize === 8 ? GPR64 : ins.addrSize === 4 ? GPR32 : GPR16;
        const width = sizeKeyword(size, spec.size);
        if (spec.method === 'Y') operands.push(`${width}es:[${names[7]}]`);
        else operands.push(`${width}${SREG[ins.seg]}:[${names[6]}]`);
        break;
      }
      default: break;
    }
  }
  let prefix = '';
  if ((ins.prefixes & PFX_LOCK) !== 0) prefix += 'lock ';
  if ((row.attrs & ATTR_REP) !== 0 && (ins.prefixes & (PFX_REP | PFX_REPNE)) !== 0) prefix += 'rep ';
  if ((row.attrs & ATTR_REPCC) !== 0 && (ins.prefixes & PFX_REP) !== 0) prefix += 'repz ';
  if ((row.attrs & ATTR_REPCC) !== 0 && (ins.prefixes & PFX_REPNE) !== 0) prefix += 'repnz ';
  if (row.name === 'XLAT') {
    // The implicit table operand, as objdump spells it.
    const names = ins.addrSize === 8 ? GPR64 : ins.addrSize === 4 ? GPR32 : GPR16;
    operands.push(`BYTE PTR ${SREG[ins.seg]}:[${names[3]}]`);
  }
  const text = prefix + mnemonic(ins, row);
  void MAP_0F;
  return operands.length ? `${text} ${operands.join(',')}` : text;
}

let sharedDecoder: Decoder | null = null;

/** A decoder over every row with every feature enabled, for tools and tests. */
export function fullDecoder(): Decoder {
  if (!sharedDecoder) {
    const noop: Handler = () => {};
    sharedDecoder = new Decoder(new OpcodeIndex(ALL_ROWS), EXEC_NAMES.map(() => noop), noop, ALL_DECODER_FEATURES);
  }
  return sharedDecoder;
}

export const DISASSEMBLY_MODES: Record<16 | 32 | 64, DecodeMode> = { 16: DecodeMode.Prot16, 32: DecodeMode.Prot32, 64: DecodeMode.Long64 };

/** Decode and render the instruction at the start of `bytes` (bytes past the end read as 0). */
export function disassembleBytes(bytes: Uint8Array | readonly number[], mode: DecodeMode | 16 | 32 | 64, address: bigint | number = 0): { text: string; length: number; ins: Instr } {
  const decodeMode = mode === 16 || mode === 32 || mode === 64 ? DISASSEMBLY_MODES[mode] : mode;
  const ins = fullDecoder().decode((offset) => bytes[offset] ?? 0, decodeMode);
  return { text: disassemble(ins, address), length: ins.len, ins };
}
