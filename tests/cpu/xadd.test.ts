/**
 * XADD with the same register as both operands (SDM Vol. 2, XADD: TEMP ← SRC + DEST; SRC ← DEST;
 * DEST ← TEMP): the destination, written last, holds the sum (kvm-unit-tests realmode "xadd").
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExitReason } from '../../src/cpu/cpu.js';
import { flatMachine } from '../support/flat-machine.js';

describe('XADD', () => {
  it('reg, same reg: the register ends with twice its value (8/16/32/64-bit); reg, other reg swaps and adds', () => {
    const fm = flatMachine(`
        mov eax, 0x12345678
        xadd eax, eax
        mov [0x9000], eax
        mov rbx, 0x4000000080000001
        xadd rbx, rbx
        mov [0x9008], rbx
        mov cx, 0x8001
        xadd cx, cx
        mov [0x9010], cx
        mov dl, 0x41
        xadd dl, dl
        mov [0x9012], dl
        mov esi, 5
        mov edi, 7
        xadd esi, edi
        mov [0x9014], esi
        mov [0x9018], edi
        hlt`, 64);
    assert.equal(fm.runToHalt(), ExitReason.Halted);
    const mem = fm.machine.physical;
    assert.equal(mem.read(0x9000, 4) >>> 0, 0x2468acf0);
    assert.equal(mem.read(0x9008, 4) >>> 0, 0x00000002);
    assert.equal(mem.read(0x900c, 4) >>> 0, 0x80000001, '64-bit carry out of the low half');
    assert.equal(mem.read(0x9010, 2), 0x0002);
    assert.equal(mem.read(0x9012, 1), 0x82);
    assert.deepEqual([mem.read(0x9014, 4), mem.read(0x9018, 4)], [12, 5]);
  });
});
