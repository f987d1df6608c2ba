import type { OpcodeRow } from '../row.js';
import { ONE_BYTE_MAP } from './one-byte.js';
import { TWO_BYTE_INTEGER_MAP } from './two-byte-integer.js';

/** Every opcode-map row the decoder knows, in lookup order (earlier rows win within a slot). */
export const ALL_ROWS: readonly OpcodeRow[] = [
  ...ONE_BYTE_MAP,
  ...TWO_BYTE_INTEGER_MAP,
];
