/**
 * SLDT, STR, LLDT, LTR, LAR, LSL, VERR, VERW and ARPL against descriptors in a guest GDT/LDT
 * (SDM Vol. 2 instruction pages; Vol. 3, 3.4.5 / 3.5 for the descriptor types, 7.2.4 for the task
 * register, 3.5.2 for the 16-byte system descriptors of IA-32e mode).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExitReason } from '../../src/cpu/cpu.js';
import { buildCpuModel, IMPLEMENTED_FEATURES } from '../../src/cpu/cpuid.js';
import { I_GDTR_BASE, I_GDTR_LIMIT, I_IDTR_BASE, I_IDTR_LIMIT, I_RIP, I_SEG_ATTR, I_SEG_BASE, I_SEG_LIMIT, I_SEG_SEL } from '../../src/cpu/state/cpu-state.js';
import { DATA, GDT_BASE, SEL, descriptor, systemMachine, type SystemMachine, type SystemMachineOptions } from './machine.js';

const UD = 6, NP = 11, GP = 13;
const TSS = 0x40, LDT = 0x50, SPARE = 0x60;

function halted(sm: SystemMachine): SystemMachine {
  const exit = sm.run();
  assert.equal(exit, ExitReason.Halted, `expected HLT, got exit ${exit} vector ${sm.cpu.faultVector} code ${sm.cpu.faultErrorCode}`);
  return sm;
}

function faulted(sm: SystemMachine, vector: number, errorCode = -1): SystemMachine {
  const exit = sm.run();
  assert.equal(exit, ExitReason.Exception, `expected exception ${vector}, got exit ${exit}`);
  assert.equal(sm.cpu.faultVector, vector, `vector ${sm.cpu.faultVector}`);
  assert.equal(sm.cpu.faultErrorCode, errorCode);
  return sm;
}

function machine(source: string, options: SystemMachineOptions, entries: [number, [number, number], [number, number]?][] = []): SystemMachine {
  const sm = systemMachine(source, options);
  for (const [sel, desc, upper] of entries) sm.setGdt(sel, desc, upper);
  return sm;
}

describe('LTR / STR', () => {
  it('LTR loads TR from an available 32-bit TSS, sets the busy bit in the GDT; STR reads the selector back', () => {
    const sm = halted(machine('mov ax, 0x40\n ltr ax\n str ebx\n str [0x8000]\n hlt', { mode: 32 },
      [[TSS, descriptor(0x5000, 0x67, 0x89, 0)]]));
    assert.equal(sm.read32(GDT_BASE + TSS + 4) >>> 8 & 0xf, 0xb, 'type 9 -> 11 (busy) in memory');
    assert.equal(sm.cpu.s[I_SEG_SEL + 7], 0x40);
    assert.equal(sm.cpu.s[I_SEG_BASE + 14], 0x5000);
    assert.equal(sm.cpu.s[I_SEG_LIMIT + 7], 0x67);
    assert.equal(sm.cpu.s[I_SEG_ATTR + 7]! & 0x1f, 0x0b);
    assert.equal(sm.cpu.state.getGpr(3), 0x40n);
    assert.equal(sm.read32(DATA) & 0xffff, 0x40);
  });

  it('LTR of a busy TSS raises #GP(selector): loading the same TSS twice faults the second time', () => {
    const sm = faulted(machine('mov ax, 0x43\n ltr ax\n ltr ax\n hlt', { mode: 32 }, [[TSS, descriptor(0x5000, 0x67, 0x89, 0)]]), GP, 0x40);
    assert.equal(sm.cpu.s[I_SEG_SEL + 7], 0x43, 'the first LTR took effect');
  });

  it('LTR faults: null selector #GP(0), LDT selector (TI) #GP(sel), not a TSS #GP(sel), not present #NP(sel), beyond the GDT #GP(sel)', () => {
    faulted(machine('xor eax, eax\n ltr ax\n hlt', { mode: 32 }), GP, 0);
    faulted(machine('mov ax, 0x44\n ltr ax\n hlt', { mode: 32 }), GP, 0x44);
    faulted(machine('mov ax, 0x40\n ltr ax\n hlt', { mode: 32 }, [[TSS, descriptor(0x5000, 0x67, 0x82, 0)]]), GP, 0x40);
    faulted(machine('mov ax, 0x40\n ltr ax\n hlt', { mode: 32 }, [[TSS, descriptor(0x5000, 0x67, 0x09, 0)]]), NP, 0x40);
    faulted(machine('mov ax, 0x100\n ltr ax\n hlt', { mode: 32 }), GP, 0x100);
  });

  it('LTR accepts a 16-bit TSS outside IA-32e mode but not in it (only the 64-bit TSS, type 9)', () => {
    halted(machine('mov ax, 0x40\n ltr ax\n hlt', { mode: 32 }, [[TSS, descriptor(0x5000, 0x2b, 0x81, 0)]]));
    faulted(machine('mov ax, 0x40\n ltr ax\n hlt', { mode: 64 }, [[TSS, descriptor(0x5000, 0x2b, 0x81, 0)], [TSS + 8, [0, 0]]]), GP, 0x40);
  });

  it('LTR in IA-32e mode reads the 16-byte descriptor: base bits 63:32 from the third dword', () => {
    const sm = halted(machine('mov ax, 0x40\n ltr ax\n hlt', { mode: 64 },
      [[TSS, descriptor(0x12345678, 0x67, 0x89, 0), [0xffff8000, 0]]]));
    assert.equal(sm.cpu.state.get64(I_SEG_BASE + 14), 0xffff800012345678n);
  });

  it('LTR in IA-32e mode: a non-zero type in the upper half or a non-canonical base raises #GP(selector)', () => {
    faulted(machine('mov ax, 0x40\n ltr ax\n hlt', { mode: 64 }, [[TSS, descriptor(0x5000, 0x67, 0x89, 0), [0, 0x900]]]), GP, 0x40);
    faulted(machine('mov ax, 0x40\n ltr ax\n hlt', { mode: 64 }, [[TSS, descriptor(0x5000, 0x67, 0x89, 0), [0x00008000, 0]]]), GP, 0x40);
  });

  it('LTR and LLDT at CPL 3 raise #GP(0); STR at CPL 3 works unless CR4.UMIP is set', () => {
    faulted(machine('mov ax, 0x40\n ltr ax\n hlt', { mode: 64, cpl: 3 }, [[TSS, descriptor(0x5000, 0x67, 0x89, 0)]]), GP, 0);
    faulted(machine('xor eax, eax\n lldt ax\n hlt', { mode: 64, cpl: 3 }), GP, 0);
    const umip = buildCpuModel('umip', [...IMPLEMENTED_FEATURES, 'umip']);
    const sm = machine('str eax\n mov dword [0x8ff0], 1\n ud2', { mode: 64, cpl: 3, features: umip });
    faulted(sm, UD);
    assert.equal(sm.read32(0x8ff0), 1);
    const blocked = machine('str eax\n hlt', { mode: 64, cpl: 3, features: umip });
    blocked.cpu.writeCr(4, blocked.cpu.readCr(4) | (1 << 11), 0);
    faulted(blocked, GP, 0);
  });

  it('SLDT/STR/LAR and friends are #UD in real mode (rows marked pm)', () => {
    const sm = machine('str ax\n hlt', { mode: 32 });
    sm.cpu.writeCr(0, sm.cpu.readCr(0) & ~1, 0);
    sm.cpu.loadRealSegment(1, 0x1000);
    sm.cpu.s[I_RIP] = 0;
    faulted(sm, UD);
  });
});

describe('LLDT / SLDT', () => {
  it('LLDT loads LDTR; descriptors in the LDT are then usable (MOV DS through a TI=1 selector); SLDT stores the selector', () => {
    const sm = machine(`
      mov ax, 0x50
      lldt ax
      sldt ebx
      mov ax, 0x0c          ; LDT entry 1, RPL 0
      mov ds, ax
      mov eax, [0x10]
      mov [es:0x8000], eax
      hlt`, { mode: 32 }, [[LDT, descriptor(0x6000, 0x1f, 0x82, 0)]]);
    // LDT entry 1: data segment based at 0x7000.
    const [lo, hi] = descriptor(0x7000, 0xffff, 0x93, 0x4);
    sm.machine.physical.write(0x6008, 4, lo);
    sm.machine.physical.write(0x600c, 4, hi);
    sm.machine.physical.write(0x7010, 4, 0xcafef00d);
    halted(sm);
    assert.equal(sm.cpu.state.getGpr(3), 0x50n);
    assert.equal(sm.cpu.s[I_SEG_BASE + 12], 0x6000);
    assert.equal(sm.cpu.s[I_SEG_LIMIT + 6], 0x1f);
    assert.equal(sm.read32(DATA), 0xcafef00d);
  });

  it('LLDT with a null selector makes LDTR unusable: a later TI=1 selector load faults #GP', () => {
    const sm = faulted(machine('xor eax, eax\n lldt ax\n mov ax, 0x0c\n mov ds, ax\n hlt', { mode: 32 }), GP, 0x0c);
    assert.equal(sm.cpu.s[I_SEG_ATTR + 6]! & 0x80, 0);
  });

  it('LLDT faults: a non-LDT descriptor #GP(sel), a TI=1 selector #GP(sel), not present #NP(sel)', () => {
    faulted(machine('mov ax, 0x40\n lldt ax\n hlt', { mode: 32 }, [[TSS, descriptor(0x5000, 0x67, 0x89, 0)]]), GP, 0x40);
    faulted(machine('mov ax, 0x54\n lldt ax\n hlt', { mode: 32 }), GP, 0x54);
    faulted(machine('mov ax, 0x50\n lldt ax\n hlt', { mode: 32 }, [[LDT, descriptor(0x6000, 0x1f, 0x02, 0)]]), NP, 0x50);
  });

  it('LLDT in IA-32e mode takes base bits 63:32 from the 16-byte descriptor', () => {
    const sm = halted(machine('mov ax, 0x50\n lldt ax\n hlt', { mode: 64 }, [[LDT, descriptor(0x6000, 0x1f, 0x82, 0), [0xffffffff, 0]]]));
    assert.equal(sm.cpu.state.get64(I_SEG_BASE + 12), 0xffffffff00006000n);
  });
});

/**
 * LAR/LSL over every descriptor type. Each type gets a GDT entry with DPL 0 (system types followed
 * by a zero upper half, as 16-byte descriptors need in IA-32e mode); the guest runs LAR and LSL on
 * each selector and stores ZF and the result.
 */
function typeMatrix(mode: 32 | 64) {
  const entries: [number, [number, number], [number, number]?][] = [];
  const selectors: number[] = [];
  for (let type = 0; type < 16; type++) {
    // System descriptors, then the same type numbers as code/data (S = 1).
    const sys = 0x40 + type * 32, seg = 0x40 + type * 32 + 16;
    entries.push([sys, descriptor(0x1000, 0x12345, 0x80 | type, 0x8), [0, 0]]);
    entries.push([seg, descriptor(0x1000, 0x12345, 0x90 | type, 0x8)]);
    selectors.push(sys, seg);
  }
  const body = selectors.map((sel, i) => `
      mov ax, ${sel}
      mov ebx, 0xdeadbeef
      mov ecx, 0xdeadbeef
      lar ebx, ax
      setz byte [${0x8000 + i * 16}]
      lsl ecx, ax
      setz byte [${0x8001 + i * 16}]
      mov [${0x8004 + i * 16}], ebx
      mov [${0x8008 + i * 16}], ecx`).join('\n');
  const sm = systemMachine(`${body}\n hlt`, { mode });
  sm.cpu.s[I_GDTR_LIMIT] = 0x40 + 32 * 16 - 1;
  for (const [sel, desc, upper] of entries) sm.setGdt(sel, desc, upper);
  halted(sm);
  return selectors.map((sel, i) => ({
    sel, system: (sel & 16) === 0, type: (sel - 0x40) >> 5,
    lar: sm.read32(0x8000 + i * 16) & 0xff, lsl: (sm.read32(0x8000 + i * 16) >> 8) & 0xff,
    rights: sm.read32(0x8004 + i * 16), limit: sm.read32(0x8008 + i * 16),
  }));
}

describe('LAR / LSL', () => {
  it('legacy mode: LAR accepts all code/data and system types 1,2,3,4,5,9,B,C; LSL all code/data and 1,2,3,9,B (SDM Vol. 2, LAR/LSL)', () => {
    const larOk = new Set([1, 2, 3, 4, 5, 9, 0xb, 0xc]), lslOk = new Set([1, 2, 3, 9, 0xb]);
    for (const r of typeMatrix(32)) {
      const what = `${r.system ? 'system' : 'segment'} type ${r.type}`;
      assert.equal(r.lar, !r.system || larOk.has(r.type) ? 1 : 0, `LAR ${what}`);
      assert.equal(r.lsl, !r.system || lslOk.has(r.type) ? 1 : 0, `LSL ${what}`);
      if (r.lar) assert.equal(r.rights, (0x80 | (r.system ? 0 : 0x10) | r.type) << 8 | 0x810000, `rights ${what}`);
      else assert.equal(r.rights, 0xdeadbeef, `LAR leaves the destination on failure: ${what}`);
      if (r.lsl) assert.equal(r.limit, 0x12345fff, `LSL limit scaled by G: ${what}`);
    }
  });

  it('IA-32e mode: only LDT (2), 64-bit TSS (9, B) and, for LAR, the 64-bit call gate (C) are valid system types', () => {
    const larOk = new Set([2, 9, 0xb, 0xc]), lslOk = new Set([2, 9, 0xb]);
    for (const r of typeMatrix(64)) {
      const what = `${r.system ? 'system' : 'segment'} type ${r.type}`;
      assert.equal(r.lar, !r.system || larOk.has(r.type) ? 1 : 0, `LAR ${what}`);
      assert.equal(r.lsl, !r.system || lslOk.has(r.type) ? 1 : 0, `LSL ${what}`);
    }
  });

  it('privilege: DPL < CPL or DPL < RPL clears ZF, except for conforming code; a null or out-of-limit selector clears ZF without faulting', () => {
    const sm = halted(machine(`
      mov ax, ${SPARE}
      lar ebx, ax
      setz [0x8000]
      mov ax, ${SPARE + 3}      ; RPL 3 > DPL 2
      lar ebx, ax
      setz [0x8001]
      mov ax, ${SPARE + 8 + 3}  ; conforming code DPL 0, RPL 3
      lar ebx, ax
      setz [0x8002]
      xor eax, eax
      lar ebx, ax
      setz [0x8003]
      mov ax, 0x1f8             ; beyond the GDT limit
      lsl ebx, ax
      setz [0x8004]
      mov ax, 0x0c              ; TI = 1 with no LDT
      verr ax
      setz [0x8005]
      hlt`, { mode: 32 }, [[SPARE, descriptor(0, 0xfff, 0xd3, 0xc)], [SPARE + 8, descriptor(0, 0xfff, 0x9f, 0xc)]]));
    assert.deepEqual([...Array(6)].map((_, i) => sm.read32(0x8000 + i) & 0xff), [1, 0, 1, 0, 0, 0]);
  });

  it('at CPL 3 a DPL 0 data segment is invisible to LAR; 16-bit LAR/LSL store FF00h-masked rights and a truncated limit', () => {
    const sm = machine(`
      mov ax, ${SEL.KDATA}
      lar ebx, ax
      setz [0x8000]
      mov ax, ${SEL.UDATA}
      mov ecx, 0xffffffff
      mov edx, 0x12340000
      lar cx, ax
      lsl dx, ax
      mov [0x8004], ecx
      mov [0x8008], edx
      mov dword [0x8ff0], 1
      ud2`, { mode: 32, cpl: 3 });
    faulted(sm, UD);
    assert.equal(sm.read32(0x8000) & 0xff, 0);
    assert.equal(sm.read32(0x8004), 0xfffff300);
    assert.equal(sm.read32(0x8008), 0x1234ffff);
  });
});

describe('VERR / VERW', () => {
  it('readable/writable checks per segment type and privilege; the present bit is not checked', () => {
    const cases: [string, number, number, number][] = [
      // [what, access byte, expected VERR, expected VERW]
      ['data RW', 0x93, 1, 1],
      ['data RO', 0x91, 1, 0],
      ['data RW not present', 0x13, 1, 1],
      ['code execute-only', 0x99, 0, 0],
      ['code readable', 0x9b, 1, 0],
      ['conforming readable DPL 0', 0x9f, 1, 0],
      ['LDT (system)', 0x82, 0, 0],
      ['data RW DPL 0 from CPL 3', 0x93, 0, 0],
      ['data RW DPL 3', 0xf3, 1, 1],
    ];
    const entries: [number, [number, number]][] = cases.map((c, i) => [0x40 + 8 * i, descriptor(0, 0xfff, c[1], 0x4)]);
    const body = cases.map((_, i) => `
      mov ax, ${0x40 + 8 * i}
      verr ax
      setz [${0x8000 + 2 * i}]
      verw ax
      setz [${0x8001 + 2 * i}]`).join('\n');
    const sm0 = halted(machine(`${body}\n hlt`, { mode: 32 }, entries));
    const sm3 = machine(`${body}\n mov dword [0x8ff0], 1\n ud2`, { mode: 32, cpl: 3 }, entries);
    faulted(sm3, UD);
    cases.forEach((c, i) => {
      const sm = c[0].includes('CPL 3') ? sm3 : sm0;
      assert.equal(sm.read32(0x8000 + 2 * i) & 0xff, c[2], `VERR ${c[0]}`);
      assert.equal((sm.read32(0x8000 + 2 * i) >> 8) & 0xff, c[3], `VERW ${c[0]}`);
    });
  });

  it('VERR with RPL 3 on a DPL 0 data segment at CPL 0 clears ZF', () => {
    const sm = halted(machine(`mov ax, ${SEL.KDATA | 3}\n verr ax\n setz [0x8000]\n verr word [0x8100]\n setz [0x8001]\n hlt`, { mode: 64 }));
    assert.equal(sm.read32(0x8000) & 0xffff, 0x0000);
    const sm2 = machine('verr word [0x8100]\n setz [0x8001]\n hlt', { mode: 64 });
    sm2.machine.physical.write(0x8100, 2, SEL.KDATA);
    halted(sm2);
    assert.equal((sm2.read32(0x8000) >> 8) & 0xff, 1, 'memory operand');
  });
});

describe('ARPL', () => {
  it('raises the destination RPL to the source RPL and sets ZF; otherwise clears ZF and leaves it (SDM Vol. 2, ARPL)', () => {
    const sm = halted(machine(`
      mov ax, 0x11
      mov bx, 0x23
      arpl ax, bx
      setz [0x8000]
      mov [0x8002], ax
      mov word [0x8004], 0x2b
      arpl [0x8004], ax
      setz [0x8001]
      hlt`, { mode: 32 }));
    assert.equal(sm.read32(0x8000) & 0xffff, 0x0001);
    assert.equal(sm.read32(0x8002) & 0xffff, 0x13);
    assert.equal(sm.read32(0x8004) & 0xffff, 0x2b);
  });

  it('ARPL is #UD in real mode', () => {
    const sm = machine('arpl ax, bx\n hlt', { mode: 32 });
    sm.cpu.writeCr(0, sm.cpu.readCr(0) & ~1, 0);
    sm.cpu.loadRealSegment(1, 0x1000);
    sm.cpu.s[I_RIP] = 0;
    faulted(sm, UD);
  });
});

describe('LGDT / LIDT in 64-bit mode', () => {
  it('a non-canonical base raises #GP(0) and leaves the register unchanged; a canonical upper-half base loads', () => {
    // kvm-unit-tests la57 "Write to GDTR_BASE/IDTR_BASE ... did NOT fail as expected".
    for (const op of ['lgdt', 'lidt']) {
      const bad = faulted(machine(`
        mov word [0x8000], 0x7f
        mov rax, 0xffaaaaaaaaaaaaaa
        mov [0x8002], rax
        ${op} [0x8000]
        hlt`, { mode: 64 }), GP, 0);
      assert.notEqual(bad.cpu.s[op === 'lgdt' ? I_GDTR_LIMIT : I_IDTR_LIMIT], 0x7f, `${op}: nothing loaded`);
      const good = halted(machine(`
        mov word [0x8000], 0x7f
        mov rax, 0xffff800000001000
        mov [0x8002], rax
        ${op} [0x8000]
        hlt`, { mode: 64 }));
      const base = op === 'lgdt' ? I_GDTR_BASE : I_IDTR_BASE;
      assert.deepEqual([good.cpu.s[base]! >>> 0, good.cpu.s[base + 1]! >>> 0], [0x00001000, 0xffff8000]);
    }
  });
});
