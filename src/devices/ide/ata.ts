/**
 * ATA/ATAPI-6 (T13/1410D) register bits, command codes and helpers shared by the IDE device models.
 */

/** Status register (ATA-6 7.15). */
export const ST_BSY = 0x80, ST_DRDY = 0x40, ST_DF = 0x20, ST_DSC = 0x10, ST_DRQ = 0x08, ST_CORR = 0x04, ST_ERR = 0x01;
/** Error register (ATA-6 7.9). */
export const ER_ICRC = 0x80, ER_UNC = 0x40, ER_MC = 0x20, ER_IDNF = 0x10, ER_MCR = 0x08, ER_ABRT = 0x04, ER_NM = 0x02;
/** Device control register (ATA-6 7.8). */
export const DC_NIEN = 0x02, DC_SRST = 0x04, DC_HOB = 0x80;
/** Device/head register: LBA addressing and device 1 select. */
export const DEV_LBA = 0x40, DEV_DEV1 = 0x10;
/** ATAPI interrupt reason in the sector count register (ATA-6 9.10): command/data, I/O direction. */
export const IR_COD = 0x01, IR_IO = 0x02;

export const Cmd = {
  Nop: 0x00,
  DeviceReset: 0x08,
  Recalibrate: 0x10,
  ReadSectors: 0x20,
  ReadSectorsNoRetry: 0x21,
  ReadSectorsExt: 0x24,
  ReadDmaExt: 0x25,
  ReadNativeMaxExt: 0x27,
  ReadMultipleExt: 0x29,
  WriteSectors: 0x30,
  WriteSectorsNoRetry: 0x31,
  WriteSectorsExt: 0x34,
  WriteDmaExt: 0x35,
  WriteMultipleExt: 0x39,
  WriteDmaFuaExt: 0x3d,
  ReadVerify: 0x40,
  ReadVerifyNoRetry: 0x41,
  ReadVerifyExt: 0x42,
  Seek: 0x70,
  ExecuteDeviceDiagnostic: 0x90,
  InitializeDeviceParameters: 0x91,
  Packet: 0xa0,
  IdentifyPacketDevice: 0xa1,
  ReadMultiple: 0xc4,
  WriteMultiple: 0xc5,
  SetMultipleMode: 0xc6,
  ReadDma: 0xc8,
  ReadDmaNoRetry: 0xc9,
  WriteDma: 0xca,
  WriteDmaNoRetry: 0xcb,
  WriteMultipleFuaExt: 0xce,
  StandbyImmediate: 0xe0,
  IdleImmediate: 0xe1,
  Standby: 0xe2,
  Idle: 0xe3,
  CheckPowerMode: 0xe5,
  Sleep: 0xe6,
  FlushCache: 0xe7,
  FlushCacheExt: 0xea,
  IdentifyDevice: 0xec,
  SetFeatures: 0xef,
} as const;

/**
 * Store an ATA string (ATA-6 3.2.9): space-padded ASCII, two characters per word with the first
 * character in the high byte. `words` is the IDENTIFY data as 16-bit words.
 */
export function putAtaString(words: Uint16Array, first: number, count: number, text: string): void {
  const padded = text.padEnd(count * 2, ' ').slice(0, count * 2);
  for (let i = 0; i < count; i++) words[first + i] = (padded.charCodeAt(2 * i) << 8) | padded.charCodeAt(2 * i + 1);
}

/** IDENTIFY words as the 512 bytes the data port delivers, with the integrity word 255 (ATA-6 8.15.61). */
export function identifyBytes(words: Uint16Array): Uint8Array {
  words[255] = 0x00a5;
  const bytes = new Uint8Array(512);
  for (let i = 0; i < 256; i++) {
    bytes[2 * i] = words[i]! & 0xff;
    bytes[2 * i + 1] = words[i]! >>> 8;
  }
  let sum = 0;
  for (let i = 0; i < 511; i++) sum += bytes[i]!;
  bytes[511] = (256 - (sum & 0xff)) & 0xff;
  words[255] = (bytes[511] << 8) | 0xa5;
  return bytes;
}
