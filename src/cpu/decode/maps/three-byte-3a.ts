import type { OpcodeRow } from '../row.js';

/**
 * The three-byte map 0F 3A xx: Intel SDM Vol. 2, Appendix A, Table A-5 (SSSE3 PALIGNR, SSE4.1,
 * SSE4.2 string compares, PCLMULQDQ, AES, SHA). Every row of this map has a ModRM byte and an Ib;
 * unknown opcodes consume both (decoder.ts) and are #UD.
 */

const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

function x66(op: number, name: string, feature: string, operands = 'Vx,Wx,Ib', exec = name.toLowerCase()): OpcodeRow {
  return { opcode: `66 0F 3A ${hex(op)}`, name, operands, exec, attrs: feature };
}

export const THREE_BYTE_3A_MAP: readonly OpcodeRow[] = [
  x66(0x08, 'ROUNDPS', 'sse41', 'Vps,Wps,Ib'),
  x66(0x09, 'ROUNDPD', 'sse41', 'Vpd,Wpd,Ib'),
  x66(0x0a, 'ROUNDSS', 'sse41', 'Vss,Wss,Ib'),
  x66(0x0b, 'ROUNDSD', 'sse41', 'Vsd,Wsd,Ib'),
  x66(0x0c, 'BLENDPS', 'sse41', 'Vps,Wps,Ib'),
  x66(0x0d, 'BLENDPD', 'sse41', 'Vpd,Wpd,Ib'),
  x66(0x0e, 'PBLENDW', 'sse41'),
  { opcode: 'NP 0F 3A 0F', name: 'PALIGNR', operands: 'Pq,Qq,Ib', exec: 'palignr', attrs: 'ssse3' },
  x66(0x0f, 'PALIGNR', 'ssse3'),
  // Extracts and inserts: a register operand is 32 bits (64 with REX.W for the D/Q forms), a memory
  // operand is as wide as the element.
  { opcode: '66 0F 3A 14 reg', name: 'PEXTRB', operands: 'Rd,Vx,Ib', exec: 'pextr', attrs: 'sse41' },
  { opcode: '66 0F 3A 14 mem', name: 'PEXTRB', operands: 'Mb,Vx,Ib', exec: 'pextr', attrs: 'sse41' },
  { opcode: '66 0F 3A 15 reg', name: 'PEXTRW', operands: 'Rd,Vx,Ib', exec: 'pextr', attrs: 'sse41' },
  { opcode: '66 0F 3A 15 mem', name: 'PEXTRW', operands: 'Mw,Vx,Ib', exec: 'pextr', attrs: 'sse41' },
  x66(0x16, 'PEXTRD', 'sse41', 'Ey,Vx,Ib', 'pextr'),
  x66(0x17, 'EXTRACTPS', 'sse41', 'Ed,Vx,Ib'),
  { opcode: '66 0F 3A 20 reg', name: 'PINSRB', operands: 'Vx,Rd,Ib', exec: 'pinsr', attrs: 'sse41' },
  { opcode: '66 0F 3A 20 mem', name: 'PINSRB', operands: 'Vx,Mb,Ib', exec: 'pinsr', attrs: 'sse41' },
  x66(0x21, 'INSERTPS', 'sse41', 'Vx,Wd,Ib'),
  x66(0x22, 'PINSRD', 'sse41', 'Vx,Ey,Ib', 'pinsr'),
  x66(0x40, 'DPPS', 'sse41', 'Vps,Wps,Ib'),
  x66(0x41, 'DPPD', 'sse41', 'Vpd,Wpd,Ib'),
  x66(0x42, 'MPSADBW', 'sse41'),
  x66(0x44, 'PCLMULQDQ', 'pclmul'),
  x66(0x60, 'PCMPESTRM', 'sse42', 'Vx,Wx,Ib', 'pcmpstr'),
  x66(0x61, 'PCMPESTRI', 'sse42', 'Vx,Wx,Ib', 'pcmpstr'),
  x66(0x62, 'PCMPISTRM', 'sse42', 'Vx,Wx,Ib', 'pcmpstr'),
  x66(0x63, 'PCMPISTRI', 'sse42', 'Vx,Wx,Ib', 'pcmpstr'),
  { opcode: 'NP 0F 3A CC', name: 'SHA1RNDS4', operands: 'Vx,Wx,Ib', exec: 'sha', attrs: 'sha' },
  x66(0xdf, 'AESKEYGENASSIST', 'aes', 'Vx,Wx,Ib', 'aes'),
];
