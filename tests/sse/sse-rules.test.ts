/**
 * SSE/MMX architectural rules the user-mode oracle cannot reach: CR0.EM/TS and CR4.OSFXSR
 * (#UD/#NM), #XM versus #UD by CR4.OSXMMEXCPT, alignment #GP(0), LDMXCSR reserved bits, MMX
 * aliasing onto the x87 registers, and the MXCSR reset value (SDM Vol. 3, 2.5, 13.1-13.4;
 * Vol. 2, Tables 2-18..2-22; Vol. 1, 9.5).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_CR } from '../../src/cpu/state/cpu-state.js';
import { offsetOf } from '../../src/cpu/state/layout.js';
import { flatMachine } from '../support/flat-machine.js';

const I_MXCSR = offsetOf('mxcsr') >> 2;
const I_XMM = offsetOf('xmm') >> 2;
const I_FPR = offsetOf('fpuRegs') >> 2;
const I_FTW = offsetOf('fpuTag') >> 2;
const CR0_EM = 0x4, CR0_TS = 0x8, CR4_OSFXSR = 0x200, CR4_OSXMMEXCPT = 0x400;

/** Run `source` (then HLT) at CPL 0 in 64-bit mode with the given CR0/CR4 bits; returns the exit vector or -1. */
function run(source: string, setup: { cr0Set?: number; cr4?: number; mxcsr?: number } = {}) {
  const fm = flatMachine(`${source}\nhlt`, 64);
  const cpu = fm.cpu;
  const s = cpu.s;
  s[I_CR] = s[I_CR]! | (setup.cr0Set ?? 0);
  s[I_CR + 8] = (s[I_CR + 8]! & ~(CR4_OSFXSR | CR4_OSXMMEXCPT)) | (setup.cr4 ?? (CR4_OSFXSR | CR4_OSXMMEXCPT));
  if (setup.mxcsr !== undefined) s[I_MXCSR] = setup.mxcsr;
  cpu.exitOnException = true;
  const exit = fm.runToHalt();
  return { cpu, s, vector: exit === ExitReason.Exception ? cpu.faultVector : -1, code: cpu.faultErrorCode, exit };
}

describe('SSE availability (CR0/CR4)', () => {
  it('executes with OSFXSR set', () => {
    assert.equal(run('addps xmm0, xmm1').vector, -1);
  });
  it('#UD when CR4.OSFXSR = 0', () => {
    assert.equal(run('addps xmm0, xmm1', { cr4: 0 }).vector, 6);
    assert.equal(run('ldmxcsr [0x1000]', { cr4: 0 }).vector, 6);
  });
  it('#UD when CR0.EM = 1 (SSE and MMX)', () => {
    assert.equal(run('movdqa xmm0, xmm1', { cr0Set: CR0_EM }).vector, 6);
    assert.equal(run('paddb mm0, mm1', { cr0Set: CR0_EM }).vector, 6);
  });
  it('#NM when CR0.TS = 1', () => {
    assert.equal(run('mulsd xmm0, xmm1', { cr0Set: CR0_TS }).vector, 7);
    assert.equal(run('pxor mm0, mm1', { cr0Set: CR0_TS }).vector, 7);
    assert.equal(run('emms', { cr0Set: CR0_TS }).vector, 7);
  });
  it('MMX instructions do not need OSFXSR; EM has priority over TS', () => {
    assert.equal(run('paddw mm0, mm1', { cr4: 0 }).vector, -1);
    assert.equal(run('paddw xmm0, xmm1', { cr0Set: CR0_EM | CR0_TS }).vector, 6);
  });
  it('CRC32, MOVNTI and the fences ignore the SSE state rules', () => {
    assert.equal(run('crc32 eax, ecx\nmovnti [0x1000], eax\nsfence\nlfence\nmfence', { cr4: 0 }).vector, -1);
  });
});

describe('SIMD floating-point exceptions', () => {
  it('masked: default NaN, IE flag', () => {
    const r = run('xorps xmm0, xmm0\ndivps xmm0, xmm0');
    assert.equal(r.vector, -1);
    assert.equal(r.s[I_XMM]! >>> 0, 0xffc00000);
    assert.equal(r.s[I_MXCSR]! & 0x3f, 0x1);
  });
  it('unmasked with OSXMMEXCPT: #XM, destination unchanged, flag set', () => {
    const r = run('xorps xmm0, xmm0\ndivps xmm0, xmm0', { mxcsr: 0x1f80 & ~0x80 });
    assert.equal(r.vector, 19);
    assert.equal(r.s[I_XMM]!, 0);
    assert.equal(r.s[I_MXCSR]! & 0x3f, 0x1);
  });
  it('unmasked without OSXMMEXCPT: #UD', () => {
    assert.equal(run('xorps xmm0, xmm0\ndivps xmm0, xmm0', { mxcsr: 0x1f00, cr4: CR4_OSFXSR }).vector, 6);
  });
  it('unmasked precision on an inexact result: #XM; exact results do not fault', () => {
    const setup = { mxcsr: 0x1f80 & ~0x1000 };
    assert.equal(run('mov eax, 3\ncvtsi2sd xmm0, eax\nmov eax, 1\ncvtsi2sd xmm1, eax\ndivsd xmm1, xmm0', setup).vector, 19);
    assert.equal(run('mov eax, 4\ncvtsi2sd xmm0, eax\nmov eax, 1\ncvtsi2sd xmm1, eax\ndivsd xmm1, xmm0', setup).vector, -1);
  });
});

describe('alignment and MXCSR loads', () => {
  it('#GP(0) on a misaligned MOVAPS/MOVDQA/packed operand, none for MOVUPS/scalar', () => {
    const data = 'mov rbx, 0x1001\n';
    for (const insn of ['movaps xmm0, [rbx]', 'movdqa [rbx], xmm0', 'addpd xmm0, [rbx]', 'pand xmm0, [rbx]']) {
      const r = run(data + insn);
      assert.equal(r.vector, 13, insn);
      assert.equal(r.code, 0, insn);
    }
    for (const insn of ['movups xmm0, [rbx]', 'movdqu [rbx], xmm0', 'addsd xmm0, [rbx]', 'paddb mm0, [rbx]', 'pcmpistri xmm0, [rbx], 0']) {
      assert.equal(run(data + insn).vector, -1, insn);
    }
  });
  it('LDMXCSR: reserved bits → #GP(0); STMXCSR stores the register', () => {
    const r = run('mov dword [0x1000], 0x10000\nldmxcsr [0x1000]');
    assert.equal(r.vector, 13);
    const ok = run('mov dword [0x1000], 0x7fc0\nldmxcsr [0x1000]\nstmxcsr [0x1004]\nmov eax, [0x1004]');
    assert.equal(ok.vector, -1);
    assert.equal(ok.cpu.g32[0], 0x7fc0);
    assert.equal(ok.s[I_MXCSR], 0x7fc0);
  });
});

describe('MMX aliasing', () => {
  it('writing MMn sets the exponent of Rn to all ones, TOP = 0, all tags valid; EMMS empties', () => {
    const r = run('mov rax, 0x1122334455667788\nmovq mm3, rax');
    assert.equal(r.vector, -1);
    assert.equal(r.s[I_FPR + 12]! >>> 0, 0x55667788);
    assert.equal(r.s[I_FPR + 13]! >>> 0, 0x11223344);
    assert.equal(r.s[I_FPR + 14]! & 0xffff, 0xffff);
    assert.equal(r.s[I_FTW]! & 0xff, 0xff);
    const e = run('movq mm3, rax\nemms');
    assert.equal(e.s[I_FTW]! & 0xff, 0);
  });
});
