/**
 * Our own versions of NetBSD's h_mem_assist and h_io_assist scenarios (written from their
 * description): small guest programs in long mode and in 16-bit real mode touch an MMIO buffer or
 * ports; every access exits to the VMM loop, the assist performs it, and at HLT the buffer and
 * registers are checked. Plus the instructions libnvmm never handled.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { guest, MMIO_BASE, realModeGuest, REAL_MMIO } from './harness.js';
import { CF, getFlags, ZF } from '../../src/cpu/exec/flags.js';

const bytes = (b: Uint8Array, at: number, n: number) => [...b.subarray(at, at + n)];
const le = (b: Uint8Array, at: number, n: number) => bytes(b, at, n).reduceRight((v, x) => v * 256n + BigInt(x), 0n);

describe('h_mem_assist (own version), long mode', () => {
  const cases: { name: string; code: string; check: (device: Uint8Array) => void }[] = [
    { name: 'MOV imm/reg of each size', code: `
        mov byte [rbx], 0x11
        mov word [rbx + 2], 0x2233
        mov dword [rbx + 4], 0x44556677
        mov rax, 0x8899aabbccddeeff
        mov [rbx + 8], rax`,
      check: (d) => assert.deepEqual(bytes(d, 0, 16), [0x11, 0, 0x33, 0x22, 0x77, 0x66, 0x55, 0x44, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88]) },
    { name: 'OR/AND/XOR read-modify-write', code: `
        mov qword [rbx], 0x0f0f
        or qword [rbx], 0xf000
        and byte [rbx], 0x3c
        xor word [rbx + 1], 0x0101`,
      check: (d) => assert.equal(le(d, 0, 8), 0x01fe0cn) },
    { name: 'SIB addressing with index and scale', code: `
        mov rcx, 3
        mov dword [rbx + rcx*8 + 4], 0x12345678
        mov r12, 2
        mov word [rbx + r12*2], 0x9abc`,
      check: (d) => { assert.equal(le(d, 28, 4), 0x12345678n); assert.equal(le(d, 4, 2), 0x9abcn); } },
    { name: 'REP STOS and LODS', code: `
        mov rdi, rbx
        mov eax, 0xa5a5a5a5
        mov rcx, 6
        rep stosd
        lea rsi, [rbx + 4]
        lodsw
        mov [rbx + 0x40], ax`,
      check: (d) => { assert.ok(bytes(d, 0, 24).every((x) => x === 0xa5)); assert.equal(le(d, 0x40, 2), 0xa5a5n); } },
    { name: 'CMPS and SCAS against MMIO', code: `
        mov dword [rbx], 1
        mov dword [rbx + 4], 2
        mov rsi, rbx
        lea rdi, [rbx + 4]
        cmpsd
        setb byte [rbx + 0x20]
        mov eax, 2
        lea rdi, [rbx + 4]
        scasd
        setz byte [rbx + 0x21]`,
      check: (d) => assert.deepEqual(bytes(d, 0x20, 2), [1, 1]) },
    { name: 'MOV moffs (A0-A3 with a 64-bit offset)', code: `
        mov al, 0x7e
        mov [qword ${MMIO_BASE + 0x30}], al
        mov eax, 0x01020304
        mov [qword ${MMIO_BASE + 0x34}], eax
        mov rax, [qword ${MMIO_BASE + 0x30}]
        mov [rbx + 0x38], rax`,
      check: (d) => assert.equal(le(d, 0x38, 8), 0x010203040000007en) },
    { name: 'XCHG and CMPXCHG (success and failure)', code: `
        mov dword [rbx], 10
        mov eax, 20
        xchg [rbx], eax
        mov [rbx + 4], eax
        mov eax, 20
        mov ecx, 30
        cmpxchg [rbx], ecx
        mov eax, 99
        cmpxchg [rbx], ecx
        mov [rbx + 8], eax`,
      check: (d) => { assert.equal(le(d, 0, 4), 30n); assert.equal(le(d, 4, 4), 10n); assert.equal(le(d, 8, 4), 30n); } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const g = guest(`mov rbx, ${MMIO_BASE}\n${c.code}\nhlt`);
      g.passBytes = c.name.includes('SIB');
      assert.ok(g.run() > 0);
      c.check(g.device);
    });
  }
});

describe('h_mem_assist (own version), 16-bit real mode', () => {
  it('MOV, OR, ADD through [bx], [bx+si+disp], [bp+di] and a moffs16', () => {
    const g = realModeGuest(`
      mov ax, ${REAL_MMIO >> 4}
      mov ds, ax
      mov ss, ax
      mov bx, 0x100
      mov si, 0x10
      mov di, 0x20
      mov bp, 0x200
      mov word [bx], 0x1234
      or byte [bx + si + 4], 0x81
      mov word [bp + di], 0x5566      ; SS-relative
      add word [bp + di], 0x0101
      mov [0x300], ax                 ; moffs16 (A3)
      mov cx, [bx]
      hlt`);
    g.passBytes = true;
    g.run();
    assert.equal(le(g.device, 0x100, 2), 0x1234n);
    assert.equal(g.device[0x114], 0x81);
    assert.equal(le(g.device, 0x220, 2), 0x5667n);
    assert.equal(le(g.device, 0x300, 2), BigInt(REAL_MMIO >> 4));
    assert.equal(g.reg(1) & 0xffffn, 0x1234n);
  });

  it('16-bit offsets wrap at 64 KiB and 32-bit addressing (67h) works in real mode', () => {
    const g = realModeGuest(`
      mov ax, ${REAL_MMIO >> 4}
      mov ds, ax
      mov bx, 0xfff0
      mov word [bx + 0x14], 0xabcd    ; wraps to offset 4
      mov ebx, 8
      mov ecx, 2
      mov dword [ebx + ecx*4], 0x11223344
      hlt`);
    g.run();
    assert.equal(le(g.device, 4, 2), 0xabcdn);
    assert.equal(le(g.device, 16, 4), 0x11223344n);
  });
});

describe('h_io_assist (own version)', () => {
  it('long mode: IN/OUT of each size, immediate and DX ports, REP OUTS/INS from and to a buffer', () => {
    const g = guest(`
      mov al, 0x12
      out 0x80, al
      mov dx, 0x3f8
      mov ax, 0x3456
      out dx, ax
      mov eax, 0x789abcde
      out dx, eax
      in al, 0x71
      mov bl, al
      in ax, dx
      mov cx, ax
      in eax, dx
      mov esi, 0x24000
      mov ecx, 4
      rep outsd
      mov edi, 0x25000
      mov ecx, 3
      rep insw
      hlt`);
    g.machine.physical.load(0x24000, new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]));
    g.portInput.push(0x9a, 0xbcde, 0xf0123456, 0x1111, 0x2222, 0x3333);
    g.run();
    assert.deepEqual(g.log.slice(0, 3), ['out1@80=12', 'out2@3f8=3456', 'out4@3f8=789abcde']);
    assert.deepEqual(g.portOutput.slice(3), [1, 2, 3, 4]);
    assert.equal(g.reg(3) & 0xffn, 0x9an);
    assert.equal(g.reg(0), 0xf0123456n, 'EAX was last written by IN EAX (INS does not touch it)');
    assert.equal(le(g.machine.physical.dump(0x25000, 6), 0, 6), 0x333322221111n);
    assert.equal(g.reg(7), 0x25006n);
  });

  it('16-bit: OUTSB/INSB with REP and DF, 16-bit counter and index wrap', () => {
    const g = realModeGuest(`
      mov ax, 0x2000
      mov ds, ax
      mov es, ax
      mov dx, 0xe9
      mov si, 0x102
      std
      mov cx, 3
      rep outsb
      cld
      mov di, 0xfffe
      mov cx, 3
      rep insb
      hlt`);
    g.machine.physical.load(0x20100, new Uint8Array([0x41, 0x42, 0x43]));
    g.portInput.push(7, 8, 9);
    g.run();
    assert.deepEqual(g.portOutput, [0x43, 0x42, 0x41]);
    assert.equal(g.reg(6) & 0xffffn, 0xffn);
    assert.deepEqual([...g.machine.physical.dump(0x2fffe, 2)], [7, 8]);
    assert.equal(g.machine.physical.read(0x20000, 1), 9, 'DI wrapped to 0 within ES');
    assert.equal(g.reg(7) & 0xffffn, 1n);
  });
});

describe('beyond libnvmm', () => {
  it('ADD/ADC/SBB/INC/DEC/NEG/NOT on MMIO with exact flags', () => {
    const g = guest(`
      mov rbx, ${MMIO_BASE}
      mov dword [rbx], 0xffffffff
      add dword [rbx], 1          ; 0, CF=1
      adc dword [rbx + 4], 5      ; 6
      stc
      sbb dword [rbx + 4], 1      ; 4
      inc byte [rbx + 8]          ; 1
      dec word [rbx + 10]         ; 0xffff
      neg dword [rbx + 12]        ; 0 stays 0 (CF=0)
      mov dword [rbx + 16], 0x0f0f0f0f
      not dword [rbx + 16]
      hlt`);
    g.run();
    assert.equal(le(g.device, 0, 4), 0n);
    assert.equal(le(g.device, 4, 4), 4n);
    assert.equal(g.device[8], 1);
    assert.equal(le(g.device, 10, 2), 0xffffn);
    assert.equal(le(g.device, 16, 4), 0xf0f0f0f0n);
    const flags = getFlags(g.cpu.s);
    assert.equal(flags & CF, 0);
    assert.equal(flags & ZF, ZF);
  });

  it('BT/BTS/BTR/BTC with a register bit offset beyond the operand, SETcc to memory', () => {
    const g = guest(`
      mov rbx, ${MMIO_BASE}
      mov ecx, 35
      bts dword [rbx], ecx        ; sets bit 3 of the dword at +4
      bt dword [rbx], ecx
      setc byte [rbx + 0x10]
      btc word [rbx + 4], 3       ; clears it again
      setc byte [rbx + 0x11]
      bts qword [rbx], 63
      btr qword [rbx], 63
      setc byte [rbx + 0x12]
      hlt`);
    g.wholeWindowIsMmio = true;
    g.run();
    assert.equal(le(g.device, 0, 8), 0n);
    assert.deepEqual(bytes(g.device, 0x10, 3), [1, 1, 1]);
  });

  it('PUSH m and POP m with the stack in guest RAM', () => {
    const g = guest(`
      mov rbx, ${MMIO_BASE}
      mov rax, 0x1234567890
      mov [rbx], rax
      push qword [rbx]
      pop qword [rbx + 8]
      push 0x55
      pop word [rbx + 16]
      hlt`);
    g.run();
    assert.equal(le(g.device, 8, 8), 0x1234567890n);
    assert.equal(le(g.device, 16, 2), 0x55n);
    assert.equal(g.reg(4), 0x8000n - 6n);
  });

  it('32-bit protected mode addressing and an a32 access in 64-bit mode', () => {
    const g32 = guest(`
      mov ebx, ${MMIO_BASE}
      mov ecx, 4
      mov dword [ebx + ecx*2 + 0x10], 0xfeedface
      hlt`, 32);
    g32.run();
    assert.equal(le(g32.device, 0x18, 4), 0xfeedfacen);
    const g64 = guest(`
      mov rbx, 0xffffffff00000000 | ${MMIO_BASE + 0x40}
      mov dword [ebx], 0xc0ffee
      hlt`);
    g64.run();
    assert.equal(le(g64.device, 0x40, 4), 0xc0ffeen);
  });

  it('accesses crossing an MMIO page boundary are split and go to both pages', () => {
    const g = guest(`
      mov rbx, ${MMIO_BASE + 0xffc}
      mov rax, 0x1122334455667788
      mov [rbx], rax
      mov rcx, [rbx + 2]
      hlt`);
    g.wholeWindowIsMmio = true;
    g.run();
    assert.equal(le(g.device, 0xffc, 8), 0x1122334455667788n);
    assert.equal(g.reg(1), 0x0000112233445566n);
    assert.ok(g.log.includes('w4@ffc=55667788') && g.log.includes('w4@1000=11223344'), g.log.join(' '));
  });
});
