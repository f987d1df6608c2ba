/**
 * Floating-point compares: CMPPS/PD/SS/SD (predicates 0-7, all-ones/all-zeros masks) and
 * COMISS/COMISD/UCOMISS/UCOMISD (ZF PF CF; OF SF AF cleared) (SDM Vol. 2).
 */
import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';
import { compare32, compare64, predicate, predicateSignals } from './float-core.js';
import { ARITH_FLAGS, CF, PF, ZF, setFlagBits } from '../exec/flags.js';
import { fpFinish, fpStart } from './mxcsr.js';
import { A, B, R, loadAB, putXmm, simd, sseCheck } from './state.js';

const cmp = (double: boolean, scalar: boolean) => (cpu: Cpu, ins: Instr): void => {
  sseCheck(cpu);
  const st = simd(cpu), t = st.t32;
  loadAB(cpu, st, ins);
  fpStart(cpu);
  const imm = ins.immLo & 7;
  const signals = predicateSignals(imm);
  t[R] = t[A]!; t[R + 1] = t[A + 1]!; t[R + 2] = t[A + 2]!; t[R + 3] = t[A + 3]!;
  if (double) {
    for (let i = 0; i < (scalar ? 2 : 4); i += 2) {
      const m = predicate(compare64(t[A + i]!, t[A + i + 1]!, t[B + i]!, t[B + i + 1]!, signals), imm) ? -1 : 0;
      t[R + i] = m; t[R + i + 1] = m;
    }
  } else {
    for (let i = 0; i < (scalar ? 1 : 4); i++) t[R + i] = predicate(compare32(t[A + i]!, t[B + i]!, signals), imm) ? -1 : 0;
  }
  fpFinish(cpu);
  putXmm(st, ins.reg0, R);
};
export const cmpps = cmp(false, false), cmpss = cmp(false, true), cmppd = cmp(true, false), cmpsd_xmm = cmp(true, true);

const RESULT_FLAGS = [CF, ZF, 0, ZF | PF | CF]; // less, equal, greater, unordered

const comi = (double: boolean, signalQnan: boolean) => (cpu: Cpu, ins: Instr): void => {
  sseCheck(cpu);
  const st = simd(cpu), t = st.t32;
  loadAB(cpu, st, ins);
  fpStart(cpu);
  const rel = double ? compare64(t[A]!, t[A + 1]!, t[B]!, t[B + 1]!, signalQnan) : compare32(t[A]!, t[B]!, signalQnan);
  fpFinish(cpu);
  setFlagBits(cpu.s, ARITH_FLAGS, RESULT_FLAGS[rel]!);
};
export const comiss = comi(false, true), ucomiss = comi(false, false);
export const comisd = comi(true, true), ucomisd = comi(true, false);
