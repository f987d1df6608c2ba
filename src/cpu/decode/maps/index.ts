import type { OpcodeRow } from '../row.js';
import { ONE_BYTE_MAP } from './one-byte.js';
import { TWO_BYTE_INTEGER_MAP } from './two-byte-integer.js';
import { TWO_BYTE_SIMD_MAP } from './two-byte-simd.js';
import { THREE_BYTE_38_MAP } from './three-byte-38.js';
import { THREE_BYTE_3A_MAP } from './three-byte-3a.js';
import { X87_MAP } from './x87.js';

/** Every opcode-map row the decoder knows, in lookup order (earlier rows win within a slot). */
export const ALL_ROWS: readonly OpcodeRow[] = [
  ...ONE_BYTE_MAP,
  ...TWO_BYTE_INTEGER_MAP,
  ...TWO_BYTE_SIMD_MAP,
  ...THREE_BYTE_38_MAP,
  ...THREE_BYTE_3A_MAP,
  ...X87_MAP,
];
