/**
 * TF single-stepping (SDM Vol. 3, 18.3.1.4): a #DB trap after each instruction that began with
 * TF = 1, with DR6.BS set and the saved IP pointing at the next instruction; the handler runs with
 * TF cleared; POPF setting TF traps only after the following instruction.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_RFLAGS, I_RIP } from '../../src/cpu/state/cpu-state.js';
import { assemble } from '../support/nasm.js';

describe('single-step trap', () => {
  it('counts one #DB per instruction executed with TF set (real mode)', () => {
    const machine = new BareMachine({ ramSize: 1 << 20 });
    const cpu = machine.cpu;
    machine.physical.load(0x8000, assemble(`
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7000
        mov word [1 * 4], handler      ; IVT entry for #DB
        mov word [1 * 4 + 2], 0
        xor bx, bx                     ; BX counts traps
        pushf
        pop ax
        or ax, 0x100
        push ax
        popf                           ; TF on: the trap comes after the next instruction
        nop                            ; trap 1
        nop                            ; trap 2
        pushf                          ; trap 3
        pop ax                         ; trap 4
        and ax, ~0x100                 ; trap 5
        push ax                        ; trap 6
        popf                           ; trap 7: TF goes off, but this POPF began with TF set
        hlt
handler:
        inc bx
        iret`, 16, 0x8000));
    cpu.loadRealSegment(1, 0);
    cpu.s[I_RIP] = 0x8000;
    assert.equal(cpu.run(1000), ExitReason.Halted);
    assert.equal(cpu.state.getGpr(3), 7n);
  });

  it('reports the trap to a caller that handles exceptions itself, after the instruction', () => {
    const machine = new BareMachine({ ramSize: 1 << 20 });
    const cpu = machine.cpu;
    machine.physical.load(0x8000, assemble('mov ax, 1\nmov bx, 2\nhlt', 16, 0x8000));
    cpu.loadRealSegment(1, 0);
    cpu.s[I_RIP] = 0x8000;
    cpu.exitOnException = true;
    cpu.s[I_RFLAGS] = 0x102; // TF
    assert.equal(cpu.run(10), ExitReason.Exception);
    assert.equal(cpu.faultVector, 1);
    assert.equal(cpu.s[I_RIP], 0x8003);
    assert.equal(cpu.state.getGpr(0), 1n);
  });
});
