/** Assemble a snippet with nasm (installed by .ci/run); results are cached per process. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cache = new Map<string, Uint8Array>();
let dir: string | null = null;

export function assemble(source: string, bits: 16 | 32 | 64, origin = 0): Uint8Array {
  const key = `${bits}:${origin}:${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  dir ??= mkdtempSync(join(tmpdir(), 'x86vm-nasm-'));
  const asm = join(dir, `s${cache.size}.asm`), bin = join(dir, `s${cache.size}.bin`);
  writeFileSync(asm, `bits ${bits}\norg ${origin}\n${source}\n`);
  execFileSync('nasm', ['-f', 'bin', '-o', bin, asm], { stdio: ['ignore', 'ignore', 'pipe'] });
  const bytes = new Uint8Array(readFileSync(bin));
  cache.set(key, bytes);
  return bytes;
}
