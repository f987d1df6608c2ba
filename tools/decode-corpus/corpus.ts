/**
 * The decode corpus: byte sequences that exercise every opcode of every map (one-byte, 0F, 0F 38,
 * 0F 3A, groups, x87 escapes, SSE mandatory prefixes) with representative ModRM/SIB/displacement/
 * prefix/REX combinations, plus seeded random sequences. Deterministic: the same seed gives the same
 * corpus. tools/decode-corpus/record.ts feeds it to objdump; the fixtures keep the bytes.
 */

export type CorpusMode = 'i8086' | 'i386' | 'x86-64';

/** Every entry is this long: the longest legal instruction, so nothing depends on what follows. */
export const ENTRY_BYTES = 15;

/** xorshift32: small, seedable, identical everywhere. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

const LEGACY_PREFIXES = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3];

export function buildCorpus(mode: CorpusMode, seed = 0x5eed): number[][] {
  const rand = rng(seed ^ (mode === 'x86-64' ? 0x6400 : mode === 'i386' ? 0x3200 : 0x1600));
  const byte = () => rand() & 0xff;
  const long = mode === 'x86-64';
  const entries: number[][] = [];
  const seen = new Set<string>();
  const add = (head: number[]) => {
    const bytes = head.slice(0, ENTRY_BYTES);
    while (bytes.length < ENTRY_BYTES) bytes.push(byte());
    const key = head.map((b) => b.toString(16)).join(' ');
    if (seen.has(key)) return;
    seen.add(key);
    entries.push(bytes);
  };
  /** A memory ModRM with this reg field, rotating over the addressing forms, with its SIB/disp. */
  let rot = 0;
  const memModrm = (reg: number): number[] => {
    const forms = [
      [0x00], [0x05], [0x04, 0x88], [0x44, 0x24], [0x44, 0x8d], [0x80], [0x46], [0x84, 0x05],
      [0x04, 0x25], [0x06], [0x4c, 0xe1], [0x87],
    ];
    const f = forms[rot++ % forms.length]!;
    return [f[0]! | (reg << 3), ...f.slice(1)];
  };
  const regModrm = (reg: number) => 0xc0 | (reg << 3) | (byte() & 7);
  const isPrefix = (b: number) => LEGACY_PREFIXES.includes(b) || b === 0x0f || (long && (b & 0xf0) === 0x40);
  const rex = () => (long ? [0x40 | (byte() & 0xf)] : []);

  // One-byte map: every opcode, every ModRM.reg, a memory and a register form.
  for (let op = 0; op < 256; op++) {
    if (isPrefix(op)) continue;
    for (let reg = 0; reg < 8; reg++) {
      add([op, ...memModrm(reg)]);
      add([op, regModrm(reg)]);
    }
    // Prefix mixes: operand size, address size, REX, REP, LOCK, segment override.
    add([0x66, op, ...memModrm(byte() & 7)]);
    add([0x67, op, ...memModrm(byte() & 7)]);
    add([...(long ? [0x48] : [0x66]), op, regModrm(byte() & 7)]);
    add([0x66, ...rex(), op, ...memModrm(byte() & 7)]);
    add([0xf3, op, ...memModrm(byte() & 7)]);
    add([0xf0, op, ...memModrm(byte() & 7)]);
    add([0x64, op, ...memModrm(byte() & 7)]);
  }
  // 0F map: every opcode under each mandatory prefix, memory and register forms; groups by digit.
  const groups0F = new Set([0x00, 0x01, 0x0d, 0x18, 0x71, 0x72, 0x73, 0xae, 0xba, 0xc7]);
  for (let op = 0; op < 256; op++) {
    if (op === 0x38 || op === 0x3a) continue;
    for (const pfx of [[], [0x66], [0xf3], [0xf2]]) {
      if (groups0F.has(op)) {
        for (let reg = 0; reg < 8; reg++) {
          add([...pfx, 0x0f, op, ...memModrm(reg)]);
          add([...pfx, 0x0f, op, regModrm(reg)]);
        }
      } else {
        add([...pfx, 0x0f, op, ...memModrm(byte() & 7)]);
        add([...pfx, 0x0f, op, regModrm(byte() & 7)]);
        add([...pfx, ...rex(), 0x0f, op, ...memModrm(byte() & 7)]);
      }
    }
  }
  // 0F 01 register forms (exact ModRM bytes: MONITOR, XGETBV, SWAPGS, ...).
  for (let modrm = 0xc0; modrm < 0x100; modrm++) add([0x0f, 0x01, modrm]);
  // 0F 38 and 0F 3A: every opcode under each mandatory prefix.
  for (const esc of [0x38, 0x3a]) {
    for (let op = 0; op < 256; op++) {
      for (const pfx of [[], [0x66], [0xf3], [0xf2]]) {
        add([...pfx, 0x0f, esc, op, ...memModrm(byte() & 7)]);
        add([...pfx, ...rex(), 0x0f, esc, op, regModrm(byte() & 7)]);
      }
    }
  }
  // CRC32/MOVBE prefix combinations.
  for (const pfx of [[0x66, 0xf2], [0xf2, 0x66], [0xf3, 0xf2], [0xf2, 0xf3], [0x66], [0x66, 0xf3]]) {
    for (const op of [0xf0, 0xf1]) {
      add([...pfx, 0x0f, 0x38, op, ...memModrm(byte() & 7)]);
      add([...pfx, ...rex(), 0x0f, 0x38, op, regModrm(byte() & 7)]);
    }
  }
  // x87: every ModRM byte of every escape (memory forms with their displacements).
  for (let esc = 0xd8; esc <= 0xdf; esc++) {
    for (let modrm = 0; modrm < 256; modrm++) {
      const mod = modrm >> 6, rm = modrm & 7;
      const tail: number[] = [];
      if (mod !== 3 && rm === 4) tail.push(byte());
      add([esc, modrm, ...tail, modrm === 0 ? 0 : byte()]);
    }
  }
  // Random sequences: a few prefixes (legacy, REX), maybe an escape, an opcode and random bytes.
  for (let i = 0; i < 3000; i++) {
    const head: number[] = [];
    const prefixCount = [0, 0, 0, 1, 1, 2, 3][rand() % 7]!;
    for (let p = 0; p < prefixCount; p++) head.push(LEGACY_PREFIXES[rand() % LEGACY_PREFIXES.length]!);
    if (long && rand() % 3 === 0) head.push(0x40 | (byte() & 0xf));
    const r = rand() % 10;
    if (r < 3) head.push(0x0f);
    else if (r < 4) head.push(0x0f, 0x38);
    else if (r < 5) head.push(0x0f, 0x3a);
    while (head.length < ENTRY_BYTES) head.push(byte());
    add(head);
  }
  // Prefix runs up to and past the 15-byte limit.
  for (let n = 10; n <= 15; n++) add([...new Array(n).fill(0x66), 0x90]);
  return entries;
}
