import type { OpcodeRow } from '../row.js';

/**
 * The MMX, SSE, SSE2 and SSE3 rows of the two-byte map (0F xx): Intel SDM Vol. 2, Appendix A,
 * Table A-3, with groups 12, 13, 14 and 15 (Table A-6). A row's mandatory prefix (NP, 66, F3, F2)
 * selects the instruction (SDM Vol. 2, 2.1.2 and A.3); an opcode with no row for the prefix in
 * effect is #UD. 0F 0F (3DNow!) is deliberately absent: #UD, as on Intel CPUs.
 */

const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/** `NP 0F xx` MMX form (Pq,Qq) and `66 0F xx` SSE2 form (Vx,Wx) of an MMX integer instruction. */
function mmxPair(op: number, name: string, mmxFeature = 'mmx', mmxSrc = 'Qq'): OpcodeRow[] {
  const exec = name.toLowerCase();
  return [
    { opcode: `NP 0F ${hex(op)}`, name, operands: `Pq,${mmxSrc}`, exec, attrs: mmxFeature },
    { opcode: `66 0F ${hex(op)}`, name, operands: 'Vx,Wx', exec, attrs: 'sse2' },
  ];
}

/** Packed/scalar single/double arithmetic: NP ..PS, 66 ..PD, F3 ..SS, F2 ..SD. */
function psPdSsSd(op: number, stem: string, forms = 'ps pd ss sd'): OpcodeRow[] {
  const rows: OpcodeRow[] = [];
  const exec = stem.toLowerCase();
  const prefix: Record<string, string> = { ps: 'NP', pd: '66', ss: 'F3', sd: 'F2' };
  const feature: Record<string, string> = { ps: 'sse', pd: 'sse2', ss: 'sse', sd: 'sse2' };
  for (const f of forms.split(' ')) {
    rows.push({ opcode: `${prefix[f]} 0F ${hex(op)}`, name: `${stem}${f.toUpperCase()}`, operands: `V${f},W${f}`, exec: `${exec}${f}`, attrs: feature[f] });
  }
  return rows;
}

/** Group 12/13/14 shift-by-immediate rows (0F 71-73 /digit, register form only). */
function shiftImm(op: number, digit: number, name: string, mmx = true): OpcodeRow[] {
  const exec = name.toLowerCase();
  const rows: OpcodeRow[] = [];
  if (mmx) rows.push({ opcode: `NP 0F ${hex(op)} /${digit} reg`, name, operands: 'Nq,Ib', exec, attrs: 'mmx' });
  rows.push({ opcode: `66 0F ${hex(op)} /${digit} reg`, name, operands: 'Ux,Ib', exec, attrs: 'sse2' });
  return rows;
}

export const TWO_BYTE_SIMD_MAP: readonly OpcodeRow[] = [
  // 0F 10-17: moves.
  { opcode: 'NP 0F 10', name: 'MOVUPS', operands: 'Vps,Wps', exec: 'movups', attrs: 'sse' },
  { opcode: '66 0F 10', name: 'MOVUPD', operands: 'Vpd,Wpd', exec: 'movups', attrs: 'sse2' },
  { opcode: 'F3 0F 10', name: 'MOVSS', operands: 'Vss,Wss', exec: 'movss', attrs: 'sse' },
  { opcode: 'F2 0F 10', name: 'MOVSD', operands: 'Vsd,Wsd', exec: 'movsd_xmm', attrs: 'sse2' },
  { opcode: 'NP 0F 11', name: 'MOVUPS', operands: 'Wps,Vps', exec: 'movups', attrs: 'sse' },
  { opcode: '66 0F 11', name: 'MOVUPD', operands: 'Wpd,Vpd', exec: 'movups', attrs: 'sse2' },
  { opcode: 'F3 0F 11', name: 'MOVSS', operands: 'Wss,Vss', exec: 'movss', attrs: 'sse' },
  { opcode: 'F2 0F 11', name: 'MOVSD', operands: 'Wsd,Vsd', exec: 'movsd_xmm', attrs: 'sse2' },
  { opcode: 'NP 0F 12 mem', name: 'MOVLPS', operands: 'Vq,Mq', exec: 'movlps', attrs: 'sse' },
  { opcode: 'NP 0F 12 reg', name: 'MOVHLPS', operands: 'Vq,Uq', exec: 'movhlps', attrs: 'sse' },
  { opcode: '66 0F 12 mem', name: 'MOVLPD', operands: 'Vq,Mq', exec: 'movlps', attrs: 'sse2' },
  { opcode: 'F3 0F 12', name: 'MOVSLDUP', operands: 'Vx,Wx', exec: 'movsldup', attrs: 'sse3' },
  { opcode: 'F2 0F 12', name: 'MOVDDUP', operands: 'Vx,Wq', exec: 'movddup', attrs: 'sse3' },
  { opcode: 'NP 0F 13 mem', name: 'MOVLPS', operands: 'Mq,Vq', exec: 'movlps', attrs: 'sse' },
  { opcode: '66 0F 13 mem', name: 'MOVLPD', operands: 'Mq,Vq', exec: 'movlps', attrs: 'sse2' },
  { opcode: 'NP 0F 14', name: 'UNPCKLPS', operands: 'Vx,Wx', exec: 'unpcklps', attrs: 'sse' },
  { opcode: '66 0F 14', name: 'UNPCKLPD', operands: 'Vx,Wx', exec: 'unpcklpd', attrs: 'sse2' },
  { opcode: 'NP 0F 15', name: 'UNPCKHPS', operands: 'Vx,Wx', exec: 'unpckhps', attrs: 'sse' },
  { opcode: '66 0F 15', name: 'UNPCKHPD', operands: 'Vx,Wx', exec: 'unpckhpd', attrs: 'sse2' },
  { opcode: 'NP 0F 16 mem', name: 'MOVHPS', operands: 'Vq,Mq', exec: 'movhps', attrs: 'sse' },
  { opcode: 'NP 0F 16 reg', name: 'MOVLHPS', operands: 'Vq,Uq', exec: 'movlhps', attrs: 'sse' },
  { opcode: '66 0F 16 mem', name: 'MOVHPD', operands: 'Vq,Mq', exec: 'movhps', attrs: 'sse2' },
  { opcode: 'F3 0F 16', name: 'MOVSHDUP', operands: 'Vx,Wx', exec: 'movshdup', attrs: 'sse3' },
  { opcode: 'NP 0F 17 mem', name: 'MOVHPS', operands: 'Mq,Vq', exec: 'movhps', attrs: 'sse' },
  { opcode: '66 0F 17 mem', name: 'MOVHPD', operands: 'Mq,Vq', exec: 'movhps', attrs: 'sse2' },
  // 0F 28-2F: aligned moves, conversions, compares.
  { opcode: 'NP 0F 28', name: 'MOVAPS', operands: 'Vps,Wps', exec: 'movaps', attrs: 'sse' },
  { opcode: '66 0F 28', name: 'MOVAPD', operands: 'Vpd,Wpd', exec: 'movaps', attrs: 'sse2' },
  { opcode: 'NP 0F 29', name: 'MOVAPS', operands: 'Wps,Vps', exec: 'movaps', attrs: 'sse' },
  { opcode: '66 0F 29', name: 'MOVAPD', operands: 'Wpd,Vpd', exec: 'movaps', attrs: 'sse2' },
  { opcode: 'NP 0F 2A', name: 'CVTPI2PS', operands: 'Vps,Qq', exec: 'cvtpi2ps', attrs: 'sse' },
  { opcode: '66 0F 2A', name: 'CVTPI2PD', operands: 'Vpd,Qq', exec: 'cvtpi2pd', attrs: 'sse2' },
  { opcode: 'F3 0F 2A', name: 'CVTSI2SS', operands: 'Vss,Ey', exec: 'cvtsi2ss', attrs: 'sse' },
  { opcode: 'F2 0F 2A', name: 'CVTSI2SD', operands: 'Vsd,Ey', exec: 'cvtsi2sd', attrs: 'sse2' },
  { opcode: 'NP 0F 2B mem', name: 'MOVNTPS', operands: 'Mps,Vps', exec: 'movaps', attrs: 'sse' },
  { opcode: '66 0F 2B mem', name: 'MOVNTPD', operands: 'Mpd,Vpd', exec: 'movaps', attrs: 'sse2' },
  { opcode: 'NP 0F 2C', name: 'CVTTPS2PI', operands: 'Pq,Wq', exec: 'cvttps2pi', attrs: 'sse' },
  { opcode: '66 0F 2C', name: 'CVTTPD2PI', operands: 'Pq,Wpd', exec: 'cvttpd2pi', attrs: 'sse2' },
  { opcode: 'F3 0F 2C', name: 'CVTTSS2SI', operands: 'Gy,Wss', exec: 'cvttss2si', attrs: 'sse' },
  { opcode: 'F2 0F 2C', name: 'CVTTSD2SI', operands: 'Gy,Wsd', exec: 'cvttsd2si', attrs: 'sse2' },
  { opcode: 'NP 0F 2D', name: 'CVTPS2PI', operands: 'Pq,Wq', exec: 'cvtps2pi', attrs: 'sse' },
  { opcode: '66 0F 2D', name: 'CVTPD2PI', operands: 'Pq,Wpd', exec: 'cvtpd2pi', attrs: 'sse2' },
  { opcode: 'F3 0F 2D', name: 'CVTSS2SI', operands: 'Gy,Wss', exec: 'cvtss2si', attrs: 'sse' },
  { opcode: 'F2 0F 2D', name: 'CVTSD2SI', operands: 'Gy,Wsd', exec: 'cvtsd2si', attrs: 'sse2' },
  { opcode: 'NP 0F 2E', name: 'UCOMISS', operands: 'Vss,Wss', exec: 'ucomiss', attrs: 'sse' },
  { opcode: '66 0F 2E', name: 'UCOMISD', operands: 'Vsd,Wsd', exec: 'ucomisd', attrs: 'sse2' },
  { opcode: 'NP 0F 2F', name: 'COMISS', operands: 'Vss,Wss', exec: 'comiss', attrs: 'sse' },
  { opcode: '66 0F 2F', name: 'COMISD', operands: 'Vsd,Wsd', exec: 'comisd', attrs: 'sse2' },
  // 0F 50-5F.
  { opcode: 'NP 0F 50 reg', name: 'MOVMSKPS', operands: 'Gd,Ups', exec: 'movmskps', attrs: 'sse' },
  { opcode: '66 0F 50 reg', name: 'MOVMSKPD', operands: 'Gd,Upd', exec: 'movmskpd', attrs: 'sse2' },
  ...psPdSsSd(0x51, 'SQRT'),
  ...psPdSsSd(0x52, 'RSQRT', 'ps ss'),
  ...psPdSsSd(0x53, 'RCP', 'ps ss'),
  ...psPdSsSd(0x54, 'AND', 'ps pd'),
  ...psPdSsSd(0x55, 'ANDN', 'ps pd'),
  ...psPdSsSd(0x56, 'OR', 'ps pd'),
  ...psPdSsSd(0x57, 'XOR', 'ps pd'),
  ...psPdSsSd(0x58, 'ADD'),
  ...psPdSsSd(0x59, 'MUL'),
  { opcode: 'NP 0F 5A', name: 'CVTPS2PD', operands: 'Vpd,Wq', exec: 'cvtps2pd', attrs: 'sse2' },
  { opcode: '66 0F 5A', name: 'CVTPD2PS', operands: 'Vps,Wpd', exec: 'cvtpd2ps', attrs: 'sse2' },
  { opcode: 'F3 0F 5A', name: 'CVTSS2SD', operands: 'Vsd,Wss', exec: 'cvtss2sd', attrs: 'sse2' },
  { opcode: 'F2 0F 5A', name: 'CVTSD2SS', operands: 'Vss,Wsd', exec: 'cvtsd2ss', attrs: 'sse2' },
  { opcode: 'NP 0F 5B', name: 'CVTDQ2PS', operands: 'Vps,Wx', exec: 'cvtdq2ps', attrs: 'sse2' },
  { opcode: '66 0F 5B', name: 'CVTPS2DQ', operands: 'Vx,Wps', exec: 'cvtps2dq', attrs: 'sse2' },
  { opcode: 'F3 0F 5B', name: 'CVTTPS2DQ', operands: 'Vx,Wps', exec: 'cvttps2dq', attrs: 'sse2' },
  ...psPdSsSd(0x5c, 'SUB'),
  ...psPdSsSd(0x5d, 'MIN'),
  ...psPdSsSd(0x5e, 'DIV'),
  ...psPdSsSd(0x5f, 'MAX'),
  // 0F 60-6F: MMX / SSE2 integer. The low-half unpacks read 32 bits of an MMX memory operand.
  ...mmxPair(0x60, 'PUNPCKLBW', 'mmx', 'Qd'),
  ...mmxPair(0x61, 'PUNPCKLWD', 'mmx', 'Qd'),
  ...mmxPair(0x62, 'PUNPCKLDQ', 'mmx', 'Qd'),
  ...mmxPair(0x63, 'PACKSSWB'),
  ...mmxPair(0x64, 'PCMPGTB'),
  ...mmxPair(0x65, 'PCMPGTW'),
  ...mmxPair(0x66, 'PCMPGTD'),
  ...mmxPair(0x67, 'PACKUSWB'),
  ...mmxPair(0x68, 'PUNPCKHBW'),
  ...mmxPair(0x69, 'PUNPCKHWD'),
  ...mmxPair(0x6a, 'PUNPCKHDQ'),
  ...mmxPair(0x6b, 'PACKSSDW'),
  { opcode: '66 0F 6C', name: 'PUNPCKLQDQ', operands: 'Vx,Wx', exec: 'punpcklqdq', attrs: 'sse2' },
  { opcode: '66 0F 6D', name: 'PUNPCKHQDQ', operands: 'Vx,Wx', exec: 'punpckhqdq', attrs: 'sse2' },
  // MOVD/MOVQ: REX.W selects the 64-bit form (the disassembler spells it MOVQ).
  { opcode: 'NP 0F 6E', name: 'MOVD', operands: 'Pq,Ey', exec: 'movd', attrs: 'mmx' },
  { opcode: '66 0F 6E', name: 'MOVD', operands: 'Vx,Ey', exec: 'movd', attrs: 'sse2' },
  { opcode: 'NP 0F 6F', name: 'MOVQ', operands: 'Pq,Qq', exec: 'movq', attrs: 'mmx' },
  { opcode: '66 0F 6F', name: 'MOVDQA', operands: 'Vx,Wx', exec: 'movdqa', attrs: 'sse2' },
  { opcode: 'F3 0F 6F', name: 'MOVDQU', operands: 'Vx,Wx', exec: 'movdqu', attrs: 'sse2' },
  // 0F 70-7F.
  { opcode: 'NP 0F 70', name: 'PSHUFW', operands: 'Pq,Qq,Ib', exec: 'pshufw', attrs: 'sse' },
  { opcode: '66 0F 70', name: 'PSHUFD', operands: 'Vx,Wx,Ib', exec: 'pshufd', attrs: 'sse2' },
  { opcode: 'F3 0F 70', name: 'PSHUFHW', operands: 'Vx,Wx,Ib', exec: 'pshufhw', attrs: 'sse2' },
  { opcode: 'F2 0F 70', name: 'PSHUFLW', operands: 'Vx,Wx,Ib', exec: 'pshuflw', attrs: 'sse2' },
  // Groups 12, 13, 14.
  ...shiftImm(0x71, 2, 'PSRLW'),
  ...shiftImm(0x71, 4, 'PSRAW'),
  ...shiftImm(0x71, 6, 'PSLLW'),
  ...shiftImm(0x72, 2, 'PSRLD'),
  ...shiftImm(0x72, 4, 'PSRAD'),
  ...shiftImm(0x72, 6, 'PSLLD'),
  ...shiftImm(0x73, 2, 'PSRLQ'),
  ...shiftImm(0x73, 3, 'PSRLDQ', false),
  ...shiftImm(0x73, 6, 'PSLLQ'),
  ...shiftImm(0x73, 7, 'PSLLDQ', false),
  ...mmxPair(0x74, 'PCMPEQB'),
  ...mmxPair(0x75, 'PCMPEQW'),
  ...mmxPair(0x76, 'PCMPEQD'),
  { opcode: 'NP 0F 77', name: 'EMMS', exec: 'emms', attrs: 'mmx' },
  // VMX (SDM Vol. 3, chapter 31): decoded so lengths are right; VMX is not advertised.
  { opcode: 'NP 0F 78', name: 'VMREAD', operands: 'Ey,Gy', exec: 'vmx', attrs: 'f64 vmx' },
  { opcode: 'NP 0F 79', name: 'VMWRITE', operands: 'Gy,Ey', exec: 'vmx', attrs: 'f64 vmx' },
  { opcode: '66 0F 7C', name: 'HADDPD', operands: 'Vpd,Wpd', exec: 'haddpd', attrs: 'sse3' },
  { opcode: 'F2 0F 7C', name: 'HADDPS', operands: 'Vps,Wps', exec: 'haddps', attrs: 'sse3' },
  { opcode: '66 0F 7D', name: 'HSUBPD', operands: 'Vpd,Wpd', exec: 'hsubpd', attrs: 'sse3' },
  { opcode: 'F2 0F 7D', name: 'HSUBPS', operands: 'Vps,Wps', exec: 'hsubps', attrs: 'sse3' },
  { opcode: 'NP 0F 7E', name: 'MOVD', operands: 'Ey,Pq', exec: 'movd', attrs: 'mmx' },
  { opcode: '66 0F 7E', name: 'MOVD', operands: 'Ey,Vx', exec: 'movd', attrs: 'sse2' },
  { opcode: 'F3 0F 7E', name: 'MOVQ', operands: 'Vx,Wq', exec: 'movq', attrs: 'sse2' },
  { opcode: 'NP 0F 7F', name: 'MOVQ', operands: 'Qq,Pq', exec: 'movq', attrs: 'mmx' },
  { opcode: '66 0F 7F', name: 'MOVDQA', operands: 'Wx,Vx', exec: 'movdqa', attrs: 'sse2' },
  { opcode: 'F3 0F 7F', name: 'MOVDQU', operands: 'Wx,Vx', exec: 'movdqu', attrs: 'sse2' },
  // Group 15 (0F AE).
  { opcode: 'NP 0F AE /0 mem', name: 'FXSAVE', operands: 'Mfx', exec: 'fxsave', attrs: 'fxsr' },
  { opcode: 'NP 0F AE /1 mem', name: 'FXRSTOR', operands: 'Mfx', exec: 'fxrstor', attrs: 'fxsr' },
  { opcode: 'NP 0F AE /2 mem', name: 'LDMXCSR', operands: 'Md', exec: 'ldmxcsr', attrs: 'sse' },
  { opcode: 'NP 0F AE /3 mem', name: 'STMXCSR', operands: 'Md', exec: 'stmxcsr', attrs: 'sse' },
  { opcode: 'NP 0F AE /4 mem', name: 'XSAVE', operands: 'M', exec: 'xsave', attrs: 'xsave' },
  { opcode: 'NP 0F AE /5 mem', name: 'XRSTOR', operands: 'M', exec: 'xrstor', attrs: 'xsave' },
  { opcode: 'NP 0F AE /6 mem', name: 'XSAVEOPT', operands: 'M', exec: 'xsave', attrs: 'xsaveopt' },
  { opcode: 'NP 0F AE /7 mem', name: 'CLFLUSH', operands: 'Mb', exec: 'clflush', attrs: 'clflush' },
  { opcode: '66 0F AE /6 mem', name: 'CLWB', operands: 'Mb', exec: 'clflush', attrs: 'clwb' },
  { opcode: '66 0F AE /7 mem', name: 'CLFLUSHOPT', operands: 'Mb', exec: 'clflush', attrs: 'clflushopt' },
  // The fences ignore ModRM.rm (the SDM lists E8, F0, F8; every rm value executes the same).
  { opcode: 'NP 0F AE /5 reg', name: 'LFENCE', exec: 'fence', attrs: 'sse2' },
  { opcode: 'NP 0F AE /6 reg', name: 'MFENCE', exec: 'fence', attrs: 'sse2' },
  { opcode: 'NP 0F AE /7 reg', name: 'SFENCE', exec: 'fence', attrs: 'sse' },
  { opcode: 'F3 0F AE /0 reg', name: 'RDFSBASE', operands: 'Ry', exec: 'rdfsbase', attrs: 'o64 fsgsbase' },
  { opcode: 'F3 0F AE /1 reg', name: 'RDGSBASE', operands: 'Ry', exec: 'rdgsbase', attrs: 'o64 fsgsbase' },
  { opcode: 'F3 0F AE /2 reg', name: 'WRFSBASE', operands: 'Ry', exec: 'wrfsbase', attrs: 'o64 fsgsbase' },
  { opcode: 'F3 0F AE /3 reg', name: 'WRGSBASE', operands: 'Ry', exec: 'wrgsbase', attrs: 'o64 fsgsbase' },
  // 0F C2-C7.
  { opcode: 'NP 0F C2', name: 'CMPPS', operands: 'Vps,Wps,Ib', exec: 'cmpps', attrs: 'sse' },
  { opcode: '66 0F C2', name: 'CMPPD', operands: 'Vpd,Wpd,Ib', exec: 'cmppd', attrs: 'sse2' },
  { opcode: 'F3 0F C2', name: 'CMPSS', operands: 'Vss,Wss,Ib', exec: 'cmpss', attrs: 'sse' },
  { opcode: 'F2 0F C2', name: 'CMPSD', operands: 'Vsd,Wsd,Ib', exec: 'cmpsd_xmm', attrs: 'sse2' },
  { opcode: 'NP 0F C3 mem', name: 'MOVNTI', operands: 'My,Gy', exec: 'movnti', attrs: 'sse2' },
  { opcode: 'NP 0F C4 reg', name: 'PINSRW', operands: 'Pq,Rd,Ib', exec: 'pinsrw', attrs: 'sse' },
  { opcode: 'NP 0F C4 mem', name: 'PINSRW', operands: 'Pq,Mw,Ib', exec: 'pinsrw', attrs: 'sse' },
  { opcode: '66 0F C4 reg', name: 'PINSRW', operands: 'Vx,Rd,Ib', exec: 'pinsrw', attrs: 'sse2' },
  { opcode: '66 0F C4 mem', name: 'PINSRW', operands: 'Vx,Mw,Ib', exec: 'pinsrw', attrs: 'sse2' },
  { opcode: 'NP 0F C5 reg', name: 'PEXTRW', operands: 'Gd,Nq,Ib', exec: 'pextrw', attrs: 'sse' },
  { opcode: '66 0F C5 reg', name: 'PEXTRW', operands: 'Gd,Ux,Ib', exec: 'pextrw', attrs: 'sse2' },
  { opcode: 'NP 0F C6', name: 'SHUFPS', operands: 'Vps,Wps,Ib', exec: 'shufps', attrs: 'sse' },
  { opcode: '66 0F C6', name: 'SHUFPD', operands: 'Vpd,Wpd,Ib', exec: 'shufpd', attrs: 'sse2' },
  // Group 9 memory forms beyond CMPXCHG8B (two-byte-integer.ts): XSAVE family and VMX.
  { opcode: 'NP 0F C7 /3 mem', name: 'XRSTORS', operands: 'M', exec: 'xrstor', attrs: 'cpl0 xsaves' },
  { opcode: 'NP 0F C7 /4 mem', name: 'XSAVEC', operands: 'M', exec: 'xsave', attrs: 'xsavec' },
  { opcode: 'NP 0F C7 /5 mem', name: 'XSAVES', operands: 'M', exec: 'xsave', attrs: 'cpl0 xsaves' },
  { opcode: 'NP 0F C7 /6 mem', name: 'VMPTRLD', operands: 'Mq', exec: 'vmx', attrs: 'vmx' },
  { opcode: '66 0F C7 /6 mem', name: 'VMCLEAR', operands: 'Mq', exec: 'vmx', attrs: 'vmx' },
  { opcode: 'F3 0F C7 /6 mem', name: 'VMXON', operands: 'Mq', exec: 'vmx', attrs: 'vmx' },
  { opcode: 'NP 0F C7 /7 mem', name: 'VMPTRST', operands: 'Mq', exec: 'vmx', attrs: 'vmx' },
  // 0F D0-FF.
  { opcode: '66 0F D0', name: 'ADDSUBPD', operands: 'Vpd,Wpd', exec: 'addsubpd', attrs: 'sse3' },
  { opcode: 'F2 0F D0', name: 'ADDSUBPS', operands: 'Vps,Wps', exec: 'addsubps', attrs: 'sse3' },
  ...mmxPair(0xd1, 'PSRLW'),
  ...mmxPair(0xd2, 'PSRLD'),
  ...mmxPair(0xd3, 'PSRLQ'),
  ...mmxPair(0xd4, 'PADDQ', 'sse2'),
  ...mmxPair(0xd5, 'PMULLW'),
  { opcode: '66 0F D6', name: 'MOVQ', operands: 'Wq,Vq', exec: 'movq', attrs: 'sse2' },
  { opcode: 'F3 0F D6 reg', name: 'MOVQ2DQ', operands: 'Vx,Nq', exec: 'movq', attrs: 'sse2' },
  { opcode: 'F2 0F D6 reg', name: 'MOVDQ2Q', operands: 'Pq,Uq', exec: 'movq', attrs: 'sse2' },
  { opcode: 'NP 0F D7 reg', name: 'PMOVMSKB', operands: 'Gd,Nq', exec: 'pmovmskb', attrs: 'sse' },
  { opcode: '66 0F D7 reg', name: 'PMOVMSKB', operands: 'Gd,Ux', exec: 'pmovmskb', attrs: 'sse2' },
  ...mmxPair(0xd8, 'PSUBUSB'),
  ...mmxPair(0xd9, 'PSUBUSW'),
  ...mmxPair(0xda, 'PMINUB', 'sse'),
  ...mmxPair(0xdb, 'PAND'),
  ...mmxPair(0xdc, 'PADDUSB'),
  ...mmxPair(0xdd, 'PADDUSW'),
  ...mmxPair(0xde, 'PMAXUB', 'sse'),
  ...mmxPair(0xdf, 'PANDN'),
  ...mmxPair(0xe0, 'PAVGB', 'sse'),
  ...mmxPair(0xe1, 'PSRAW'),
  ...mmxPair(0xe2, 'PSRAD'),
  ...mmxPair(0xe3, 'PAVGW', 'sse'),
  ...mmxPair(0xe4, 'PMULHUW', 'sse'),
  ...mmxPair(0xe5, 'PMULHW'),
  { opcode: '66 0F E6', name: 'CVTTPD2DQ', operands: 'Vx,Wpd', exec: 'cvttpd2dq', attrs: 'sse2' },
  { opcode: 'F3 0F E6', name: 'CVTDQ2PD', operands: 'Vx,Wq', exec: 'cvtdq2pd', attrs: 'sse2' },
  { opcode: 'F2 0F E6', name: 'CVTPD2DQ', operands: 'Vx,Wpd', exec: 'cvtpd2dq', attrs: 'sse2' },
  { opcode: 'NP 0F E7 mem', name: 'MOVNTQ', operands: 'Mq,Pq', exec: 'movq', attrs: 'sse' },
  { opcode: '66 0F E7 mem', name: 'MOVNTDQ', operands: 'Mx,Vx', exec: 'movdqa', attrs: 'sse2' },
  ...mmxPair(0xe8, 'PSUBSB'),
  ...mmxPair(0xe9, 'PSUBSW'),
  ...mmxPair(0xea, 'PMINSW', 'sse'),
  ...mmxPair(0xeb, 'POR'),
  ...mmxPair(0xec, 'PADDSB'),
  ...mmxPair(0xed, 'PADDSW'),
  ...mmxPair(0xee, 'PMAXSW', 'sse'),
  ...mmxPair(0xef, 'PXOR'),
  { opcode: 'F2 0F F0 mem', name: 'LDDQU', operands: 'Vx,Mx', exec: 'movdqu', attrs: 'sse3' },
  ...mmxPair(0xf1, 'PSLLW'),
  ...mmxPair(0xf2, 'PSLLD'),
  ...mmxPair(0xf3, 'PSLLQ'),
  ...mmxPair(0xf4, 'PMULUDQ', 'sse2'),
  ...mmxPair(0xf5, 'PMADDWD'),
  ...mmxPair(0xf6, 'PSADBW', 'sse'),
  { opcode: 'NP 0F F7 reg', name: 'MASKMOVQ', operands: 'Pq,Nq', exec: 'maskmovq', attrs: 'sse' },
  { opcode: '66 0F F7 reg', name: 'MASKMOVDQU', operands: 'Vx,Ux', exec: 'maskmovq', attrs: 'sse2' },
  ...mmxPair(0xf8, 'PSUBB'),
  ...mmxPair(0xf9, 'PSUBW'),
  ...mmxPair(0xfa, 'PSUBD'),
  ...mmxPair(0xfb, 'PSUBQ', 'sse2'),
  ...mmxPair(0xfc, 'PADDB'),
  ...mmxPair(0xfd, 'PADDW'),
  ...mmxPair(0xfe, 'PADDD'),
];
