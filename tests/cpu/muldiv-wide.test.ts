/**
 * 64-bit MUL/IMUL/DIV against a BigInt reference (the architectural definitions of SDM Vol. 2:
 * full 128-bit products, CF = OF = "the upper half is significant"). The interpreter computes
 * them from 32-bit partial products without BigInt; these properties cover the carries and the
 * sign corrections the fixed oracle cases may miss.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runSnippet } from '../support/snippet.js';
import { ORACLE_CODE_BASE, ORACLE_DATA_BASE } from '../support/oracle-fixture.js';

const RAX = 0, RDX = 2, RBX = 3;
const CF = 1n, OF = 0x800n;
const mask64 = (1n << 64n) - 1n;
const s64 = (v: bigint) => BigInt.asIntN(64, v);

function run(code: number[], rax: bigint, rbx: bigint, rdx = 0n) {
  const gpr = new Array<bigint>(16).fill(0n);
  gpr[RAX] = rax; gpr[RBX] = rbx; gpr[RDX] = rdx;
  return runSnippet({ mode: 64, code: Uint8Array.from(code), gpr, rflags: 0x202n, mem: new Uint8Array(16), codeBase: ORACLE_CODE_BASE, dataBase: ORACLE_DATA_BASE });
}

// Values biased towards the edges where carries and sign corrections happen.
const u64 = fc.oneof(
  fc.bigInt({ min: 0n, max: mask64 }),
  fc.constantFrom(0n, 1n, mask64, 1n << 63n, (1n << 63n) - 1n, 0xffffffffn, 1n << 32n, 0xffffffff_00000000n),
);

test('MUL r/m64: RDX:RAX = RAX * RBX, CF = OF = (RDX != 0)', () => {
  fc.assert(fc.property(u64, u64, (a, b) => {
    const r = run([0x48, 0xf7, 0xe3], a, b);
    const p = a * b;
    assert.equal(r.gpr[RAX], p & mask64);
    assert.equal(r.gpr[RDX], p >> 64n);
    assert.equal((r.rflags & (CF | OF)) !== 0n, (p >> 64n) !== 0n);
  }), { numRuns: 400 });
});

test('IMUL r/m64 (one operand): signed 128-bit product, CF = OF = (product does not fit 64 bits)', () => {
  fc.assert(fc.property(u64, u64, (a, b) => {
    const r = run([0x48, 0xf7, 0xeb], a, b);
    const p = s64(a) * s64(b);
    assert.equal(r.gpr[RAX], p & mask64);
    assert.equal(r.gpr[RDX], (p >> 64n) & mask64);
    assert.equal((r.rflags & (CF | OF)) !== 0n, p !== s64(p));
  }), { numRuns: 400 });
});

test('IMUL r64, r/m64: truncated product, CF = OF = overflow', () => {
  fc.assert(fc.property(u64, u64, (a, b) => {
    const r = run([0x48, 0x0f, 0xaf, 0xc3], a, b);
    const p = s64(a) * s64(b);
    assert.equal(r.gpr[RAX], p & mask64);
    assert.equal((r.rflags & (CF | OF)) !== 0n, p !== s64(p));
  }), { numRuns: 400 });
});

test('IMUL r/m32 (one operand): EDX:EAX, zero-extended into RAX/RDX', () => {
  const u32 = fc.oneof(fc.bigInt({ min: 0n, max: 0xffffffffn }), fc.constantFrom(0n, 1n, 0xffffffffn, 0x80000000n, 0x7fffffffn));
  fc.assert(fc.property(u32, u32, (a, b) => {
    const r = run([0xf7, 0xeb], a, b);
    const p = BigInt.asIntN(32, a) * BigInt.asIntN(32, b);
    assert.equal(r.gpr[RAX], p & 0xffffffffn);
    assert.equal(r.gpr[RDX], (p >> 32n) & 0xffffffffn);
    assert.equal((r.rflags & (CF | OF)) !== 0n, p !== BigInt.asIntN(32, p));
  }), { numRuns: 300 });
});

test('DIV r/m64 and DIV r/m32: quotient and remainder, #DE on overflow or zero', () => {
  fc.assert(fc.property(u64, u64, fc.bigInt({ min: 0n, max: mask64 }), fc.boolean(), (a, b, hi, wide) => {
    const rdx = wide ? hi % (b === 0n ? 1n : b) : 0n;
    const r = run([0x48, 0xf7, 0xf3], a, b, rdx);
    if (b === 0n) { assert.equal(r.fault?.vector, 0); return; }
    const n = (rdx << 64n) | a;
    assert.equal(r.fault, null);
    assert.equal(r.gpr[RAX], n / b);
    assert.equal(r.gpr[RDX], n % b);
  }), { numRuns: 400 });
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: 0xffffffffn }), fc.bigInt({ min: 1n, max: 0xffffffffn }), (a, b) => {
    const r = run([0xf7, 0xf3], a, b, 0n);
    assert.equal(r.gpr[RAX], a / b);
    assert.equal(r.gpr[RDX], a % b);
  }), { numRuns: 200 });
});
