import type { Cpu } from '../cpu.js';
import { OpKind, type Instr } from '../decode/instr.js';

/** IN/OUT with an immediate or DX port (SDM Vol. 2, IN, OUT). */
function portOf(cpu: Cpu, kind: OpKind, ins: Instr): number {
  return kind === OpKind.Imm ? ins.immLo & 0xff : cpu.g16[2 * 4]!;
}

export function in_(cpu: Cpu, ins: Instr): void {
  const size = ins.size0;
  const port = portOf(cpu, ins.kind1, ins);
  cpu.checkIoPermission(port, size);
  const value = cpu.io.read(port, size);
  cpu.setReg(ins.reg0, size, value | 0, 0);
}

export function out(cpu: Cpu, ins: Instr): void {
  const size = ins.size1;
  const port = portOf(cpu, ins.kind0, ins);
  cpu.checkIoPermission(port, size);
  cpu.io.write(port, size, cpu.getReg(ins.reg1, size) >>> 0);
}
