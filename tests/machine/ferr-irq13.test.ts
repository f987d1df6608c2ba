/**
 * x87 error reporting with CR0.NE = 0 (SDM Vol. 1, 8.7, "MS-DOS compatibility"): an unmasked
 * exception is signalled through FERR#, which the PC wires to IRQ13; with CR0.NE = 1 the next
 * waiting x87 instruction raises #MF instead.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PcMachine } from '../../src/machine/pc.js';
import { VirtualClock } from '../../src/machine/clock.js';
import { I_RIP, I_SEG_BASE, I_SEG_SEL } from '../../src/cpu/state/cpu-state.js';
import { assemble } from '../support/nasm.js';

describe('FERR# and IRQ13', () => {
  it('an unmasked divide-by-zero with CR0.NE = 0 reaches the guest as IRQ13 through the slave PIC', () => {
    const pc = new PcMachine({ ramSize: 16 << 20, bios: new Uint8Array(0x10000).fill(0xf4), clock: VirtualClock.deterministic() });
    pc.physical.load(0x8000, assemble(`
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7000
        mov word [0x75 * 4], irq13     ; IRQ13 = slave IR5 at vector 0x70 + 5
        mov word [0x75 * 4 + 2], 0
        mov al, 0x11                   ; initialise both PICs: master at 0x08, slave at 0x70
        out 0x20, al
        out 0xa0, al
        mov al, 0x08
        out 0x21, al
        mov al, 0x70
        out 0xa1, al
        mov al, 4
        out 0x21, al
        mov al, 2
        out 0xa1, al
        mov al, 1
        out 0x21, al
        out 0xa1, al
        mov al, 0xfb                   ; master: only the cascade
        out 0x21, al
        mov al, 0xdf                   ; slave: only IR5 (IRQ13)
        out 0xa1, al
        mov eax, cr0
        and eax, ~0x2c                 ; NE, TS and EM off
        mov cr0, eax
        fninit
        fldcw [cw]
        fld1
        fldz
        fdivp st1, st0                 ; 1 / 0 with ZE unmasked: pending exception
        sti
        fwait                          ; FERR# asserts: IRQ13
        hlt
        hlt
irq13:  mov byte [0x600], 0x13
        fnclex
        mov al, 0x20
        out 0xa0, al
        out 0x20, al
        iret
cw:     dw 0x0360                      ; all exceptions unmasked, 64-bit precision`, 16, 0x8000));
    const cpu = pc.cpus[0]!;
    cpu.s[I_SEG_SEL + 1] = 0;
    cpu.s[I_SEG_BASE + 2] = 0;
    cpu.s[I_RIP] = 0x8000;
    pc.runFor(1e7, () => pc.physical.read(0x600, 1) === 0x13);
    assert.equal(pc.physical.read(0x600, 1), 0x13, 'the IRQ13 handler ran');
  });
});
