/**
 * CRC32 (SSE4.2, F2 0F 38 F0/F1): CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of the
 * source bytes, accumulated into the low 32 bits of the destination; a 64-bit destination gets
 * its upper half zeroed (SDM Vol. 2, CRC32). A general-purpose instruction: no SSE state checks.
 */
import type { Cpu } from '../cpu.js';
import type { Instr } from '../decode/instr.js';

const TABLE = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  TABLE[i] = c;
}

function bytes(crc: number, value: number, count: number): number {
  for (let i = 0; i < count; i++) {
    crc = TABLE[(crc ^ value) & 0xff]! ^ (crc >>> 8);
    value >>>= 8;
  }
  return crc;
}

export function crc32(cpu: Cpu, ins: Instr): void {
  const size = ins.size1;
  const lo = cpu.readSource(ins, ins.kind1, ins.reg1, size);
  const hi = cpu.hi;
  let crc = cpu.getReg(ins.reg0, 4);
  if (size === 8) crc = bytes(bytes(crc, lo, 4), hi, 4);
  else crc = bytes(crc, lo, size);
  cpu.setReg(ins.reg0, ins.size0, crc, 0);
}
