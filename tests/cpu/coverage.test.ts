/**
 * Every general-purpose integer instruction the CPU-core issue lists has an executor, and the
 * decoder's tables only name executors that exist in the generated list.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IMPLEMENTED, UNIMPLEMENTED_EXEC_NAMES } from '../../src/cpu/exec/handlers.js';
import { EXEC_NAMES } from '../../src/cpu/decode/generated/exec-names.js';
import { ALL_ROWS } from '../../src/cpu/decode/maps/index.js';

/** The integer instruction set of the CPU-core issue, by executor name. */
const INTEGER_CORE = [
  'mov', 'movzx', 'movsx', 'add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp', 'inc', 'dec', 'neg', 'not',
  'test', 'shl', 'shr', 'sar', 'rol', 'ror', 'rcl', 'rcr', 'shld', 'shrd', 'mul', 'imul1', 'imul2', 'imul3',
  'div', 'idiv', 'daa', 'das', 'aaa', 'aas', 'aam', 'aad', 'bt', 'bts', 'btr', 'btc', 'bsf', 'bsr', 'bswap',
  'xchg', 'xadd', 'cmpxchg', 'cmpxchg8b', 'cmovcc', 'setcc', 'jcc', 'jmp', 'call', 'ret', 'jmp_indirect',
  'call_indirect', 'loop', 'loope', 'loopne', 'jcxz', 'push', 'pop', 'pusha', 'popa', 'enter', 'leave',
  'pushf', 'popf', 'lahf', 'sahf', 'clc', 'stc', 'cmc', 'cld', 'std', 'cbw', 'cwd', 'lea', 'nop', 'xlat',
  'movs', 'cmps', 'scas', 'lods', 'stos', 'ins', 'outs', 'in', 'out', 'hlt', 'cpuid', 'rdtsc', 'ud',
  'popcnt', 'lzcnt', 'tzcnt', 'salc', 'bound',
] as const;

describe('executor coverage', () => {
  it('every integer instruction of the CPU core has a handler', () => {
    const missing = INTEGER_CORE.filter((name) => !(name in IMPLEMENTED));
    assert.deepEqual(missing, []);
  });

  it('the generated executor list matches the opcode maps (run npm run generate if not)', () => {
    const fromRows = [...new Set(ALL_ROWS.map((r) => r.exec))].sort();
    assert.deepEqual([...EXEC_NAMES], fromRows);
  });

  it('lists what decodes but does not execute yet (for the record, not a failure)', (t) => {
    t.diagnostic(`${UNIMPLEMENTED_EXEC_NAMES.length} of ${EXEC_NAMES.length} executors pending: ${UNIMPLEMENTED_EXEC_NAMES.join(' ')}`);
    assert.ok(UNIMPLEMENTED_EXEC_NAMES.length < EXEC_NAMES.length);
  });
});
