/**
 * SSE4.2 packed string compares PCMPESTRI, PCMPESTRM, PCMPISTRI, PCMPISTRM (SDM Vol. 2, 4.1
 * "Imm8 Control Byte Operation for String Compare"). Operand 0 (xmm1) is the reference set or
 * needle, operand 1 (xmm2/m128, no alignment requirement) the data searched. Result: ECX (index
 * forms) or XMM0 (mask forms), and CF ZF SF OF (AF PF cleared).
 */
import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { setFlagBits, ARITH_FLAGS, CF, ZF, SF, OF } from '../exec/flags.js';
import { loadAB, putXmm, simd, sseCheck, type SimdState } from './state.js';

let elementBytes = 1;

function element(st: SimdState, base: number, i: number, signed: boolean): number {
  if (elementBytes === 1) return signed ? st.ts8[base + i]! : st.t8[base + i]!;
  return signed ? st.ts16[(base >> 1) + i]! : st.t16[(base >> 1) + i]!;
}

/** Explicit length: |reg| saturated to n (RAX/RDX with REX.W). */
function explicitLength(cpu: Cpu, reg: number, wide: boolean, n: number): number {
  const lo = cpu.g32[reg * 2]!;
  let v: number;
  if (wide) {
    const hi = cpu.g32[reg * 2 + 1]!;
    v = hi * 4294967296 + (lo >>> 0);
  } else v = lo;
  v = Math.abs(v);
  return v > n ? n : v;
}

function implicitLength(st: SimdState, base: number, n: number): number {
  for (let i = 0; i < n; i++) if (element(st, base, i, false) === 0) return i;
  return n;
}

export function pcmpstr(cpu: Cpu, ins: Instr): void {
  sseCheck(cpu);
  const st = simd(cpu);
  loadAB(cpu, st, ins, false);
  const op = ins.row!.opcode; // 60 ESTRM, 61 ESTRI, 62 ISTRM, 63 ISTRI
  const imm = ins.immLo & 0xff;
  elementBytes = (imm & 1) !== 0 ? 2 : 1;
  const n = elementBytes === 1 ? 16 : 8;
  const signed = (imm & 2) !== 0;
  const explicit = op < 0x62;
  const wide = ins.opSize === 8;
  const len1 = explicit ? explicitLength(cpu, 0, wide, n) : implicitLength(st, 0, n);
  const len2 = explicit ? explicitLength(cpu, 2, wide, n) : implicitLength(st, 16, n);
  const agg = (imm >> 2) & 3;
  let res1 = 0;
  switch (agg) {
    case 0: // equal any
      for (let i = 0; i < len2; i++) {
        const b = element(st, 16, i, signed);
        for (let j = 0; j < len1; j++) if (element(st, 0, j, signed) === b) { res1 |= 1 << i; break; }
      }
      break;
    case 1: // ranges
      for (let i = 0; i < len2; i++) {
        const b = element(st, 16, i, signed);
        for (let j = 0; j + 1 < len1; j += 2) {
          if (element(st, 0, j, signed) <= b && b <= element(st, 0, j + 1, signed)) { res1 |= 1 << i; break; }
        }
      }
      break;
    case 2: // equal each
      for (let i = 0; i < n; i++) {
        const v1 = i < len1, v2 = i < len2;
        const eq = v1 && v2 ? element(st, 0, i, signed) === element(st, 16, i, signed) : !v1 && !v2;
        if (eq) res1 |= 1 << i;
      }
      break;
    default: // equal ordered
      for (let j = 0; j < n; j++) {
        let match = true;
        for (let k = 0; k < n - j && match; k++) {
          if (k >= len1) break; // needle ended: true
          if (j + k >= len2) { match = false; break; }
          if (element(st, 0, k, signed) !== element(st, 16, j + k, signed)) match = false;
        }
        if (match) res1 |= 1 << j;
      }
  }
  const full = (1 << n) - 1;
  let res2 = res1;
  switch ((imm >> 4) & 3) {
    case 1: res2 = ~res1 & full; break;
    case 3: res2 = res1 ^ ((1 << len2) - 1); break;
  }
  if ((op & 1) !== 0) {
    // Index: least or most significant set bit; n when none.
    let index = n;
    if (res2 !== 0) index = (imm & 0x40) !== 0 ? 31 - Math.clz32(res2) : 31 - Math.clz32(res2 & -res2);
    cpu.setReg(2, 4, index, 0);
  } else {
    const t = st.t32;
    if ((imm & 0x40) === 0) { t[12] = res2; t[13] = 0; t[14] = 0; t[15] = 0; }
    else if (elementBytes === 1) for (let i = 0; i < 16; i++) st.t8[48 + i] = (res2 >> i) & 1 ? 0xff : 0;
    else for (let i = 0; i < 8; i++) st.t16[24 + i] = (res2 >> i) & 1 ? 0xffff : 0;
    putXmm(st, 0, 12);
  }
  setFlagBits(cpu.s, ARITH_FLAGS, (res2 !== 0 ? CF : 0) | (len2 < n ? ZF : 0) | (len1 < n ? SF : 0) | ((res2 & 1) !== 0 ? OF : 0));
}
