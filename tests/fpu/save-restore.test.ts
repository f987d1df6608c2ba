/**
 * FXSAVE/FXRSTOR and XSAVE/XRSTOR images (SDM Vol. 1, 10.5.1 Table 10-2 and 13.4) and the CR0/CR4
 * rules for x87 and SSE instructions (SDM Vol. 3, 2.5 and 13.1; Vol. 2 Table 22-x):
 * CR0.TS → #NM, CR0.EM → #NM for x87 but #UD for SSE, a misaligned FXSAVE → #GP(0).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExitReason } from '../../src/cpu/cpu.js';
import { flatMachine } from '../support/flat-machine.js';

const AREA = 0x30000;

function run(source: string) {
  const fm = flatMachine(`
        mov rax, cr4
        or rax, (1 << 9) | (1 << 10) | (1 << 18)   ; OSFXSR, OSXMMEXCPT, OSXSAVE
        mov cr4, rax
        mov rax, cr0
        and rax, ~0xc                              ; TS, EM off
        or rax, 0x22                               ; MP, NE
        mov cr0, rax
${source}`, 64);
  fm.cpu.exitOnException = true;
  const exit = fm.runToHalt();
  return { fm, exit, mem: fm.machine.physical };
}

const bytes = (mem: { dump(a: number, n: number): Uint8Array }, at: number, n: number) => [...mem.dump(at, n)];

describe('FXSAVE / FXRSTOR', () => {
  it('stores the documented image: control/status/abridged tag, MXCSR, ST registers, XMM registers', () => {
    const { exit, mem } = run(`
        fninit
        fld1
        fldpi
        mov eax, 0x1f80 | 0x40                    ; DAZ on
        mov [rel mx], eax
        ldmxcsr [rel mx]
        mov rax, 0x1122334455667788
        movq xmm0, rax
        pinsrq xmm0, rax, 1
        fxsave [${AREA}]
        hlt
mx:     dd 0`);
    assert.equal(exit, ExitReason.Halted);
    const u16 = (o: number) => mem.read(AREA + o, 2);
    assert.equal(u16(0), 0x037f, 'FCW after FNINIT');
    assert.equal((u16(2) >> 11) & 7, 6, 'TOP = 6 after two loads');
    assert.equal(mem.read(AREA + 4, 1), 0xc0, 'abridged tag: physical registers 6 and 7 valid');
    assert.equal(mem.read(AREA + 24, 4), 0x1fc0, 'MXCSR');
    assert.ok(mem.read(AREA + 28, 4) !== 0, 'MXCSR_MASK is reported');
    // ST0 = pi, ST1 = 1.0 as 80-bit values at 32 and 48.
    assert.deepEqual(bytes(mem, AREA + 32, 10), [0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40]);
    assert.deepEqual(bytes(mem, AREA + 48, 10), [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]);
    assert.deepEqual(bytes(mem, AREA + 160, 16), [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
  });

  it('FXRSTOR brings back what FXSAVE stored', () => {
    const { exit, mem } = run(`
        fninit
        fld1
        fldpi
        mov rax, 0xcafef00d
        movq xmm3, rax
        fxsave [${AREA}]
        fninit
        pxor xmm3, xmm3
        fxrstor [${AREA}]
        fstp tword [${AREA + 0x400}]               ; pi comes back as ST0
        movq [${AREA + 0x410}], xmm3
        hlt`);
    assert.equal(exit, ExitReason.Halted);
    assert.deepEqual(bytes(mem, AREA + 0x400, 10), [0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40]);
    assert.equal(mem.read(AREA + 0x410, 4), 0xcafef00d);
  });

  it('a misaligned FXSAVE raises #GP(0)', () => {
    const { exit, fm } = run(`fxsave [${AREA + 8}]\n hlt`);
    assert.equal(exit, ExitReason.Exception);
    assert.deepEqual([fm.cpu.faultVector, fm.cpu.faultErrorCode], [13, 0]);
  });
});

describe('XSAVE / XRSTOR', () => {
  it('XSETBV enables x87+SSE; XSAVE writes XSTATE_BV; XRSTOR restores the components', () => {
    const { exit, mem } = run(`
        xor ecx, ecx
        mov eax, 3                                  ; XCR0 = x87 | SSE
        xor edx, edx
        xsetbv
        fninit
        fld1
        mov rax, 0x0123456789abcdef
        movq xmm1, rax
        mov eax, 3
        xor edx, edx
        xsave [${AREA}]
        pxor xmm1, xmm1
        fninit
        mov eax, 3
        xor edx, edx
        xrstor [${AREA}]
        movq [${AREA + 0x400}], xmm1
        fstp tword [${AREA + 0x410}]
        xgetbv
        mov [${AREA + 0x420}], eax
        hlt`);
    assert.equal(exit, ExitReason.Halted);
    assert.equal(mem.read(AREA + 512, 1) & 3, 3, 'XSTATE_BV has x87 and SSE');
    assert.deepEqual(bytes(mem, AREA + 0x400, 8), [0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01]);
    assert.deepEqual(bytes(mem, AREA + 0x410, 10), [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]);
    assert.equal(mem.read(AREA + 0x420, 4), 3, 'XGETBV reads XCR0');
  });
});

describe('CR0.TS and CR0.EM', () => {
  const withCr0 = (bits: string, instruction: string) => run(`
        mov rax, cr0
        or rax, ${bits}
        mov cr0, rax
        ${instruction}
        hlt`);

  it('TS: the first x87 or SSE instruction raises #NM (lazy FPU switching)', () => {
    assert.equal(withCr0('8', 'fld1').fm.cpu.faultVector, 7);
    assert.equal(withCr0('8', 'addps xmm0, xmm1').fm.cpu.faultVector, 7);
  });

  it('EM: x87 raises #NM, SSE raises #UD', () => {
    assert.equal(withCr0('4', 'fld1').fm.cpu.faultVector, 7);
    assert.equal(withCr0('4', 'addps xmm0, xmm1').fm.cpu.faultVector, 6);
  });
});
