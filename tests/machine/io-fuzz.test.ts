/**
 * A guest writing garbage to any port or MMIO register never crashes the host: random port and
 * physical-memory accesses of every size against the whole pc board (all its devices wired), and
 * random code executed on it. Whatever happens, nothing throws out of the device models or the
 * run loop.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PcMachine } from '../../src/machine/pc.js';
import { VirtualClock } from '../../src/machine/clock.js';
import { BufferCharBackend } from '../../src/backends/char.js';
import { I_RIP, I_SEG_BASE, I_SEG_SEL } from '../../src/cpu/state/cpu-state.js';

/** A 64 KiB image of HLTs is enough firmware: the fuzzers drive the devices themselves. */
function board(): PcMachine {
  const bios = new Uint8Array(0x10000).fill(0xf4);
  return new PcMachine({ ramSize: 32 << 20, bios, clock: VirtualClock.deterministic(), serial: new BufferCharBackend() });
}

/** Interesting ports: every device of the board, plus random ones. */
const DEVICE_PORTS = [0x20, 0x21, 0x40, 0x41, 0x42, 0x43, 0x60, 0x61, 0x64, 0x70, 0x71, 0x72, 0x73, 0x80, 0x92, 0xa0, 0xa1,
  0xb2, 0xb3, 0x170, 0x177, 0x1ce, 0x1cf, 0x1f0, 0x1f7, 0x376, 0x3c0, 0x3c5, 0x3cf, 0x3d4, 0x3d5, 0x3da, 0x3f6, 0x3f8,
  0x3fd, 0x402, 0x4d0, 0x4d1, 0x510, 0x511, 0x514, 0x518, 0x600, 0x608, 0xcf8, 0xcf9, 0xcfc, 0xcfe, 0xe9];

const port = fc.oneof(fc.constantFrom(...DEVICE_PORTS), fc.integer({ min: 0, max: 0xffff }));
const size = fc.constantFrom(1, 2, 4);
const value = fc.integer({ min: 0, max: 0xffffffff });
const address = fc.oneof(
  fc.integer({ min: 0xa0000, max: 0xfffff }),
  fc.integer({ min: 0xe0000000, max: 0xfffffffc }),
  fc.integer({ min: 0, max: 0x1ffffff }),
);

describe('garbage from the guest never crashes the host', () => {
  it('random port writes and reads of every size', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), port, size, value), { minLength: 1, maxLength: 200 }), (ops) => {
        const pc = board();
        for (const [write, p, s, v] of ops) {
          if (write) pc.ports.write(p, s, v);
          else {
            const r = pc.ports.read(p, s);
            assert.ok(Number.isInteger(r) && r >= 0 && r <= 0xffffffff);
          }
        }
        pc.runFor(1e5);
      }),
      { numRuns: 40, seed: 42 },
    );
  });

  it('random PCI configuration writes (BAR moves, PAM, PIRQ, PM base) followed by memory accesses', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 63 }), value), { maxLength: 60 }),
        fc.array(fc.tuple(address, size, value), { maxLength: 60 }), (configs, accesses) => {
          const pc = board();
          for (const [dev, fn, reg, v] of configs) {
            pc.ports.write(0xcf8, 4, (0x80000000 | (dev << 11) | (fn << 8) | (reg << 2)) >>> 0);
            pc.ports.write(0xcfc, 4, v);
          }
          for (const [a, s, v] of accesses) {
            pc.physical.write(a, s, v);
            pc.physical.read(a, s);
          }
          pc.runFor(1e5);
        }),
      { numRuns: 40, seed: 7 },
    );
  });

  it('random code running on the board', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 256 }), (code) => {
        const pc = board();
        pc.physical.load(0x7c00, code);
        const cpu = pc.cpus[0]!;
        cpu.s[I_SEG_SEL + 1] = 0;
        cpu.s[I_SEG_BASE + 2] = 0;
        cpu.s[I_RIP] = 0x7c00;
        const result = pc.runFor(5e4);
        assert.ok(['done', 'idle', 'stopped', 'poweroff'].includes(result));
      }),
      { numRuns: 25, seed: 99 },
    );
  });
});
