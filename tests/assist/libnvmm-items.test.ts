/**
 * Seed nvmm-libnvmm-assist-changelog.txt, through the standalone assist: each item NetBSD's libnvmm
 * had to fix is a named test. The guest runs on an x86vm vCPU until it touches the trap window; the
 * assist then performs the instruction against a callback buffer and the VMM loop resumes the guest.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { guest, mapPage, MMIO_BASE, realModeGuest, REAL_MMIO } from './harness.js';
import { I_CR, I_RFLAGS } from '../../src/cpu/state/cpu-state.js';
import { setSegmentCache } from '../../src/cpu/exec/segment.js';

const dword = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

describe('libnvmm changelog items, through emulateMmioAccess / emulatePortIo', () => {
  it('decodes SUB from the primary map, CMP from group 1 and TEST from group 3', () => {
    const g = guest(`
      mov rbx, ${MMIO_BASE}
      mov dword [rbx], 100
      mov eax, 250
      sub eax, [rbx]          ; 2B /r
      sub dword [rbx], 1      ; 83 /5
      cmp dword [rbx], 99     ; 83 /7
      setz cl
      test dword [rbx], 4     ; F7 /0
      setz dl
      hlt`);
    g.passBytes = true;
    assert.equal(g.run(), 5);
    assert.equal(g.reg(0), 150n);
    assert.equal(g.reg(1) & 0xffn, 1n);
    assert.equal(g.reg(2) & 0xffn, 1n); // 99 & 4 == 0
    assert.equal(dword(g.device, 0), 99);
    const names = g.results.map((r) => (r.status === 'done' ? r.mnemonic.split(' ')[0] : '?'));
    assert.deepEqual(names, ['mov', 'sub', 'sub', 'cmp', 'test']);
  });

  it('an instruction that implicitly reads its register operand, with the memory operand as source: or rax, [rbx]', () => {
    const g = guest(`
      mov rbx, ${MMIO_BASE}
      mov rax, 0x0f00000000000001
      mov qword [rbx], 0x30
      or rax, [rbx]
      and rcx, [rbx]
      hlt`);
    g.device.fill(0);
    g.cpu.state.setGpr(1, 0xffn);
    g.run();
    assert.equal(g.reg(0), 0x0f00000000000031n);
    assert.equal(g.reg(1), 0x30n);
  });

  it('PAE paging with a CR3 that is 32-byte aligned but not page aligned', () => {
    const g = guest(`
      mov ebx, 0x400000
      mov dword [ebx + 8], 0xcafe
      mov eax, [ebx + 8]
      hlt`, 32);
    const mem = g.machine.physical;
    const entry = (at: number, value: number) => { mem.write(at, 4, value); mem.write(at + 4, 4, 0); };
    mem.load(0x5000, new Uint8Array(0x5000));
    // A decoy PDPT at the page-aligned address: with CR3 & ~0xfff the walk would find nothing.
    entry(0x5020, 0x6000 | 1);
    entry(0x6000, 0x7000 | 3); // 0..2 MiB
    for (let i = 0; i < 512; i++) entry(0x7000 + i * 8, (i * 0x1000) | 3);
    entry(0x6000 + 2 * 8, 0x8000 | 3); // 4 MiB.. → the MMIO page
    entry(0x8000, MMIO_BASE | 3);
    const s = g.cpu.s;
    s[I_CR + 8] = 1 << 5; // CR4.PAE
    s[I_CR + 6] = 0x5020;
    s[I_CR] = s[I_CR]! | 0x80000000;
    g.cpu.updatePaging();
    g.run(); // the assist fetches the instruction through the PAE tables and reads the PDPTEs at CR3
    assert.equal(dword(g.device, 8), 0xcafe);
    assert.equal(g.reg(0), 0xcafen);
    assert.ok(g.results.every((r) => r.status === 'done' && r.state.cr3 === 0x5020n));
  });

  it('MOVZX with a 32-bit operand size combines its zero-extension with long mode\'s (bits 63:32 cleared)', () => {
    const g = guest(`
      mov rbx, ${MMIO_BASE}
      mov word [rbx], 0xbeef
      mov rax, -1
      movzx eax, word [rbx]
      mov rcx, -1
      movzx ecx, byte [rbx]
      mov rdx, -1
      movzx dx, byte [rbx + 1]
      mov rsi, -1
      movsx esi, byte [rbx]
      hlt`);
    g.run();
    assert.equal(g.reg(0), 0xbeefn);
    assert.equal(g.reg(1), 0xefn);
    assert.equal(g.reg(2), 0xffffffffffff00ben);
    assert.equal(g.reg(6), 0xffffffefn);
  });

  it('sign-extends immediates and displacements in 64-bit mode', () => {
    const g = guest(`
      mov rbx, ${MMIO_BASE + 0x1000}
      mov qword [rbx - 8], -2           ; disp8 -8, imm32 sign-extended to 64 bits
      mov rax, [rbx + -8]
      mov rcx, 0x1000
      mov rdx, [rbx + rcx*1 - 0x1008]   ; negative disp32
      or qword [rbx - 16], -128         ; group 1 imm8 sign-extended
      hlt`);
    g.wholeWindowIsMmio = true;
    g.run();
    assert.equal(g.reg(0), 0xfffffffffffffffen);
    assert.equal(g.reg(2), 0xfffffffffffffffen);
    assert.ok(g.log.includes('w4@ff8=fffffffe') && g.log.includes('w4@ffc=ffffffff'), g.log.join(' '));
    assert.equal(dword(g.device, 0xff0), 0xffffff80);
    assert.equal(dword(g.device, 0xff4), 0xffffffff);
  });

  it('batches REP INS: one exit, one guest-RAM write per page, RDI/RCX at the end', () => {
    const g = guest(`
      mov dx, 0x60
      mov rdi, 0x20f80
      mov rcx, 300
      cld
      rep insb
      hlt`);
    for (let i = 0; i < 300; i++) g.portInput.push(i & 0xff);
    assert.equal(g.run(), 1);
    assert.equal(g.reg(1), 0n);
    assert.equal(g.reg(7), 0x20f80n + 300n);
    const data = g.machine.physical.dump(0x20f80, 300);
    assert.ok(data.every((b, i) => b === (i & 0xff)));
    assert.equal(g.log.filter((e) => e === 'in1@60').length, 300);
    const dataWrites = g.calls.writes.filter(([gpa]) => gpa >= 0x20000 && gpa < 0x22000);
    assert.deepEqual(dataWrites, [[0x20f80, 0x80], [0x21000, 300 - 0x80]], 'two pages: two batched writes');
  });

  it('batches REP OUTS and stops after a batch when more iterations remain (the guest re-executes)', () => {
    const g = guest(`
      mov dx, 0x3f8
      mov rsi, 0x21000
      mov rcx, 5000
      rep outsw
      hlt`);
    const words = new Uint8Array(10000);
    for (let i = 0; i < 5000; i++) { words[2 * i] = i & 0xff; words[2 * i + 1] = i >> 8; }
    g.machine.physical.load(0x21000, words);
    assert.equal(g.run(), 2, 'a batch of 4096 iterations, then the rest');
    const first = g.results[0]!;
    assert.ok(first.status === 'done' && first.incomplete && !first.changed.includes('rip'));
    assert.equal(first.state.gprs[1], 5000n - 4096n);
    assert.deepEqual(g.portOutput, Array.from({ length: 5000 }, (_, i) => i));
    assert.equal(g.reg(6), 0x21000n + 10000n);
    assert.equal(g.reg(1), 0n);
  });

  it('OUTS honours a segment override (64-bit FS, 16-bit ES)', () => {
    const g = guest(`
      mov dx, 0x80
      mov rsi, 0x10
      fs outsb
      outsb
      hlt`);
    setSegmentCache(g.cpu, 4, 0, 0x22000, 0xffffffff, 0xc093);
    g.machine.physical.write(0x22010, 1, 0x5a);
    g.machine.physical.write(0x11, 1, 0x11);
    g.run();
    assert.deepEqual(g.portOutput, [0x5a, 0x11]);
    assert.equal(g.reg(6), 0x12n);

    const r = realModeGuest(`
      mov ax, 0x2000
      mov es, ax
      mov ax, 0x3000
      mov ds, ax
      mov si, 0x10
      mov dx, 0x81
      es outsb
      outsb
      hlt`);
    r.machine.physical.write(0x20010, 1, 0x77);
    r.machine.physical.write(0x30011, 1, 0x33);
    r.run();
    assert.deepEqual(r.portOutput, [0x77, 0x33]);
  });

  it('INS writes ES:rDI (not rSI) and updates rDI even without REP', () => {
    const r = realModeGuest(`
      mov ax, 0x2000
      mov es, ax
      mov ax, 0x3000
      mov ds, ax
      mov di, 0x40
      mov si, 0x50
      mov dx, 0x61
      insb
      std
      insw
      hlt`);
    r.portInput.push(0xab, 0x1234);
    r.run();
    assert.equal(r.machine.physical.read(0x20040, 1), 0xab);
    assert.equal(r.machine.physical.read(0x20041, 2), 0x1234);
    assert.equal(r.machine.physical.read(0x30050, 1), 0);
    assert.equal(r.reg(7) & 0xffffn, 0x3fn);
    assert.equal(r.reg(6) & 0xffffn, 0x50n);

    const g = guest(`
      mov dx, 0x62
      mov rdi, 0x23000
      insd
      hlt`);
    g.portInput.push(0xdeadbeef);
    g.run();
    assert.equal(g.machine.physical.read(0x23000, 4), 0xdeadbeef);
    assert.equal(g.reg(7), 0x23004n);
  });

  it('MOVS with both operands in MMIO', () => {
    const g = guest(`
      mov rsi, ${MMIO_BASE + 0x100}
      mov rdi, ${MMIO_BASE + 0x2000}
      mov rcx, 4
      rep movsd
      movsb
      hlt`);
    g.wholeWindowIsMmio = true;
    for (let i = 0; i < 17; i++) g.device[0x100 + i] = 0x40 + i;
    g.run();
    assert.deepEqual([...g.device.subarray(0x2000, 0x2011)], [...g.device.subarray(0x100, 0x111)]);
    assert.deepEqual(g.log.slice(0, 4), ['r4@100', 'w4@2000=43424140', 'r4@104', 'w4@2004=47464544']);
    assert.equal(g.reg(6), BigInt(MMIO_BASE + 0x111));
    assert.equal(g.reg(7), BigInt(MMIO_BASE + 0x2011));
  });

  it('translates an access that crosses from a RAM page into an MMIO page (two translations)', () => {
    const g = guest(`
      mov rbx, 0x600ffe
      mov dword [rbx], 0xaabbccdd
      mov eax, [rbx]
      hlt`);
    mapPage(g, 0x600000, 0x150000);
    mapPage(g, 0x601000, MMIO_BASE);
    g.run();
    assert.equal(g.machine.physical.read(0x150ffe, 2), 0xccdd);
    assert.equal(g.device[0], 0xbb);
    assert.equal(g.device[1], 0xaa);
    assert.equal(g.reg(0), 0xaabbccddn);
  });

  it('large pages add the low bits of the linear address (2 MiB and 1 GiB pages)', () => {
    const g = guest(`
      mov rbx, 0x40001234
      mov dword [rbx], 0x11223344
      mov rcx, 0x90002010
      mov word [rcx], 0x5566
      hlt`);
    mapPage(g, 0x40000000, MMIO_BASE, 0x200000);
    mapPage(g, 0x80000000, 0xc0000000, 0x40000000);
    g.wholeWindowIsMmio = true;
    g.run();
    assert.equal(dword(g.device, 0x1234), 0x11223344);
    assert.equal(g.device[0x2010]! | (g.device[0x2011]! << 8), 0x5566);
  });

  it('CR4.PSE is ignored in long mode: large pages work with it clear', () => {
    const g = guest(`
      mov rbx, 0x40000010
      add dword [rbx], 5
      hlt`);
    mapPage(g, 0x40000000, MMIO_BASE, 0x200000);
    assert.equal(g.cpu.s[I_CR + 8]! & (1 << 4), 0, 'CR4.PSE is clear');
    g.device[0x10] = 37;
    g.run();
    assert.equal(g.device[0x10], 42);
    const r = g.results[0]!;
    assert.ok(r.status === 'done' && (r.state.cr4 & 0x10n) === 0n);
  });

  it('16-bit: the same items in real mode (SUB/CMP/TEST, MOVZX, REP MOVSB both MMIO)', () => {
    const g = realModeGuest(`
      mov ax, ${REAL_MMIO >> 4}
      mov ds, ax
      mov es, ax
      mov word [0x10], 300
      mov cx, 1000
      sub cx, [0x10]
      cmp byte [0x10], 44
      setz bl
      test word [0x10], 0x100
      setnz bh
      movzx edx, byte [0x11]
      mov si, 0x10
      mov di, 0x1010
      mov cx, 2
      rep movsb
      hlt`);
    g.wholeWindowIsMmio = true;
    g.run();
    assert.equal(g.reg(1) & 0xffffn, 0n);
    assert.equal(g.reg(3) & 0xffffn, 0x0101n);
    assert.equal(g.reg(2), 1n);
    assert.equal(g.device[0x1010]! | (g.device[0x1011]! << 8), 300);
    assert.equal(g.cpu.s[I_RFLAGS]! & 0x400, 0);
  });
});
