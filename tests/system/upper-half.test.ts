/**
 * 64-bit code in the upper canonical half (where Linux runs): RIP-relative loads, string moves and
 * page faults at 0xFFFFFFFF8xxxxxxx addresses. These linear addresses are negative numbers in the
 * interpreter; every conversion must keep their low bits (a double cannot hold 2^64 + x exactly).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { enterFlatMode } from '../../src/machine/flat-setup.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_CR, I_RIP } from '../../src/cpu/state/cpu-state.js';
import { assemble } from '../support/nasm.js';

const KERNEL = 0xffffffff80000000n;
const PML4 = 0x100000, PDPT_LOW = 0x101000, PDPT_HIGH = 0x102000, PD = 0x103000;

function machine() {
  const m = new BareMachine({ ramSize: 8 << 20 });
  const mem = m.physical;
  const entry = (at: number, value: number) => { mem.write(at, 4, value); mem.write(at + 4, 4, 0); };
  entry(PML4, PDPT_LOW | 3);
  entry(PML4 + 511 * 8, PDPT_HIGH | 3);
  entry(PDPT_LOW, PD | 3);
  entry(PDPT_HIGH + 510 * 8, PD | 3); // 0xFFFFFFFF80000000 → the same 1 GiB as linear 0
  for (let i = 0; i < 4; i++) entry(PD + i * 8, (i << 21) | 0x83);
  const cpu = m.cpu;
  enterFlatMode(cpu, { mode: 64, cpl: 0, identityMap: [[0, 0x200000]], pageTablesAt: 0x400000 });
  cpu.s[I_CR + 6] = PML4;
  cpu.updatePaging();
  cpu.exitOnException = true;
  return m;
}

describe('upper-half (kernel) addresses in 64-bit mode', () => {
  it('RIP-relative loads, REP MOVSB and stores work at 0xFFFFFFFF8xxxxxxx', () => {
    const m = machine();
    m.physical.load(0x10000, assemble(`
        mov rax, ${KERNEL} + high
        jmp rax
high:   mov rbx, [rel value]
        lea rsi, [rel value]
        mov rdi, ${KERNEL} + 0x30001
        mov rcx, 8
        rep movsb
        mov rdx, [${KERNEL + 0x30001n}]
        mov [rel value + 8], rdx
        hlt
        align 8
value:  dq 0x1122334455667788
        dq 0`, 64, 0x10000));
    m.cpu.s[I_RIP] = 0x10000;
    assert.equal(m.cpu.run(100), ExitReason.Halted, `vector ${m.cpu.faultVector}`);
    assert.equal(m.cpu.state.getGpr(3), 0x1122334455667788n, 'RIP-relative load');
    assert.equal(m.cpu.state.getGpr(2), 0x1122334455667788n, 'after REP MOVSB to an odd upper-half address');
    assert.equal(m.cpu.state.get64(I_RIP) >> 32n, 0xffffffffn, 'RIP stayed in the upper half');
  });

  it('a page fault in the upper half reports the exact CR2', () => {
    const m = machine();
    m.physical.load(0x10000, assemble('mov rax, [rbx]', 64, 0x10000));
    m.cpu.state.setGpr(3, 0xffff800000000123n);
    m.cpu.s[I_RIP] = 0x10000;
    assert.equal(m.cpu.run(10), ExitReason.Exception);
    assert.equal(m.cpu.faultVector, 14);
    assert.equal(m.cpu.state.get64(I_CR + 4), 0xffff800000000123n);
  });

  it('a non-canonical data address raises #GP(0), a non-canonical stack address #SS(0)', () => {
    const m = machine();
    m.physical.load(0x10000, assemble('mov rax, [rbx]', 64, 0x10000));
    m.cpu.state.setGpr(3, 0xfff0000000000000n);
    m.cpu.s[I_RIP] = 0x10000;
    assert.equal(m.cpu.run(10), ExitReason.Exception);
    assert.deepEqual([m.cpu.faultVector, m.cpu.faultErrorCode], [13, 0]);
    const s = machine();
    s.physical.load(0x10000, assemble('push rax', 64, 0x10000));
    s.cpu.state.setGpr(4, 0x8000000000000008n);
    s.cpu.s[I_RIP] = 0x10000;
    assert.equal(s.cpu.run(10), ExitReason.Exception);
    assert.equal(s.cpu.faultVector, 12);
  });
});

describe('instruction-fetch faults', () => {
  it('a #PF on fetching the target of a branch reports the target as the faulting RIP and CR2', () => {
    const m = machine();
    m.physical.load(0x10000, assemble('mov rax, 0x40000000\n jmp rax', 64, 0x10000));
    m.cpu.s[I_RIP] = 0x10000;
    assert.equal(m.cpu.run(10), ExitReason.Exception);
    assert.equal(m.cpu.faultVector, 14);
    assert.equal(m.cpu.state.get64(I_RIP), 0x40000000n, 'RIP is the instruction that could not be fetched');
    assert.equal(m.cpu.state.get64(I_CR + 4), 0x40000000n);
    assert.equal(m.cpu.faultErrorCode & 0x10, 0x10, 'I/D bit set: an instruction fetch (NXE is on)');
  });
});
