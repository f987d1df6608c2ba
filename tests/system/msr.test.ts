/**
 * RDMSR/WRMSR over the modelled MSRs (SDM Vol. 2, RDMSR/WRMSR; Vol. 4, Table 2-2), IA-32e mode
 * activation through CR0.PG (SDM Vol. 3, 10.8.5) and the control-register checks of MOV CR
 * (SDM Vol. 2, MOV—Move to/from Control Registers).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_CR, I_EFER, I_GPR, I_SEG_BASE } from '../../src/cpu/state/cpu-state.js';
import { MSR_TABLE, readMsr } from '../../src/cpu/system/msr.js';
import { DATA, pageTables, systemMachine } from './machine.js';

const GP = 13;

/** Run 64-bit ring-0 code that must reach HLT. */
function run64(source: string) {
  const sm = systemMachine(source, { mode: 64 });
  const exit = sm.run();
  assert.equal(exit, ExitReason.Halted, `expected HLT, got exit ${exit} vector ${sm.cpu.faultVector}`);
  return sm;
}

/** Run code that must fault; returns the machine for inspection. */
function expectFault(source: string, vector: number, errorCode: number, mode: 32 | 64 | 'compat32' = 64, cpl: 0 | 3 = 0) {
  const sm = systemMachine(source, { mode, cpl });
  const exit = sm.run();
  assert.equal(exit, ExitReason.Exception, `expected an exception, got exit ${exit}`);
  assert.equal(sm.cpu.faultVector, vector, `vector ${sm.cpu.faultVector}`);
  assert.equal(sm.cpu.faultErrorCode, errorCode);
  return sm;
}

/** wrmsr of a 64-bit immediate to ECX = msr. */
const wr = (msr: number, value: bigint) =>
  `mov ecx, 0x${msr.toString(16)}\n mov eax, 0x${(value & 0xffffffffn).toString(16)}\n mov edx, 0x${(value >> 32n).toString(16)}\n wrmsr\n`;
/** rdmsr into [addr] as EDX:EAX. */
const rd = (msr: number, addr: number) => `mov ecx, 0x${msr.toString(16)}\n rdmsr\n mov [0x${addr.toString(16)}], eax\n mov [0x${(addr + 4).toString(16)}], edx\n`;

describe('RDMSR / WRMSR', () => {
  it('storage MSRs read back what was written (STAR, LSTAR, CSTAR, FMASK, KERNEL_GS_BASE, SYSENTER_*, TSC_AUX)', () => {
    const cases: [number, bigint][] = [
      [0xc0000081, 0x0023001000000000n], [0xc0000082, 0xffffffff81000000n], [0xc0000083, 0x00007fff12345678n],
      [0xc0000084, 0x47700n], [0xc0000102, 0xffff888000001000n], [0x174, 0x10n], [0x175, 0xffffc90000004000n],
      [0x176, 0xffffffff81a00000n], [0xc0000103, 7n],
    ];
    const source = cases.map(([m, v], i) => wr(m, v) + rd(m, DATA + 8 * i)).join('') + 'hlt';
    const sm = run64(source);
    cases.forEach(([m, v], i) => assert.equal(sm.read64(DATA + 8 * i), v, `MSR ${m.toString(16)}`));
  });

  it('RDMSR clears the upper halves of RAX and RDX in 64-bit mode', () => {
    const sm = run64(`mov rax, -1\n mov rdx, -1\n mov ecx, 0x277\n rdmsr\n hlt`);
    assert.equal(sm.cpu.state.getGpr(0), 0x00070406n);
    assert.equal(sm.cpu.state.getGpr(2), 0x00070406n);
  });

  it('reset values: IA32_PAT 0007040600070406h, APIC base FEE00900h on the BSP and FEE00800h on an AP (SDM Vol. 3, 13.12.4, 11.4.4)', () => {
    const sm = systemMachine('hlt', { mode: 64, cpus: 2 });
    assert.equal(readMsr(sm.cpu, 0x277), 0x0007040600070406n);
    assert.equal(readMsr(sm.machine.cpus[0]!, 0x1b), 0xfee00900n);
    assert.equal(readMsr(sm.machine.cpus[1]!, 0x1b), 0xfee00800n);
    assert.equal(readMsr(sm.cpu, 0xfe), 0x508n, 'MTRRCAP: 8 variable ranges, fixed ranges, WC');
  });

  it('IA32_APIC_BASE: the BSP flag is read-only; moving the base works; bit 10 (x2APIC, not modelled) is reserved', () => {
    const sm = run64(wr(0x1b, 0xfed00800n) + rd(0x1b, DATA) + 'hlt');
    assert.equal(sm.read64(DATA), 0xfed00900n);
    expectFault(wr(0x1b, 0xfee00c00n) + 'hlt', GP, 0);
  });

  it('IA32_PAT: an invalid memory type (2, 3 or above 7) in any entry raises #GP(0) (SDM Vol. 3, 13.12.2)', () => {
    const sm = run64(wr(0x277, 0x0007010600070406n) + rd(0x277, DATA) + 'hlt');
    assert.equal(sm.read64(DATA), 0x0007010600070406n);
    expectFault(wr(0x277, 0x0007040600070402n) + 'hlt', GP, 0);
    expectFault(wr(0x277, 0x0807040600070406n) + 'hlt', GP, 0);
  });

  it('MTRRs: storage with type and reserved-bit checks; MTRRCAP is read-only (SDM Vol. 3, 12.11)', () => {
    const sm = run64(
      wr(0x2ff, 0xc06n) + rd(0x2ff, DATA) +
      wr(0x200, 0x80000006n) + rd(0x200, DATA + 8) +
      wr(0x201, 0xff80000800n) + rd(0x201, DATA + 16) +
      wr(0x26f, 0x0606060605050404n) + rd(0x26f, DATA + 24) + 'hlt');
    assert.equal(sm.read64(DATA), 0xc06n);
    assert.equal(sm.read64(DATA + 8), 0x80000006n);
    assert.equal(sm.read64(DATA + 16), 0xff80000800n);
    assert.equal(sm.read64(DATA + 24), 0x0606060605050404n);
    expectFault(wr(0xfe, 0n) + 'hlt', GP, 0);
    expectFault(wr(0x2ff, 0x1006n) + 'hlt', GP, 0); // bit 12 reserved
    expectFault(wr(0x2ff, 0x802n) + 'hlt', GP, 0); // type 2 invalid
    expectFault(wr(0x200, 0x80000106n) + 'hlt', GP, 0); // PHYSBASE bit 8 reserved
    expectFault(wr(0x201, 0x80000801n) + 'hlt', GP, 0); // PHYSMASK bit 0 reserved
    expectFault(wr(0x201, 0x1_0000_0000_0800n << 8n) + 'hlt', GP, 0); // beyond MAXPHYADDR
    expectFault(wr(0x250, 0x0606060606060603n) + 'hlt', GP, 0); // fixed range type 3
  });

  it('unknown MSRs raise #GP(0) on read and write', () => {
    expectFault(rd(0x12345, DATA) + 'hlt', GP, 0);
    expectFault(wr(0xc0000105, 0n) + 'hlt', GP, 0);
  });

  it('canonical checks: LSTAR, CSTAR, KERNEL_GS_BASE, FS/GS base, SYSENTER_EIP (SDM Vol. 2, WRMSR)', () => {
    for (const msr of [0xc0000082, 0xc0000083, 0xc0000100, 0xc0000101, 0xc0000102, 0x175, 0x176]) {
      expectFault(wr(msr, 0x0000800000000000n) + 'hlt', GP, 0);
    }
  });

  it('reserved high halves: FMASK and TSC_AUX bits 63:32', () => {
    expectFault(wr(0xc0000084, 0x1_00000000n) + 'hlt', GP, 0);
    expectFault(wr(0xc0000103, 0x1_00000000n) + 'hlt', GP, 0);
  });

  it('IA32_FS_BASE / IA32_GS_BASE are the FS and GS segment-cache bases (SDM Vol. 3, 3.4.4)', () => {
    const sm = run64(`mov dword [0x8100], 0x11223344\n` + wr(0xc0000100, 0x8000n) + wr(0xc0000101, 0xffff800000000000n) +
      `mov eax, [fs:0x100]\n mov [0x8200], eax\n` + rd(0xc0000101, DATA + 0x300) + 'hlt');
    assert.equal(sm.read32(0x8200), 0x11223344);
    assert.equal(sm.cpu.state.get64(I_SEG_BASE + 8), 0x8000n);
    assert.equal(sm.read64(DATA + 0x300), 0xffff800000000000n);
  });

  it('IA32_TIME_STAMP_COUNTER: a write sets the counter RDTSC continues from', () => {
    const sm = run64(wr(0x10, 0x5_0000_0000n) + 'rdtsc\n mov [0x8000], eax\n mov [0x8004], edx\n' + rd(0x10, DATA + 8) + 'hlt');
    const tsc = sm.read64(DATA), viaMsr = sm.read64(DATA + 8);
    assert.ok(tsc >= 0x5_0000_0000n && tsc < 0x5_0000_0010n, `tsc ${tsc.toString(16)}`);
    // The count advances per executed block, so two reads in one block may be equal.
    assert.ok(viaMsr >= tsc && viaMsr < tsc + 16n);
  });

  it('IA32_MISC_ENABLE: BTS/PEBS-unavailable bits are read-only, undefined bits reserved', () => {
    const sm = run64(rd(0x1a0, DATA) + wr(0x1a0, 0x400000n) + rd(0x1a0, DATA + 8) + 'hlt');
    assert.equal(sm.read64(DATA), 0x1801n);
    assert.equal(sm.read64(DATA + 8), 0x401800n);
    expectFault(wr(0x1a0, 0x2n) + 'hlt', GP, 0);
  });

  it('IA32_EFER: reserved bits #GP; LMA cannot be written; LME cannot change while CR0.PG = 1 (SDM Vol. 3, 10.8.5)', () => {
    expectFault(wr(0xc0000080, 0xd03n) + 'hlt', GP, 0); // bit 1 reserved
    expectFault(wr(0xc0000080, 0x801n) + 'hlt', GP, 0); // clearing LME with paging on
    // Writing LMA = 0 (with LME kept) is ignored; clearing NXE takes effect.
    const sm = run64(wr(0xc0000080, 0x101n) + rd(0xc0000080, DATA) + 'hlt');
    assert.equal(sm.read64(DATA), 0x501n);
    assert.equal(sm.cpu.paging.nxe, false);
  });

  it('RDMSR and WRMSR at CPL 3 raise #GP(0) (rows marked cpl0)', () => {
    expectFault(rd(0x277, DATA) + 'hlt', GP, 0, 64, 3);
    expectFault(wr(0x277, 0n) + 'hlt', GP, 0, 64, 3);
    expectFault(rd(0x277, DATA) + 'hlt', GP, 0, 32, 3);
  });

  it('every table entry has a name, and every writable one accepts the value it reads at reset', () => {
    const sm = systemMachine('hlt', { mode: 64 });
    for (const [index, entry] of MSR_TABLE) {
      assert.ok(entry.name.startsWith('IA32_'), `0x${index.toString(16)}`);
      if (entry.write && index !== 0xc0000080) entry.write(sm.cpu, entry.read(sm.cpu));
    }
  });
});

describe('IA-32e mode activation and control registers', () => {
  /** From flat 32-bit protected mode without paging: PAE, LME, CR3, then PG. */
  const activate = (withPae: boolean) => `
    ${withPae ? 'mov eax, cr4\n or eax, 0x20\n mov cr4, eax' : ''}
    mov ecx, 0xc0000080
    rdmsr
    or eax, 0x100
    wrmsr
    mov cr3, ebx
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    mov ecx, 0xc0000080
    rdmsr
    mov [0x8000], eax
  `;

  function start32(source: string) {
    const sm = systemMachine(source, { mode: 32 });
    sm.cpu.state.set64(I_EFER, 0n);
    sm.cpu.s[I_CR + 8] = 0;
    sm.cpu.s[I_GPR + 6] = pageTables(sm);
    return sm;
  }

  it('setting CR0.PG with EFER.LME and CR4.PAE sets EFER.LMA; a far jump to an L=1 segment enters 64-bit mode', () => {
    const sm = start32(`${activate(true)}
      jmp 0x08:long64
      bits 64
      long64:
      mov rax, 0x123456789abcdef0
      mov [0x8008], rax
      hlt`);
    const exit = sm.run();
    assert.equal(exit, ExitReason.Halted, `vector ${sm.cpu.faultVector}`);
    assert.equal(sm.read32(DATA), 0x500, 'EFER = LME | LMA');
    assert.equal(sm.read64(DATA + 8), 0x123456789abcdef0n);
    assert.equal(sm.cpu.paging.kind, 2, '4-level paging');
  });

  it('setting CR0.PG with EFER.LME but CR4.PAE clear raises #GP(0)', () => {
    const sm = start32(`${activate(false)}\n hlt`);
    assert.equal(sm.run(), ExitReason.Exception);
    assert.equal(sm.cpu.faultVector, GP);
    assert.equal(sm.cpu.s[I_CR]! < 0, false, 'CR0.PG unchanged');
    assert.equal(Number(sm.cpu.state.get64(I_EFER)) & 0x400, 0);
  });

  it('in compatibility mode, clearing CR0.PG clears EFER.LMA (leaving IA-32e mode)', () => {
    const sm = start32(`${activate(true)}
      mov eax, cr0
      and eax, 0x7fffffff
      mov cr0, eax
      mov ecx, 0xc0000080
      rdmsr
      mov [0x8004], eax
      hlt`);
    assert.equal(sm.run(), ExitReason.Halted, `vector ${sm.cpu.faultVector}`);
    assert.equal(sm.read32(DATA), 0x500);
    assert.equal(sm.read32(DATA + 4), 0x100, 'LMA cleared, LME kept');
  });

  it('in 64-bit mode clearing CR0.PG or CR4.PAE raises #GP(0); CR0/CR4 bits 63:32 are reserved', () => {
    expectFault('mov rax, cr0\n btr rax, 31\n mov cr0, rax\n hlt', GP, 0);
    expectFault('mov rax, cr4\n and eax, ~0x20\n mov cr4, rax\n hlt', GP, 0);
    expectFault('mov rax, cr4\n bts rax, 32\n mov cr4, rax\n hlt', GP, 0);
    expectFault('mov rax, cr0\n bts rax, 40\n mov cr0, rax\n hlt', GP, 0);
  });

  it('CR4 bits of features the CPU model does not report are reserved (VMXE, bit 15, LA57) (SDM Vol. 3, 2.5)', () => {
    expectFault('mov rax, cr4\n bts eax, 13\n mov cr4, rax\n hlt', GP, 0);
    expectFault('mov rax, cr4\n bts eax, 15\n mov cr4, rax\n hlt', GP, 0);
    expectFault('mov rax, cr4\n bts eax, 12\n mov cr4, rax\n hlt', GP, 0);
    const sm = run64('mov rax, cr4\n or eax, 0x84\n mov cr4, rax\n mov rbx, cr4\n hlt'); // PGE, TSD
    assert.equal(sm.cpu.state.getGpr(3), 0xa4n);
  });

  it('CR8 holds the task priority in bits 3:0; higher bits are reserved (SDM Vol. 3, 2.5)', () => {
    const sm = run64('mov eax, 9\n mov cr8, rax\n mov rbx, cr8\n hlt');
    assert.equal(sm.cpu.state.getGpr(3), 9n);
    expectFault('mov eax, 0x10\n mov cr8, rax\n hlt', GP, 0);
  });

  it('machine-check MSRs: MCG_CAP, CTL all 0s or 1s, STATUS clear-only, ADDR/MISC any value, no banks past the count', () => {
    const sm = run64(
      rd(0x179, DATA) +
      wr(0x401, 0n) + wr(0x400, 0xffffffffffffffffn) + rd(0x400, DATA + 8) +
      wr(0x40e, 0x8000000000001234n) + rd(0x40e, DATA + 16) + wr(0x427, 0xffffffffffffffffn) + rd(0x427, DATA + 24) +
      wr(0x17b, 0xffffffffffffffffn) + rd(0x17b, DATA + 32) + 'hlt');
    assert.equal(sm.read64(DATA), 10n | (1n << 8n), '10 banks, MCG_CTL_P');
    assert.equal(sm.read64(DATA + 8), 0xffffffffffffffffn, 'MC0_CTL');
    assert.equal(sm.read64(DATA + 16), 0x8000000000001234n, 'MC3_ADDR holds a non-canonical address');
    assert.equal(sm.read64(DATA + 24), 0xffffffffffffffffn, 'MC9_MISC');
    assert.equal(sm.read64(DATA + 32), 0xffffffffffffffffn, 'MCG_CTL');
    expectFault(wr(0x400, 0x1234n) + 'hlt', GP, 0);
    expectFault(wr(0x401, 1n) + 'hlt', GP, 0);
    expectFault(wr(0x179, 0n) + 'hlt', GP, 0);
    expectFault(rd(0x428, DATA) + 'hlt', GP, 0);
    expectFault(wr(0x428, 0n) + 'hlt', GP, 0);
  });
});
