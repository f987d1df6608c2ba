/**
 * SYSCALL/SYSRET, SYSENTER/SYSEXIT, SWAPGS, RDTSCP, RDPID (SDM Vol. 2 instruction pages; AMD APM
 * Vol. 3 for the AMD-only legacy/compatibility-mode SYSCALL forms). Privilege transitions run
 * through a real GDT (tests/system/machine.ts) and end either in HLT at CPL 0 or in a marker write
 * followed by UD2 at CPL 3.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExitReason } from '../../src/cpu/cpu.js';
import { DecodeMode } from '../../src/cpu/decode/decoder.js';
import { I_EFER, I_GPR, I_RFLAGS, I_RIP, I_SEG_ATTR, I_SEG_BASE, I_SEG_SEL } from '../../src/cpu/state/cpu-state.js';
import { readMsr, writeMsr } from '../../src/cpu/system/msr.js';
import { buildCpuModel, DEFAULT_FEATURES, IMPLEMENTED_FEATURES } from '../../src/cpu/cpuid.js';
import { amdFeatures, CODE_BASE, DATA, SEL, systemMachine, withDecoderFeatures, type SystemMachine } from './machine.js';

const UD = 6, GP = 13;
const MARK = 0x8ff0;

function halted(sm: SystemMachine): SystemMachine {
  const exit = sm.run();
  assert.equal(exit, ExitReason.Halted, `expected HLT, got exit ${exit} vector ${sm.cpu.faultVector} rip ${sm.cpu.s[I_RIP]!.toString(16)}`);
  return sm;
}

function faulted(sm: SystemMachine, vector: number, errorCode = -1): SystemMachine {
  const exit = sm.run();
  assert.equal(exit, ExitReason.Exception, `expected exception ${vector}, got exit ${exit}`);
  assert.equal(sm.cpu.faultVector, vector);
  assert.equal(sm.cpu.faultErrorCode, errorCode);
  return sm;
}

/** Kernel setup: STAR (SYSCALL CS 0x08, SYSRET base 0x18), LSTAR = handler, FMASK = IF|TF|DF|AC. */
const SETUP = `
  mov ecx, 0xc0000081
  xor eax, eax
  mov edx, 0x00180008
  wrmsr
  mov ecx, 0xc0000082
  mov rax, handler
  mov rdx, rax
  shr rdx, 32
  wrmsr
  mov ecx, 0xc0000084
  mov eax, 0x47700
  xor edx, edx
  wrmsr
`;

describe('SYSCALL / SYSRET (Intel model)', () => {
  it('ring 3 -> SYSCALL -> ring 0 handler -> SYSRET -> ring 3 with the fixed flat selectors and RCX/R11', () => {
    const sm = halted(systemMachine(`${SETUP}
      ; Enter ring 3 through SYSRET: RCX = target, R11 = flags (IF | bit 1 | CF).
      mov rcx, user
      mov r11, 0x203
      o64 sysret
    user:
      mov rsp, 0x7000
      mov [0x8100], cs
      mov [0x8102], ss
      mov eax, 41
      stc
      syscall
    after:
      mov [0x8110], cs
      mov [0x8112], ss
      mov [0x8118], rax
      pushfq
      pop qword [0x8120]
      mov eax, 99          ; ask the kernel to stop
      syscall
    handler:
      cmp eax, 99
      je done
      mov [0x8200], cs
      mov [0x8202], ss
      mov [0x8208], rcx
      mov [0x8210], r11
      pushfq
      pop qword [0x8218]
      inc eax
      o64 sysret
    done:
      hlt`, { mode: 64 }));
    // User mode after the first SYSRET: CS = STAR[63:48] + 16 | 3, SS = STAR[63:48] + 8 | 3.
    assert.equal(sm.read32(0x8100) & 0xffff, 0x2b);
    assert.equal(sm.read32(0x8100) >>> 16, 0x23);
    // In the handler: CS = STAR[47:32] & FFFC, SS = that + 8; RCX = the next RIP; R11 = RFLAGS.
    assert.equal(sm.read32(0x8200) & 0xffff, 0x08);
    assert.equal(sm.read32(0x8200) >>> 16, 0x10);
    const afterAddress = sm.read64(0x8208);
    assert.ok(afterAddress > BigInt(CODE_BASE) && afterAddress < BigInt(CODE_BASE + 0x200));
    assert.equal(sm.read64(0x8210) & 0x3n, 0x3n, 'R11 has CF and bit 1');
    assert.equal(sm.read64(0x8210) & 0x200n, 0x200n, 'R11 has IF');
    assert.equal(sm.read64(0x8218) & 0x200n, 0n, 'IF masked by IA32_FMASK');
    // Back in user mode: the result and the flags from R11.
    assert.equal(sm.read32(0x8110) & 0xffff, 0x2b);
    assert.equal(sm.read64(0x8118), 42n);
    assert.equal(sm.read64(0x8120) & 0x201n, 0x201n);
    assert.equal(sm.cpu.cpl, 0, 'halted in the kernel');
  });

  it('the SYSCALL segment caches are flat 64-bit code and 32-bit data at DPL 0 whatever the GDT holds', () => {
    const sm = systemMachine(`${SETUP}\n syscall\n handler: hlt`, { mode: 64 });
    sm.setGdt(SEL.KCODE64, [0, 0]); // the GDT is not read
    halted(sm);
    assert.equal(sm.cpu.s[I_SEG_ATTR + 1], 0xa09b);
    assert.equal(sm.cpu.s[I_SEG_ATTR + 2], 0xc093);
    assert.equal(sm.cpu.s[I_SEG_SEL + 2], 0x10);
    assert.equal(sm.cpu.mode, DecodeMode.Long64);
  });

  it('SYSCALL raises #UD when EFER.SCE is clear', () => {
    const sm = systemMachine(`${SETUP}
      mov ecx, 0xc0000080
      rdmsr
      and eax, ~1
      wrmsr
      syscall
    handler: hlt`, { mode: 64 });
    faulted(sm, UD);
  });

  it('SYSCALL and SYSRET raise #UD outside 64-bit mode on Intel (compatibility mode here)', () => {
    faulted(systemMachine('syscall\n hlt', { mode: 'compat32' }), UD);
    faulted(systemMachine('sysret\n hlt', { mode: 'compat32' }), UD);
  });

  it('SYSRET to a non-canonical RCX raises #GP(0) in ring 0, before anything changes (SDM Vol. 2, SYSRET)', () => {
    const sm = faulted(systemMachine(`${SETUP}
      mov rcx, 0x0000800000000000
      mov r11, 0x202
      o64 sysret
    handler: hlt`, { mode: 64 }), GP, 0);
    assert.equal(sm.cpu.cpl, 0);
    assert.equal(sm.cpu.s[I_SEG_SEL + 1], 0x08);
  });

  it('32-bit SYSRET returns to compatibility mode: CS = STAR[63:48] | 3, RIP = ECX, RFLAGS = R11 & 3C7FD7h | 2', () => {
    const sm = faulted(systemMachine(`${SETUP}
      mov rcx, 0xffffffff00000000 + compat
      mov r11, 0x330edf         ; RF, VM and reserved bit 3 are dropped
      sysret
    handler: hlt
    bits 32
    compat:
      mov dword [${MARK}], 1
      ud2`, { mode: 64 }), UD);
    assert.equal(sm.read32(MARK), 1);
    assert.equal(sm.cpu.s[I_SEG_SEL + 1], 0x1b);
    assert.equal(sm.cpu.s[I_SEG_SEL + 2], 0x23);
    assert.equal(sm.cpu.mode, DecodeMode.Prot32, 'compatibility mode decodes as 32-bit');
    assert.equal(sm.cpu.cpl, 3);
    assert.equal(sm.cpu.s[I_RIP + 1], 0);
    assert.equal(sm.cpu.s[I_RFLAGS], (0x330edf & 0x3c7fd7) | 2, 'no RF (bit 16), VM (bit 17) or bit 3');
  });

  it('SYSRET at CPL 3 raises #GP(0)', () => {
    faulted(systemMachine('o64 sysret\n hlt', { mode: 64, cpl: 3 }), GP, 0);
  });
});

describe('SYSCALL / SYSRET (AMD model: legacy and compatibility-mode forms)', () => {
  it('SYSCALL in compatibility mode goes to IA32_CSTAR in 64-bit mode', () => {
    const sm = systemMachine(`
      syscall
      hlt
    bits 64
    cstar:
      mov dword [${MARK}], 2
      hlt`, { mode: 'compat32', features: amdFeatures() });
    writeMsr(sm.cpu, 0xc0000081, 0x00180008n << 32n);
    writeMsr(sm.cpu, 0xc0000083, BigInt(CODE_BASE + 3));
    halted(sm);
    assert.equal(sm.read32(MARK), 2);
    assert.equal(sm.cpu.mode, DecodeMode.Long64);
    assert.equal(sm.cpu.state.getGpr(1), BigInt(CODE_BASE + 2), 'RCX = the next RIP');
  });

  it('legacy-mode SYSCALL: ECX = EIP, EIP = STAR[31:0], 32-bit flat CS; SYSRET sets IF and returns to CPL 3', () => {
    const sm = systemMachine(`
      syscall
    back:
      mov dword [${MARK}], 3
      ud2
    entry:
      mov [0x8100], ecx
      mov [0x8104], cs
      sysret`, { mode: 32, features: amdFeatures() });
    sm.cpu.state.set64(I_EFER, 1n); // SCE only: legacy mode
    writeMsr(sm.cpu, 0xc0000081, (0x00180030n << 32n) | BigInt(CODE_BASE + 14));
    faulted(sm, UD);
    assert.equal(sm.read32(0x8100), CODE_BASE + 2);
    assert.equal(sm.read32(0x8104) & 0xffff, 0x30);
    assert.equal(sm.read32(MARK), 3);
    assert.equal(sm.cpu.cpl, 3);
    assert.equal(sm.cpu.s[I_SEG_SEL + 1], 0x1b);
    assert.equal(sm.cpu.s[I_RFLAGS]! & 0x200, 0x200, 'SYSRET sets IF in legacy mode');
  });

  it('SYSRET keeps the cached SS attributes on AMD (only the selector changes)', () => {
    const sm = systemMachine(`${SETUP}
      mov rcx, user
      mov r11, 0x202
      o64 sysret
    handler: hlt
    user:
      mov dword [${MARK}], 4
      ud2`, { mode: 64, features: amdFeatures() });
    sm.cpu.s[I_SEG_ATTR + 2] = 0xc093; // DPL 0 stack cache
    faulted(sm, UD);
    assert.equal(sm.read32(MARK), 4);
    assert.equal(sm.cpu.s[I_SEG_SEL + 2], 0x23);
    assert.equal(sm.cpu.s[I_SEG_ATTR + 2], 0xc093);
  });
});

describe('SYSENTER / SYSEXIT', () => {
  it('32-bit round trip: CS/SS from IA32_SYSENTER_CS (+8, +16|3, +24|3), ESP/EIP from the MSRs and from ECX/EDX', () => {
    const sm = systemMachine(`
      mov ecx, 0x174
      mov eax, 0x30
      xor edx, edx
      wrmsr
      mov ecx, 0x175
      mov eax, 0x6000
      wrmsr
      mov ecx, 0x176
      mov eax, kernel
      wrmsr
      ; Enter ring 3 with SYSEXIT itself.
      mov ecx, 0x7000
      mov edx, user
      sti
      sysexit
    user:
      mov [0x8100], cs
      mov [0x8102], ss
      mov [0x8104], esp
      sysenter
    kernel:
      mov [0x8110], cs
      mov [0x8112], ss
      mov [0x8114], esp
      pushfd
      pop dword [0x8118]
      hlt`, { mode: 32 });
    // SYSEXIT: CS = SYSENTER_CS + 16 | 3, SS = + 24 | 3 (SDM Vol. 2, SYSEXIT).
    sm.setGdt(0x30, [0, 0]); // not read: the caches are fixed
    halted(sm);
    assert.equal(sm.read32(0x8100) & 0xffff, 0x43);
    assert.equal(sm.read32(0x8100) >>> 16, 0x4b);
    assert.equal(sm.read32(0x8104), 0x7000);
    // SYSENTER: CS = SYSENTER_CS & FFFC, SS = + 8, ESP = SYSENTER_ESP, IF cleared.
    assert.equal(sm.read32(0x8110) & 0xffff, 0x30);
    assert.equal(sm.read32(0x8110) >>> 16, 0x38);
    assert.equal(sm.read32(0x8114), 0x6000);
    assert.equal(sm.read32(0x8118) & 0x200, 0, 'SYSENTER clears IF');
  });

  it('SYSENTER raises #GP(0) when IA32_SYSENTER_CS[15:2] is 0', () => {
    faulted(systemMachine('mov ecx, 0x174\n mov eax, 3\n xor edx, edx\n wrmsr\n sysenter\n hlt', { mode: 32 }), GP, 0);
  });

  it('SYSENTER in IA-32e mode enters 64-bit mode with RSP/RIP from the 64-bit MSRs (from compatibility mode)', () => {
    const sm = systemMachine(`
      sysenter
    bits 64
    kernel:
      mov dword [${MARK}], 5
      hlt`, { mode: 'compat32', cpl: 3 });
    writeMsr(sm.cpu, 0x174, 0x08n);
    writeMsr(sm.cpu, 0x175, 0x6000n);
    writeMsr(sm.cpu, 0x176, BigInt(CODE_BASE + 2));
    halted(sm);
    assert.equal(sm.read32(MARK), 5);
    assert.equal(sm.cpu.mode, DecodeMode.Long64);
    assert.equal(sm.cpu.s[I_SEG_SEL + 2], 0x10);
    assert.equal(sm.cpu.state.getGpr(4), 0x6000n);
  });

  it('64-bit SYSEXIT (REX.W): CS = SYSENTER_CS + 32 | 3, RSP = RCX, RIP = RDX; non-canonical RDX raises #GP(0)', () => {
    const sm = systemMachine(`
      mov rcx, 0x7000
      mov rdx, user
      o64 sysexit
    user:
      mov dword [${MARK}], 6
      ud2`, { mode: 64 });
    writeMsr(sm.cpu, 0x174, 0x08n);
    faulted(sm, UD);
    assert.equal(sm.read32(MARK), 6);
    assert.equal(sm.cpu.s[I_SEG_SEL + 1], 0x2b);
    assert.equal(sm.cpu.s[I_SEG_SEL + 2], 0x33);
    assert.equal(sm.cpu.mode, DecodeMode.Long64);
    assert.equal(sm.cpu.state.getGpr(4), 0x7000n);
    const bad = systemMachine('mov rcx, 0x7000\n mov rdx, 0x0000800000000000\n o64 sysexit\n hlt', { mode: 64 });
    writeMsr(bad.cpu, 0x174, 0x08n);
    faulted(bad, GP, 0);
    assert.equal(bad.cpu.cpl, 0);
  });

  it('SYSENTER raises #UD in long mode on AMD', () => {
    const sm = systemMachine('sysenter\n hlt', { mode: 64, features: amdFeatures() });
    writeMsr(sm.cpu, 0x174, 0x08n);
    faulted(sm, UD);
  });
});

describe('SWAPGS, RDTSCP, RDPID', () => {
  it('SWAPGS exchanges the GS base with IA32_KERNEL_GS_BASE', () => {
    const sm = halted(systemMachine(`
      mov ecx, 0xc0000101
      mov eax, 0x1000
      xor edx, edx
      wrmsr
      mov ecx, 0xc0000102
      mov eax, 0x2000
      mov edx, 0xffff8000
      wrmsr
      swapgs
      hlt`, { mode: 64 }));
    assert.equal(sm.cpu.state.get64(I_SEG_BASE + 10), 0xffff800000002000n);
    assert.equal(readMsr(sm.cpu, 0xc0000102), 0x1000n);
  });

  it('SWAPGS raises #GP(0) at CPL 3 and #UD outside 64-bit mode', () => {
    faulted(systemMachine('swapgs\n hlt', { mode: 64, cpl: 3 }), GP, 0);
    faulted(systemMachine('db 0x0f, 0x01, 0xf8\n hlt', { mode: 'compat32' }), UD);
  });

  it('RDTSCP returns the TSC in EDX:EAX and IA32_TSC_AUX in ECX; RDPID returns TSC_AUX', () => {
    const features = withDecoderFeatures(['rdtscp', 'rdpid']);
    const sm = halted(systemMachine(`
      mov ecx, 0xc0000103
      mov eax, 0x1234
      xor edx, edx
      wrmsr
      mov rcx, -1
      rdtscp
      mov r8, rcx
      rdpid rbx
      hlt`, { mode: 64, features }));
    assert.equal(sm.cpu.state.getGpr(8), 0x1234n);
    assert.equal(sm.cpu.state.getGpr(3), 0x1234n);
    assert.ok(sm.cpu.state.getGpr(0) > 0n);
  });

  it('RDTSCP with CR4.TSD at CPL 3 raises #GP(0); without the feature it is #UD', () => {
    const features = withDecoderFeatures(['rdtscp']);
    const sm = systemMachine('rdtscp\n hlt', { mode: 64, cpl: 3, features });
    sm.cpu.s[I_GPR] = 0;
    sm.cpu.writeCr(4, sm.cpu.readCr(4) | 4, 0);
    faulted(sm, GP, 0);
    faulted(systemMachine('rdtscp\n hlt', { mode: 64, features: buildCpuModel('no-rdtscp', IMPLEMENTED_FEATURES.filter((f) => f !== 'rdtscp')) }), UD);
  });

  it('RDFSBASE/WRFSBASE/RDGSBASE/WRGSBASE: #UD unless CR4.FSGSBASE; WR*BASE of a non-canonical value raises #GP(0)', () => {
    // A model reporting FSGSBASE (CPUID.07H:EBX[0]) so that CR4.FSGSBASE (bit 16) can be set.
    const leaves = [...DEFAULT_FEATURES.leaves.map((l) => (l.leaf === 0 ? { ...l, eax: 7 } : l)), { leaf: 7, subleaf: 0, eax: 0, ebx: 1, ecx: 0, edx: 0 }];
    const features = { ...withDecoderFeatures(['fsgsbase']), leaves };
    const enable = 'mov rax, cr4\n bts eax, 16\n mov cr4, rax\n';
    const sm = halted(systemMachine(`${enable}
      mov rax, 0xffff800000001000
      wrfsbase rax
      mov ebx, 0x2000
      wrgsbase ebx
      rdfsbase rcx
      rdgsbase rdx
      mov r8, -1
      rdfsbase r8d
      hlt`, { mode: 64, cpl: 0, features }));
    assert.equal(sm.cpu.state.get64(I_SEG_BASE + 8), 0xffff800000001000n);
    assert.equal(sm.cpu.state.getGpr(1), 0xffff800000001000n);
    assert.equal(sm.cpu.state.getGpr(2), 0x2000n);
    assert.equal(sm.cpu.state.getGpr(8), 0x1000n, 'the 32-bit form zero-extends the low half');
    faulted(systemMachine('rdfsbase rax\n hlt', { mode: 64, features }), UD);
    faulted(systemMachine(`${enable} mov rax, 0x0000800000000000\n wrgsbase rax\n hlt`, { mode: 64, features }), GP, 0);
  });
});
