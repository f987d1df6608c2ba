/**
 * x87 arithmetic: FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR with m32fp, m64fp, m16int, m32int and ST(i)
 * operands and their pop forms, FSQRT, FABS, FCHS, FRNDINT, FSCALE, FXTRACT, FPREM, FPREM1
 * (SDM Vol. 2, the instruction pages; Vol. 1, 8.3.5).
 */
import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { OpKind } from '../decode/instr.js';
import * as E from './extended.js';
import { C, R, X } from './extended.js';
import { SW_C0, SW_C1, SW_C2, SW_C3, SW_DE, SW_IE, SW_SF, SW_ZE, I_FSW } from './fpu-layout.js';
import { begin, blocked, dataOffset, finish, fullForPush, isEmpty, notePointers, pop, pushR, setCc, st, underflow, writeSt, writeStR } from './fpu-stack.js';

const ARITH_BLOCK = SW_IE | SW_DE | SW_ZE;

/**
 * Read the memory operand of an arithmetic/compare/load row into R, converting by the escape byte:
 * D8/D9 m32fp, DC/DD m64fp, DA/DB m32int, DE/DF m16int (m64int and m80 are handled by their rows).
 */
export function loadMemOperand(cpu: Cpu, ins: Instr): void {
  const esc = ins.row!.opcode;
  switch (esc) {
    case 0xd8: case 0xd9: E.fromFloat32(cpu.read32(cpu.linear(ins, 4))); break;
    case 0xdc: case 0xdd: { const lo = cpu.read64(cpu.linear(ins, 8)); E.fromFloat64(lo, cpu.hi); break; }
    case 0xda: case 0xdb: { const v = cpu.read32(cpu.linear(ins, 4)) | 0; E.fromInt64(v, v >> 31); break; }
    default: { const v = (cpu.read16(cpu.linear(ins, 2)) << 16) >> 16; E.fromInt64(v, v >> 31); break; }
  }
}

const OP_ADD = 0, OP_MUL = 1, OP_SUB = 2, OP_SUBR = 3, OP_DIV = 4, OP_DIVR = 5;

function compute(op: number, aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number): void {
  switch (op) {
    case OP_ADD: E.add(aSe, aHi, aLo, bSe, bHi, bLo); break;
    case OP_MUL: E.mul(aSe, aHi, aLo, bSe, bHi, bLo); break;
    case OP_SUB: E.sub(aSe, aHi, aLo, bSe, bHi, bLo); break;
    case OP_SUBR: E.sub(bSe, bHi, bLo, aSe, aHi, aLo); break;
    case OP_DIV: E.div(aSe, aHi, aLo, bSe, bHi, bLo); break;
    default: E.div(bSe, bHi, bLo, aSe, aHi, aLo); break;
  }
}

function arith(cpu: Cpu, ins: Instr, op: number): void {
  begin(cpu);
  const s = cpu.s;
  let dst = 0, popAfter = false;
  let bSe: number, bHi: number, bLo: number;
  if (ins.kind0 === OpKind.Mem) {
    const off = dataOffset(cpu, ins);
    notePointers(cpu, ins, off);
    loadMemOperand(cpu, ins);
    bSe = R.se; bHi = R.hi; bLo = R.lo;
    if (isEmpty(cpu, 0)) {
      if (underflow()) writeStR(cpu, 0);
      finish(cpu);
      return;
    }
  } else {
    notePointers(cpu, ins, 0);
    dst = ins.reg0;
    const src = ins.reg1;
    popAfter = ins.row!.opcode === 0xde;
    if (isEmpty(cpu, dst) || isEmpty(cpu, src)) {
      if (underflow()) {
        writeStR(cpu, dst);
        if (popAfter) pop(cpu);
      }
      finish(cpu);
      return;
    }
    const b = st(cpu, src);
    bSe = s[b + 2]!; bHi = s[b + 1]!; bLo = s[b]!;
  }
  const a = st(cpu, dst);
  compute(op, s[a + 2]!, s[a + 1]!, s[a]!, bSe, bHi, bLo);
  if (blocked(SW_DE)) X.flags &= SW_IE | SW_DE;
  if (!blocked(ARITH_BLOCK)) {
    writeStR(cpu, dst);
    if (popAfter) pop(cpu);
  }
  finish(cpu);
}

export const fadd = (cpu: Cpu, ins: Instr) => arith(cpu, ins, OP_ADD);
export const fmul = (cpu: Cpu, ins: Instr) => arith(cpu, ins, OP_MUL);
export const fsub = (cpu: Cpu, ins: Instr) => arith(cpu, ins, OP_SUB);
export const fsubr = (cpu: Cpu, ins: Instr) => arith(cpu, ins, OP_SUBR);
export const fdiv = (cpu: Cpu, ins: Instr) => arith(cpu, ins, OP_DIV);
export const fdivr = (cpu: Cpu, ins: Instr) => arith(cpu, ins, OP_DIVR);
// FIADD etc.: the memory operand is an integer; loadMemOperand converts by escape byte.
export const fiadd = fadd, fimul = fmul, fisub = fsub, fisubr = fsubr, fidiv = fdiv, fidivr = fdivr;

/** A one-operand operation on ST(0) through `fn`, which leaves the result in R. */
function unary(cpu: Cpu, ins: Instr, fn: (se: number, hi: number, lo: number) => void, block = ARITH_BLOCK): void {
  begin(cpu);
  notePointers(cpu, ins, 0);
  if (isEmpty(cpu, 0)) {
    if (underflow()) writeStR(cpu, 0);
    finish(cpu);
    return;
  }
  const s = cpu.s;
  const a = st(cpu, 0);
  fn(s[a + 2]!, s[a + 1]!, s[a]!);
  if (blocked(SW_DE)) X.flags &= SW_IE | SW_DE;
  if (!blocked(block)) writeStR(cpu, 0);
  finish(cpu);
}

export const fsqrt = (cpu: Cpu, ins: Instr) => unary(cpu, ins, E.sqrt);
export const frndint = (cpu: Cpu, ins: Instr) => unary(cpu, ins, E.roundToInt);
export const fabs = (cpu: Cpu, ins: Instr) => unary(cpu, ins, (se, hi, lo) => E.setResult(se & 0x7fff, hi, lo));
export const fchs = (cpu: Cpu, ins: Instr) => unary(cpu, ins, (se, hi, lo) => E.setResult(se ^ 0x8000, hi, lo));

/** FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)) (SDM Vol. 2, FSCALE, Table 3-46). */
export function fscale(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  notePointers(cpu, ins, 0);
  const s = cpu.s;
  if (isEmpty(cpu, 0) || isEmpty(cpu, 1)) {
    if (underflow()) writeStR(cpu, 0);
    finish(cpu);
    return;
  }
  const a = st(cpu, 0), b = st(cpu, 1);
  scale(s[a + 2]!, s[a + 1]!, s[a]!, s[b + 2]!, s[b + 1]!, s[b]!);
  if (blocked(SW_DE)) X.flags &= SW_IE | SW_DE;
  if (!blocked(ARITH_BLOCK)) writeStR(cpu, 0);
  finish(cpu);
}

function scale(aSe: number, aHi: number, aLo: number, bSe: number, bHi: number, bLo: number): void {
  const kb = E.unpackB(bSe, bHi, bLo);
  const ka = E.unpackA(aSe, aHi, aLo);
  if (ka >= E.K_QNAN || kb >= E.K_QNAN) {
    X.flags &= ~SW_DE;
    if (ka === E.K_UNSUPPORTED || kb === E.K_UNSUPPORTED) { E.invalid(); return; }
    // Two-operand NaN rule through add (no arithmetic happens with a NaN operand).
    E.add(aSe, aHi, aLo, bSe, bHi, bLo);
    return;
  }
  const bNeg = (bSe & 0x8000) !== 0;
  if (kb === E.K_INF) {
    if (ka === E.K_ZERO) { if (!bNeg) E.invalid(); else E.setResult(aSe, 0, 0); return; }
    if (ka === E.K_INF) { if (bNeg) E.invalid(); else E.setResult(aSe, aHi, aLo); return; }
    if (bNeg) E.setResult(aSe & 0x8000, 0, 0);
    else E.setResult((aSe & 0x8000) | 0x7fff, 0x80000000, 0);
    return;
  }
  if (ka === E.K_ZERO || ka === E.K_INF) { E.setResult(aSe, aHi, aLo); return; }
  // n = trunc(ST(1)), clamped (beyond +-2^17 the result over/underflows anyway).
  const b = E.unpackedB();
  let n: number;
  if (kb === E.K_ZERO || b.exp < E.BIAS) n = 0;
  else if (b.exp > E.BIAS + 20) n = 1 << 20;
  else n = Math.floor(b.hi / 2 ** (31 - (b.exp - E.BIAS)));
  if (bNeg) n = -n;
  const u = E.unpackedA();
  E.roundPack(u.sign, u.exp + n, u.hi, u.lo, 0, 64);
}

/** FXTRACT: ST(0) = exponent, then push the significand (SDM Vol. 2, FXTRACT). */
export function fxtract(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  notePointers(cpu, ins, 0);
  const s = cpu.s;
  if (isEmpty(cpu, 0)) {
    if (underflow()) { writeStR(cpu, 0); pushR(cpu); X.up = false; }
    finish(cpu);
    return;
  }
  if (fullForPush(cpu)) {
    // Stack overflow (#IS, C1 = 1): masked, ST(0) and the pushed value are the indefinite.
    X.flags |= SW_IE | SW_SF;
    X.up = true;
    if ((C.unmasked & SW_IE) === 0) { E.setIndefinite(); writeStR(cpu, 0); pushR(cpu); X.up = true; }
    finish(cpu);
    return;
  }
  const a = st(cpu, 0);
  const se = s[a + 2]!, hi = s[a + 1]! >>> 0, lo = s[a]! >>> 0;
  const k = E.unpackA(se, hi, lo);
  let expSe: number, expHi: number, expLo: number;
  let sigSe: number, sigHi: number, sigLo: number;
  if (k >= E.K_QNAN) {
    X.flags &= ~SW_DE;
    if (k === E.K_UNSUPPORTED) E.invalid(); else E.propagateNaN1(se, hi, lo);
    expSe = sigSe = R.se; expHi = sigHi = R.hi; expLo = sigLo = R.lo;
  } else if (k === E.K_ZERO) {
    X.flags |= SW_ZE;
    expSe = 0xffff; expHi = 0x80000000; expLo = 0;
    sigSe = se; sigHi = 0; sigLo = 0;
  } else if (k === E.K_INF) {
    expSe = 0x7fff; expHi = 0x80000000; expLo = 0;
    sigSe = se; sigHi = hi; sigLo = lo;
  } else {
    const u = E.unpackedA();
    const e = u.exp - E.BIAS;
    E.fromInt64(e, e >> 31);
    expSe = R.se; expHi = R.hi; expLo = R.lo;
    sigSe = (u.sign << 15) | E.BIAS; sigHi = u.hi; sigLo = u.lo;
  }
  if (blocked(SW_DE)) X.flags &= SW_IE | SW_DE;
  if (!blocked(ARITH_BLOCK)) {
    writeSt(cpu, 0, expSe, expHi, expLo);
    E.setResult(sigSe, sigHi, sigLo);
    pushR(cpu);
  }
  finish(cpu);
}

/**
 * FPREM / FPREM1: partial remainder (SDM Vol. 2, FPREM). When the exponent difference is below
 * 64 the remainder is complete (C2 = 0) and C0, C3, C1 get quotient bits 2, 1, 0; otherwise the
 * exponent of ST(0) is reduced by N = 32 + (difference mod 32) and C2 = 1.
 */
function premCommon(cpu: Cpu, ins: Instr, nearest: boolean): void {
  begin(cpu);
  notePointers(cpu, ins, 0);
  const s = cpu.s;
  if (isEmpty(cpu, 0) || isEmpty(cpu, 1)) {
    if (underflow()) writeStR(cpu, 0);
    setCc(cpu, s[I_FSW]! & (SW_C0 | SW_C3));
    finish(cpu);
    return;
  }
  const a = st(cpu, 0), b = st(cpu, 1);
  const aSe = s[a + 2]!, aHi = s[a + 1]! >>> 0, aLo = s[a]! >>> 0;
  const bSe = s[b + 2]!, bHi = s[b + 1]! >>> 0, bLo = s[b]! >>> 0;
  const ka = E.unpackA(aSe, aHi, aLo), kb = E.unpackB(bSe, bHi, bLo);
  // Special operands and blocked results keep C0 and C3, clear C1 and C2 (oracle CPU).
  let cc = s[I_FSW]! & (SW_C0 | SW_C3);
  if (ka >= E.K_QNAN || kb >= E.K_QNAN) {
    X.flags &= ~SW_DE;
    if (ka === E.K_UNSUPPORTED || kb === E.K_UNSUPPORTED) E.invalid();
    else E.add(aSe, aHi, aLo, bSe, bHi, bLo);
  } else if (ka === E.K_INF || kb === E.K_ZERO) {
    E.invalid();
  } else if (ka === E.K_ZERO || kb === E.K_INF) {
    // A complete remainder with quotient 0.
    E.setResult(aSe, aHi, aLo);
    cc = 0;
    if (ka !== E.K_ZERO && (aSe & 0x7fff) === 0) {
      // A denormal dividend is returned normalized? No: returned as is (DE already flagged).
    }
  } else {
    cc = remainder(nearest);
  }
  if (blocked(SW_DE)) X.flags &= SW_IE | SW_DE;
  if (!blocked(ARITH_BLOCK)) {
    writeStR(cpu, 0);
    setCc(cpu, cc & ~SW_C1);
    X.up = (cc & SW_C1) !== 0;
  } else {
    setCc(cpu, s[I_FSW]! & (SW_C0 | SW_C3));
    X.up = false;
  }
  finish(cpu);
  void I_FSW;
}

/** Remainder of the unpacked finite non-zero A by B into R; returns the condition codes. */
function remainder(nearest: boolean): number {
  const A = E.unpackedA();
  const aSign = A.sign, aExp = A.exp, aHi = A.hi, aLo = A.lo;
  const B = E.unpackedB();
  const bExp = B.exp, bHi = B.hi, bLo = B.lo;
  let d = aExp - bExp;
  let partial = false;
  let resultExp = bExp;
  if (d >= 64) {
    const n = 32 + (d & 31);
    partial = true;
    resultExp = aExp - n;
    d = n;
  }
  if (d < 0) {
    if (!nearest || d < -1) { E.roundPack(aSign, aExp, aHi, aLo, 0, 64); return 0; }
    // d = -1: |a| >= |b| / 2 rounds the quotient to 1 when |a| > |b|/2 (a tie rounds to even 0).
    const cmp = aHi !== bHi ? (aHi > bHi ? 1 : -1) : aLo !== bLo ? (aLo > bLo ? 1 : -1) : 0;
    if (cmp <= 0) { E.roundPack(aSign, aExp, aHi, aLo, 0, 64); return 0; }
    // r = b - a with a = (aSig) * 2^(bExp - 1 ...): compute b*2 - a at exponent bExp - 1.
    let rHi = bHi * 2 + (bLo >>> 31), rLo = (bLo << 1) >>> 0;
    let lo = rLo - aLo, borrow = 0;
    if (lo < 0) { lo += 4294967296; borrow = 1; }
    rHi = rHi - aHi - borrow; rLo = lo;
    // rHi < 2^32 here since 2b - a < b.
    E.roundPack(aSign ^ 1, bExp - 1, rHi >>> 0, rLo >>> 0, 0, 64);
    return SW_C1; // quotient 1
  }
  let rHi = aHi, rLo = aLo;
  let q = 0; // low bits of the quotient (mod 8)
  for (let i = 0; i <= d; i++) {
    q = (q * 2) % 8;
    if (rHi > bHi || (rHi === bHi && rLo >= bLo)) {
      let lo = rLo - bLo, borrow = 0;
      if (lo < 0) { lo += 4294967296; borrow = 1; }
      rHi = rHi - bHi - borrow; rLo = lo;
      q |= 1;
    }
    if (i < d) { rHi = rHi * 2 + (rLo >>> 31); rLo = (rLo << 1) >>> 0; }
  }
  let sign = aSign;
  if (nearest && !partial) {
    // Round the quotient to nearest: compare 2r with b.
    const r2Hi = rHi * 2 + (rLo >>> 31), r2Lo = (rLo << 1) >>> 0;
    const cmp = r2Hi !== bHi ? (r2Hi > bHi ? 1 : -1) : r2Lo !== bLo ? (r2Lo > bLo ? 1 : -1) : 0;
    if (cmp > 0 || (cmp === 0 && (q & 1) === 1)) {
      let lo = bLo - rLo, borrow = 0;
      if (lo < 0) { lo += 4294967296; borrow = 1; }
      rHi = bHi - rHi - borrow; rLo = lo;
      q = (q + 1) % 8;
      sign ^= 1;
    }
  }
  if (rHi === 0 && rLo === 0) E.setResult(aSign << 15, 0, 0);
  else E.roundPack(sign, resultExp, rHi >>> 0, rLo >>> 0, 0, 64);
  if (partial) return SW_C2;
  return ((q & 4) !== 0 ? SW_C0 : 0) | ((q & 2) !== 0 ? SW_C3 : 0) | ((q & 1) !== 0 ? SW_C1 : 0);
}

export const fprem = (cpu: Cpu, ins: Instr) => premCommon(cpu, ins, false);
export const fprem1 = (cpu: Cpu, ins: Instr) => premCommon(cpu, ins, true);
void C;
