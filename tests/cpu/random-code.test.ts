/**
 * The guest may do anything: random instruction bytes, executed in every mode, must never throw out
 * of the interpreter. Whatever they do ends in one of the run loop's exit reasons.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { enterFlatMode } from '../../src/machine/flat-setup.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_RIP } from '../../src/cpu/state/cpu-state.js';

const CODE = 0x8000;
const EXITS = new Set([ExitReason.Budget, ExitReason.Halted, ExitReason.Exception, ExitReason.TripleFault, ExitReason.Stopped]);

type Mode = 'real' | 16 | 32 | 64;

function runRandom(mode: Mode, bytes: Uint8Array, regs: bigint[], exitOnException: boolean): ExitReason {
  const machine = new BareMachine({ ramSize: 2 << 20 });
  const cpu = machine.cpu;
  machine.physical.load(CODE, bytes);
  if (mode === 'real') cpu.loadRealSegment(1, 0);
  else enterFlatMode(cpu, { mode, cpl: 0, identityMap: [[0, 0x100000]], pageTablesAt: 0x100000 });
  regs.forEach((value, i) => cpu.state.setGpr(i, value));
  cpu.s[I_RIP] = CODE;
  cpu.exitOnException = exitOnException;
  return cpu.run(2000);
}

const interesting = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constantFrom(0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x8000n, 0x7000n, BigInt(CODE), 0xffffffffffffffffn),
);

describe('random instruction bytes never crash the host', () => {
  for (const mode of ['real', 16, 32, 64] as const) {
    for (const exitOnException of [true, false]) {
      it(`mode ${mode}, ${exitOnException ? 'exceptions exit' : 'exceptions delivered'}`, () => {
        fc.assert(
          fc.property(fc.uint8Array({ minLength: 1, maxLength: 48 }), fc.array(interesting, { minLength: 16, maxLength: 16 }), (bytes, regs) => {
            const exit = runRandom(mode, bytes, regs, exitOnException);
            assert.ok(EXITS.has(exit), `unexpected exit ${exit}`);
          }),
          { numRuns: 150, seed: 0x86 + (typeof mode === 'number' ? mode : 0) + (exitOnException ? 1 : 0) },
        );
      });
    }
  }
});
