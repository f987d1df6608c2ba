/**
 * CPUID answers that operating systems iterate over: leaf 0Bh (x2APIC topology) must end with an
 * invalid level type (ECX[15:8] = 0) at sub-leaf 2, echo the sub-leaf in ECX[7:0] and report the
 * x2APIC ID in EDX (SDM Vol. 2, CPUID leaf 0Bh). Linux loops until it sees that invalid level.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExitReason } from '../../src/cpu/cpu.js';
import { flatMachine } from '../support/flat-machine.js';
import { I_HALTED } from '../../src/cpu/state/cpu-state.js';
import { apicMachine } from '../devices/apic/apic-machine.js';
import { CPU_MODELS, customizeCpuModel, cpuidLookup, FEATURE_BITS } from '../../src/cpu/cpuid.js';

const has = (features: import('../../src/cpu/cpuid.js').CpuFeatures, name: string) => {
  const bit = FEATURE_BITS[name]!;
  return ((cpuidLookup(features, bit.leaf, bit.subleaf ?? 0)[bit.reg] >>> bit.bit) & 1) === 1;
};

describe('CPUID', () => {
  it('enumerates leaf 0Bh levels SMT, core, then invalid, per vCPU', () => {
    const fm = flatMachine(`
        xor esi, esi
.next:  mov eax, 0x0b
        mov ecx, esi
        cpuid
        mov [0x9000 + esi * 8], ecx
        mov [0x9004 + esi * 8], edx
        inc esi
        cmp esi, 4
        jne .next
        mov eax, 0
        cpuid
        mov [0x9100], eax
        hlt`, 64, { cpus: 2 });
    assert.equal(fm.runToHalt(), ExitReason.Halted);
    const mem = fm.machine.physical;
    if (mem.read(0x9100, 4) < 0x0b) return; // a model without leaf 0Bh: nothing to enumerate
    const ecx = (i: number) => mem.read(0x9000 + i * 8, 4);
    assert.equal((ecx(0) >> 8) & 0xff, 1, 'sub-leaf 0: SMT level');
    assert.equal((ecx(1) >> 8) & 0xff, 2, 'sub-leaf 1: core level');
    assert.equal((ecx(2) >> 8) & 0xff, 0, 'sub-leaf 2: invalid level ends the enumeration');
    assert.equal(ecx(2) & 0xff, 2, 'ECX[7:0] echoes the sub-leaf');
    assert.equal(mem.read(0x9004, 4), 0, 'x2APIC ID of vCPU 0');
  });

  it('qemu32 and qemu64 advertise the local APIC, as QEMU\'s models do', () => {
    for (const name of ['qemu32', 'qemu64']) assert.equal(has(CPU_MODELS[name]!.features, 'apic'), true, name);
    assert.equal(has(CPU_MODELS.qemu64!.features, 'x2apic'), false);
  });

  it('-cpu flag changes: +x2apic adds it (and leaf 0Bh), -apic removes it, unimplemented flags are reported', () => {
    const plus = customizeCpuModel('qemu64', [{ flag: 'x2apic', on: true }, { flag: 'tsc-deadline', on: true }, { flag: 'pcid', on: true }]);
    assert.equal(has(plus.features, 'x2apic'), true);
    assert.equal(has(plus.features, 'tscDeadline'), true);
    assert.equal(cpuidLookup(plus.features, 0, 0).eax >= 0xb, true, 'the maximum leaf covers leaf 0Bh');
    assert.deepEqual(plus.ignored, ['pcid']);
    const minus = customizeCpuModel('max', [{ flag: 'x2apic', on: false }, { flag: 'apic', on: false }]);
    assert.equal(has(minus.features, 'x2apic'), false);
    assert.equal(has(minus.features, 'apic'), false);
    assert.equal(has(minus.features, 'sse42'), true, 'the rest of the model stays');
    assert.equal(customizeCpuModel('qemu64', []).features, CPU_MODELS.qemu64!.features);
    assert.throws(() => customizeCpuModel('qemu64', [{ flag: 'nonsense', on: true }]), /unknown CPU feature/);
  });

  /** Leaves 1, 4 and 0Bh as vCPU `n` of an N-vCPU machine sees them (results at 0x9000 + n * 0x100). */
  function topology(cpus: number) {
    const source = `
        mov ebp, 0x9000
        mov eax, [0xfee00020]
        shr eax, 24
        shl eax, 8
        add ebp, eax
        mov eax, 1
        cpuid
        mov [ebp], ebx
        mov [ebp + 4], edx
        xor esi, esi
.l4:    mov eax, 4
        mov ecx, esi
        cpuid
        mov [ebp + 0x10 + esi * 4], eax
        inc esi
        cmp esi, 5
        jne .l4
        mov eax, 0x0b
        mov ecx, 1
        cpuid
        mov [ebp + 0x30], eax
        mov [ebp + 0x34], ebx
        ; IA32_APIC_BASE.EN = 0: the APIC disappears from CPUID.01H:EDX
        mov ecx, 0x1b
        rdmsr
        and eax, ~0x800
        wrmsr
        mov eax, 1
        cpuid
        mov [ebp + 0x40], edx
        hlt`;
    const m = apicMachine(source, { cpus, entries: Object.fromEntries(Array.from({ length: cpus }, (_, i) => [i, 'start'])) });
    for (let i = 0; i < 200 && m.machine.cpus.some((c) => c.s[I_HALTED] === 0); i++) m.scheduler.step(Infinity);
    assert.ok(m.machine.cpus.every((c) => c.s[I_HALTED] !== 0), 'every vCPU reached its HLT');
    return (n: number) => {
      const r = (o: number) => m.read32(0x9000 + n * 0x100 + o);
      return { ebx1: r(0), edx1: r(4), leaf4: [0, 1, 2, 3, 4].map((i) => r(0x10 + i * 4)), coreShift: r(0x30) & 0x1f, cores: r(0x34) & 0xffff, edxDisabled: r(0x40) };
    };
  }

  it('leaves 1, 4 and 0Bh describe the same topology: -smp N is N cores of one package', () => {
    for (const cpus of [1, 3, 4]) {
      const seen = topology(cpus);
      for (let n = 0; n < cpus; n++) {
        const t = seen(n);
        assert.equal(t.ebx1 >>> 24, n, 'initial APIC ID');
        const htt = (t.edx1 >>> 28) & 1;
        assert.equal(htt, cpus > 1 ? 1 : 0, `HTT with ${cpus} vCPUs`);
        if (htt) assert.equal((t.ebx1 >>> 16) & 0xff, cpus, 'logical processors per package');
        assert.equal(t.cores, cpus, 'leaf 0Bh core level: logical processors');
        const coreIds = 1 << t.coreShift;
        assert.ok(coreIds >= cpus && coreIds / 2 < cpus, 'leaf 0Bh shift: the power of two covering N');
        const caches = t.leaf4.filter((eax) => (eax & 0x1f) !== 0);
        assert.equal(caches.length, 4, 'L1d, L1i, L2, L3, then type 0');
        assert.equal(t.leaf4[4]! & 0x1f, 0);
        for (const eax of caches) assert.equal((eax >>> 26) + 1, coreIds, 'leaf 4 EAX[31:26]: addressable core IDs - 1');
        assert.equal(((caches[3]! >>> 14) & 0xfff) + 1, coreIds, 'the L3 is shared by the package');
        assert.equal(((caches[0]! >>> 14) & 0xfff) + 1, 1, 'the L1d belongs to one thread');
        assert.equal((t.edx1 >>> 9) & 1, 1, 'APIC present while enabled');
        assert.equal((t.edxDisabled >>> 9) & 1, 0, 'CPUID.01H:EDX.APIC clears when IA32_APIC_BASE.EN = 0');
      }
    }
  });
});
