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

  it('STI does not hold back the single-step trap; MOV SS does (SDM Vol. 3, 6.8.3)', () => {
    // kvm-unit-tests debug "Single-step #DB w/ STI blocking": traps at every boundary after STI.
    const machine = new BareMachine({ ramSize: 1 << 20 });
    const cpu = machine.cpu;
    machine.physical.load(0x8000, assemble(`
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7000
        mov word [1 * 4], handler
        mov word [1 * 4 + 2], 0
        xor bx, bx                     ; BX counts traps, [0x600 + 2n] their IPs
        mov word [0x700], .a
        mov word [0x702], .b
        mov word [0x704], .c
        cli
        pushf
        pop ax
        or ax, 0x100
        push ax
        popf                           ; TF on after the next instruction
        sti                            ; trap 1 at .a
.a:     nop                            ; trap 2 at .b
.b:     mov ss, ax                     ; no trap here: MOV SS holds it back
        nop                            ; trap 3 at .c (covers MOV SS and this NOP)
.c:     and ax, ~0x100
        push ax
        popf
        hlt
handler:
        mov bp, sp
        mov si, bx
        shl si, 1
        mov di, [bp]
        mov [0x600 + si], di
        inc bx
        iret`, 16, 0x8000));
    cpu.loadRealSegment(1, 0);
    cpu.s[I_RIP] = 0x8000;
    assert.equal(cpu.run(1000), ExitReason.Halted);
    const ips = Array.from({ length: Number(cpu.state.getGpr(3)) }, (_, i) => machine.physical.read(0x600 + 2 * i, 2));
    const labels = [0, 1, 2].map((i) => machine.physical.read(0x700 + 2 * i, 2));
    assert.deepEqual(ips.slice(0, 3), labels, 'traps after STI, after the NOP, then only after MOV SS + NOP');
  });
});
