/**
 * Seed nvmm-libnvmm-assist-changelog.txt: NetBSD's instruction emulator for MMIO exits grew case by
 * case. Each item that concerns decoding and executing an instruction is a test here, run through
 * the interpreter against a recording MMIO device (the standalone assist API is a later issue).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { flatMachine } from '../support/flat-machine.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { PageWalker, ACCESS_READ } from '../../src/cpu/mmu/page-walker.js';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { I_SEG_BASE } from '../../src/cpu/state/cpu-state.js';

const MMIO = 0xd0000000;

/** An MMIO window that records every access and serves reads from a byte array. */
function recordingDevice(fm: ReturnType<typeof flatMachine>, size = 0x2000) {
  const bytes = new Uint8Array(size);
  const log: string[] = [];
  fm.machine.physical.mapMmio('recorder', MMIO, size, {
    read(offset, width) {
      log.push(`r${width}@${offset.toString(16)}`);
      let v = 0;
      for (let i = 0; i < width; i++) v += bytes[offset + i]! * 2 ** (8 * i);
      return v;
    },
    write(offset, width, value) {
      log.push(`w${width}@${offset.toString(16)}=${value.toString(16)}`);
      for (let i = 0; i < width; i++) bytes[offset + i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
    },
  });
  return { bytes, log };
}

function run(fm: ReturnType<typeof flatMachine>): void {
  fm.cpu.exitOnException = true;
  const exit = fm.runToHalt();
  assert.equal(exit, ExitReason.Halted, `expected HLT, got exit ${exit} vector ${fm.cpu.faultVector}`);
}

const reg = (fm: ReturnType<typeof flatMachine>, n: number) => fm.cpu.state.getGpr(n);

describe('seed nvmm-libnvmm-assist-changelog: decoder and executor items', () => {
  it('SUB (primary), CMP (group 1) and TEST (group 3) with an MMIO operand', () => {
    const fm = flatMachine(`
      mov rbx, ${MMIO}
      mov dword [rbx], 100
      mov eax, 250
      sub eax, [rbx]          ; 2B /r
      cmp dword [rbx], 100    ; 83 /7
      setz cl
      test dword [rbx], 4     ; F7 /0
      setnz dl
      hlt`, 64);
    recordingDevice(fm);
    run(fm);
    assert.equal(reg(fm, 0), 150n);
    assert.equal(reg(fm, 1) & 0xffn, 1n);
    assert.equal(reg(fm, 2) & 0xffn, 1n);
  });

  it('an instruction that implicitly reads its register operand with a memory source: or rax, [rbx]', () => {
    const fm = flatMachine(`
      mov rbx, ${MMIO}
      mov rax, 0x0f00000000000001
      mov qword [rbx], 0x30
      or rax, [rbx]
      hlt`, 64);
    recordingDevice(fm);
    run(fm);
    assert.equal(reg(fm, 0), 0x0f00000000000031n);
  });

  it('AND/OR/XOR from group 1 on MMIO', () => {
    const fm = flatMachine(`
      mov rbx, ${MMIO}
      mov dword [rbx], 0xff00ff00
      and dword [rbx], 0x0ff00ff0
      or dword [rbx], 1
      xor dword [rbx], 0x80000000
      mov eax, [rbx]
      hlt`, 64);
    recordingDevice(fm);
    run(fm);
    assert.equal(reg(fm, 0), 0x8f000f01n);
  });

  it('MOVZX with a 32-bit operand size in 64-bit mode zero-extends into bits 63:32', () => {
    const fm = flatMachine(`
      mov rbx, ${MMIO}
      mov word [rbx], 0xbeef
      mov rax, -1
      movzx eax, word [rbx]
      mov rcx, -1
      movzx ecx, byte [rbx]
      hlt`, 64);
    recordingDevice(fm);
    run(fm);
    assert.equal(reg(fm, 0), 0xbeefn);
    assert.equal(reg(fm, 1), 0xefn);
  });

  it('immediates and displacements are sign-extended in 64-bit mode', () => {
    const fm = flatMachine(`
      mov rbx, ${MMIO + 0x1000}
      mov qword [rbx - 8], -2          ; disp8 -8, imm32 sign-extended to 64
      mov rax, [rbx + -8]
      mov rcx, 0x1000
      mov rdx, [rbx + rcx*1 - 0x1008]  ; disp32 negative
      hlt`, 64);
    const dev = recordingDevice(fm);
    run(fm);
    assert.equal(reg(fm, 0), 0xfffffffffffffffen);
    assert.equal(reg(fm, 2), 0xfffffffffffffffen);
    assert.ok(dev.log.some((e) => e.startsWith('w4@ff8=fffffffe')) && dev.log.includes('w4@ffc=ffffffff'), dev.log.join(' '));
  });

  it('MOVS with both operands in MMIO', () => {
    const fm = flatMachine(`
      mov rsi, ${MMIO}
      mov rdi, ${MMIO + 0x100}
      mov rcx, 4
      cld
      rep movsd
      hlt`, 64);
    const dev = recordingDevice(fm);
    dev.bytes.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 0);
    run(fm);
    assert.deepEqual([...dev.bytes.subarray(0x100, 0x110)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    assert.equal(reg(fm, 1), 0n);
  });

  it('INS writes ES:RDI (not RSI) and updates RDI without REP; OUTS honours a segment override', () => {
    const fm = flatMachine(`
      mov rdi, ${MMIO + 0x40}
      mov rsi, ${MMIO + 0x80}
      mov dx, 0x300
      insb                 ; one byte from port 0x300 to [rdi]
      mov byte [rsi], 0x5a
      fs outsb             ; source FS:RSI (FS base set below), port 0x300
      hlt`, 64);
    const dev = recordingDevice(fm);
    const written: number[] = [];
    fm.machine.ports.register('probe', 0x300, 1, { read: () => 0x77, write: (_o, _s, v) => { written.push(v); } });
    // FS base 0x10: the override must move OUTS's source to MMIO + 0x90.
    fm.cpu.state.set64(I_SEG_BASE + 2 * 4, 0x10n);
    dev.bytes[0x90] = 0x33;
    run(fm);
    assert.equal(dev.bytes[0x40], 0x77);
    assert.equal(reg(fm, 7), BigInt(MMIO + 0x41));
    assert.equal(reg(fm, 6), BigInt(MMIO + 0x81));
    assert.deepEqual(written, [0x33]);
  });

  it('an access crossing a page boundary is split and lands in both pages', () => {
    const fm = flatMachine(`
      mov rbx, 0x100ffd
      mov dword [rbx], 0x44332211
      mov eax, [rbx]
      hlt`, 64);
    run(fm);
    assert.equal(reg(fm, 0), 0x44332211n);
    assert.deepEqual([...fm.machine.physical.dump(0x100ffd, 4)], [0x11, 0x22, 0x33, 0x44]);
  });

  it('an access crossing from RAM into MMIO sends the MMIO bytes to the device', () => {
    const fm = flatMachine(`
      mov rbx, ${MMIO - 2}
      mov dword [rbx], 0xaabbccdd
      hlt`, 64);
    // A RAM page just below the device (aliasing guest RAM at 0x180000).
    fm.machine.physical.mapRam('below', MMIO - 0x1000, 0x1000, fm.machine.ramOffset + 0x180000);
    const dev = recordingDevice(fm);
    run(fm);
    assert.deepEqual([...fm.machine.physical.dump(MMIO - 2, 2)], [0xdd, 0xcc]);
    assert.deepEqual(dev.log, ['w1@0=bb', 'w1@1=aa']);
  });
});

describe('seed nvmm-libnvmm-assist-changelog: MMU items', () => {
  function walkerWith(setup: (write: (addr: number, lo: number, hi?: number) => void) => void) {
    const machine = new BareMachine({ ramSize: 4 << 20 });
    const write = (addr: number, lo: number, hi = 0) => { machine.physical.write(addr, 4, lo >>> 0); machine.physical.write(addr + 4, 4, hi >>> 0); };
    setup(write);
    return new PageWalker(machine.physical);
  }

  it('PAE: CR3 is 32-byte aligned, its low bits above 4 are address bits', () => {
    const pdpt = 0x10060; // not page-aligned
    const walker = walkerWith((w) => {
      w(pdpt + 0 * 8, 0x20000 | 1);
      w(0x20000, 0x30000 | 3);
      w(0x30000 + 5 * 8, 0x123000 | 3);
    });
    const pdpte = new Int32Array(8);
    pdpte[0] = 0x20000 | 1;
    const ok = walker.walk({ kind: 1, cr3Lo: pdpt, cr3Hi: 0, pse: false, wp: false, nxe: false, pdpte, maxPhysBits: 40 }, 0x5abc, ACCESS_READ, false);
    assert.ok(ok);
    assert.equal(walker.result.phys, 0x123abc);
  });

  it('large pages add the low bits of the linear address (2 MiB and 1 GiB in long mode, 4 MiB in 32-bit)', () => {
    const walker = walkerWith((w) => {
      w(0x10000, 0x11000 | 7);          // PML4[0]
      w(0x11000, 0x40000000 | 0x87);    // PDPT[0]: 1 GiB page at 1 GiB
      w(0x11000 + 8, 0x12000 | 7);      // PDPT[1]
      w(0x12000 + 8, 0x00600000 | 0x87);// PD[1] in the second GiB: 2 MiB page at 6 MiB
      w(0x20000 + 1 * 4, 0x00c00000 | 0x87); // 32-bit PDE[1]: 4 MiB page at 12 MiB
    });
    const base = { cr3Hi: 0, wp: false, nxe: false, pdpte: new Int32Array(8), maxPhysBits: 40 };
    assert.ok(walker.walk({ ...base, kind: 2, cr3Lo: 0x10000, pse: false }, 0x0123_4567, ACCESS_READ, false));
    assert.equal(walker.result.phys, 0x4123_4567);
    assert.ok(walker.walk({ ...base, kind: 2, cr3Lo: 0x10000, pse: false }, 0x4020_1234, ACCESS_READ, false));
    assert.equal(walker.result.phys, 0x0060_1234);
    assert.ok(walker.walk({ ...base, kind: 0, cr3Lo: 0x20000, pse: true }, 0x0045_6789, ACCESS_READ, false));
    assert.equal(walker.result.phys, 0x00c5_6789);
  });

  it('CR4.PSE is ignored in long mode: 2 MiB pages work with PSE clear', () => {
    const walker = walkerWith((w) => {
      w(0x10000, 0x11000 | 7);
      w(0x11000, 0x12000 | 7);
      w(0x12000, 0x00200000 | 0x87);
    });
    const ok = walker.walk({ kind: 2, cr3Lo: 0x10000, cr3Hi: 0, pse: false, wp: false, nxe: false, pdpte: new Int32Array(8), maxPhysBits: 40 }, 0x1f_fff0, ACCESS_READ, false);
    assert.ok(ok);
    assert.equal(walker.result.phys, 0x3f_fff0);
  });
});
