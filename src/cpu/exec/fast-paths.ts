import type { Cpu } from '../cpu.js';
import { OpKind, type Handler, type Instr } from '../decode/instr.js';
import { I_LAZY_OP, I_LAZY_RES, I_LAZY_SIZE, I_LAZY_SRC1, I_LAZY_SRC2, I_RFLAGS } from '../state/cpu-state.js';
import { CF, getCF, LazyOp, setLazy64 } from './flags.js';

/**
 * Specialised handlers for the most frequent operand shapes (32/64-bit register and immediate
 * ALU forms, INC/DEC, MOV). They do what the generic handlers in alu.ts / data.ts do, without the
 * operand-kind and size dispatch. Chosen once per decoded instruction by `specialize`; every one is
 * covered by the same native-oracle tests as the generic path.
 */

function lazy32(cpu: Cpu, op: LazyOp, r: number, a: number, b: number): void {
  const s = cpu.s;
  s[I_LAZY_OP] = op;
  s[I_LAZY_SIZE] = 4;
  s[I_LAZY_RES] = r;
  s[I_LAZY_SRC1] = a;
  s[I_LAZY_SRC2] = b;
}

const add32rr: Handler = (cpu: Cpu, ins: Instr) => {
  const g = cpu.g32, a = g[ins.reg0]!, b = g[ins.reg1]!, r = (a + b) | 0;
  g[ins.reg0] = r; g[ins.reg0 + 1] = 0;
  lazy32(cpu, LazyOp.Add, r, a, b);
};
const add32ri: Handler = (cpu: Cpu, ins: Instr) => {
  const g = cpu.g32, a = g[ins.reg0]!, b = ins.immLo, r = (a + b) | 0;
  g[ins.reg0] = r; g[ins.reg0 + 1] = 0;
  lazy32(cpu, LazyOp.Add, r, a, b);
};
const sub32rr: Handler = (cpu: Cpu, ins: Instr) => {
  const g = cpu.g32, a = g[ins.reg0]!, b = g[ins.reg1]!, r = (a - b) | 0;
  g[ins.reg0] = r; g[ins.reg0 + 1] = 0;
  lazy32(cpu, LazyOp.Sub, r, a, b);
};
const sub32ri: Handler = (cpu: Cpu, ins: Instr) => {
  const g = cpu.g32, a = g[ins.reg0]!, b = ins.immLo, r = (a - b) | 0;
  g[ins.reg0] = r; g[ins.reg0 + 1] = 0;
  lazy32(cpu, LazyOp.Sub, r, a, b);
};
const cmp32rr: Handler = (cpu: Cpu, ins: Instr) => {
  const g = cpu.g32, a = g[ins.reg0]!, b = g[ins.reg1]!;
  lazy32(cpu, LazyOp.Sub, (a - b) | 0, a, b);
};
const cmp32ri: Handler = (cpu: Cpu, ins: Instr) => {
  const a = cpu.g32[ins.reg0]!, b = ins.immLo;
  lazy32(cpu, LazyOp.Sub, (a - b) | 0, a, b);
};
const and32rr: Handler = (cpu: Cpu, ins: Instr) => {
  const g = cpu.g32, r = g[ins.reg0]! & g[ins.reg1]!;
  g[ins.reg0] = r; g[ins.reg0 + 1] = 0;
  lazy32(cpu, LazyOp.Logic, r, 0, 0);
};
const and32ri: Handler = (cpu: Cpu, ins: Instr) => {
  const g = cpu.g32, r = g[ins.reg0]! & ins.immLo;
  g[ins.reg0] = r; g[ins.reg0 + 1] = 0;
  lazy32(cpu, LazyOp.Logic, r, 0, 0);
};
const or32rr: Handler = (cpu: Cpu, ins: Instr) => {
  const g = cpu.g32, r = g[ins.reg0]! | g[ins.reg1]!;
  g[ins.reg0] = r; g[ins.reg0 + 1] = 0;
  lazy32(cpu, LazyOp.Logic, r, 0, 0);
};
const or32ri: Handler = (cpu: Cpu, ins: Instr) => {
  const g = cpu.g32, r = g[ins.reg0]! | ins.immLo;
  g[ins.reg0] = r; g[ins.reg0 + 1] = 0;
  lazy32(cpu, LazyOp.Logic, r, 0, 0);
};
const xor32rr: Handler = (cpu: Cpu, ins: Instr) => {
  const g = cpu.g32, r = g[ins.reg0]! ^ g[ins.reg1]!;
  g[ins.reg0] = r; g[ins.reg0 + 1] = 0;
  lazy32(cpu, LazyOp.Logic, r, 0, 0);
};
const xor32ri: Handler = (cpu: Cpu, ins: Instr) => {
  const g = cpu.g32, r = g[ins.reg0]! ^ ins.immLo;
  g[ins.reg0] = r; g[ins.reg0 + 1] = 0;
  lazy32(cpu, LazyOp.Logic, r, 0, 0);
};
const test32rr: Handler = (cpu: Cpu, ins: Instr) => {
  lazy32(cpu, LazyOp.Logic, cpu.g32[ins.reg0]! & cpu.g32[ins.reg1]!, 0, 0);
};
const test32ri: Handler = (cpu: Cpu, ins: Instr) => {
  lazy32(cpu, LazyOp.Logic, cpu.g32[ins.reg0]! & ins.immLo, 0, 0);
};

/** INC/DEC keep CF: fold the current CF into RFLAGS first (see alu.ts incDec). */
const inc32r: Handler = (cpu: Cpu, ins: Instr) => {
  const s = cpu.s, g = cpu.g32;
  const cf = getCF(s);
  const a = g[ins.reg0]!, r = (a + 1) | 0;
  g[ins.reg0] = r; g[ins.reg0 + 1] = 0;
  s[I_RFLAGS] = (s[I_RFLAGS]! & ~CF) | cf;
  lazy32(cpu, LazyOp.Inc, r, a, 1);
};
const dec32r: Handler = (cpu: Cpu, ins: Instr) => {
  const s = cpu.s, g = cpu.g32;
  const cf = getCF(s);
  const a = g[ins.reg0]!, r = (a - 1) | 0;
  g[ins.reg0] = r; g[ins.reg0 + 1] = 0;
  s[I_RFLAGS] = (s[I_RFLAGS]! & ~CF) | cf;
  lazy32(cpu, LazyOp.Dec, r, a, -1);
};

const add64rr: Handler = (cpu: Cpu, ins: Instr) => {
  const g = cpu.g32, d = ins.reg0, n = ins.reg1;
  const a = g[d]!, aHi = g[d + 1]!, b = g[n]!, bHi = g[n + 1]!;
  const sum = (a >>> 0) + (b >>> 0);
  const lo = sum | 0, hi = (aHi + bHi + (sum > 0xffffffff ? 1 : 0)) | 0;
  g[d] = lo; g[d + 1] = hi;
  setLazy64(cpu.s, LazyOp.Add, lo, hi, a, aHi, b, bHi);
};
const add64ri: Handler = (cpu: Cpu, ins: Instr) => {
  const g = cpu.g32, d = ins.reg0;
  const a = g[d]!, aHi = g[d + 1]!, b = ins.immLo, bHi = ins.immHi;
  const sum = (a >>> 0) + (b >>> 0);
  const lo = sum | 0, hi = (aHi + bHi + (sum > 0xffffffff ? 1 : 0)) | 0;
  g[d] = lo; g[d + 1] = hi;
  setLazy64(cpu.s, LazyOp.Add, lo, hi, a, aHi, b, bHi);
};
function sub64(cpu: Cpu, d: number, b: number, bHi: number, write: boolean): void {
  const g = cpu.g32;
  const a = g[d]!, aHi = g[d + 1]!;
  const diff = (a >>> 0) - (b >>> 0);
  const lo = diff | 0, hi = (aHi - bHi - (diff < 0 ? 1 : 0)) | 0;
  if (write) { g[d] = lo; g[d + 1] = hi; }
  setLazy64(cpu.s, LazyOp.Sub, lo, hi, a, aHi, b, bHi);
}
const sub64rr: Handler = (cpu: Cpu, ins: Instr) => sub64(cpu, ins.reg0, cpu.g32[ins.reg1]!, cpu.g32[ins.reg1 + 1]!, true);
const sub64ri: Handler = (cpu: Cpu, ins: Instr) => sub64(cpu, ins.reg0, ins.immLo, ins.immHi, true);
const cmp64rr: Handler = (cpu: Cpu, ins: Instr) => sub64(cpu, ins.reg0, cpu.g32[ins.reg1]!, cpu.g32[ins.reg1 + 1]!, false);
const cmp64ri: Handler = (cpu: Cpu, ins: Instr) => sub64(cpu, ins.reg0, ins.immLo, ins.immHi, false);
function logic64(cpu: Cpu, d: number, lo: number, hi: number, write: boolean): void {
  if (write) { cpu.g32[d] = lo; cpu.g32[d + 1] = hi; }
  setLazy64(cpu.s, LazyOp.Logic, lo, hi, 0, 0, 0, 0);
}
const and64rr: Handler = (cpu: Cpu, ins: Instr) => { const g = cpu.g32; logic64(cpu, ins.reg0, g[ins.reg0]! & g[ins.reg1]!, g[ins.reg0 + 1]! & g[ins.reg1 + 1]!, true); };
const and64ri: Handler = (cpu: Cpu, ins: Instr) => { const g = cpu.g32; logic64(cpu, ins.reg0, g[ins.reg0]! & ins.immLo, g[ins.reg0 + 1]! & ins.immHi, true); };
const or64rr: Handler = (cpu: Cpu, ins: Instr) => { const g = cpu.g32; logic64(cpu, ins.reg0, g[ins.reg0]! | g[ins.reg1]!, g[ins.reg0 + 1]! | g[ins.reg1 + 1]!, true); };
const or64ri: Handler = (cpu: Cpu, ins: Instr) => { const g = cpu.g32; logic64(cpu, ins.reg0, g[ins.reg0]! | ins.immLo, g[ins.reg0 + 1]! | ins.immHi, true); };
const xor64rr: Handler = (cpu: Cpu, ins: Instr) => { const g = cpu.g32; logic64(cpu, ins.reg0, g[ins.reg0]! ^ g[ins.reg1]!, g[ins.reg0 + 1]! ^ g[ins.reg1 + 1]!, true); };
const xor64ri: Handler = (cpu: Cpu, ins: Instr) => { const g = cpu.g32; logic64(cpu, ins.reg0, g[ins.reg0]! ^ ins.immLo, g[ins.reg0 + 1]! ^ ins.immHi, true); };
const test64rr: Handler = (cpu: Cpu, ins: Instr) => { const g = cpu.g32; logic64(cpu, ins.reg0, g[ins.reg0]! & g[ins.reg1]!, g[ins.reg0 + 1]! & g[ins.reg1 + 1]!, false); };
const test64ri: Handler = (cpu: Cpu, ins: Instr) => { const g = cpu.g32; logic64(cpu, ins.reg0, g[ins.reg0]! & ins.immLo, g[ins.reg0 + 1]! & ins.immHi, false); };

function incDec64(cpu: Cpu, d: number, delta: number): void {
  const s = cpu.s, g = cpu.g32;
  const cf = getCF(s);
  const a = g[d]!, aHi = g[d + 1]!;
  const sum = (a >>> 0) + delta;
  const lo = sum | 0, hi = (aHi + (sum > 0xffffffff ? 1 : sum < 0 ? -1 : 0)) | 0;
  g[d] = lo; g[d + 1] = hi;
  s[I_RFLAGS] = (s[I_RFLAGS]! & ~CF) | cf;
  setLazy64(s, delta > 0 ? LazyOp.Inc : LazyOp.Dec, lo, hi, a, aHi, delta, delta >> 31);
}
const inc64r: Handler = (cpu: Cpu, ins: Instr) => incDec64(cpu, ins.reg0, 1);
const dec64r: Handler = (cpu: Cpu, ins: Instr) => incDec64(cpu, ins.reg0, -1);

const mov32rr: Handler = (cpu: Cpu, ins: Instr) => { const g = cpu.g32; g[ins.reg0] = g[ins.reg1]!; g[ins.reg0 + 1] = 0; };
const mov32ri: Handler = (cpu: Cpu, ins: Instr) => { cpu.g32[ins.reg0] = ins.immLo; cpu.g32[ins.reg0 + 1] = 0; };
const mov32rm: Handler = (cpu: Cpu, ins: Instr) => { const v = cpu.read32(cpu.linear(ins, 4)); cpu.g32[ins.reg0] = v; cpu.g32[ins.reg0 + 1] = 0; };
const mov32mr: Handler = (cpu: Cpu, ins: Instr) => { cpu.write32(cpu.linearWrite(ins, 4), cpu.g32[ins.reg1]!); };
const mov64rr: Handler = (cpu: Cpu, ins: Instr) => { const g = cpu.g32; g[ins.reg0] = g[ins.reg1]!; g[ins.reg0 + 1] = g[ins.reg1 + 1]!; };
const mov64ri: Handler = (cpu: Cpu, ins: Instr) => { cpu.g32[ins.reg0] = ins.immLo; cpu.g32[ins.reg0 + 1] = ins.immHi; };
const mov64rm: Handler = (cpu: Cpu, ins: Instr) => { const lo = cpu.read64(cpu.linear(ins, 8)); cpu.g32[ins.reg0] = lo; cpu.g32[ins.reg0 + 1] = cpu.hi; };
const mov64mr: Handler = (cpu: Cpu, ins: Instr) => { cpu.write64(cpu.linearWrite(ins, 8), cpu.g32[ins.reg1]!, cpu.g32[ins.reg1 + 1]!); };

type Shapes = { rr32?: Handler; ri32?: Handler; rr64?: Handler; ri64?: Handler };

const ALU_SHAPES: Record<string, Shapes> = {
  add: { rr32: add32rr, ri32: add32ri, rr64: add64rr, ri64: add64ri },
  sub: { rr32: sub32rr, ri32: sub32ri, rr64: sub64rr, ri64: sub64ri },
  cmp: { rr32: cmp32rr, ri32: cmp32ri, rr64: cmp64rr, ri64: cmp64ri },
  and: { rr32: and32rr, ri32: and32ri, rr64: and64rr, ri64: and64ri },
  or: { rr32: or32rr, ri32: or32ri, rr64: or64rr, ri64: or64ri },
  xor: { rr32: xor32rr, ri32: xor32ri, rr64: xor64rr, ri64: xor64ri },
  test: { rr32: test32rr, ri32: test32ri, rr64: test64rr, ri64: test64ri },
  mov: { rr32: mov32rr, ri32: mov32ri, rr64: mov64rr, ri64: mov64ri },
};

/** Pick a specialised handler for a decoded instruction, or keep its generic one. */
export function specialize(ins: Instr): Handler {
  const row = ins.row;
  if (row === null || ins.fault >= 0 || ins.prefixes & 1 /* LOCK: keep the generic path */) return ins.exec;
  const name = row.execName;
  const size = ins.size0;
  if (size !== 4 && size !== 8) return ins.exec;
  if (ins.kind0 === OpKind.Reg) {
    const shapes = ALU_SHAPES[name];
    if (shapes && ins.operandCount === 2) {
      if (ins.kind1 === OpKind.Reg && ins.size1 === size) return (size === 4 ? shapes.rr32 : shapes.rr64) ?? ins.exec;
      if (ins.kind1 === OpKind.Imm) return (size === 4 ? shapes.ri32 : shapes.ri64) ?? ins.exec;
      if (name === 'mov' && ins.kind1 === OpKind.Mem) return size === 4 ? mov32rm : mov64rm;
    }
    if (ins.operandCount === 1 && name === 'inc') return size === 4 ? inc32r : inc64r;
    if (ins.operandCount === 1 && name === 'dec') return size === 4 ? dec32r : dec64r;
  } else if (ins.kind0 === OpKind.Mem && name === 'mov' && ins.kind1 === OpKind.Reg && ins.operandCount === 2) {
    return size === 4 ? mov32mr : mov64mr;
  }
  return ins.exec;
}
