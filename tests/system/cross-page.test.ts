/**
 * Seed nvmm-libnvmm-assist-changelog (paging items): an access that crosses a page boundary where
 * the two linear pages map to unrelated physical pages reads and writes each part at its own
 * translation (SDM Vol. 3, 4.10.2: each page is translated separately).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { enterFlatMode } from '../../src/machine/flat-setup.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_CR, I_RIP } from '../../src/cpu/state/cpu-state.js';
import { assemble } from '../support/nasm.js';

describe('a read and a write crossing two pages with different mappings', () => {
  it('splits the access between the two physical pages', () => {
    const m = new BareMachine({ ramSize: 4 << 20 });
    const mem = m.physical;
    const cpu = m.cpu;
    enterFlatMode(cpu, { mode: 64, cpl: 0, identityMap: [[0x10000, 0x1000]], pageTablesAt: 0x100000 });
    // Find the page table that maps 0x10000 and add 0x400000 → 0x200000, 0x401000 → 0x250000.
    const cr3 = cpu.s[I_CR + 6]!;
    const next = (table: number, index: number) => mem.read(table + index * 8, 4) & ~0xfff;
    const pdpt = next(cr3, 0), pd = next(pdpt, 0);
    const pt = 0x1f0000;
    mem.load(pt, new Uint8Array(4096));
    mem.write(pd + 2 * 8, 4, pt | 3);
    mem.write(pt, 4, 0x200000 | 3);
    mem.write(pt + 8, 4, 0x250000 | 3);
    mem.load(0x200ffe, new Uint8Array([0x11, 0x22]));
    mem.load(0x250000, new Uint8Array([0x33, 0x44]));
    mem.load(0x10000, assemble(`
        mov eax, [0x400ffe]
        mov dword [0x401ffe], 0xddccbbaa   ; second page's end: ffe/fff, then unmapped next page
        hlt`, 64, 0x10000));
    cpu.s[I_RIP] = 0x10000;
    cpu.exitOnException = true;
    assert.equal(cpu.run(10), ExitReason.Exception, 'the store crossing into an unmapped page faults');
    assert.equal(cpu.state.getGpr(0), 0x44332211n);
    assert.equal(cpu.faultVector, 14);
    assert.equal(cpu.state.get64(I_CR + 4), 0x402000n, 'CR2 is the first byte of the unmapped page');
    assert.deepEqual([...mem.dump(0x250ffe, 2)], [0, 0], 'nothing of the faulting store was written');
  });
});
