/**
 * Seed nt4-smp-kvm-tpr-patch.txt: Windows NT 4's MP HAL touches the local APIC's TPR (0xFEE00080)
 * with instruction forms QEMU's TPR patcher did not expect, and QEMU abort()ed. Here every form
 * real kernels use (and more) is executed against the xAPIC page, through CR8 and the x2APIC MSR;
 * each sets or reads the TPR, and interrupt masking by priority follows at once. What the guest
 * does wrong becomes a guest exception (#UD, #GP), never a host failure.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apicMachine, LOG, NO_EOI } from '../devices/apic/apic-machine.js';
import { flatMachine } from '../support/flat-machine.js';
import { installApics } from '../../src/machine/smp.js';
import { TimerQueue } from '../../src/machine/timer-queue.js';
import { VirtualClock } from '../../src/machine/clock.js';
import { ExitReason } from '../../src/cpu/cpu.js';

const RES = 0x7000, TPR = '0xfee00080';

describe('seed nt4-smp-kvm-tpr-patch: TPR accesses in every addressing form', () => {
  it('xAPIC page: mov r/m, mov imm, moffs, push/pop m32, or/and/xchg, string moves, narrow writes', () => {
    const m = apicMachine(`
      mov dword [0xfee000f0], 0x1ff
      mov ebx, 0x11
      mov [${TPR}], ebx               ; 89 /r
      mov ecx, [${TPR}]               ; 8B /r
      mov [${RES}], ecx
      mov dword [${TPR}], 0x22        ; C7 /0
      mov eax, [${TPR}]               ; A1 moffs32
      mov [${RES + 4}], eax
      mov eax, 0x33
      mov [${TPR}], eax               ; A3 moffs32
      push dword [${TPR}]             ; FF /6
      pop dword [${RES + 8}]
      push dword 0x44
      pop dword [${TPR}]              ; 8F /0
      mov edx, [${TPR}]
      mov [${RES + 12}], edx
      or dword [${TPR}], 0x0f         ; 83 /1
      mov edx, [${TPR}]
      mov [${RES + 16}], edx
      and dword [${TPR}], 0xf0        ; 83 /4
      mov edx, [${TPR}]
      mov [${RES + 20}], edx
      mov eax, 0x66
      xchg [${TPR}], eax              ; 87 /r (implicitly locked)
      mov [${RES + 28}], eax
      mov edx, [${TPR}]
      mov [${RES + 24}], edx
      mov dword [${RES + 0x100}], 0x77
      mov esi, ${RES + 0x100}
      mov edi, ${TPR}
      movsd                           ; memory -> TPR
      mov esi, ${TPR}
      mov edi, ${RES + 32}
      movsd                           ; TPR -> memory
      mov word [${TPR}], 0x88         ; 16-bit write merges into the register
      mov edx, [${TPR}]
      mov [${RES + 36}], edx
      mov byte [${TPR}], 0x99
      movzx edx, byte [${TPR}]
      mov [${RES + 40}], edx
      lock add dword [${TPR}], 0x20
      mov edx, [${TPR}]
      mov [${RES + 44}], edx
      mov eax, [${TPR}]
      mov ebx, 0x30
      lock cmpxchg [${TPR}], ebx
      mov edx, [${TPR}]
      mov [${RES + 48}], edx
      ; Priority masking: TPR 0x80 holds a self IPI of vector 0x61; lowering the TPR lets it in.
      mov dword [${TPR}], 0x80
      mov dword [0xfee00300], 0x00044061
      sti
      nop
      nop
      mov eax, [${LOG}]
      mov [${RES + 52}], eax
      and dword [${TPR}], 0
      mov eax, [${LOG}]
      mov [${RES + 56}], eax
      cli
      hlt`, { cpus: 1 });
    m.write32(LOG + NO_EOI, 0);
    for (let i = 0; i < 20; i++) m.scheduler.step(m.clock.now() + 1000);
    const r = (i: number) => m.read32(RES + 4 * i);
    assert.equal(r(0), 0x11, 'mov r32 -> m32, mov m32 -> r32');
    assert.equal(r(1), 0x22, 'mov imm32 -> m32, moffs read');
    assert.equal(r(2), 0x33, 'moffs write, push m32');
    assert.equal(r(3), 0x44, 'pop m32');
    assert.equal(r(4), 0x4f, 'or m32, imm');
    assert.equal(r(5), 0x40, 'and m32, imm');
    assert.equal(r(6), 0x66, 'xchg m32, r32 writes the TPR');
    assert.equal(r(7), 0x40, 'xchg returns the old TPR');
    assert.equal(r(8), 0x77, 'movsd both ways');
    assert.equal(r(9), 0x88, '16-bit write');
    assert.equal(r(10), 0x99, 'byte write and byte read');
    assert.equal(r(11), 0xb9, 'lock add');
    assert.equal(r(12), 0x30, 'lock cmpxchg');
    assert.equal(r(13), 0, 'vector 0x61 held below TPR 0x80');
    assert.equal(r(14), 1, 'taken right after the instruction that lowered the TPR');
    assert.deepEqual(m.log(0), [0x61]);
  });

  it('CR8 and the x2APIC TPR MSR are the same register; x2APIC rules give the guest #GP', () => {
    const f = flatMachine(`
      mov r8d, ${TPR}   ; (a disp32 would sign-extend in 64-bit mode)
      mov rax, 5
      mov cr8, rax
      mov ebx, [r8]
      mov [${RES}], ebx
      mov dword [r8], 0x70
      mov rax, cr8
      mov [${RES + 8}], rax
      mov ecx, 0x1b
      rdmsr
      or eax, 0xc00
      wrmsr
      mov ecx, 0x808
      mov eax, 0x90
      xor edx, edx
      wrmsr
      mov rax, cr8
      mov [${RES + 16}], rax
      mov rax, 0xa
      mov cr8, rax
      mov ecx, 0x808
      rdmsr
      mov [${RES + 24}], eax
      mov eax, [r8]
      mov [${RES + 32}], eax
      mov ecx, 0x80e
      rdmsr
      hlt`, 64);
    const timers = new TimerQueue(VirtualClock.deterministic());
    installApics({ physical: f.machine.physical, cpus: f.machine.cpus, timers, pic: null, ioApic: null });
    f.cpu.exitOnException = true;
    assert.equal(f.cpu.run(10_000), ExitReason.Exception);
    const mem = f.machine.physical;
    assert.equal(mem.read(RES, 4), 0x50, 'CR8 = 5 -> TPR 0x50');
    assert.equal(mem.read(RES + 8, 4), 7, 'TPR 0x70 -> CR8 = 7');
    assert.equal(mem.read(RES + 16, 4), 9, 'x2APIC TPR MSR 0x90 -> CR8 = 9');
    assert.equal(mem.read(RES + 24, 4), 0xa0, 'CR8 = 0xA -> MSR 0x808');
    assert.equal(mem.read(RES + 32, 4) >>> 0, 0xffffffff, 'the xAPIC page is gone in x2APIC mode');
    assert.equal(f.cpu.faultVector, 13, 'DFR does not exist in x2APIC mode: #GP');
  });

  it('a form the CPU does not accept is the guest\'s #UD, never a host failure', () => {
    const f = flatMachine(`
      mov eax, 1
      db 0xf0
      mov [${TPR}], eax
      hlt`, 32);
    installApics({ physical: f.machine.physical, cpus: f.machine.cpus, timers: new TimerQueue(VirtualClock.deterministic()), pic: null, ioApic: null });
    f.cpu.exitOnException = true;
    assert.equal(f.cpu.run(1000), ExitReason.Exception);
    assert.equal(f.cpu.faultVector, 6, 'LOCK MOV: #UD');
  });
});
