/**
 * FSAVE/FSTENV memory layouts by operand size and mode (SDM Vol. 1, 8.1.10, Figures 8-9 to 8-12):
 * the environment is 14 bytes with a 16-bit operand size (real or protected mode) and 28 bytes with
 * a 32-bit one; FSAVE puts the eight 80-bit registers right after it and then re-initialises the FPU.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_RIP } from '../../src/cpu/state/cpu-state.js';
import { assemble } from '../support/nasm.js';
import { flatMachine } from '../support/flat-machine.js';

const ONE = [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f];

function realMode(source: string) {
  const m = new BareMachine({ ramSize: 1 << 20 });
  m.physical.load(0x8000, assemble(`
        xor ax, ax
        mov ds, ax
        mov eax, cr0
        and eax, ~0xc
        mov cr0, eax
${source}
        hlt`, 16, 0x8000));
  m.cpu.loadRealSegment(1, 0);
  m.cpu.s[I_RIP] = 0x8000;
  m.cpu.exitOnException = true;
  assert.equal(m.cpu.run(100), ExitReason.Halted, `vector ${m.cpu.faultVector}`);
  return m.physical;
}

describe('FSAVE and FSTENV layouts', () => {
  it('real mode, 16-bit: 14-byte environment (FCW, FSW, full tag word) and registers at offset 14', () => {
    const mem = realMode(`
        fninit
        fld1
        fnsave [0x500]
        fnstcw [0x600]`);
    assert.equal(mem.read(0x500, 2), 0x037f, 'FCW');
    assert.equal((mem.read(0x502, 2) >> 11) & 7, 7, 'TOP = 7');
    assert.equal(mem.read(0x504, 2), 0x3fff, 'full tag word: only physical register 7 valid');
    assert.deepEqual([...mem.dump(0x500 + 14, 10)], ONE, 'ST0 right after the 14-byte environment');
    assert.equal(mem.read(0x600, 2), 0x037f, 'FSAVE re-initialised the FPU');
  });

  it('real mode with a 32-bit operand size: 28-byte environment, registers at offset 28', () => {
    const mem = realMode(`
        fninit
        fld1
        o32 fnstenv [0x500]
        o32 fnsave [0x540]`);
    assert.equal(mem.read(0x500, 2), 0x037f);
    assert.equal(mem.read(0x508, 2), 0x3fff, 'tag word at offset 8 in the 32-bit format');
    assert.deepEqual([...mem.dump(0x540 + 28, 10)], ONE);
  });

  it('32-bit protected mode: FSAVE is 108 bytes with registers at offset 28; FRSTOR reloads them', () => {
    const fm = flatMachine(`
        mov eax, cr0
        and eax, ~0xc
        mov cr0, eax
        fninit
        fld1
        fldz
        fnsave [0x30000]
        frstor [0x30000]
        fstp st0
        fstp tword [0x30100]
        hlt`, 32);
    fm.cpu.exitOnException = true;
    assert.equal(fm.runToHalt(), ExitReason.Halted);
    const mem = fm.machine.physical;
    assert.equal((mem.read(0x30004, 2) >> 11) & 7, 6, 'TOP = 6 at offset 4 (32-bit format)');
    assert.deepEqual([...mem.dump(0x30000 + 28 + 10, 10)], ONE, 'ST1 = 1.0 in the second register slot');
    assert.deepEqual([...mem.dump(0x30100, 10)], ONE, 'FRSTOR restored the stack');
  });
});
