/**
 * CPUID answers that operating systems iterate over: leaf 0Bh (x2APIC topology) must end with an
 * invalid level type (ECX[15:8] = 0) at sub-leaf 2, echo the sub-leaf in ECX[7:0] and report the
 * x2APIC ID in EDX (SDM Vol. 2, CPUID leaf 0Bh). Linux loops until it sees that invalid level.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExitReason } from '../../src/cpu/cpu.js';
import { flatMachine } from '../support/flat-machine.js';
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
});
