/**
 * Targeted decoder cases: prefix handling, operand/address-size rules of 64-bit mode, displacement
 * and immediate extension, the 15-byte limit, LOCK and VEX validity, and opcode-map coverage.
 * References are to the Intel SDM Vol. 2 unless noted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder, DecodeMode, VEC_GP, VEC_UD } from '../../src/cpu/decode/decoder.js';
import { OpcodeIndex } from '../../src/cpu/decode/compile.js';
import { ALL_ROWS } from '../../src/cpu/decode/maps/index.js';
import { EXEC_NAMES } from '../../src/cpu/decode/generated/exec-names.js';
import { OpKind, type Handler, type Instr } from '../../src/cpu/decode/instr.js';
import { disassemble, fullDecoder } from '../../src/cpu/decode/disassembler.js';
import { ALL_DECODER_FEATURES, DEFAULT_FEATURES } from '../../src/cpu/cpuid.js';

const decoder = fullDecoder();
const hex = (s: string) => s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16));

function decode(bytes: string | number[], mode = DecodeMode.Long64, using: Decoder = decoder): Instr {
  const b = typeof bytes === 'string' ? hex(bytes) : bytes;
  return using.decode((i) => b[i] ?? 0, mode);
}
function text(bytes: string, mode = DecodeMode.Long64, address = 0): string {
  return disassemble(decode(bytes, mode), address);
}
const ALL_MODES = [DecodeMode.Real, DecodeMode.V86, DecodeMode.Prot16, DecodeMode.Prot32, DecodeMode.Long64];

describe('prefixes', () => {
  it('accepts legacy prefixes in any order and repeated', () => {
    const a = decode('66 67 2e f3 a5', DecodeMode.Prot32);
    const b = decode('f3 2e 67 66 66 67 a5', DecodeMode.Prot32);
    for (const ins of [a, b]) {
      assert.equal(ins.fault, -1);
      assert.equal(ins.opSize, 2);
      assert.equal(ins.addrSize, 2);
      assert.equal(ins.seg, 1);
    }
    assert.equal(a.len, 5);
    assert.equal(b.len, 7);
    assert.equal(disassemble(a, 0), 'rep movs WORD PTR es:[di],WORD PTR cs:[si]');
  });

  it('ignores a REX that is followed by a legacy prefix (2.2.1)', () => {
    const ins = decode('48 66 01 c0');
    assert.equal(ins.len, 4);
    assert.equal(ins.opSize, 2);
    assert.equal(disassemble(ins, 0), 'add ax,ax');
    assert.equal(text('41 66 01 c0'), 'add ax,ax'); // REX.B dropped too
  });

  it('uses only the last of several REX prefixes', () => {
    assert.equal(text('48 41 01 c0'), 'add r8d,eax');
  });

  it('lets REX.W win over 66 (2.2.1.2)', () => {
    const ins = decode('66 48 01 c0');
    assert.equal(ins.opSize, 8);
    assert.equal(disassemble(ins, 0), 'add rax,rax');
  });

  it('keeps an FS/GS override when an ignored ES/CS/SS/DS override follows in 64-bit mode', () => {
    assert.equal(text('65 26 8b 00'), 'mov eax,DWORD PTR gs:[rax]');
    assert.equal(text('2e 8b 00'), 'mov eax,DWORD PTR [rax]');
    assert.equal(text('26 65 8b 00'), 'mov eax,DWORD PTR gs:[rax]');
    assert.equal(text('65 26 8b 00', DecodeMode.Prot32), 'mov eax,DWORD PTR es:[eax]');
  });

  it('selects SSE rows by the last F2/F3 and treats 66 as operand size for CRC32', () => {
    assert.equal(text('66 f2 0f 38 f1 c1'), 'crc32 eax,cx');
    assert.equal(text('f2 66 0f 38 f1 c1'), 'crc32 eax,cx');
    assert.equal(text('f2 48 0f 38 f1 c1'), 'crc32 rax,rcx');
    assert.equal(text('f2 0f 38 f0 c1'), 'crc32 eax,cl');
    assert.equal(text('0f 38 f0 00'), 'movbe eax,DWORD PTR [rax]');
    assert.equal(text('66 0f 38 f1 00'), 'movbe WORD PTR [rax],ax');
    assert.equal(decode('0f 38 f0 c0').fault, VEC_UD); // MOVBE has no register form
    assert.equal(text('f3 0f 58 c1'), 'addss xmm0,xmm1');
    assert.equal(text('66 0f 58 c1'), 'addpd xmm0,xmm1');
    assert.equal(text('66 f2 0f 58 c1'), 'addsd xmm0,xmm1');
    assert.equal(decode('f3 0f 60 c1').fault, VEC_UD); // no F3 form of PUNPCKLBW
  });
});

describe('64-bit mode operand and address size', () => {
  it('defaults push/pop to 64 bits, 66 gives 16 (d64)', () => {
    assert.equal(decode('50').opSize, 8);
    assert.equal(text('50'), 'push rax');
    assert.equal(text('66 50'), 'push ax');
    assert.equal(text('41 5f'), 'pop r15');
    assert.equal(text('ff 30'), 'push QWORD PTR [rax]');
  });

  it('forces near branches to 64 bits and ignores 66 on them (f64, Intel 64)', () => {
    const ins = decode('66 e8 00 01 00 00');
    assert.equal(ins.len, 6);
    assert.equal(ins.opSize, 8);
    assert.equal(disassemble(ins, 0x1000), 'call 0x1106');
    assert.equal(decode('66 0f 84 00 01 00 00').len, 7);
    assert.equal(text('eb fe', DecodeMode.Long64, 0x2000), 'jmp 0x2000');
    assert.equal(text('ff e0'), 'jmp rax');
  });

  it('uses 32-bit addresses with 67', () => {
    const ins = decode('67 8b 00');
    assert.equal(ins.addrSize, 4);
    assert.equal(disassemble(ins, 0), 'mov eax,DWORD PTR [eax]');
    assert.equal(text('67 8b 05 10 00 00 00'), 'mov eax,DWORD PTR [eip+0x10]');
  });

  it('decodes RIP-relative addressing (2.2.1.6), but not with a SIB', () => {
    const ins = decode('8b 05 f0 ff ff ff');
    assert.equal(ins.base, 16);
    assert.equal(ins.disp, -16);
    assert.equal(ins.len, 6);
    assert.equal(disassemble(ins, 0), 'mov eax,DWORD PTR [rip-0x10]');
    assert.equal(text('8b 04 25 10 00 00 00'), 'mov eax,DWORD PTR ds:0x10');
    assert.equal(text('8b 05 10 00 00 00', DecodeMode.Prot32), 'mov eax,DWORD PTR ds:0x10');
  });

  it('sign-extends disp8 and disp32 to 64 bits', () => {
    const d8 = decode('8b 40 f0');
    assert.equal(d8.disp, -16);
    assert.equal(d8.dispHi, -1);
    const d32 = decode('8b 80 00 00 00 80');
    assert.equal(d32.disp, -0x80000000);
    assert.equal(d32.dispHi, -1);
    assert.equal(decode('8b 80 00 00 00 7f').dispHi, 0);
  });

  it('reads a 64-bit moffs', () => {
    const ins = decode('48 a1 88 77 66 55 44 33 22 11');
    assert.equal(ins.len, 10);
    assert.equal(ins.disp, 0x55667788);
    assert.equal(ins.dispHi, 0x11223344);
    assert.equal(disassemble(ins, 0), 'mov rax,ds:0x1122334455667788');
    assert.equal(decode('67 a1 88 77 66 55').len, 6); // 32-bit moffs with 67
  });

  it('sign-extends Iz to 64 bits and reads a full imm64 only for B8+r', () => {
    const ins = decode('48 05 00 00 00 80');
    assert.equal(ins.len, 6);
    assert.equal(ins.immLo, -0x80000000);
    assert.equal(ins.immHi, -1);
    assert.equal(disassemble(ins, 0), 'add rax,0xffffffff80000000');
    assert.equal(decode('48 b8 01 02 03 04 05 06 07 08').len, 10);
    assert.equal(text('48 83 c0 ff'), 'add rax,0xffffffffffffffff');
    assert.equal(text('6a ff'), 'push 0xffffffffffffffff');
  });

  it('names byte registers by REX: AH..BH without, SPL..DIL and r8b with', () => {
    assert.equal(text('88 e0'), 'mov al,ah');
    assert.equal(text('40 88 e0'), 'mov al,spl');
    assert.equal(text('45 88 c8'), 'mov r8b,r9b');
    assert.equal(text('66 45 89 c8'), 'mov r8w,r9w');
  });
});

describe('limits and invalid encodings', () => {
  it('accepts exactly 15 bytes and raises #GP(0) beyond (2.3.11)', () => {
    const ok = decode([...new Array(14).fill(0x66), 0x90]);
    assert.equal(ok.fault, -1);
    assert.equal(ok.len, 15);
    const tooLong = decode([...new Array(15).fill(0x66), 0x90]);
    assert.equal(tooLong.fault, VEC_GP);
    assert.equal(tooLong.len, 15);
    assert.equal(decode(new Array(16).fill(0x66)).fault, VEC_GP);
    // Long because of the operands, not the prefixes.
    assert.equal(decode('26 f0 2e 3e 36 64 81 84 80 00 00 00 00 00 00 00 00', DecodeMode.Prot32).fault, VEC_GP);
  });

  it('raises #UD for LOCK on a non-lockable instruction or with a register destination', () => {
    assert.equal(decode('f0 8b 00').fault, VEC_UD);
    assert.equal(decode('f0 01 c0').fault, VEC_UD);
    assert.equal(decode('f0 90').fault, VEC_UD);
    assert.equal(decode('f0 01 00').fault, -1);
    assert.equal(text('f0 0f c7 0e'), 'lock cmpxchg8b QWORD PTR [rsi]');
    assert.equal(decode('f0 01 c0').len, 3);
  });

  it('treats C4/C5 as VEX (#UD) in 64-bit mode, as LES/LDS in real mode', () => {
    assert.equal(decode('c5 f8 77').fault, VEC_UD);
    assert.equal(decode('c4 e2 79 00 c1').fault, VEC_UD);
    assert.equal(text('c4 07', DecodeMode.Real), 'les ax,DWORD PTR [bx]');
    assert.equal(text('c5 c0', DecodeMode.Real), '(bad)'); // register form: #UD, not VEX, in real mode
    assert.equal(decode('c5 c0', DecodeMode.Real).fault, VEC_UD);
    assert.equal(text('c5 07', DecodeMode.Prot32), 'lds eax,FWORD PTR [edi]');
    assert.equal(decode('c5 c0', DecodeMode.Prot32).fault, VEC_UD);
  });

  it('distinguishes 90 (NOP), 41 90 (XCHG r8d,eax) and F3 90 (PAUSE)', () => {
    assert.equal(text('90'), 'nop');
    assert.equal(text('41 90'), 'xchg r8d,eax');
    assert.equal(text('49 90'), 'xchg r8,rax');
    assert.equal(text('f3 90'), 'pause');
    assert.equal(text('66 90'), 'nop');
  });

  it('ignores ModRM.mod for MOV to/from CRn/DRn (no displacement)', () => {
    const ins = decode('0f 20 5c');
    assert.equal(ins.len, 3);
    assert.equal(disassemble(ins, 0), 'mov rsp,cr3');
    assert.equal(decode('0f 22 80', DecodeMode.Prot32).len, 3);
  });

  it('consumes the immediate of an invalid prefix form (0F 70-73, 0F 3A)', () => {
    assert.equal(decode('f3 0f 71 d0 05').fault, VEC_UD);
    assert.equal(decode('f3 0f 71 d0 05').len, 5);
    assert.equal(decode('0f 3a ff 00 05').len, 5);
    assert.equal(decode('0f 38 ff 40 05').len, 5);
  });

  it('rejects rows whose CPUID feature the model lacks', () => {
    const noop: Handler = () => {};
    // A model without SSE: MOVAPS (0F 28, an 'sse' row) must be #UD, with its full length.
    const withoutSse = new Set([...DEFAULT_FEATURES.decoderFeatures].filter((f) => f !== 'sse'));
    const base = new Decoder(new OpcodeIndex(ALL_ROWS), EXEC_NAMES.map(() => noop), noop, withoutSse);
    assert.equal(decode('0f 28 c1', DecodeMode.Long64, base).fault, VEC_UD);
    assert.equal(decode('0f 28 c1', DecodeMode.Long64, base).len, 3);
    assert.equal(decode('0f 28 c1').fault, -1);
    assert.ok(ALL_DECODER_FEATURES.has('sse42'));
  });
});

describe('maps', () => {
  it('decodes every byte of the one-byte map without throwing, in every mode', () => {
    const tails = [[0x00, 0, 0, 0, 0, 0, 0, 0], [0xc0, 1, 2, 3, 4, 5, 6, 7], [0x84, 0x88, 1, 2, 3, 4, 5, 6], [0x05, 0xff, 0xff, 0xff, 0x7f, 1, 2, 3]];
    for (const mode of ALL_MODES) {
      for (let op = 0; op < 256; op++) {
        for (const tail of tails) {
          for (const esc of [[], [0x0f], [0x0f, 0x38], [0x0f, 0x3a], [0x66, 0x0f], [0xf3, 0x0f], [0xf2, 0x0f]]) {
            const bytes = [...esc, op, ...tail];
            const ins = decode(bytes, mode);
            assert.ok(ins.len >= 1 && ins.len <= 15, `${bytes} mode ${mode}`);
            assert.equal(typeof disassemble(ins, 0), 'string');
          }
        }
      }
    }
  });

  it('gives every x87 ModRM its length; reserved register forms are #UD', () => {
    for (let esc = 0xd8; esc <= 0xdf; esc++) {
      for (let modrm = 0; modrm < 256; modrm++) {
        const ins = decode([esc, modrm, 0, 0, 0, 0, 0], DecodeMode.Prot32);
        const mod = modrm >> 6, rm = modrm & 7;
        const expected = 2 + (mod === 3 ? 0 : (rm === 4 ? 1 : 0) + (mod === 1 ? 1 : mod === 2 || (mod === 0 && rm === 5) ? 4 : 0));
        assert.equal(ins.len, expected, `${esc.toString(16)} ${modrm.toString(16)}`);
      }
    }
    assert.equal(text('d9 e8'), 'fld1');
    assert.equal(text('d8 c1'), 'fadd st,st(1)');
    assert.equal(text('dc c1'), 'fadd st(1),st');
    assert.equal(text('de f9'), 'fdivp st(1),st');
    assert.equal(text('db 28'), 'fld TBYTE PTR [rax]');
    assert.equal(text('dd 30'), 'fnsave [rax]');
    assert.equal(text('df e0'), 'fnstsw ax');
    assert.equal(decode('d9 d1').fault, VEC_UD);
    assert.equal(decode('d9 08').fault, VEC_UD);
    assert.equal(decode('d9 08').len, 2);
  });

  it('decodes SSE, SSSE3 and SSE4 operands and group 15', () => {
    assert.equal(text('66 0f 38 00 c1'), 'pshufb xmm0,xmm1');
    assert.equal(text('0f 38 00 c1'), 'pshufb mm0,mm1');
    assert.equal(text('66 0f 3a 0f c1 08'), 'palignr xmm0,xmm1,0x8');
    assert.equal(text('66 48 0f 3a 16 c0 01'), 'pextrq rax,xmm0,0x1');
    assert.equal(text('66 0f 3a 63 c1 0d'), 'pcmpistri xmm0,xmm1,0xd');
    assert.equal(text('66 0f 38 10 c1'), 'pblendvb xmm0,xmm1,xmm0');
    assert.equal(text('66 44 0f 6f 00'), 'movdqa xmm8,XMMWORD PTR [rax]');
    assert.equal(text('66 48 0f 6e c0'), 'movq xmm0,rax');
    assert.equal(text('0f 71 d0 05'), 'psrlw mm0,0x5');
    assert.equal(text('66 0f 73 f8 04'), 'pslldq xmm0,0x4');
    assert.equal(text('0f ae 00'), 'fxsave [rax]');
    assert.equal(text('48 0f ae 08'), 'fxrstor64 [rax]');
    assert.equal(text('0f ae 10'), 'ldmxcsr DWORD PTR [rax]');
    assert.equal(text('0f ae e8'), 'lfence');
    assert.equal(text('0f ae f0'), 'mfence');
    assert.equal(text('0f ae f8'), 'sfence');
    assert.equal(text('0f ae 38'), 'clflush BYTE PTR [rax]');
    assert.equal(text('f3 48 0f ae c0'), 'rdfsbase rax');
    assert.equal(decode('f3 0f ae c0', DecodeMode.Prot32).fault, VEC_UD); // 64-bit only
    assert.equal(text('0f c3 00'), 'movnti DWORD PTR [rax],eax');
    assert.equal(decode('0f 0f c1 9e').fault, VEC_UD); // 3DNow!
  });
});
