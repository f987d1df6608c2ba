/**
 * Mode switches written in assembly and booted directly in the CPU: real → 16-bit... → 32-bit
 * protected → long mode (PAE paging, EFER.LME, CR0.PG) → 64-bit code → compatibility mode → paging
 * off (leaves IA-32e) → 16-bit protected → real mode. Each stage reports a letter on port 0xE9.
 * SDM Vol. 3, 10.9 (switching to protected mode and back to real mode) and 10.8.5 (IA-32e).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { DebugConsole } from '../../src/devices/debug-console.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { DecodeMode } from '../../src/cpu/decode/decoder.js';
import { I_RIP } from '../../src/cpu/state/cpu-state.js';
import { assemble } from '../support/nasm.js';

const PROGRAM = `
        bits 16
start:  cli
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7000
        mov al, 'R'
        out 0xe9, al
        lgdt [gdtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp 0x08:pm32

        bits 32
pm32:   mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, 0x7000
        mov al, 'P'
        out 0xe9, al
        mov edi, 0x100000          ; page tables: PML4, PDPT, PD with one 2 MiB page
        mov ecx, 3 * 1024
        xor eax, eax
        cld
        rep stosd
        mov dword [0x100000], 0x101003
        mov dword [0x101000], 0x102003
        mov dword [0x102000], 0x000083
        mov eax, cr4
        or eax, 1 << 5             ; PAE
        mov cr4, eax
        mov eax, 0x100000
        mov cr3, eax
        mov ecx, 0xc0000080        ; EFER.LME
        rdmsr
        or eax, 1 << 8
        wrmsr
        mov eax, cr0
        or eax, 0x80000000         ; paging on: IA-32e active, still 32-bit code (compatibility mode)
        mov cr0, eax
        jmp 0x18:lm64

        bits 64
lm64:   mov al, 'L'
        out 0xe9, al
        mov rax, 0x123456789
        shr rax, 32                ; 1 only if registers really are 64 bits wide
        add al, '0'
        out 0xe9, al
        push 0x08
        lea rax, [rel compat]
        push rax
        o64 retf                   ; to 32-bit code: compatibility mode

        bits 32
compat: mov al, 'C'
        out 0xe9, al
        mov eax, cr0
        and eax, 0x7fffffff        ; paging off leaves IA-32e mode (LMA = 0)
        mov cr0, eax
        mov ecx, 0xc0000080
        rdmsr
        and eax, ~(1 << 8)
        wrmsr
        mov al, 'p'
        out 0xe9, al
        jmp 0x20:pm16

        bits 16
pm16:   mov ax, 0x28
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov eax, cr0
        and al, 0xfe
        mov cr0, eax
        jmp 0:real
real:   xor ax, ax
        mov ds, ax
        mov ss, ax
        mov al, 'r'
        out 0xe9, al
        hlt

        align 8
gdt:    dq 0
        dq 0x00cf9a000000ffff      ; 0x08 32-bit code
        dq 0x00cf92000000ffff      ; 0x10 data
        dq 0x00af9a000000ffff      ; 0x18 64-bit code (L = 1)
        dq 0x00009a000000ffff      ; 0x20 16-bit code
        dq 0x000092000000ffff      ; 0x28 16-bit data
gdtr:   dw gdtr - gdt - 1
        dd gdt
`;

describe('mode switches in every direction real software uses', () => {
  it('real → protected → long (64-bit) → compatibility → protected → real', () => {
    const machine = new BareMachine({ ramSize: 4 << 20 });
    const cpu = machine.cpu;
    let out = '';
    const modes: number[] = [];
    machine.ports.register('debugcon', 0xe9, 1, new DebugConsole((b) => { out += String.fromCharCode(b); modes.push(cpu.mode); }));
    machine.physical.load(0x8000, assemble(PROGRAM, 16, 0x8000));
    cpu.loadRealSegment(1, 0);
    cpu.s[I_RIP] = 0x8000;
    cpu.exitOnException = true;
    const exit = cpu.run(100_000);
    assert.equal(exit, ExitReason.Halted, `stopped with ${exit}, vector ${cpu.faultVector} after '${out}'`);
    assert.equal(out, 'RPL1Cpr');
    assert.deepEqual(modes, [DecodeMode.Real, DecodeMode.Prot32, DecodeMode.Long64, DecodeMode.Long64, DecodeMode.Prot32, DecodeMode.Prot32, DecodeMode.Real]);
  });
});
