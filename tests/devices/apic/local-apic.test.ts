/**
 * Local APIC register semantics, priority arbitration, IPIs between vCPUs (physical, logical flat
 * and cluster, shorthands, lowest priority, NMI, INIT/SIPI) and the timer modes counted against the
 * deterministic clock (1 instruction = 1 ns; the APIC timer counts at 1 GHz / divisor).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apicMachine } from './apic-machine.js';
import { Scheduler } from '../../../src/machine/scheduler.js';
import { APIC_VERSION } from '../../../src/devices/apic/local-apic.js';
import { I_RIP, I_SEG_SEL } from '../../../src/cpu/state/cpu-state.js';

const APIC = 0xfee00000;

describe('local APIC registers', () => {
  it('ID, version, TPR/PPR/APR, LDR/DFR, SVR masking, ESR', () => {
    const m = apicMachine('hlt', { cpus: 2 });
    const [a0, a1] = m.smp.lapics;
    m.machine.physical.currentCpu = 1;
    assert.equal(m.machine.physical.read(APIC + 0x20, 4) >>> 0, 0x01000000, 'vCPU 1 reads its own APIC ID');
    m.machine.physical.currentCpu = 0;
    assert.equal(m.machine.physical.read(APIC + 0x20, 4) >>> 0, 0);
    assert.equal(m.read32(APIC + 0x30), APIC_VERSION);
    assert.equal(m.read32(APIC + 0xf0), 0xff, 'SVR after reset: software disabled, vector 0xFF');
    assert.equal(m.read32(APIC + 0x350), 0x700, 'BSP LINT0 = ExtINT at reset (virtual wire)');
    assert.equal(a1!.lvt[3], 0x10000, 'AP LINT0 masked');
    m.write32(APIC + 0xe0, 0x0fffffff);
    assert.equal(m.read32(APIC + 0xe0), 0x0fffffff, 'DFR cluster model');
    m.write32(APIC + 0xd0, 0x12345678);
    assert.equal(m.read32(APIC + 0xd0), 0x12000000, 'LDR keeps bits 31:24');
    // LVT writes while software-disabled stay masked.
    m.write32(APIC + 0x320, 0x40);
    assert.equal(m.read32(APIC + 0x320), 0x10040);
    m.write32(APIC + 0xf0, 0x1ff);
    m.write32(APIC + 0x320, 0x40);
    assert.equal(m.read32(APIC + 0x320), 0x40);
    // TPR / PPR with an in-service vector.
    m.write32(APIC + 0x80, 0x35);
    assert.equal(m.read32(APIC + 0x80), 0x35);
    assert.equal(m.read32(APIC + 0xa0), 0x35);
    a0!.acceptInterrupt(0x61, false);
    assert.equal(a0!.hasInterrupt(), true);
    assert.equal(a0!.acknowledge(), 0x61);
    assert.equal(m.read32(APIC + 0xa0), 0x60, 'PPR = ISRV class when above TPR');
    assert.equal(m.read32(APIC + 0x100 + 0x30) >>> 0, 1 << 1, 'ISR bit 0x61');
    m.write32(APIC + 0xb0, 0);
    assert.equal(m.read32(APIC + 0xa0), 0x35);
    // ESR: sending an illegal vector, latched on the next ESR write.
    m.write32(APIC + 0x300, 0x00040005);
    assert.equal(m.read32(APIC + 0x280), 0);
    m.write32(APIC + 0x280, 0);
    assert.equal(m.read32(APIC + 0x280), 0x20, 'send illegal vector');
    // Sub-dword access reads/merges the 32-bit register.
    assert.equal(m.machine.physical.read(APIC + 0x81, 1), 0);
    assert.equal(m.machine.physical.read(APIC + 0x80, 1), 0x35);
  });

  it('a global disable (IA32_APIC_BASE.EN = 0) returns the APIC to its power-up state, the xAPIC ID included', () => {
    const m = apicMachine(`
      mov dword [0xfee000f0], 0x1ff
      mov dword [0xfee00020], 0x05000000
      mov eax, [0xfee00020]
      mov [0x9000], eax
      mov ecx, 0x1b
      rdmsr
      and eax, ~0x800
      wrmsr
      or eax, 0x800
      wrmsr
      mov eax, [0xfee00020]
      mov [0x9004], eax
      mov eax, [0xfee000f0]
      mov [0x9008], eax
      hlt`, { cpus: 2 });
    for (let i = 0; i < 20 && m.machine.cpu.wakeable(); i++) m.scheduler.step(Infinity);
    assert.equal(m.read32(0x9000), 0x05000000, 'the xAPIC ID is writable');
    assert.equal(m.read32(0x9004), 0, 'back to the initial APIC ID after disable/enable');
    assert.equal(m.read32(0x9008), 0xff, 'SVR at its power-up value');
  });

  it('priority arbitration: highest IRR class above the PPR first; TPR and in-service classes mask', () => {
    const m = apicMachine('hlt', { cpus: 1 });
    const a = m.smp.lapics[0]!;
    a.mmioWrite(0xf0, 4, 0x1ff);
    a.writeTpr(0x40);
    for (const v of [0x41, 0x52, 0x35, 0x9a, 0x58]) a.acceptInterrupt(v, false);
    const take = () => { const got: number[] = []; while (a.hasInterrupt()) got.push(a.acknowledge()); return got; };
    assert.deepEqual(take(), [0x9a]);
    a.eoi();
    assert.deepEqual(take(), [0x58], '0x52 is in the in-service class 5');
    a.eoi();
    assert.deepEqual(take(), [0x52]);
    a.eoi();
    assert.deepEqual(take(), [], '0x41 and 0x35 are at or below the TPR class');
    a.writeTpr(0x30);
    assert.deepEqual(take(), [0x41]);
    a.eoi();
    assert.deepEqual(take(), []);
    a.writeTpr(0);
    assert.deepEqual(take(), [0x35]);
    assert.equal(a.acknowledge(), 0xff, 'nothing left: the spurious vector');
  });
});

function runSteps(m: ReturnType<typeof apicMachine>, until: () => boolean, maxNs = 2_000_000): void {
  while (!until() && m.clock.now() < maxNs) {
    // Idle time advances at most 100 ns per step, so the clock tells when an interrupt was taken.
    const r = m.scheduler.step(Math.min(maxNs, m.clock.now() + 100));
    if (r.idle && m.timers.nextDeadline() === Infinity) break;
  }
}

function enableAll(m: ReturnType<typeof apicMachine>): void {
  for (const a of m.smp.lapics) a.mmioWrite(0xf0, 4, 0x1ff);
}

describe('IPIs between vCPUs', () => {
  it('fixed IPIs by physical and logical (flat) destination, shorthand, lowest priority, NMI', () => {
    const m = apicMachine(`
      mov dword [0xfee00310], 0x06000000
      mov dword [0xfee00300], 0x00004945
      mov dword [0xfee00310], 0x01000000
      mov dword [0xfee00300], 0x00004041
      mov dword [0xfee00310], 0x02000000
      mov dword [0xfee00300], 0x00004042
      mov dword [0xfee00310], 0x06000000
      mov dword [0xfee00300], 0x00004843
      mov dword [0xfee00300], 0x000c4044
      mov dword [0xfee00310], 0x01000000
      mov dword [0xfee00300], 0x00004400
      mov dword [0xfee00300], 0x00044046
      sti
      hlt
      cli
      hlt`, { cpus: 3 });
    enableAll(m);
    m.smp.lapics[1]!.mmioWrite(0xd0, 4, 0x02000000);
    m.smp.lapics[2]!.mmioWrite(0xd0, 4, 0x04000000);
    m.smp.lapics[1]!.writeTpr(0x20);
    m.smp.lapics[2]!.writeTpr(0x10);
    runSteps(m, () => m.log(1).length >= 4 && m.log(2).length >= 4 && m.log(0).length >= 1);
    assert.deepEqual(m.log(0), [0x46], 'self IPI by shorthand');
    // Each AP runs after the BSP sent everything: the NMI first, then the vectors by priority.
    assert.deepEqual(m.log(1), [2, 0x44, 0x43, 0x41], 'NMI, all-but-self, logical, physical');
    assert.deepEqual(m.log(2), [0x45, 0x44, 0x43, 0x42], 'lowest priority (sent first) went to the lower TPR');
  });

  it('logical cluster model and broadcast destination', () => {
    const m = apicMachine(`
      mov dword [0xfee00310], 0x12000000
      mov dword [0xfee00300], 0x00004850
      mov dword [0xfee00310], 0xff000000
      mov dword [0xfee00300], 0x00004051
      sti
      hlt
      cli
      hlt`, { cpus: 3 });
    enableAll(m);
    for (const [i, ldr] of [[0, 0x01], [1, 0x12], [2, 0x22]] as const) {
      m.smp.lapics[i]!.mmioWrite(0xe0, 4, 0x0fffffff);
      m.smp.lapics[i]!.mmioWrite(0xd0, 4, ldr << 24);
    }
    runSteps(m, () => m.log(2).length >= 1 && m.log(1).length >= 2);
    assert.deepEqual(m.log(1), [0x51, 0x50], 'cluster 1, bit 1 (both pending when it runs: highest vector first)');
    assert.deepEqual(m.log(2), [0x51], 'cluster 2 is not addressed by 0x12');
    assert.deepEqual(m.log(0), [0x51]);
  });

  it('INIT and start-up IPIs: the AP leaves wait-for-SIPI in real mode at vector x 4096', () => {
    const m = apicMachine(`
      mov dword [0xfee00310], 0x01000000
      mov dword [0xfee00300], 0x00004500
      mov dword [0xfee00300], 0x00008500
      mov dword [0xfee00300], 0x00004609
      cli
      hlt`, { cpus: 2 });
    // Real-mode code at 0x9000: mov word [0x500], 0xBEEF; cli; hlt
    m.machine.physical.load(0x9000, new Uint8Array([0xc7, 0x06, 0x00, 0x05, 0xef, 0xbe, 0xfa, 0xf4]));
    runSteps(m, () => m.read32(0x500) === 0xbeef);
    const ap = m.machine.cpus[1]!;
    assert.equal(m.read32(0x500), 0xbeef);
    assert.equal(ap.s[I_SEG_SEL + 1], 0x0900);
    assert.equal(ap.s[I_RIP], 8);
    assert.equal(ap.mode, 0, 'real mode');
  });
});

describe('scheduling around IPIs', () => {
  // The BSP sends a fixed IPI to vCPU 1, then counts until vCPU 1's handler has run.
  const source = `
      mov dword [0xfee00310], 0x01000000
      mov dword [0xfee00300], 0x00004050
      xor ecx, ecx
.spin:
      inc ecx
      mov [0x9000], ecx
      cmp dword [${0x100000 + 0x1000}], 0
      je .spin
      hlt`;
  const spins = (yieldOnIpi: boolean, quantum?: number) => {
    const m = apicMachine(source, { cpus: 2, yieldOnIpi });
    m.scheduler.quantum = quantum ?? new Scheduler(m.machine.cpus, m.clock, m.timers).quantum;
    enableAll(m);
    for (let i = 0; i < 20 && m.log(1).length === 0; i++) m.scheduler.step(Infinity);
    assert.deepEqual(m.log(1), [0x50]);
    return m.read32(0x9000);
  };

  it('an IPI to another vCPU ends the sender\'s quantum: the target handles it before the sender spins', () => {
    assert.ok(spins(true, 100_000) <= 2, 'the BSP looked at most twice');
    assert.ok(spins(false, 100_000) > 10_000, 'without it, the BSP spins through its quantum');
  });

  it('several vCPUs share the host thread in shorter quanta (10k instructions, 100k with one vCPU)', () => {
    const n = spins(false);
    assert.ok(n > 1000 && n <= 10_000 / 4, `${n} spins in one SMP quantum`);
  });
});

describe('interrupt window', () => {
  it('a pending interrupt is taken right after the instruction that follows STI, and right after POPF sets IF', () => {
    // kvm-unit-tests ioapic "simultaneous edge interrupts" checks the interrupted RIP: the vector
    // must not wait for the end of the decoded block.
    const m = apicMachine(`
      mov dword [0xfee000f0], 0x1ff
      cli
      mov dword [0xfee00300], 0x00044040   ; self IPI, vector 0x40
      sti
      nop                                  ; the STI shadow covers this instruction only
      mov eax, [${0x100000}]
      mov [0x9000], eax
      cli
      mov dword [0xfee00300], 0x00044041
      pushfd
      or dword [esp], 0x200
      popfd                                ; no shadow: the interrupt comes before the next load
      mov eax, [${0x100000}]
      mov [0x9004], eax
      hlt`, { cpus: 1 });
    for (let i = 0; i < 50 && m.machine.cpu.wakeable(); i++) m.scheduler.step(Infinity);
    assert.deepEqual(m.log(0), [0x40, 0x41]);
    assert.equal(m.read32(0x9000), 1, 'vector 0x40 delivered after the NOP, before the next load');
    assert.equal(m.read32(0x9004), 2, 'vector 0x41 delivered right after POPF');
  });
});

describe('local APIC timer', () => {
  const timerGuest = (setup: string) => apicMachine(`
      mov dword [0xfee000f0], 0x1ff
      ${setup}
      sti
    .idle:
      hlt
      jmp .idle`, { cpus: 1 });

  it('one-shot: fires once after initial count x divisor bus cycles; current count runs down', () => {
    const m = timerGuest(`
      mov dword [0xfee003e0], 0x0
      mov dword [0xfee00320], 0x50
      mov dword [0xfee00380], 10000`);
    runSteps(m, () => m.log(0).length >= 1);
    const t = m.clock.now();
    assert.deepEqual(m.log(0), [0x50]);
    assert.ok(t >= 20000 && t < 20200, `fired at ${t} ns (divide by 2)`);
    runSteps(m, () => false, 200_000);
    assert.deepEqual(m.log(0), [0x50], 'one-shot');
    assert.equal(m.smp.lapics[0]!.currentCount(), 0);
  });

  it('periodic: one interrupt per period', () => {
    const m = timerGuest(`
      mov dword [0xfee003e0], 0xb
      mov dword [0xfee00320], 0x20051
      mov dword [0xfee00380], 10000`);
    runSteps(m, () => false, 105_000);
    assert.equal(m.log(0).length, 10, `${m.log(0).length} periods in 105 us`);
    assert.ok(m.log(0).every((v) => v === 0x51));
    const c = m.smp.lapics[0]!.currentCount();
    assert.ok(c > 0 && c <= 10000);
  });

  it('TSC-deadline: fires when the TSC reaches IA32_TSC_DEADLINE', () => {
    const m = timerGuest(`
      mov dword [0xfee00320], 0x40052
      rdtsc
      add eax, 30000
      adc edx, 0
      mov ecx, 0x6e0
      wrmsr`);
    runSteps(m, () => m.log(0).length >= 1);
    const t = m.clock.now();
    assert.deepEqual(m.log(0), [0x52]);
    assert.ok(t >= 30000 && t < 30300, `fired at ${t}`);
    assert.equal(m.smp.lapics[0]!.tscDeadline, 0n);
  });

  it('TSC-deadline: a deadline already passed fires at once, before the instruction after WRMSR', () => {
    const m = apicMachine(`
      mov dword [0xfee000f0], 0x1ff
      mov dword [0xfee00320], 0x40053
      sti
      rdtsc
      mov ecx, 0x6e0
      wrmsr
      mov eax, [${0x100000}]
      mov [0x9000], eax
      rdmsr
      mov [0x9004], eax
      hlt`, { cpus: 1 });
    for (let i = 0; i < 50 && m.machine.cpu.wakeable(); i++) m.scheduler.step(Infinity);
    assert.deepEqual(m.log(0), [0x53]);
    assert.equal(m.read32(0x9000), 1, 'the interrupt came right after the WRMSR');
    assert.equal(m.read32(0x9004), 0, 'IA32_TSC_DEADLINE reads 0 once it fired');
  });

  it('one-shot <-> periodic switches keep TMICT and the running count; an expired one-shot count stays 0', () => {
    const m = apicMachine('hlt', { cpus: 1 });
    const a = m.smp.lapics[0]!;
    const at = (ns: number) => { m.clock.advanceTo(t0 + ns); m.timers.runExpired(); };
    a.mmioWrite(0xf0, 4, 0x1ff);
    a.mmioWrite(0x3e0, 4, 0xb); // divide by 1: one count per ns
    a.mmioWrite(0x320, 4, 0x10060); // one-shot, masked
    const t0 = m.clock.now();
    a.mmioWrite(0x380, 4, 1000);
    at(400);
    a.mmioWrite(0x320, 4, 0x30060); // periodic
    assert.equal(a.mmioRead(0x380, 4), 1000, 'TMICT kept across the mode change');
    assert.equal(a.mmioRead(0x390, 4), 600, 'the count goes on');
    at(1300);
    assert.equal(a.mmioRead(0x390, 4), 700, 'periodic: reloaded at zero');
    a.mmioWrite(0x320, 4, 0x10060); // back to one-shot: this period ends the count
    at(1900);
    assert.equal(a.mmioRead(0x390, 4), 100);
    at(2100);
    assert.equal(a.mmioRead(0x390, 4), 0, 'one-shot reached zero');
    a.mmioWrite(0x320, 4, 0x30060);
    at(5000);
    assert.equal(a.mmioRead(0x390, 4), 0, 'an expired count stays at zero in periodic mode');
    a.mmioWrite(0x380, 4, 1000);
    at(5300);
    assert.equal(a.mmioRead(0x390, 4), 700, 'a TMICT write starts it again');
    a.mmioWrite(0x320, 4, 0x50060); // TSC-deadline: the count modes' state is cleared
    assert.equal(a.mmioRead(0x380, 4), 0);
  });
});
