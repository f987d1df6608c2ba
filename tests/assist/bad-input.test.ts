/**
 * The assist never throws: malformed input, instructions that cannot be the cause of the exit,
 * guest faults and failing callbacks all come back as results.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { guest, MMIO_BASE } from './harness.js';
import {
  emulateMmioAccess, emulatePortIo, saveVcpuState, InstructionAssist, type AssistResult, type VcpuState,
} from '../../src/index.js';

/** A long-mode snapshot of a vCPU about to execute at 0x10000, and the guest's callbacks. */
function setup() {
  const g = guest('hlt');
  const state = saveVcpuState(g.cpu);
  state.gprs[3] = BigInt(MMIO_BASE);
  return { g, state, cb: g.callbacks() };
}

const mmio = (state: VcpuState, bytes: number[], cb: ReturnType<typeof setup>['cb'], gpa = MMIO_BASE): AssistResult =>
  emulateMmioAccess(state, { gpa, instructionBytes: new Uint8Array(bytes) }, cb);

describe('assist: bad input and faults', () => {
  it('truncated instruction bytes are an error result', () => {
    const { state, cb } = setup();
    const r = mmio(state, [0x48, 0x8b], cb); // mov rax, [rbx] needs a ModRM byte
    assert.equal(r.status, 'error');
    assert.equal(r.status === 'error' && r.reason, 'truncated-instruction');
    const r2 = mmio(state, [0xc7, 0x03, 0x01, 0x00], cb); // mov dword [rbx], imm32 cut short
    assert.equal(r2.status === 'error' && r2.reason, 'truncated-instruction');
  });

  it('instructions that cannot access memory are rejected (register MOV, NOP, LEA)', () => {
    const { state, cb } = setup();
    for (const bytes of [[0x89, 0xd8], [0x90], [0x48, 0x8d, 0x03], [0x0f, 0x1f, 0x00]]) {
      const r = mmio(state, bytes, cb);
      assert.equal(r.status === 'error' && r.reason, 'not-a-memory-instruction', bytes.join(','));
    }
  });

  it('a non-canonical address is #GP(0), or #SS(0) through RSP/RBP', () => {
    const { state, cb } = setup();
    state.gprs[3] = 0x8000000000000000n;
    const r = mmio(state, [0x48, 0x8b, 0x03], cb); // mov rax, [rbx]
    assert.deepEqual(r.status === 'fault' && [r.vector, r.errorCode], [13, 0]);
    assert.ok(r.status === 'fault' && r.state.rip === state.rip);
    state.gprs[5] = 0x0000900000000000n;
    const r2 = mmio(state, [0x48, 0x8b, 0x45, 0x00], cb); // mov rax, [rbp]
    assert.deepEqual(r2.status === 'fault' && [r2.vector, r2.errorCode], [12, 0]);
  });

  it('a non-canonical RIP without instruction bytes is #GP(0)', () => {
    const { state, cb } = setup();
    state.rip = 0x0000800000000000n;
    const r = emulateMmioAccess(state, { gpa: MMIO_BASE }, cb);
    assert.deepEqual(r.status === 'fault' && [r.vector, r.errorCode], [13, 0]);
  });

  it('an unmapped linear address is #PF with the error code and CR2', () => {
    const { state, cb } = setup();
    state.gprs[3] = 0x7000000000n;
    const r = mmio(state, [0x89, 0x03], cb); // mov [rbx], eax
    assert.equal(r.status, 'fault');
    if (r.status !== 'fault') return;
    assert.equal(r.vector, 14);
    assert.equal(r.errorCode, 0x2); // not present, write, supervisor
    assert.equal(r.cr2, 0x7000000000n);
    assert.equal(r.state.cr2, 0x7000000000n);
    assert.deepEqual(r.changed, ['cr2']);
  });

  it('an invalid encoding is #UD and an over-long one is #GP', () => {
    const { state, cb } = setup();
    const r = mmio(state, [0xd6], cb); // SALC is invalid in 64-bit mode
    assert.deepEqual(r.status === 'fault' && [r.vector, r.errorCode], [6, null]);
    const long = mmio(state, [...Array(14).fill(0x66), 0x89, 0x03], cb);
    assert.deepEqual(long.status === 'fault' && [long.vector, long.errorCode], [13, 0]);
  });

  it('a malformed snapshot or missing callbacks are error results', () => {
    const { state, cb } = setup();
    const bad = { ...state, gprs: [1n, 2n] };
    assert.equal((mmio(bad, [0x89, 0x03], cb) as { reason: string }).reason, 'invalid-state');
    assert.equal((emulateMmioAccess(null as unknown as VcpuState, { gpa: 0 }, cb) as { reason: string }).reason, 'invalid-state');
    assert.equal((emulateMmioAccess(state, { gpa: -5 }, cb) as { reason: string }).reason, 'invalid-state');
    const noDevice = { readGuestPhysical: cb.readGuestPhysical, writeGuestPhysical: cb.writeGuestPhysical };
    assert.equal((mmio(state, [0x89, 0x03], noDevice) as { reason: string }).reason, 'missing-callback');
    assert.equal((emulateMmioAccess(state, { gpa: 0 }, {} as never) as { reason: string }).reason, 'missing-callback');
  });

  it('a throwing callback is a callback-error result and no guest RAM write is committed', () => {
    const { g, state, cb } = setup();
    let writes = 0;
    const failing = { ...cb, mmioRead: () => { throw new Error('device gone'); }, writeGuestPhysical: () => { writes++; } };
    const r = mmio(state, [0x48, 0x8b, 0x03], failing);
    assert.equal(r.status === 'error' && r.reason, 'callback-error');
    assert.match((r as { message: string }).message, /device gone/);
    assert.equal(writes, 0);
    // The shared engine is usable again afterwards.
    g.device[0] = 7;
    const ok = mmio(state, [0x48, 0x8b, 0x03], cb);
    assert.ok(ok.status === 'done' && ok.state.gprs[0] === 7n && ok.changed.includes('gpr0') && ok.changed.includes('rip'));
  });

  it('I/O exits: a non-I/O instruction, or one that disagrees with the exit, is rejected', () => {
    const { state, cb } = setup();
    const notIo = emulatePortIo(state, { instructionBytes: new Uint8Array([0x89, 0x03]) }, cb);
    assert.equal(notIo.status === 'error' && notIo.reason, 'not-an-io-instruction');
    state.gprs[2] = 0x3f8n;
    const out = new Uint8Array([0xee]); // out dx, al
    assert.equal((emulatePortIo(state, { port: 0x3f9, instructionBytes: out }, cb) as { reason: string }).reason, 'exit-mismatch');
    assert.equal((emulatePortIo(state, { size: 2, instructionBytes: out }, cb) as { reason: string }).reason, 'exit-mismatch');
    assert.equal((emulatePortIo(state, { direction: 'in', instructionBytes: out }, cb) as { reason: string }).reason, 'exit-mismatch');
    const good = emulatePortIo(state, { port: 0x3f8, size: 1, direction: 'out', string: false, instructionBytes: out }, cb);
    assert.ok(good.status === 'done' && good.state.rip === state.rip + 1n && good.deviceAccesses === 1);
  });

  it('a callback may re-enter the assist (a fresh engine serves the nested call)', () => {
    const { state, cb } = setup();
    const engine = new InstructionAssist();
    let nested: AssistResult | null = null;
    const r = engine.emulateMmioAccess(state, { gpa: MMIO_BASE, instructionBytes: new Uint8Array([0x8b, 0x03]) }, {
      ...cb,
      mmioRead: () => {
        nested = emulateMmioAccess(state, { gpa: MMIO_BASE, instructionBytes: new Uint8Array([0x89, 0x0b]) }, cb);
        return 0x1234;
      },
    });
    assert.ok(r.status === 'done' && r.state.gprs[0] === 0x1234n);
    assert.equal((nested as AssistResult | null)?.status, 'done');
  });
});
