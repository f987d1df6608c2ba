import type { OpcodeRow } from '../row.js';

/**
 * The three-byte map 0F 38 xx: Intel SDM Vol. 2, Appendix A, Table A-4 (SSSE3, SSE4.1, SSE4.2, AES,
 * SHA, MOVBE, CRC32, ADCX/ADOX, INVEPT/INVVPID/INVPCID). Every row has a ModRM byte; unknown
 * opcodes of this map still consume one (decoder.ts) and are #UD.
 */

const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/** SSSE3 instruction with an MMX form (NP, Pq,Qq) and an XMM form (66, Vx,Wx). */
function ssse3(op: number, name: string): OpcodeRow[] {
  const exec = name.toLowerCase();
  return [
    { opcode: `NP 0F 38 ${hex(op)}`, name, operands: 'Pq,Qq', exec, attrs: 'ssse3' },
    { opcode: `66 0F 38 ${hex(op)}`, name, operands: 'Vx,Wx', exec, attrs: 'ssse3' },
  ];
}

/** A 66-prefixed XMM row. */
function x66(op: number, name: string, feature: string, operands = 'Vx,Wx', exec = name.toLowerCase()): OpcodeRow {
  return { opcode: `66 0F 38 ${hex(op)}`, name, operands, exec, attrs: feature };
}

/** PMOVSX/PMOVZX: the memory source is as wide as the elements it widens. */
function pmov(op: number, name: string, src: string): OpcodeRow {
  return x66(op, name, 'sse41', `Vx,W${src}`, name.startsWith('PMOVSX') ? 'pmovsx' : 'pmovzx');
}

export const THREE_BYTE_38_MAP: readonly OpcodeRow[] = [
  ...ssse3(0x00, 'PSHUFB'),
  ...ssse3(0x01, 'PHADDW'),
  ...ssse3(0x02, 'PHADDD'),
  ...ssse3(0x03, 'PHADDSW'),
  ...ssse3(0x04, 'PMADDUBSW'),
  ...ssse3(0x05, 'PHSUBW'),
  ...ssse3(0x06, 'PHSUBD'),
  ...ssse3(0x07, 'PHSUBSW'),
  ...ssse3(0x08, 'PSIGNB'),
  ...ssse3(0x09, 'PSIGNW'),
  ...ssse3(0x0a, 'PSIGND'),
  ...ssse3(0x0b, 'PMULHRSW'),
  // SSE4.1 variable blends: XMM0 is the implicit mask (SDM: "<XMM0>").
  x66(0x10, 'PBLENDVB', 'sse41', 'Vx,Wx,XMM0'),
  x66(0x14, 'BLENDVPS', 'sse41', 'Vx,Wx,XMM0'),
  x66(0x15, 'BLENDVPD', 'sse41', 'Vx,Wx,XMM0'),
  x66(0x17, 'PTEST', 'sse41'),
  ...ssse3(0x1c, 'PABSB'),
  ...ssse3(0x1d, 'PABSW'),
  ...ssse3(0x1e, 'PABSD'),
  pmov(0x20, 'PMOVSXBW', 'q'),
  pmov(0x21, 'PMOVSXBD', 'd'),
  pmov(0x22, 'PMOVSXBQ', 'w'),
  pmov(0x23, 'PMOVSXWD', 'q'),
  pmov(0x24, 'PMOVSXWQ', 'd'),
  pmov(0x25, 'PMOVSXDQ', 'q'),
  x66(0x28, 'PMULDQ', 'sse41'),
  x66(0x29, 'PCMPEQQ', 'sse41'),
  { opcode: '66 0F 38 2A mem', name: 'MOVNTDQA', operands: 'Vx,Mx', exec: 'movdqa', attrs: 'sse41' },
  x66(0x2b, 'PACKUSDW', 'sse41'),
  pmov(0x30, 'PMOVZXBW', 'q'),
  pmov(0x31, 'PMOVZXBD', 'd'),
  pmov(0x32, 'PMOVZXBQ', 'w'),
  pmov(0x33, 'PMOVZXWD', 'q'),
  pmov(0x34, 'PMOVZXWQ', 'd'),
  pmov(0x35, 'PMOVZXDQ', 'q'),
  x66(0x37, 'PCMPGTQ', 'sse42'),
  x66(0x38, 'PMINSB', 'sse41'),
  x66(0x39, 'PMINSD', 'sse41'),
  x66(0x3a, 'PMINUW', 'sse41'),
  x66(0x3b, 'PMINUD', 'sse41'),
  x66(0x3c, 'PMAXSB', 'sse41'),
  x66(0x3d, 'PMAXSD', 'sse41'),
  x66(0x3e, 'PMAXUW', 'sse41'),
  x66(0x3f, 'PMAXUD', 'sse41'),
  x66(0x40, 'PMULLD', 'sse41'),
  x66(0x41, 'PHMINPOSUW', 'sse41'),
  // VMX/INVPCID: register operand is 64-bit in 64-bit mode, 32-bit elsewhere.
  { opcode: '66 0F 38 80 mem', name: 'INVEPT', operands: 'Gy,Mdq', exec: 'vmx', attrs: 'f64 vmx' },
  { opcode: '66 0F 38 81 mem', name: 'INVVPID', operands: 'Gy,Mdq', exec: 'vmx', attrs: 'f64 vmx' },
  { opcode: '66 0F 38 82 mem', name: 'INVPCID', operands: 'Gy,Mdq', exec: 'invpcid', attrs: 'f64 cpl0 invpcid' },
  // SHA extensions.
  { opcode: 'NP 0F 38 C8', name: 'SHA1NEXTE', operands: 'Vx,Wx', exec: 'sha', attrs: 'sha' },
  { opcode: 'NP 0F 38 C9', name: 'SHA1MSG1', operands: 'Vx,Wx', exec: 'sha', attrs: 'sha' },
  { opcode: 'NP 0F 38 CA', name: 'SHA1MSG2', operands: 'Vx,Wx', exec: 'sha', attrs: 'sha' },
  { opcode: 'NP 0F 38 CB', name: 'SHA256RNDS2', operands: 'Vx,Wx,XMM0', exec: 'sha', attrs: 'sha' },
  { opcode: 'NP 0F 38 CC', name: 'SHA256MSG1', operands: 'Vx,Wx', exec: 'sha', attrs: 'sha' },
  { opcode: 'NP 0F 38 CD', name: 'SHA256MSG2', operands: 'Vx,Wx', exec: 'sha', attrs: 'sha' },
  // AES-NI.
  x66(0xdb, 'AESIMC', 'aes', 'Vx,Wx', 'aes'),
  x66(0xdc, 'AESENC', 'aes', 'Vx,Wx', 'aes'),
  x66(0xdd, 'AESENCLAST', 'aes', 'Vx,Wx', 'aes'),
  x66(0xde, 'AESDEC', 'aes', 'Vx,Wx', 'aes'),
  x66(0xdf, 'AESDECLAST', 'aes', 'Vx,Wx', 'aes'),
  // F0/F1: CRC32 with F2 (66 F2 selects a 16-bit source: the last of F2/F3 picks the row, 66 the
  // operand size), MOVBE otherwise (memory only; 66 gives the 16-bit form).
  { opcode: 'F2 0F 38 F0', name: 'CRC32', operands: 'Gy,Eb', exec: 'crc32', attrs: 'sse42' },
  { opcode: 'F2 0F 38 F1', name: 'CRC32', operands: 'Gy,Ev', exec: 'crc32', attrs: 'sse42' },
  { opcode: 'NP 0F 38 F0 mem', name: 'MOVBE', operands: 'Gv,Mv', exec: 'movbe', attrs: 'movbe' },
  { opcode: 'NP 0F 38 F1 mem', name: 'MOVBE', operands: 'Mv,Gv', exec: 'movbe', attrs: 'movbe' },
  { opcode: '66 0F 38 F0 mem', name: 'MOVBE', operands: 'Gv,Mv', exec: 'movbe', attrs: 'movbe opsize' },
  { opcode: '66 0F 38 F1 mem', name: 'MOVBE', operands: 'Mv,Gv', exec: 'movbe', attrs: 'movbe opsize' },
  { opcode: '66 0F 38 F6', name: 'ADCX', operands: 'Gy,Ey', exec: 'adcx', attrs: 'adx' },
  { opcode: 'F3 0F 38 F6', name: 'ADOX', operands: 'Gy,Ey', exec: 'adox', attrs: 'adx' },
];
