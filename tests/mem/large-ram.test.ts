/**
 * Guest RAM beyond 2 GiB of the WebAssembly memory: the TLB keeps host offsets up to 4 GiB
 * (unsigned). With them stored signed, every access to a page past 2 GiB (RAM of -m 2048 and more,
 * and the BIOS ROM after it) indexed the memory with a negative offset and stopped the emulator
 * (kvm-unit-tests vmx tests run with -m 2048).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { enterFlatMode } from '../../src/machine/flat-setup.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_RIP } from '../../src/cpu/state/cpu-state.js';
import { assemble } from '../support/nasm.js';

describe('guest RAM past 2 GiB of host memory', () => {
  it('reads, writes and fetches through the TLB at guest-physical 2.25 GiB', () => {
    const machine = new BareMachine({ ramSize: 2400 * 2 ** 20 });
    const far = 0x90000000;
    machine.physical.load(0x10000, assemble(`
        mov dword [0x${far.toString(16)}], 0x12345678
        mov eax, [0x${far.toString(16)}]
        mov [0x9000], eax
        mov byte [0x${(far + 0x1000).toString(16)}], 0xf4   ; HLT
        jmp 0x${(far + 0x1000).toString(16)}`, 32, 0x10000));
    enterFlatMode(machine.cpu, { mode: 32, cpl: 0 });
    machine.cpu.s[I_RIP] = 0x10000;
    assert.equal(machine.cpu.run(1000), ExitReason.Halted);
    assert.equal(machine.physical.read(0x9000, 4) >>> 0, 0x12345678);
    assert.equal(machine.physical.read(far, 4) >>> 0, 0x12345678);
    assert.equal(machine.cpu.s[I_RIP]! >>> 0, far + 0x1001, 'halted after the HLT fetched from there');
  });
});
