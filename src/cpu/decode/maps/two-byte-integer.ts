import type { OpcodeRow } from '../row.js';

/**
 * The general-purpose and system rows of the two-byte map (0F xx): Intel SDM Vol. 2, Appendix A,
 * Table A-3, with groups 6, 7, 8, 9, 15 and 16 (Table A-6). The MMX/SSE rows are in two-byte-simd.ts.
 */

const CC = ['O', 'NO', 'B', 'AE', 'E', 'NE', 'BE', 'A', 'S', 'NS', 'P', 'NP', 'L', 'GE', 'LE', 'G'] as const;
const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

function conditionRows(): OpcodeRow[] {
  const rows: OpcodeRow[] = [];
  CC.forEach((cc, i) => {
    rows.push(
      { opcode: `0F ${hex(0x40 + i)}`, name: `CMOV${cc}`, operands: 'Gv,Ev', exec: 'cmovcc' },
      { opcode: `0F ${hex(0x80 + i)}`, name: `J${cc}`, operands: 'Jz', exec: 'jcc', attrs: 'f64 branch' },
      { opcode: `0F ${hex(0x90 + i)}`, name: `SET${cc}`, operands: 'Eb', exec: 'setcc' },
    );
  });
  return rows;
}

export const TWO_BYTE_INTEGER_MAP: readonly OpcodeRow[] = [
  // Group 6.
  { opcode: '0F 00 /0 mem', name: 'SLDT', operands: 'Mw', exec: 'sldt', attrs: 'pm' },
  { opcode: '0F 00 /0 reg', name: 'SLDT', operands: 'Rv', exec: 'sldt', attrs: 'pm' },
  { opcode: '0F 00 /1 mem', name: 'STR', operands: 'Mw', exec: 'str', attrs: 'pm' },
  { opcode: '0F 00 /1 reg', name: 'STR', operands: 'Rv', exec: 'str', attrs: 'pm' },
  { opcode: '0F 00 /2', name: 'LLDT', operands: 'Ew', exec: 'lldt', attrs: 'pm cpl0 branch' },
  { opcode: '0F 00 /3', name: 'LTR', operands: 'Ew', exec: 'ltr', attrs: 'pm cpl0' },
  { opcode: '0F 00 /4', name: 'VERR', operands: 'Ew', exec: 'verr', attrs: 'pm' },
  { opcode: '0F 00 /5', name: 'VERW', operands: 'Ew', exec: 'verw', attrs: 'pm' },
  // Group 7.
  { opcode: '0F 01 /0 mem', name: 'SGDT', operands: 'Ms', exec: 'sgdt' },
  { opcode: '0F 01 /1 mem', name: 'SIDT', operands: 'Ms', exec: 'sidt' },
  { opcode: '0F 01 /2 mem', name: 'LGDT', operands: 'Ms', exec: 'lgdt', attrs: 'cpl0 f64' },
  { opcode: '0F 01 /3 mem', name: 'LIDT', operands: 'Ms', exec: 'lidt', attrs: 'cpl0 f64' },
  { opcode: '0F 01 /4 mem', name: 'SMSW', operands: 'Mw', exec: 'smsw' },
  { opcode: '0F 01 /4 reg', name: 'SMSW', operands: 'Rv', exec: 'smsw' },
  { opcode: '0F 01 /6', name: 'LMSW', operands: 'Ew', exec: 'lmsw', attrs: 'cpl0 branch' },
  { opcode: '0F 01 /7 mem', name: 'INVLPG', operands: 'Mb', exec: 'invlpg', attrs: 'cpl0 branch' },
  { opcode: '0F 01 C8', name: 'MONITOR', exec: 'monitor', attrs: 'cpl0' },
  { opcode: '0F 01 C9', name: 'MWAIT', exec: 'mwait', attrs: 'cpl0 branch' },
  { opcode: '0F 01 CA', name: 'CLAC', exec: 'clac', attrs: 'cpl0 smap' },
  { opcode: '0F 01 CB', name: 'STAC', exec: 'stac', attrs: 'cpl0 smap' },
  { opcode: '0F 01 D0', name: 'XGETBV', exec: 'xgetbv', attrs: 'xsave' },
  { opcode: '0F 01 D1', name: 'XSETBV', exec: 'xsetbv', attrs: 'cpl0 xsave branch' },
  { opcode: '0F 01 C1', name: 'VMCALL', exec: 'vmx', attrs: 'vmx' },
  { opcode: '0F 01 C2', name: 'VMLAUNCH', exec: 'vmx', attrs: 'vmx' },
  { opcode: '0F 01 C3', name: 'VMRESUME', exec: 'vmx', attrs: 'vmx' },
  { opcode: '0F 01 C4', name: 'VMXOFF', exec: 'vmx', attrs: 'vmx' },
  { opcode: 'NP 0F 01 D4', name: 'VMFUNC', exec: 'vmx', attrs: 'vmx' },
  { opcode: 'NP 0F 01 D5', name: 'XEND', exec: 'xend', attrs: 'rtm' },
  { opcode: 'NP 0F 01 D6', name: 'XTEST', exec: 'xtest', attrs: 'rtm' },
  { opcode: 'NP 0F 01 E8', name: 'SERIALIZE', exec: 'serialize', attrs: 'serialize' },
  { opcode: 'NP 0F 01 EE', name: 'RDPKRU', exec: 'rdpkru', attrs: 'pku' },
  { opcode: 'NP 0F 01 EF', name: 'WRPKRU', exec: 'wrpkru', attrs: 'pku' },
  { opcode: '0F 01 F8', name: 'SWAPGS', exec: 'swapgs', attrs: 'o64 cpl0' },
  { opcode: '0F 01 F9', name: 'RDTSCP', exec: 'rdtscp', attrs: 'rdtscp' },
  // LAR/LSL read a 16-bit selector from memory but name a full-width register (SDM: r32/m16).
  { opcode: '0F 02 mem', name: 'LAR', operands: 'Gv,Mw', exec: 'lar', attrs: 'pm' },
  { opcode: '0F 02 reg', name: 'LAR', operands: 'Gv,Rv', exec: 'lar', attrs: 'pm' },
  { opcode: '0F 03 mem', name: 'LSL', operands: 'Gv,Mw', exec: 'lsl', attrs: 'pm' },
  { opcode: '0F 03 reg', name: 'LSL', operands: 'Gv,Rv', exec: 'lsl', attrs: 'pm' },
  { opcode: '0F 05', name: 'SYSCALL', exec: 'syscall', attrs: 'branch' },
  { opcode: '0F 06', name: 'CLTS', exec: 'clts', attrs: 'cpl0' },
  { opcode: '0F 07', name: 'SYSRET', exec: 'sysret', attrs: 'pm cpl0 branch' },
  { opcode: '0F 08', name: 'INVD', exec: 'invd', attrs: 'cpl0' },
  { opcode: 'F3 0F 09', name: 'WBNOINVD', exec: 'wbinvd', attrs: 'cpl0 wbnoinvd' },
  { opcode: '0F 09', name: 'WBINVD', exec: 'wbinvd', attrs: 'cpl0' },
  { opcode: '0F 0B', name: 'UD2', exec: 'ud' },
  { opcode: '0F 0D /1 mem', name: 'PREFETCHW', operands: 'Mb', exec: 'nop' },
  { opcode: '0F 0D /2 mem', name: 'PREFETCHWT1', operands: 'Mb', exec: 'nop' },
  { opcode: '0F 0D mem', name: 'NOP', operands: 'Mb', exec: 'nop' },
  { opcode: '0F 18 /0 mem', name: 'PREFETCHNTA', operands: 'Mb', exec: 'nop' },
  { opcode: '0F 18 /1 mem', name: 'PREFETCHT0', operands: 'Mb', exec: 'nop' },
  { opcode: '0F 18 /2 mem', name: 'PREFETCHT1', operands: 'Mb', exec: 'nop' },
  { opcode: '0F 18 /3 mem', name: 'PREFETCHT2', operands: 'Mb', exec: 'nop' },
  // 0F 18-1F: reserved-NOP space (SDM "NOP r/m"), kept executable as real CPUs do.
  { opcode: '0F 18', name: 'NOP', operands: 'Ev', exec: 'nop' },
  { opcode: '0F 19', name: 'NOP', operands: 'Ev', exec: 'nop' },
  { opcode: '0F 1A', name: 'NOP', operands: 'Ev', exec: 'nop' },
  { opcode: '0F 1B', name: 'NOP', operands: 'Ev', exec: 'nop' },
  { opcode: '0F 1C', name: 'NOP', operands: 'Ev', exec: 'nop' },
  { opcode: '0F 1D', name: 'NOP', operands: 'Ev', exec: 'nop' },
  { opcode: '0F 1E', name: 'NOP', operands: 'Ev', exec: 'nop' },
  { opcode: '0F 1F', name: 'NOP', operands: 'Ev', exec: 'nop' },
  // MOV to/from control and debug registers: ModRM.mod is ignored, rm is always a register.
  { opcode: '0F 20', name: 'MOV', operands: 'Ry,Cy', exec: 'mov_from_cr', attrs: 'cpl0 f64' },
  { opcode: '0F 21', name: 'MOV', operands: 'Ry,Dy', exec: 'mov_from_dr', attrs: 'cpl0 f64' },
  { opcode: '0F 22', name: 'MOV', operands: 'Cy,Ry', exec: 'mov_to_cr', attrs: 'cpl0 f64 branch' },
  { opcode: '0F 23', name: 'MOV', operands: 'Dy,Ry', exec: 'mov_to_dr', attrs: 'cpl0 f64 branch' },
  { opcode: 'NP 0F 37', name: 'GETSEC', exec: 'getsec', attrs: 'smx' },
  { opcode: '0F 30', name: 'WRMSR', exec: 'wrmsr', attrs: 'cpl0 branch' },
  { opcode: '0F 31', name: 'RDTSC', exec: 'rdtsc' },
  { opcode: '0F 32', name: 'RDMSR', exec: 'rdmsr', attrs: 'cpl0' },
  { opcode: '0F 33', name: 'RDPMC', exec: 'rdpmc' },
  { opcode: '0F 34', name: 'SYSENTER', exec: 'sysenter', attrs: 'branch' },
  { opcode: '0F 35', name: 'SYSEXIT', exec: 'sysexit', attrs: 'pm cpl0 branch' },
  ...conditionRows(),
  { opcode: '0F A0', name: 'PUSH', operands: 'FS', exec: 'push_sreg', attrs: 'd64' },
  { opcode: '0F A1', name: 'POP', operands: 'FS', exec: 'pop_sreg', attrs: 'd64' },
  { opcode: '0F A2', name: 'CPUID', exec: 'cpuid' },
  { opcode: '0F A3', name: 'BT', operands: 'Ev,Gv', exec: 'bt' },
  { opcode: '0F A4', name: 'SHLD', operands: 'Ev,Gv,Ib', exec: 'shld' },
  { opcode: '0F A5', name: 'SHLD', operands: 'Ev,Gv,CL', exec: 'shld' },
  { opcode: '0F A8', name: 'PUSH', operands: 'GS', exec: 'push_sreg', attrs: 'd64' },
  { opcode: '0F A9', name: 'POP', operands: 'GS', exec: 'pop_sreg', attrs: 'd64' },
  { opcode: '0F AA', name: 'RSM', exec: 'rsm', attrs: 'branch' },
  { opcode: '0F AB', name: 'BTS', operands: 'Ev,Gv', exec: 'bts', attrs: 'lock' },
  { opcode: '0F AC', name: 'SHRD', operands: 'Ev,Gv,Ib', exec: 'shrd' },
  { opcode: '0F AD', name: 'SHRD', operands: 'Ev,Gv,CL', exec: 'shrd' },
  { opcode: '0F AF', name: 'IMUL', operands: 'Gv,Ev', exec: 'imul2' },
  { opcode: '0F B0', name: 'CMPXCHG', operands: 'Eb,Gb', exec: 'cmpxchg', attrs: 'lock' },
  { opcode: '0F B1', name: 'CMPXCHG', operands: 'Ev,Gv', exec: 'cmpxchg', attrs: 'lock' },
  { opcode: '0F B2 mem', name: 'LSS', operands: 'Gv,Mp', exec: 'lss', attrs: 'branch' },
  { opcode: '0F B3', name: 'BTR', operands: 'Ev,Gv', exec: 'btr', attrs: 'lock' },
  { opcode: '0F B4 mem', name: 'LFS', operands: 'Gv,Mp', exec: 'lfs' },
  { opcode: '0F B5 mem', name: 'LGS', operands: 'Gv,Mp', exec: 'lgs' },
  { opcode: '0F B6', name: 'MOVZX', operands: 'Gv,Eb', exec: 'movzx' },
  { opcode: '0F B7', name: 'MOVZX', operands: 'Gv,Ew', exec: 'movzx' },
  { opcode: 'F3 0F B8', name: 'POPCNT', operands: 'Gv,Ev', exec: 'popcnt', attrs: 'popcnt' },
  { opcode: '0F B9', name: 'UD1', operands: 'Gv,Ev', exec: 'ud' },
  // Group 8.
  { opcode: '0F BA /4', name: 'BT', operands: 'Ev,Ib', exec: 'bt' },
  { opcode: '0F BA /5', name: 'BTS', operands: 'Ev,Ib', exec: 'bts', attrs: 'lock' },
  { opcode: '0F BA /6', name: 'BTR', operands: 'Ev,Ib', exec: 'btr', attrs: 'lock' },
  { opcode: '0F BA /7', name: 'BTC', operands: 'Ev,Ib', exec: 'btc', attrs: 'lock' },
  { opcode: '0F BB', name: 'BTC', operands: 'Ev,Gv', exec: 'btc', attrs: 'lock' },
  { opcode: 'F3 0F BC', name: 'TZCNT', operands: 'Gv,Ev', exec: 'tzcnt', attrs: 'bmi1' },
  { opcode: '0F BC', name: 'BSF', operands: 'Gv,Ev', exec: 'bsf' },
  { opcode: 'F3 0F BD', name: 'LZCNT', operands: 'Gv,Ev', exec: 'lzcnt', attrs: 'abm' },
  { opcode: '0F BD', name: 'BSR', operands: 'Gv,Ev', exec: 'bsr' },
  { opcode: '0F BE', name: 'MOVSX', operands: 'Gv,Eb', exec: 'movsx' },
  { opcode: '0F BF', name: 'MOVSX', operands: 'Gv,Ew', exec: 'movsx' },
  { opcode: '0F C0', name: 'XADD', operands: 'Eb,Gb', exec: 'xadd', attrs: 'lock' },
  { opcode: '0F C1', name: 'XADD', operands: 'Ev,Gv', exec: 'xadd', attrs: 'lock' },
  // Group 9.
  { opcode: '0F C7 /1 mem', name: 'CMPXCHG8B', operands: 'Mq', exec: 'cmpxchg8b', attrs: 'lock' },
  // RDRAND/RDSEED: #UD with F2 or F3 (SDM Vol. 2, RDRAND); 66 selects the 16-bit form.
  { opcode: 'NP 0F C7 /6 reg', name: 'RDRAND', operands: 'Rv', exec: 'rdrand', attrs: 'rdrand' },
  { opcode: '66 0F C7 /6 reg', name: 'RDRAND', operands: 'Rv', exec: 'rdrand', attrs: 'rdrand opsize' },
  { opcode: 'NP 0F C7 /7 reg', name: 'RDSEED', operands: 'Rv', exec: 'rdseed', attrs: 'rdseed' },
  { opcode: '66 0F C7 /7 reg', name: 'RDSEED', operands: 'Rv', exec: 'rdseed', attrs: 'rdseed opsize' },
  { opcode: 'F3 0F C7 /7 reg', name: 'RDPID', operands: 'Ry', exec: 'rdpid', attrs: 'rdpid f64' },
  // BSWAP with a 16-bit operand size is undefined (SDM Vol. 2, BSWAP); it names the 16-bit register.
  { opcode: '0F C8+r', name: 'BSWAP', operands: 'Zv', exec: 'bswap' },
  { opcode: '0F FF', name: 'UD0', operands: 'Gv,Ev', exec: 'ud' },
];
