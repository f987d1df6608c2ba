/**
 * The x87/FXSR/XSAVE executors by exec name, spread into exec/handlers.ts IMPLEMENTED.
 */
import type { Handler } from '../decode/instr.js';
import * as arith from './x87-arith.js';
import * as data from './x87-data.js';
import * as control from './x87-control.js';
import * as trans from './x87-transcendental.js';
import * as fx from './fxsave.js';
import { emms } from './mmx-alias.js';

export const FPU_HANDLERS = {
  fadd: arith.fadd, fmul: arith.fmul, fsub: arith.fsub, fsubr: arith.fsubr, fdiv: arith.fdiv, fdivr: arith.fdivr,
  fiadd: arith.fiadd, fimul: arith.fimul, fisub: arith.fisub, fisubr: arith.fisubr, fidiv: arith.fidiv,
  fidivr: arith.fidivr, fsqrt: arith.fsqrt, frndint: arith.frndint, fabs: arith.fabs, fchs: arith.fchs,
  fscale: arith.fscale, fxtract: arith.fxtract, fprem: arith.fprem, fprem1: arith.fprem1,
  fld: data.fld, fild: data.fild, fld1: data.fld1, fldz: data.fldz, fldl2t: data.fldl2t, fldl2e: data.fldl2e,
  fldpi: data.fldpi, fldlg2: data.fldlg2, fldln2: data.fldln2, fst: data.fst, fstp: data.fstp,
  fist: data.fist, fistp: data.fistp, fisttp: data.fisttp, fbld: data.fbld, fbstp: data.fbstp,
  fxch: data.fxch, fcmov: data.fcmov, ffree: data.ffree, fincstp: data.fincstp, fdecstp: data.fdecstp,
  fnop: data.fnop, fcom: data.fcom, fcomp: data.fcomp, fcompp: data.fcompp, fucompp: data.fucompp,
  ficom: data.ficom, ficomp: data.ficomp, fcomi: data.fcomi, ftst: data.ftst, fxam: data.fxam,
  fninit: control.fninit, fnclex: control.fnclex, fldcw: control.fldcw, fnstcw: control.fnstcw,
  fnstsw: control.fnstsw, fnstenv: control.fnstenv, fldenv: control.fldenv, fnsave: control.fnsave,
  frstor: control.frstor, fwait: control.fwait,
  fsin: trans.fsin, fcos: trans.fcos, fsincos: trans.fsincos, fptan: trans.fptan, fpatan: trans.fpatan,
  f2xm1: trans.f2xm1, fyl2x: trans.fyl2x, fyl2xp1: trans.fyl2xp1,
  fxsave: fx.fxsave, fxrstor: fx.fxrstor, xsave: fx.xsave, xrstor: fx.xrstor, xgetbv: fx.xgetbv, xsetbv: fx.xsetbv,
  emms,
} satisfies Record<string, Handler>;
