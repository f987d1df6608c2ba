/**
 * x87 data transfer, comparison and stack instructions (SDM Vol. 1, 8.3.3-8.3.7; Vol. 2 pages):
 * FLD/FST/FSTP (m32, m64, m80, ST(i)), FILD/FIST/FISTP/FISTTP, FBLD/FBSTP, FXCH, FCMOVcc, the
 * constants, FCOM/FUCOM/FCOMI/FUCOMI/FICOM/FTST/FXAM, FFREE, FINCSTP/FDECSTP, FNOP.
 */
import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { OpKind } from '../decode/instr.js';
import { getFlags, CF, PF, ZF, AF, SF, OF, LazyOp } from '../exec/flags.js';
import { I_LAZY_OP, I_RFLAGS } from '../state/cpu-state.js';
import * as E from './extended.js';
import { C, R, X } from './extended.js';
import { I_FSW, I_FTW, SW_C0, SW_C1, SW_C2, SW_C3, SW_DE, SW_IE, SW_OE, SW_PE, SW_UE } from './fpu-layout.js';
import { begin, blocked, dataOffset, finish, isEmpty, notePointers, pop, pushR, setCc, setTop, st, top, underflow, writeSt } from './fpu-stack.js';
import { loadMemOperand } from './x87-arith.js';

// ------------------------------------------------------------------------------------------------
// Loads

export function fld(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  const s = cpu.s;
  if (ins.kind0 === OpKind.St) {
    notePointers(cpu, ins, 0);
    if (isEmpty(cpu, ins.reg0)) {
      // Underflow wins over a simultaneous overflow: C1 = 0 (oracle CPU).
      if (underflow()) { pushR(cpu); X.up = false; }
    } else {
      const a = st(cpu, ins.reg0);
      E.setResult(s[a + 2]!, s[a + 1]!, s[a]!);
      pushR(cpu);
    }
    finish(cpu);
    return;
  }
  const off = dataOffset(cpu, ins);
  notePointers(cpu, ins, off);
  if (ins.size0 === 10) {
    const linear = cpu.linear(ins, 10);
    const lo = cpu.read64(linear);
    const hi = cpu.hi;
    const se = cpu.read16(cpu.wrapLinear(linear + 8));
    E.setResult(se, hi, lo);
  } else {
    loadMemOperand(cpu, ins);
  }
  if (blocked(SW_IE | SW_DE)) { finish(cpu); return; }
  pushR(cpu);
  finish(cpu);
}

export function fild(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  const off = dataOffset(cpu, ins);
  notePointers(cpu, ins, off);
  const linear = cpu.linear(ins, ins.size0);
  if (ins.size0 === 2) { const v = (cpu.read16(linear) << 16) >> 16; E.fromInt64(v, v >> 31); }
  else if (ins.size0 === 4) { const v = cpu.read32(linear) | 0; E.fromInt64(v, v >> 31); }
  else { const lo = cpu.read64(linear); E.fromInt64(lo, cpu.hi); }
  pushR(cpu);
  finish(cpu);
}

/** FLD1 ... FLDZ (SDM Vol. 1, 8.3.8: the constants are rounded per RC from 66-bit values). */
function constant(cpu: Cpu, ins: Instr, se: number, hi: number, lo: number, adjust: 'none' | 'down' | 'up'): void {
  begin(cpu);
  notePointers(cpu, ins, 0);
  const rc = C.rc;
  let l = lo;
  if (adjust === 'down' && (rc === E.RC_DOWN || rc === E.RC_ZERO)) l = (lo - 1) >>> 0;
  if (adjust === 'up' && rc === E.RC_UP) l = (lo + 1) >>> 0;
  E.setResult(se, hi, l);
  pushR(cpu);
  finish(cpu);
}

export const fld1 = (cpu: Cpu, ins: Instr) => constant(cpu, ins, 0x3fff, 0x80000000, 0, 'none');
export const fldz = (cpu: Cpu, ins: Instr) => constant(cpu, ins, 0, 0, 0, 'none');
export const fldl2t = (cpu: Cpu, ins: Instr) => constant(cpu, ins, 0x4000, 0xd49a784b, 0xcd1b8afe, 'up');
export const fldl2e = (cpu: Cpu, ins: Instr) => constant(cpu, ins, 0x3fff, 0xb8aa3b29, 0x5c17f0bc, 'down');
export const fldpi = (cpu: Cpu, ins: Instr) => constant(cpu, ins, 0x4000, 0xc90fdaa2, 0x2168c235, 'down');
export const fldlg2 = (cpu: Cpu, ins: Instr) => constant(cpu, ins, 0x3ffd, 0x9a209a84, 0xfbcff799, 'down');
export const fldln2 = (cpu: Cpu, ins: Instr) => constant(cpu, ins, 0x3ffe, 0xb17217f7, 0xd1cf79ac, 'down');

// ------------------------------------------------------------------------------------------------
// Stores

export function fst(cpu: Cpu, ins: Instr): void {
  store(cpu, ins, false);
}

export function fstp(cpu: Cpu, ins: Instr): void {
  store(cpu, ins, true);
}

function store(cpu: Cpu, ins: Instr, popAfter: boolean): void {
  begin(cpu);
  const s = cpu.s;
  if (ins.kind0 === OpKind.St) {
    notePointers(cpu, ins, 0);
    if (isEmpty(cpu, 0)) {
      if (underflow()) { writeSt(cpu, ins.reg0, R.se, R.hi, R.lo); if (popAfter) pop(cpu); }
    } else {
      const a = st(cpu, 0);
      writeSt(cpu, ins.reg0, s[a + 2]!, s[a + 1]!, s[a]!);
      if (popAfter) pop(cpu);
    }
    finish(cpu);
    return;
  }
  const off = dataOffset(cpu, ins);
  notePointers(cpu, ins, off);
  const size = ins.size0;
  const linear = cpu.linear(ins, size);
  let se: number, hi: number, lo: number;
  if (isEmpty(cpu, 0)) {
    if (!underflow()) { finish(cpu); return; }
    se = R.se; hi = R.hi; lo = R.lo;
  } else {
    const a = st(cpu, 0);
    se = s[a + 2]!; hi = s[a + 1]!; lo = s[a]!;
  }
  if (size === 10) {
    cpu.probeWrite(linear, 10);
    cpu.write64(linear, lo, hi);
    cpu.write16(cpu.wrapLinear(linear + 8), se & 0xffff);
  } else {
    if ((X.flags & SW_IE) === 0) {
      E.toFloat(se, hi, lo, size === 4 ? 23 : 52, size === 4 ? 8 : 11);
      X.flags &= ~SW_DE; // the oracle CPU does not report #D for a denormal store source
    }
    else if (size === 4) { E.F.lo = 0xffc00000 | 0; } else { E.F.lo = 0; E.F.hi = 0xfff80000 | 0; }
    if (blocked(SW_IE | SW_DE | SW_OE | SW_UE)) {
      X.flags &= ~SW_PE; // nothing stored: no precision exception
      finish(cpu);
      return;
    }
    if (size === 4) cpu.write32(linear, E.F.lo);
    else cpu.write64(linear, E.F.lo, E.F.hi);
  }
  if (popAfter) pop(cpu);
  finish(cpu);
}

function istore(cpu: Cpu, ins: Instr, popAfter: boolean, truncate: boolean): void {
  begin(cpu);
  const s = cpu.s;
  const off = dataOffset(cpu, ins);
  notePointers(cpu, ins, off);
  const size = ins.size0;
  const linear = cpu.linear(ins, size);
  if (isEmpty(cpu, 0)) {
    underflow();
    E.I.lo = size === 2 ? 0x8000 : size === 4 ? 0x80000000 | 0 : 0;
    E.I.hi = size === 8 ? 0x80000000 | 0 : 0;
  } else {
    const a = st(cpu, 0);
    E.toInt(s[a + 2]!, s[a + 1]!, s[a]!, size, truncate ? E.RC_ZERO : C.rc);
    X.flags &= ~SW_DE;
  }
  if (blocked(SW_IE | SW_DE)) { finish(cpu); return; }
  cpu.writeMem(linear, size, E.I.lo, E.I.hi);
  if (popAfter) pop(cpu);
  finish(cpu);
}

export const fist = (cpu: Cpu, ins: Instr) => istore(cpu, ins, false, false);
export const fistp = (cpu: Cpu, ins: Instr) => istore(cpu, ins, true, false);
export const fisttp = (cpu: Cpu, ins: Instr) => istore(cpu, ins, true, true);

// ------------------------------------------------------------------------------------------------
// Packed BCD (18 digits and a sign byte, SDM Vol. 1, 4.7). Rare instructions: BigInt is used.

export function fbld(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  const off = dataOffset(cpu, ins);
  notePointers(cpu, ins, off);
  const linear = cpu.linear(ins, 10);
  let value = 0n;
  for (let i = 8; i >= 0; i--) {
    const b = cpu.read8(cpu.wrapLinear(linear + i));
    value = value * 100n + BigInt((b >> 4) * 10 + (b & 15));
  }
  const negative = (cpu.read8(cpu.wrapLinear(linear + 9)) & 0x80) !== 0;
  const lo = Number(value & 0xffffffffn) | 0, hi = Number(value >> 32n) | 0;
  E.fromInt64(lo, hi);
  if (negative) R.se |= 0x8000;
  pushR(cpu);
  finish(cpu);
}

export function fbstp(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  const s = cpu.s;
  const off = dataOffset(cpu, ins);
  notePointers(cpu, ins, off);
  const linear = cpu.linear(ins, 10);
  let ok = false;
  let negative = false;
  let magnitude = 0n;
  if (isEmpty(cpu, 0)) underflow();
  else {
    const a = st(cpu, 0);
    const se = s[a + 2]!;
    negative = (se & 0x8000) !== 0;
    const saveFlags = X.flags;
    const ok64 = E.toInt(se, s[a + 1]!, s[a]!, 8, C.rc);
    X.flags &= ~SW_DE;
    if (ok64) {
      magnitude = (BigInt(E.I.hi >>> 0) << 32n) | BigInt(E.I.lo >>> 0);
      if (negative) magnitude = ((1n << 64n) - magnitude) & ((1n << 64n) - 1n);
      if (magnitude <= 999999999999999999n) ok = true;
      else { X.flags = saveFlags | SW_IE; X.up = false; }
    }
  }
  if (blocked(SW_IE | SW_DE)) { finish(cpu); return; }
  cpu.probeWrite(linear, 10);
  if (!ok) {
    // The packed BCD indefinite: FFFF C000 0000 0000 0000 (bytes 9..0).
    for (let i = 0; i < 7; i++) cpu.write8(cpu.wrapLinear(linear + i), 0);
    cpu.write8(cpu.wrapLinear(linear + 7), 0xc0);
    cpu.write8(cpu.wrapLinear(linear + 8), 0xff);
    cpu.write8(cpu.wrapLinear(linear + 9), 0xff);
  } else {
    for (let i = 0; i < 9; i++) {
      const two = Number(magnitude % 100n);
      magnitude /= 100n;
      cpu.write8(cpu.wrapLinear(linear + i), ((Math.floor(two / 10)) << 4) | (two % 10));
    }
    cpu.write8(cpu.wrapLinear(linear + 9), negative ? 0x80 : 0);
  }
  pop(cpu);
  finish(cpu);
}

// ------------------------------------------------------------------------------------------------
// Register moves

export function fxch(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  notePointers(cpu, ins, 0);
  const s = cpu.s;
  const i = ins.reg0;
  const e0 = isEmpty(cpu, 0), ei = isEmpty(cpu, i);
  if (e0 || ei) {
    if (!underflow()) { finish(cpu); return; }
    if (e0) writeSt(cpu, 0, R.se, R.hi, R.lo);
    if (ei) writeSt(cpu, i, R.se, R.hi, R.lo);
  }
  const a = st(cpu, 0), b = st(cpu, i);
  const t0 = s[a]!, t1 = s[a + 1]!, t2 = s[a + 2]!;
  s[a] = s[b]!; s[a + 1] = s[b + 1]!; s[a + 2] = s[b + 2]!;
  s[b] = t0; s[b + 1] = t1; s[b + 2] = t2;
  finish(cpu);
}

export function fcmov(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  notePointers(cpu, ins, 0);
  const s = cpu.s;
  const i = ins.reg1;
  if (isEmpty(cpu, 0) || isEmpty(cpu, i)) {
    if (underflow()) writeSt(cpu, 0, R.se, R.hi, R.lo);
    finish(cpu);
    return;
  }
  const flags = getFlags(s);
  let cond: boolean;
  switch ((ins.modrm >> 3) & 3) {
    case 0: cond = (flags & CF) !== 0; break;
    case 1: cond = (flags & ZF) !== 0; break;
    case 2: cond = (flags & (CF | ZF)) !== 0; break;
    default: cond = (flags & PF) !== 0; break;
  }
  if (ins.row!.opcode === 0xdb) cond = !cond;
  X.up = (s[I_FSW]! & SW_C1) !== 0; // C1 unchanged
  if (cond) {
    const b = st(cpu, i);
    writeSt(cpu, 0, s[b + 2]!, s[b + 1]!, s[b]!);
  }
  finish(cpu);
}

export function ffree(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  notePointers(cpu, ins, 0);
  const s = cpu.s;
  const p = (top(cpu) + ins.reg0) & 7;
  s[I_FTW] = s[I_FTW]! & ~(1 << p);
  if (ins.row!.opcode === 0xdf) pop(cpu); // FFREEP
  finish(cpu);
}

export function fincstp(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  notePointers(cpu, ins, 0);
  setTop(cpu, top(cpu) + 1);
  finish(cpu);
}

export function fdecstp(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  notePointers(cpu, ins, 0);
  setTop(cpu, top(cpu) - 1);
  finish(cpu);
}

/** FNOP (and FENI/FDISI/FSETPM): only the pointers change; the condition codes stay. */
export function fnop(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  notePointers(cpu, ins, 0);
}

// ------------------------------------------------------------------------------------------------
// Comparisons

const CC_OF = [SW_C0, SW_C3, 0, SW_C0 | SW_C2 | SW_C3];

function compareCommon(cpu: Cpu, ins: Instr, pops: number, quiet: boolean, toEflags: boolean, withZero = false): void {
  begin(cpu);
  const s = cpu.s;
  let bSe: number, bHi: number, bLo: number;
  let other = 1;
  if (ins.kind0 === OpKind.Mem) {
    notePointers(cpu, ins, dataOffset(cpu, ins));
    loadMemOperand(cpu, ins);
    bSe = R.se; bHi = R.hi; bLo = R.lo;
    other = -1;
  } else if (withZero) {
    notePointers(cpu, ins, 0);
    bSe = 0; bHi = 0; bLo = 0;
    other = -1;
  } else {
    notePointers(cpu, ins, 0);
    other = ins.kind1 === OpKind.St ? ins.reg1 : ins.kind0 === OpKind.St ? ins.reg0 : 1;
    bSe = 0; bHi = 0; bLo = 0;
  }
  let result: number;
  if (isEmpty(cpu, 0) || (other >= 0 && isEmpty(cpu, other))) {
    underflow();
    result = E.CMP_UN;
  } else {
    const a = st(cpu, 0);
    if (other >= 0) {
      const b = st(cpu, other);
      bSe = s[b + 2]!; bHi = s[b + 1]!; bLo = s[b]!;
    }
    result = E.compare(s[a + 2]!, s[a + 1]!, s[a]!, bSe, bHi, bLo, quiet);
  }
  // C1: 0 (FCOM*); FCOMI* leave it alone unless the stack underflowed.
  X.up = toEflags && (X.flags & 0x40) === 0 ? (s[I_FSW]! & SW_C1) !== 0 : false;
  // Unmasked #IA/#D: the condition is still reported (unordered for #IA), nothing is popped.
  const noPop = blocked(SW_IE | SW_DE);
  if (noPop) {
    X.flags &= SW_IE | SW_DE | 0x40;
    X.up = toEflags && (X.flags & 0x40) === 0 ? (s[I_FSW]! & SW_C1) !== 0 : false;
  }
  if (toEflags) {
    const flags = getFlags(s) & ~(CF | PF | ZF | AF | SF | OF);
    const bits = result === E.CMP_LT ? CF : result === E.CMP_EQ ? ZF : result === E.CMP_UN ? CF | PF | ZF : 0;
    s[I_RFLAGS] = flags | bits;
    s[I_LAZY_OP] = LazyOp.None;
  } else {
    setCc(cpu, CC_OF[result]!);
  }
  if (!noPop) for (let i = 0; i < pops; i++) pop(cpu);
  finish(cpu);
}

export const fcom = (cpu: Cpu, ins: Instr) => compareCommon(cpu, ins, 0, ins.kind0 !== OpKind.Mem && ins.row!.opcode === 0xdd, false);
export const fcomp = (cpu: Cpu, ins: Instr) => compareCommon(cpu, ins, 1, ins.kind0 !== OpKind.Mem && ins.row!.opcode === 0xdd, false);
export const fcompp = (cpu: Cpu, ins: Instr) => compareCommon(cpu, ins, 2, false, false);
export const fucompp = (cpu: Cpu, ins: Instr) => compareCommon(cpu, ins, 2, true, false);
export const ficom = (cpu: Cpu, ins: Instr) => compareCommon(cpu, ins, 0, false, false);
export const ficomp = (cpu: Cpu, ins: Instr) => compareCommon(cpu, ins, 1, false, false);
export const fcomi = (cpu: Cpu, ins: Instr) => compareCommon(cpu, ins, ins.row!.opcode === 0xdf ? 1 : 0, ((ins.modrm >> 3) & 7) === 5, true);
export const ftst = (cpu: Cpu, ins: Instr) => compareCommon(cpu, ins, 0, false, false, true);

/** FXAM: classify ST(0) into C3, C2, C0 with C1 = sign (SDM Vol. 2, FXAM, Table 3-49). */
export function fxam(cpu: Cpu, ins: Instr): void {
  begin(cpu);
  notePointers(cpu, ins, 0);
  const s = cpu.s;
  const a = st(cpu, 0);
  const se = s[a + 2]!, hi = s[a + 1]! >>> 0, lo = s[a]! >>> 0;
  let cc: number;
  if (isEmpty(cpu, 0)) cc = SW_C3 | SW_C0;
  else {
    const k = E.classify(se, hi, lo);
    if (k === E.K_UNSUPPORTED) cc = 0;
    else if (k === E.K_QNAN || k === E.K_SNAN) cc = SW_C0;
    else if (k === E.K_INF) cc = SW_C2 | SW_C0;
    else if (k === E.K_ZERO) cc = SW_C3;
    else if ((se & 0x7fff) === 0) cc = SW_C3 | SW_C2;
    else cc = SW_C2;
  }
  setCc(cpu, cc);
  X.up = (se & 0x8000) !== 0;
  finish(cpu);
  void SW_C1;
}
