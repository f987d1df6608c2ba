/**
 * Data movement: MOVAPS/MOVUPS/MOVDQA/MOVDQU (and their PD/NT/LDDQU/MOVNTDQA aliases), MOVSS,
 * MOVSD, MOVLPS/MOVHPS/MOVHLPS/MOVLHPS, MOVSLDUP/MOVSHDUP/MOVDDUP, MOVD/MOVQ in all their forms,
 * MOVMSKPS/PD, PMOVMSKB, MOVNTI, MASKMOVQ/MASKMOVDQU, the fences (SDM Vol. 2).
 */
import type { Cpu } from '../cpu.js';
import { OpKind, type Instr } from '../decode/instr.js';
import { B, R, getXmm, loadOperand, loadAB, putXmm, simd, simdCheck, sseCheck, storeDest, destWidth } from './state.js';

/** Full-width move from operand 1 to operand 0; `aligned`: 16-byte memory operands must be aligned. */
const move = (aligned: boolean) => (cpu: Cpu, ins: Instr): void => {
  sseCheck(cpu);
  const st = simd(cpu);
  loadOperand(cpu, st, ins, ins.kind1, ins.reg1, ins.size1, B, aligned);
  storeDest(cpu, st, ins, B, aligned);
};
export const movaps = move(true), movups = move(false), movdqa = move(true), movdqu = move(false);

/** MOVSS/MOVSD: register to register merges the low element; a load zeroes the rest; a store writes the element. */
const moveScalar = (words: number) => (cpu: Cpu, ins: Instr): void => {
  sseCheck(cpu);
  const st = simd(cpu), t = st.t32;
  if (ins.kind0 === OpKind.Mem) {
    getXmm(st, ins.reg1, B);
    storeDest(cpu, st, ins, B);
    return;
  }
  loadOperand(cpu, st, ins, ins.kind1, ins.reg1, ins.size1, B, false);
  if (ins.kind1 === OpKind.Xmm) {
    getXmm(st, ins.reg0, R);
    for (let i = 0; i < words; i++) t[R + i] = t[B + i]!;
    putXmm(st, ins.reg0, R);
  } else putXmm(st, ins.reg0, B);
};
export const movss = moveScalar(1), movsd_xmm = moveScalar(2);

/** MOVLPS/MOVLPD and MOVHPS/MOVHPD: 64-bit half loads and stores. */
const moveHalf = (high: boolean) => (cpu: Cpu, ins: Instr): void => {
  sseCheck(cpu);
  const st = simd(cpu), t = st.t32;
  const h = high ? 2 : 0;
  if (ins.kind0 === OpKind.Mem) {
    getXmm(st, ins.reg1, B);
    t[R] = t[B + h]!; t[R + 1] = t[B + h + 1]!;
    storeDest(cpu, st, ins, R);
    return;
  }
  loadOperand(cpu, st, ins, ins.kind1, ins.reg1, 8, B, false);
  getXmm(st, ins.reg0, R);
  t[R + h] = t[B]!; t[R + h + 1] = t[B + 1]!;
  putXmm(st, ins.reg0, R);
};
export const movlps = moveHalf(false), movhps = moveHalf(true);

export function movhlps(cpu: Cpu, ins: Instr): void {
  sseCheck(cpu);
  const st = simd(cpu), t = st.t32;
  getXmm(st, ins.reg1, B);
  getXmm(st, ins.reg0, R);
  t[R] = t[B + 2]!; t[R + 1] = t[B + 3]!;
  putXmm(st, ins.reg0, R);
}

export function movlhps(cpu: Cpu, ins: Instr): void {
  sseCheck(cpu);
  const st = simd(cpu), t = st.t32;
  getXmm(st, ins.reg1, B);
  getXmm(st, ins.reg0, R);
  t[R + 2] = t[B]!; t[R + 3] = t[B + 1]!;
  putXmm(st, ins.reg0, R);
}

const dup = (pattern: readonly number[]) => (cpu: Cpu, ins: Instr): void => {
  sseCheck(cpu);
  const st = simd(cpu), t = st.t32;
  loadOperand(cpu, st, ins, ins.kind1, ins.reg1, ins.size1, B, true);
  for (let i = 0; i < 4; i++) t[R + i] = t[B + pattern[i]!]!;
  putXmm(st, ins.reg0, R);
};
export const movsldup = dup([0, 0, 2, 2]), movshdup = dup([1, 1, 3, 3]), movddup = dup([0, 1, 0, 1]);

/**
 * MOVD/MOVQ between general registers or memory and MMX/XMM registers (0F 6E / 0F 7E). A load into
 * an XMM register zeroes the rest of it. REX.W selects 64 bits (operand size 8).
 */
export function movd(cpu: Cpu, ins: Instr): void {
  simdCheck(cpu, ins);
  const st = simd(cpu), t = st.t32;
  if (ins.kind0 === OpKind.Mmx || ins.kind0 === OpKind.Xmm) {
    loadOperand(cpu, st, ins, ins.kind1, ins.reg1, ins.size1, B, false);
    storeDest(cpu, st, ins, B);
  } else {
    if (ins.kind1 === OpKind.Xmm) getXmm(st, ins.reg1, B);
    else loadOperand(cpu, st, ins, ins.kind1, ins.reg1, 8, B, false);
    if (ins.size0 !== 8) t[B + 1] = 0;
    storeDest(cpu, st, ins, B);
  }
}

/**
 * MOVQ forms (0F 6F/7F MMX, F3 0F 7E, 66 0F D6, MOVQ2DQ, MOVDQ2Q, MOVNTQ): 64 bits from operand 1;
 * an XMM destination gets its upper half zeroed.
 */
export function movq(cpu: Cpu, ins: Instr): void {
  simdCheck(cpu, ins);
  const st = simd(cpu), t = st.t32;
  if (ins.kind1 === OpKind.Xmm) getXmm(st, ins.reg1, B);
  else loadOperand(cpu, st, ins, ins.kind1, ins.reg1, 8, B, false);
  t[B + 2] = 0; t[B + 3] = 0;
  storeDest(cpu, st, ins, B);
}

export function movmskps(cpu: Cpu, ins: Instr): void {
  sseCheck(cpu);
  const st = simd(cpu), t = st.t32;
  getXmm(st, ins.reg1, B);
  const m = (t[B]! >>> 31) | ((t[B + 1]! >>> 31) << 1) | ((t[B + 2]! >>> 31) << 2) | ((t[B + 3]! >>> 31) << 3);
  cpu.setReg(ins.reg0, ins.size0, m, 0);
}

export function movmskpd(cpu: Cpu, ins: Instr): void {
  sseCheck(cpu);
  const st = simd(cpu), t = st.t32;
  getXmm(st, ins.reg1, B);
  cpu.setReg(ins.reg0, ins.size0, (t[B + 1]! >>> 31) | ((t[B + 3]! >>> 31) << 1), 0);
}

export function pmovmskb(cpu: Cpu, ins: Instr): void {
  simdCheck(cpu, ins);
  const st = simd(cpu), b = st.t8;
  loadOperand(cpu, st, ins, ins.kind1, ins.reg1, 16, B, false);
  const n = ins.kind1 === OpKind.Mmx ? 8 : 16;
  let m = 0;
  for (let i = 0; i < n; i++) m |= (b[16 + i]! >> 7) << i;
  cpu.setReg(ins.reg0, ins.size0, m, 0);
}

/** MOVNTI: an ordinary store of a general register (the non-temporal hint has no effect here). */
export function movnti(cpu: Cpu, ins: Instr): void {
  const lo = cpu.getReg(ins.reg1, ins.size1), hi = cpu.hi;
  cpu.writeMem(cpu.linear(ins, ins.size0), ins.size0, lo, ins.size0 === 8 ? hi : 0);
}

/** MASKMOVQ/MASKMOVDQU: store the bytes of operand 0 whose mask byte (operand 1) has bit 7 set, at DS:rDI. */
export function maskmovq(cpu: Cpu, ins: Instr): void {
  simdCheck(cpu, ins);
  const st = simd(cpu), b = st.t8;
  loadAB(cpu, st, ins);
  const n = destWidth(ins);
  const a = ins.addrSize;
  const offset = a === 2 ? cpu.g16[7 * 4]! : cpu.g32[14]! >>> 0;
  const hiRdi = a === 8 ? cpu.g32[15]! : 0;
  for (let i = 0; i < n; i++) {
    if ((b[16 + i]! & 0x80) === 0) continue;
    let linear: number;
    if (a === 8) {
      const lo = offset + i;
      linear = cpu.linear64(lo >>> 0, (hiRdi + (lo > 0xffffffff ? 1 : 0)) | 0, ins.seg);
    } else linear = cpu.segmentLinear(ins.seg, a === 4 ? (offset + i) >>> 0 : (offset + i) & 0xffff, 1);
    cpu.write8(linear, b[i]!);
  }
}

export function fence(): void {}
