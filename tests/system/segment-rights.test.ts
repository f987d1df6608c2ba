/**
 * Protected-mode segment access rights (SDM Vol. 3, 5.6, 5.10 and Table 5-2): writing a read-only
 * data segment or a code segment, reading an execute-only code segment, and using a null segment
 * raise #GP(0); limit violations on SS raise #SS(0). Real mode makes none of these checks.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_SEG_SEL } from '../../src/cpu/state/cpu-state.js';
import { descriptor, SEL, systemMachine } from './machine.js';

const RO_DATA = SEL.FREE, XO_CODE = SEL.FREE + 8, RX_CODE = SEL.FREE + 16, SMALL_STACK = SEL.FREE + 24;

function run(source: string) {
  const sm = systemMachine(source, { mode: 32, cpl: 0 });
  sm.setGdt(RO_DATA, descriptor(0, 0xfffff, 0x91, 0xc)); // data, read-only, accessed
  sm.setGdt(XO_CODE, descriptor(0, 0xfffff, 0x99, 0xc)); // code, execute-only
  sm.setGdt(RX_CODE, descriptor(0, 0xfffff, 0x9b, 0xc)); // code, readable
  sm.setGdt(SMALL_STACK, descriptor(0, 0x0fff, 0x93, 0x4)); // writable data, limit 4 KiB, byte granular
  sm.cpu.s[I_SEG_SEL + 1] = SEL.KCODE32;
  const exit = sm.run();
  return { sm, exit, vector: sm.cpu.faultVector, error: sm.cpu.faultErrorCode };
}

describe('segment access rights in protected mode', () => {
  it('reads from a read-only data segment work; a write raises #GP(0)', () => {
    const r = run(`mov ax, ${RO_DATA}\n mov ds, ax\n mov eax, [0x8000]\n mov [0x8000], eax\n hlt`);
    assert.equal(r.exit, ExitReason.Exception);
    assert.deepEqual([r.vector, r.error], [13, 0]);
  });

  it('a string store through ES into a read-only segment raises #GP(0)', () => {
    const r = run(`mov ax, ${RO_DATA}\n mov es, ax\n mov edi, 0x8000\n stosb\n hlt`);
    assert.deepEqual([r.vector, r.error], [13, 0]);
  });

  it('reading through an execute-only code segment raises #GP(0); a readable one works; writing code raises #GP(0)', () => {
    assert.deepEqual([run(`mov ax, ${XO_CODE}\n mov ds, ax\n mov eax, [0x8000]\n hlt`).vector], [13], 'MOV DS of an execute-only segment already faults');
    const readable = run(`cs mov eax, [0x8000]\n hlt`);
    assert.equal(readable.exit, ExitReason.Halted);
    assert.deepEqual([run(`cs mov [0x8000], eax\n hlt`).vector], [13]);
  });

  it('using a null data segment raises #GP(0)', () => {
    const r = run(`xor eax, eax\n mov fs, ax\n fs mov eax, [0]\n hlt`);
    assert.deepEqual([r.vector, r.error], [13, 0]);
  });

  it('a push past the stack segment limit raises #SS(0)', () => {
    const r = run(`mov ax, ${SMALL_STACK}\n mov ss, ax\n mov esp, 0x2000\n push eax\n hlt`);
    assert.deepEqual([r.vector, r.error], [12, 0]);
  });
});

describe('IRET to an outer level nulls the data segments the new level may not use', () => {
  it('64-bit: GS becomes null and unusable but keeps its base, so gs: accesses still use IA32_GS_BASE', () => {
    // kvm-unit-tests emulator "Test ret/iret with a nullified segment" (what Intel hardware does).
    const sm = systemMachine(`
        mov ax, ${SEL.KDATA}
        mov gs, ax
        mov ds, ax
        mov ecx, 0xc0000101          ; IA32_GS_BASE
        mov eax, 0x8000
        xor edx, edx
        wrmsr
        mov dword [0x8100], 0x12345678
        push ${SEL.UDATA | 3}
        push 0x7000
        pushfq
        push ${SEL.UCODE64 | 3}
        lea rax, [rel user]
        push rax
        iretq
user:   mov eax, [gs:0x100]
        mov [0x8000], eax
        mov [0x8004], gs
        mov [0x8006], ds
        hlt                          ; #GP at CPL 3 ends the run`, { mode: 64, cpl: 0 });
    const exit = sm.run();
    assert.equal(exit, ExitReason.Exception);
    assert.equal(sm.cpu.faultVector, 13, 'the HLT at CPL 3');
    assert.equal(sm.read32(0x8000), 0x12345678, 'gs:0x100 read through the kept base');
    assert.equal(sm.read32(0x8004), 0, 'GS and DS selectors nulled');
  });

  it('32-bit: a nulled DS faults on use', () => {
    const sm = systemMachine(`
        mov ax, ${SEL.KDATA}
        mov ds, ax
        push ${SEL.UDATA | 3}
        push 0x7000
        pushfd
        push ${SEL.UCODE32 | 3}
        push user
        iretd
user:   mov [ss:0x8000], ds
        mov eax, [0x8100]            ; DS is null now: #GP(0)
        mov dword [ss:0x8004], 1
        hlt`, { mode: 32, cpl: 0 });
    const exit = sm.run();
    assert.equal(exit, ExitReason.Exception);
    assert.deepEqual([sm.cpu.faultVector, sm.cpu.faultErrorCode], [13, 0]);
    assert.equal(sm.read32(0x8000) & 0xffff, 0, 'DS nulled');
    assert.equal(sm.read32(0x8004), 0, 'the load through DS faulted');
  });
});
