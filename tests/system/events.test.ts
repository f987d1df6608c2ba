/**
 * Event-delivery corner cases of SDM Vol. 3, chapters 6 and 7: triple fault, NMI blocking until
 * IRET, hardware task switches (CALL to a TSS, IRET through NT, a #DF task gate as Windows NT
 * kernels use it), and the debug registers' fixed bits.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExitReason } from '../../src/cpu/cpu.js';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { I_IDTR_BASE, I_IDTR_LIMIT, I_RIP, I_SEG_SEL } from '../../src/cpu/state/cpu-state.js';
import { descriptor, SEL, systemMachine } from './machine.js';
import { assemble } from '../support/nasm.js';

describe('triple fault', () => {
  it('an exception that cannot be delivered escalates to #DF and then to a reset request', () => {
    const sm = systemMachine('ud2', { mode: 32, cpl: 0 });
    const cpu = sm.cpu;
    cpu.exitOnException = false;
    cpu.s[I_IDTR_BASE] = 0x40000;
    cpu.s[I_IDTR_LIMIT] = 0; // no usable gate at all
    let resets = 0;
    cpu.onReset = () => resets++;
    assert.equal(cpu.run(100), ExitReason.TripleFault);
    assert.equal(resets, 1);
  });
});

describe('NMI', () => {
  it('is blocked while its handler runs and delivered again after IRET', () => {
    const machine = new BareMachine({ ramSize: 1 << 20 });
    const cpu = machine.cpu;
    let triggers = 2;
    machine.ports.register('nmi-trigger', 0x99, 1, { read: () => 0, write: () => { if (triggers-- > 0) cpu.raiseNmi(); } });
    machine.physical.load(0x8000, assemble(`
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7000
        mov word [2 * 4], nmi
        mov word [2 * 4 + 2], 0
        xor bx, bx
        out 0x99, al            ; NMI 1
.wait:  hlt
        cmp bx, 2
        jne .wait
        hlt
nmi:    inc bx
        out 0x99, al            ; NMI 2 arrives while NMI 1 is being handled
        cmp bx, 1
        jne .done
        mov [0x500], bx         ; still 1 here: NMI 2 was not nested
.done:  iret`, 16, 0x8000));
    cpu.loadRealSegment(1, 0);
    cpu.s[I_RIP] = 0x8000;
    assert.equal(cpu.run(1000), ExitReason.Halted);
    assert.equal(cpu.state.getGpr(3), 2n);
    assert.equal(machine.physical.read(0x500, 2), 1);
  });
});

describe('debug registers', () => {
  it('DR6/DR7 read back their fixed bits; DR4/DR5 alias DR6/DR7 unless CR4.DE', () => {
    const sm = systemMachine(`
        mov eax, 0x00000001
        mov dr7, eax
        mov ebx, dr7
        xor eax, eax
        mov dr6, eax
        mov ecx, dr6
        mov edx, dr5            ; alias of DR7
        mov eax, cr4
        or eax, 1 << 3          ; CR4.DE
        mov cr4, eax
        mov esi, dr4            ; now #UD
        hlt`, { mode: 32, cpl: 0 });
    assert.equal(sm.run(), ExitReason.Exception);
    assert.equal(sm.cpu.faultVector, 6);
    assert.equal(sm.cpu.state.getGpr(3), 0x401n);
    assert.equal(sm.cpu.state.getGpr(1), 0xffff0ff0n);
    assert.equal(sm.cpu.state.getGpr(2), 0x401n);
  });
});

describe('hardware task switching', () => {
  const TSS_A = 0x20000, TSS_B = 0x21000, TSS_C = 0x22000, IDT = 0x30000;
  const SEL_A = SEL.FREE, SEL_B = SEL.FREE + 8, SEL_C = SEL.FREE + 16, SEL_TASKGATE_TSS = SEL_C;

  function tasks(source: string) {
    const sm = systemMachine(source, { mode: 32, cpl: 0 });
    const mem = sm.machine.physical;
    for (const [sel, base] of [[SEL_A, TSS_A], [SEL_B, TSS_B], [SEL_C, TSS_C]] as const) sm.setGdt(sel, descriptor(base, 0x67, 0x89, 0));
    const labels = (name: string) => {
      const bytes = assemble(`${source}\nmark: dd ${name}`, 32, 0x10000);
      return new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4).getUint32(0, true);
    };
    // Task B and task C start at their labels with their own stacks and flat segments.
    for (const [base, entry, stack] of [[TSS_B, 'taskb', 0x60000], [TSS_C, 'taskc', 0x68000]] as const) {
      if (!source.includes(`${entry}:`)) continue;
      mem.write(base + 32, 4, labels(entry));
      mem.write(base + 36, 4, 0x2);
      mem.write(base + 56, 4, stack);
      for (const [off, sel] of [[72, SEL.KDATA], [76, SEL.KCODE32], [80, SEL.KDATA], [84, SEL.KDATA], [88, SEL.KDATA], [92, SEL.KDATA]] as const) mem.write(base + off, 2, sel);
    }
    sm.cpu.exitOnException = false;
    // The flat set-up names CS 0x08; in this GDT the 32-bit kernel code segment is KCODE32, which
    // is what the task switch must save and reload.
    sm.cpu.s[I_SEG_SEL + 1] = SEL.KCODE32;
    return { sm, mem };
  }

  it('CALL to a TSS saves the caller, links back with NT, and IRET returns to it', () => {
    const { sm, mem } = tasks(`
        mov ax, ${SEL_A}
        ltr ax
        mov eax, 0x11111111
        call ${SEL_B}:0
        mov [0x8000], eax       ; back in task A
        hlt
taskb:  pushfd
        pop dword [0x8008]      ; EFLAGS in task B (NT set)
        mov eax, 0x22222222
        mov [0x8004], eax
        iretd`);
    assert.equal(sm.run(), ExitReason.Halted);
    assert.equal(mem.read(0x8000, 4), 0x11111111, 'task A state restored from its TSS');
    assert.equal(mem.read(0x8004, 4), 0x22222222);
    assert.ok((mem.read(0x8008, 4) & 0x4000) !== 0, 'NT set in the called task');
    assert.equal(mem.read(TSS_B, 2), SEL_A, 'back link');
    assert.equal((sm.read32(0x1000 + SEL_B + 4) >> 8) & 0xf, 0x9, 'task B available again after IRET');
    assert.equal((sm.read32(0x1000 + SEL_A + 4) >> 8) & 0xf, 0xb, 'task A busy');
  });

  it('a double fault through a task gate runs the #DF task with error code 0 on its stack', () => {
    const { sm, mem } = tasks(`
        mov ax, ${SEL_A}
        ltr ax
        lidt [idtr]
        int 0x20                ; gate not present: #NP; #NP's gate not present: #DF
        hlt
taskc:  pop eax                 ; the error code pushed by the task switch
        mov [0x8010], eax
        str word [0x8014]
        mov dword [0x8018], 0xdf
        hlt
idtr:   dw 0x21 * 8 - 1
        dd ${IDT}`);
    mem.write(IDT + 8 * 8, 4, SEL_TASKGATE_TSS << 16);
    mem.write(IDT + 8 * 8 + 4, 4, 0x8500);
    assert.equal(sm.run(), ExitReason.Halted);
    assert.equal(mem.read(0x8018, 4), 0xdf);
    assert.equal(mem.read(0x8010, 4), 0);
    assert.equal(mem.read(0x8014, 2), SEL_C);
  });
});
