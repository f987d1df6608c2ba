/**
 * Package entry of x86vm. Exports the parts usable on their own; today that is the
 * instruction-emulation assist for hypervisors (docs/ASSIST.md).
 */
export * from './assist/index.js';
