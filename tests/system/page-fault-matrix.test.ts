/**
 * #PF error codes and accessed/dirty bits through the whole CPU path (4-level paging), against the
 * rules of SDM Vol. 3, 4.6 (access rights) and 4.7 (page-fault exceptions, Figure 4-12):
 * P = protection violation (not "not present"), W/R = write, U/S = CPL 3, RSVD = reserved bit set,
 * I/D = instruction fetch (with EFER.NXE). CR2 receives the faulting linear address.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { enterFlatMode } from '../../src/machine/flat-setup.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_CR, I_RIP } from '../../src/cpu/state/cpu-state.js';
import { assemble } from '../support/nasm.js';

const PML4 = 0x100000, PDPT = 0x101000, PD = 0x102000, PT_CODE = 0x103000, PT_TEST = 0x104000;
const CODE = 0x10000, TEST_LINEAR = 0x400000, TEST_PHYS = 0x200000;
const P = 1, RW = 2, US = 4, A = 0x20, D = 0x40;

type Access = 'read' | 'write' | 'fetch';

interface Case { present: boolean; rw: boolean; us: boolean; nx: boolean; reserved: boolean; access: Access; cpl: 0 | 3; wp: boolean }

function setup(c: Case) {
  const machine = new BareMachine({ ramSize: 4 << 20 });
  const mem = machine.physical;
  const cpu = machine.cpu;
  const entry = (at: number, lo: number, hi = 0) => { mem.write(at, 4, lo >>> 0); mem.write(at + 4, 4, hi >>> 0); };
  enterFlatMode(cpu, { mode: 64, cpl: c.cpl, identityMap: [[CODE, 0x1000]], pageTablesAt: 0x300000 });
  entry(PML4, PDPT | P | RW | US);
  entry(PDPT, PD | P | RW | US);
  entry(PD, PT_CODE | P | RW | US);
  entry(PD + 2 * 8, PT_TEST | P | RW | US);
  entry(PT_CODE + (CODE >> 12) * 8, CODE | P | RW | US);
  const leafLo = TEST_PHYS | (c.present ? P : 0) | (c.rw ? RW : 0) | (c.us ? US : 0);
  const leafHi = (c.nx ? 0x80000000 : 0) | (c.reserved ? 1 << (51 - 32) : 0);
  entry(PT_TEST, leafLo, leafHi);
  const source = c.access === 'read' ? 'mov al, [rax]\nint3' : c.access === 'write' ? 'mov byte [rax], 1\nint3' : 'jmp rax';
  mem.load(CODE, assemble(source, 64));
  mem.load(TEST_PHYS, new Uint8Array([0xcc])); // INT3 at the test page, for fetches
  cpu.s[I_CR + 6] = PML4;
  cpu.s[I_CR] = c.wp ? cpu.s[I_CR]! | (1 << 16) : cpu.s[I_CR]! & ~(1 << 16);
  cpu.updatePaging();
  cpu.state.setGpr(0, BigInt(TEST_LINEAR));
  cpu.s[I_RIP] = CODE;
  cpu.exitOnException = true;
  return { machine, cpu, leaf: () => mem.read(PT_TEST, 4) };
}

/** The SDM's decision and error code for one case (null: no fault). */
function expected(c: Case): number | null {
  const user = c.cpl === 3;
  const code = (c.access === 'write' ? 2 : 0) | (user ? 4 : 0) | (c.access === 'fetch' ? 16 : 0);
  if (!c.present) return code;
  if (c.reserved) return code | 1 | 8;
  if (user && !c.us) return code | 1;
  if (c.access === 'write' && !c.rw && (user || c.wp)) return code | 1;
  if (c.access === 'fetch' && c.nx) return code | 1;
  return null;
}

describe('page-fault error code matrix (4-level paging)', () => {
  const cases: Case[] = [];
  for (const access of ['read', 'write', 'fetch'] as const)
    for (const cpl of [0, 3] as const)
      for (const present of [false, true])
        for (const rw of [false, true])
          for (const us of [false, true])
            for (const wp of [false, true])
              cases.push({ present, rw, us, nx: access === 'fetch' && rw, reserved: false, access, cpl, wp });
  for (const access of ['read', 'write', 'fetch'] as const) cases.push({ present: true, rw: true, us: true, nx: false, reserved: true, access, cpl: 3, wp: true });

  for (const c of cases) {
    const name = `${c.access} cpl${c.cpl} ${c.present ? 'P' : '-'}${c.rw ? 'W' : '-'}${c.us ? 'U' : '-'}${c.nx ? 'X' : '-'}${c.reserved ? 'R' : '-'} wp=${c.wp ? 1 : 0}`;
    it(name, () => {
      const { cpu } = setup(c);
      const exit = cpu.run(100);
      assert.equal(exit, ExitReason.Exception);
      const want = expected(c);
      if (want === null) {
        assert.equal(cpu.faultVector, 3, `expected success, got vector ${cpu.faultVector} error ${cpu.faultErrorCode}`);
      } else {
        assert.equal(cpu.faultVector, 14, `expected #PF, got vector ${cpu.faultVector}`);
        assert.equal(cpu.faultErrorCode, want, `error code 0x${cpu.faultErrorCode.toString(16)} instead of 0x${want.toString(16)}`);
        assert.equal(cpu.state.get64(I_CR + 4), BigInt(TEST_LINEAR), 'CR2');
      }
    });
  }
});

describe('accessed and dirty bits', () => {
  it('a read sets A on every level and leaves D clear; a write then sets D', () => {
    const base: Case = { present: true, rw: true, us: true, nx: false, reserved: false, access: 'read', cpl: 0, wp: true };
    const read = setup(base);
    read.cpu.run(100);
    assert.equal(read.leaf() & (A | D), A);
    assert.equal(read.machine.physical.read(PD + 16, 4) & A, A, 'PDE accessed');
    const write = setup({ ...base, access: 'write' });
    write.cpu.run(100);
    assert.equal(write.leaf() & (A | D), A | D);
  });

  it('a faulting access sets no bit in the leaf', () => {
    const c: Case = { present: true, rw: false, us: true, nx: false, reserved: false, access: 'write', cpl: 3, wp: true };
    const { cpu, leaf } = setup(c);
    cpu.run(100);
    assert.equal(cpu.faultVector, 14);
    assert.equal(leaf() & D, 0);
  });
});
