/**
 * Legacy behaviours real software relies on: "unreal" (big real) mode from stale descriptor caches
 * (SDM Vol. 3, 20.1.1: real-mode loads change only the base), the TSS I/O permission bitmap at
 * CPL 3 (Vol. 1, 18.5.2), the STI interrupt shadow (Vol. 2, STI), and virtual-8086 mode entered
 * with IRETD and left through a #GP to the monitor (Vol. 3, 20.2-20.3).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_RIP, I_SEG_SEL } from '../../src/cpu/state/cpu-state.js';
import { DecodeMode } from '../../src/cpu/decode/decoder.js';
import { assemble } from '../support/nasm.js';
import { descriptor, SEL, systemMachine } from './machine.js';
import { setSegmentCache } from '../../src/cpu/exec/segment.js';

describe('unreal mode', () => {
  it('a 4 GiB limit loaded in protected mode survives the return to real mode', () => {
    const machine = new BareMachine({ ramSize: 4 << 20 });
    const cpu = machine.cpu;
    machine.physical.load(0x8000, assemble(`
        bits 16
        cli
        xor ax, ax
        mov ds, ax
        lgdt [gdtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        mov bx, 0x08
        mov ds, bx              ; 4 GiB data segment into the DS cache
        and al, 0xfe
        mov cr0, eax            ; back to real mode without reloading DS's limit
        xor ax, ax
        mov ds, ax              ; real-mode load: base 0, the limit stays 4 GiB
        mov dword [dword 0x200000], 0x12345678
        mov ecx, [dword 0x200000]
        hlt
        align 8
gdt:    dq 0
        dq 0x00cf92000000ffff
gdtr:   dw 15
        dd gdt`, 16, 0x8000));
    cpu.loadRealSegment(1, 0);
    cpu.s[I_RIP] = 0x8000;
    cpu.exitOnException = true;
    assert.equal(cpu.run(1000), ExitReason.Halted, `vector ${cpu.faultVector}`);
    assert.equal(cpu.mode, DecodeMode.Real);
    assert.equal(cpu.state.getGpr(1), 0x12345678n);
    assert.equal(machine.physical.read(0x200000, 4), 0x12345678);
  });
});

describe('I/O permission bitmap', () => {
  it('at CPL 3 with IOPL 0 a port is allowed only when its bitmap bit is clear', () => {
    const TSS = 0x20000;
    const sm = systemMachine(`
        in al, 0x80             ; bit clear: allowed
        in al, 0x81             ; bit set: #GP(0)
        hlt`, { mode: 32, cpl: 3 });
    sm.setGdt(SEL.FREE, descriptor(TSS, 0x67 + 0x20 + 1, 0x8b, 0)); // busy 32-bit TSS with a bitmap
    const mem = sm.machine.physical;
    mem.write(TSS + 0x66, 2, 0x68); // bitmap right after the fixed part
    for (let i = 0; i < 0x20; i++) mem.write(TSS + 0x68 + i, 1, 0);
    mem.write(TSS + 0x68 + (0x81 >> 3), 1, 1 << (0x81 & 7));
    mem.write(TSS + 0x68 + 0x20, 1, 0xff);
    const cpu = sm.cpu;
    // TR as LTR would leave it (the test starts at CPL 3, where LTR is not allowed).
    setSegmentCache(cpu, 7, SEL.FREE, TSS, 0x67 + 0x21, 0x8b);
    assert.equal(sm.run(), ExitReason.Exception);
    assert.equal(cpu.faultVector, 13);
    assert.equal(cpu.s[I_RIP]! - 0x10000, 2, 'the first IN (port 0x80) ran, the second faulted');
  });
});


describe('STI interrupt shadow', () => {
  it('the instruction after STI runs before a pending interrupt is taken', () => {
    const machine = new BareMachine({ ramSize: 1 << 20 });
    const cpu = machine.cpu;
    let pending = true;
    cpu.interruptSource = { hasInterrupt: () => pending, acknowledge: () => { pending = false; return 0x20; } };
    machine.physical.load(0x8000, assemble(`
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7000
        mov word [0x20 * 4], handler
        mov word [0x20 * 4 + 2], 0
        xor bx, bx
        sti
        mov bx, 1               ; in the shadow: runs before the interrupt
        mov bx, 2
        hlt
handler:
        mov [0x600], bx
        iret`, 16, 0x8000));
    cpu.loadRealSegment(1, 0);
    cpu.s[I_RIP] = 0x8000;
    cpu.singleStep = true; // interrupts are checked between every instruction
    assert.equal(cpu.run(1000), ExitReason.Halted);
    assert.equal(machine.physical.read(0x600, 2), 1);
  });
});

describe('virtual-8086 mode', () => {
  it('IRETD with VM=1 enters v8086 code that uses real-mode segments; a privileged instruction traps to the monitor', () => {
    const IDT = 0x30000, TSS = 0x20000, V86_CS = 0x5000;
    const sm = systemMachine(`
        lidt [idtr]
        mov ax, ${SEL.FREE}
        ltr ax
        push dword 0            ; GS
        push dword 0            ; FS
        push dword 0x3000       ; DS
        push dword 0            ; ES
        push dword 0x4000       ; SS
        push dword 0x100        ; ESP
        push dword 0x20002      ; EFLAGS: VM, IOPL 0
        push dword ${V86_CS}    ; CS
        push dword 0            ; EIP
        iretd
monitor:
        mov ax, ${SEL.KDATA}    ; the CPU nulled DS/ES/FS/GS on the way out of v8086 mode
        mov ds, ax
        mov eax, [esp + 8]      ; saved CS (after the error code and EIP)
        mov [0x8000], eax
        mov eax, [esp + 4]
        mov [0x8004], eax       ; saved EIP
        mov [0x8008], ebx
        hlt
idtr:   dw 14 * 8 - 1
        dd ${IDT}`, { mode: 32, cpl: 0 });
    const mem = sm.machine.physical;
    // v8086 code at 0x2000:0: store through DS (base 0x30000), then CLI with IOPL 0: #GP.
    mem.load(V86_CS * 16, assemble('mov bx, [0x10]\n mov word [0x12], 0x5555\n cli\n hlt', 16));
    mem.write(0x30000 + 0x10, 2, 0xbeef);
    sm.setGdt(SEL.FREE, descriptor(TSS, 0x67, 0x89, 0));
    mem.write(TSS + 4, 4, 0x70000); // ESP0
    mem.write(TSS + 8, 2, SEL.KDATA); // SS0
    sm.cpu.s[I_SEG_SEL + 1] = SEL.KCODE32;
    sm.cpu.exitOnException = false;
    // #GP gate (vector 13) to the monitor.
    const labelOffset = findLabel();
    mem.write(IDT + 13 * 8, 4, (SEL.KCODE32 << 16) | (labelOffset & 0xffff));
    mem.write(IDT + 13 * 8 + 4, 4, (labelOffset & 0xffff0000) | 0x8e00);
    assert.equal(sm.run(), ExitReason.Halted, `exit; vector ${sm.cpu.faultVector}`);
    assert.equal(mem.read(0x8000, 2), V86_CS, 'the monitor sees the v8086 CS');
    assert.equal(mem.read(0x8004, 4), 10, 'the faulting CLI is at IP 10 (after a 4- and a 6-byte MOV)');
    assert.equal(mem.read(0x8008, 2), 0xbeef, 'v8086 DS addressed 0x3000 * 16');
    assert.equal(mem.read(0x30012, 2), 0x5555);
  });
});

function findLabel(): number {
  const src = `
        lidt [idtr]
        mov ax, ${SEL.FREE}
        ltr ax
        push dword 0
        push dword 0
        push dword 0x3000
        push dword 0
        push dword 0x4000
        push dword 0x100
        push dword 0x20002
        push dword 0x5000
        push dword 0
        iretd
monitor:
        mov ax, ${SEL.KDATA}
        mov ds, ax
        mov eax, [esp + 8]
        mov [0x8000], eax
        mov eax, [esp + 4]
        mov [0x8004], eax
        mov [0x8008], ebx
        hlt
idtr:   dw 14 * 8 - 1
        dd 0x30000
mark:   dd monitor`;
  const bytes = assemble(src, 32, 0x10000);
  return new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4).getUint32(0, true);
}
