/**
 * The MMX/SSE executors by exec name (joined into the dispatch table by exec/handlers.ts).
 */
import type { Handler } from '../decode/instr.js';
import type { ExecName } from '../decode/generated/exec-names.js';
import type { Cpu } from '../cpu.js';
import * as move from './move.js';
import * as int from './int-arith.js';
import * as fa from './float-arith.js';
import * as cmp from './compare.js';
import * as cvt from './convert.js';
import * as mx from './mxcsr.js';
import { pcmpstr } from './string-compare.js';
import { crc32 } from './crc32.js';
import { I_FTW, mmxCheck } from './state.js';

/** EMMS: all x87 registers empty (abridged tag 0) (SDM Vol. 2, EMMS). */
export function emms(cpu: Cpu): void {
  mmxCheck(cpu);
  cpu.s[I_FTW] = 0;
}

export const SSE_HANDLERS: Partial<Record<ExecName, Handler>> = {
  // moves
  movaps: move.movaps, movups: move.movups, movdqa: move.movdqa, movdqu: move.movdqu,
  movss: move.movss, movsd_xmm: move.movsd_xmm, movlps: move.movlps, movhps: move.movhps,
  movhlps: move.movhlps, movlhps: move.movlhps, movsldup: move.movsldup, movshdup: move.movshdup,
  movddup: move.movddup, movd: move.movd, movq: move.movq, movmskps: move.movmskps,
  movmskpd: move.movmskpd, pmovmskb: move.pmovmskb, movnti: move.movnti, maskmovq: move.maskmovq,
  fence: move.fence, emms, ldmxcsr: mx.ldmxcsr, stmxcsr: mx.stmxcsr,
  // floating point
  addps: fa.addps, addss: fa.addss, addpd: fa.addpd, addsd: fa.addsd,
  subps: fa.subps, subss: fa.subss, subpd: fa.subpd, subsd: fa.subsd,
  mulps: fa.mulps, mulss: fa.mulss, mulpd: fa.mulpd, mulsd: fa.mulsd,
  divps: fa.divps, divss: fa.divss, divpd: fa.divpd, divsd: fa.divsd,
  sqrtps: fa.sqrtps, sqrtss: fa.sqrtss, sqrtpd: fa.sqrtpd, sqrtsd: fa.sqrtsd,
  minps: fa.minps, minss: fa.minss, minpd: fa.minpd, minsd: fa.minsd,
  maxps: fa.maxps, maxss: fa.maxss, maxpd: fa.maxpd, maxsd: fa.maxsd,
  andps: fa.andps, andpd: fa.andps, andnps: fa.andnps, andnpd: fa.andnps,
  orps: fa.orps, orpd: fa.orps, xorps: fa.xorps, xorpd: fa.xorps,
  rcpps: fa.rcpps, rcpss: fa.rcpss, rsqrtps: fa.rsqrtps, rsqrtss: fa.rsqrtss,
  addsubps: fa.addsubps, addsubpd: fa.addsubpd, haddps: fa.haddps, haddpd: fa.haddpd,
  hsubps: fa.hsubps, hsubpd: fa.hsubpd,
  roundps: fa.roundps, roundpd: fa.roundpd, roundss: fa.roundss, roundsd: fa.roundsd,
  dpps: fa.dpps, dppd: fa.dppd, blendps: fa.blendps, blendpd: fa.blendpd,
  blendvps: fa.blendvps, blendvpd: fa.blendvpd,
  cmpps: cmp.cmpps, cmpss: cmp.cmpss, cmppd: cmp.cmppd, cmpsd_xmm: cmp.cmpsd_xmm,
  comiss: cmp.comiss, ucomiss: cmp.ucomiss, comisd: cmp.comisd, ucomisd: cmp.ucomisd,
  // conversions
  cvtpi2ps: cvt.cvtpi2ps, cvtpi2pd: cvt.cvtpi2pd, cvtsi2ss: cvt.cvtsi2ss, cvtsi2sd: cvt.cvtsi2sd,
  cvtps2pi: cvt.cvtps2pi, cvttps2pi: cvt.cvttps2pi, cvtpd2pi: cvt.cvtpd2pi, cvttpd2pi: cvt.cvttpd2pi,
  cvtss2si: cvt.cvtss2si, cvttss2si: cvt.cvttss2si, cvtsd2si: cvt.cvtsd2si, cvttsd2si: cvt.cvttsd2si,
  cvtps2pd: cvt.cvtps2pd, cvtpd2ps: cvt.cvtpd2ps, cvtss2sd: cvt.cvtss2sd, cvtsd2ss: cvt.cvtsd2ss,
  cvtdq2ps: cvt.cvtdq2ps, cvtps2dq: cvt.cvtps2dq, cvttps2dq: cvt.cvttps2dq,
  cvtdq2pd: cvt.cvtdq2pd, cvtpd2dq: cvt.cvtpd2dq, cvttpd2dq: cvt.cvttpd2dq,
  // integer
  paddb: int.paddb, paddw: int.paddw, paddd: int.paddd, paddq: int.paddq,
  psubb: int.psubb, psubw: int.psubw, psubd: int.psubd, psubq: int.psubq,
  paddsb: int.paddsb, paddsw: int.paddsw, psubsb: int.psubsb, psubsw: int.psubsw,
  paddusb: int.paddusb, paddusw: int.paddusw, psubusb: int.psubusb, psubusw: int.psubusw,
  pmullw: int.pmullw, pmulhw: int.pmulhw, pmulhuw: int.pmulhuw, pmulld: int.pmulld,
  pmuludq: int.pmuludq, pmuldq: int.pmuldq, pmaddwd: int.pmaddwd, psadbw: int.psadbw,
  pavgb: int.pavgb, pavgw: int.pavgw,
  pminub: int.pminub, pmaxub: int.pmaxub, pminsw: int.pminsw, pmaxsw: int.pmaxsw,
  pminsb: int.pminsb, pmaxsb: int.pmaxsb, pminuw: int.pminuw, pmaxuw: int.pmaxuw,
  pminsd: int.pminsd, pmaxsd: int.pmaxsd, pminud: int.pminud, pmaxud: int.pmaxud,
  pand: int.pand, pandn: int.pandn, por: int.por, pxor: int.pxor,
  pcmpeqb: int.pcmpeqb, pcmpeqw: int.pcmpeqw, pcmpeqd: int.pcmpeqd, pcmpeqq: int.pcmpeqq,
  pcmpgtb: int.pcmpgtb, pcmpgtw: int.pcmpgtw, pcmpgtd: int.pcmpgtd, pcmpgtq: int.pcmpgtq,
  packsswb: int.packsswb, packuswb: int.packuswb, packssdw: int.packssdw, packusdw: int.packusdw,
  punpcklbw: int.punpcklbw, punpcklwd: int.punpcklwd, punpckldq: int.punpckldq, punpcklqdq: int.punpcklqdq,
  punpckhbw: int.punpckhbw, punpckhwd: int.punpckhwd, punpckhdq: int.punpckhdq, punpckhqdq: int.punpckhqdq,
  unpcklps: int.unpcklps, unpckhps: int.unpckhps, unpcklpd: int.unpcklpd, unpckhpd: int.unpckhpd,
  psllw: int.psllw, pslld: int.pslld, psllq: int.psllq, psrlw: int.psrlw, psrld: int.psrld,
  psrlq: int.psrlq, psraw: int.psraw, psrad: int.psrad, pslldq: int.pslldq, psrldq: int.psrldq,
  pshufd: int.pshufd, pshufw: int.pshufw, pshufhw: int.pshufhw, pshuflw: int.pshuflw,
  shufps: int.shufps, shufpd: int.shufpd, pinsrw: int.pinsrw, pextrw: int.pextrw,
  pextr: int.pextr, extractps: int.extractps, pinsr: int.pinsr, insertps: int.insertps,
  pshufb: int.pshufb, phaddw: int.phaddw, phaddd: int.phaddd, phaddsw: int.phaddsw,
  phsubw: int.phsubw, phsubd: int.phsubd, phsubsw: int.phsubsw, pmaddubsw: int.pmaddubsw,
  pmulhrsw: int.pmulhrsw, psignb: int.psignb, psignw: int.psignw, psignd: int.psignd,
  pabsb: int.pabsb, pabsw: int.pabsw, pabsd: int.pabsd, palignr: int.palignr,
  pblendw: int.pblendw, pblendvb: int.pblendvb, ptest: int.ptest, pmovsx: int.pmovsx,
  pmovzx: int.pmovzx, phminposuw: int.phminposuw, mpsadbw: int.mpsadbw,
  pcmpstr, crc32,
};
