/**
 * The one handler shape for port I/O and MMIO (DESIGN "Devices and buses"): offsets are relative to
 * the start of the registered region; sizes are 1, 2 or 4 bytes; values are unsigned.
 */
export interface IoHandler {
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
}

/** Access sizes a region accepts, as a bit set: bit 0 = 1 byte, bit 1 = 2 bytes, bit 2 = 4 bytes. */
export const SIZE_1 = 1, SIZE_2 = 2, SIZE_4 = 4;
export const ALL_SIZES = SIZE_1 | SIZE_2 | SIZE_4;

export function sizeBit(size: number): number {
  return size === 1 ? SIZE_1 : size === 2 ? SIZE_2 : size === 4 ? SIZE_4 : 0;
}
