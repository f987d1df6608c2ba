/**
 * Debian package (.deb) unpacking in TypeScript: the `ar` archive (debian-binary, control.tar.*,
 * data.tar.*), then the tar stream of the data member, decompressed on the fly: gzip with node:zlib,
 * xz with our own decoder (compress/xz.ts, chunk by chunk; Debian 12 packages use xz), zstd through
 * the `zstd` program when installed (Ubuntu's packages), or none.
 * Reading stops as soon as the wanted entries are found, so the kernel image at the start of a
 * 400 MB data member costs a fraction of a second.
 */
import { spawn } from 'node:child_process';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { xzDecompressChunks } from '../compress/xz.js';

export interface ArMember {
  name: string;
  data: Uint8Array;
}

/** Members of a System V / GNU `ar` archive (the .deb container). */
export function parseAr(archive: Uint8Array): ArMember[] {
  const magic = '!<arch>\n';
  if (latin1(archive.subarray(0, 8)) !== magic) throw new Error('not an ar archive (no "!<arch>" magic)');
  const members: ArMember[] = [];
  let at = 8;
  while (at + 60 <= archive.length) {
    const header = latin1(archive.subarray(at, at + 60));
    if (header.slice(58, 60) !== '`\n') throw new Error(`ar: bad member header at offset ${at}`);
    let name = header.slice(0, 16).trimEnd();
    if (name.endsWith('/') && name !== '/' && name !== '//') name = name.slice(0, -1);
    const size = Number.parseInt(header.slice(48, 58).trim(), 10);
    if (!Number.isFinite(size) || at + 60 + size > archive.length) throw new Error(`ar: member ${name} truncated`);
    members.push({ name, data: archive.subarray(at + 60, at + 60 + size) });
    at += 60 + size + (size & 1);
  }
  return members;
}

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** Path without a leading "./" or "/". */
  path: string;
  type: TarEntryType;
  mode: number;
  size: number;
  /** Symbolic or hard link target. */
  linkname: string;
  /** File contents (only for selected regular files). */
  data: Uint8Array | null;
}

export interface UnpackOptions {
  /** Keep contents of regular files whose path matches (default: all). */
  select?: (path: string) => boolean;
  /** Stop reading after this many selected files were found. */
  limit?: number;
  /** Also list entries whose contents were not selected (default false). */
  listAll?: boolean;
}

/** Entries of a .deb's data member. */
export async function unpackDeb(deb: Uint8Array, options: UnpackOptions = {}): Promise<TarEntry[]> {
  const members = parseAr(deb);
  if (members[0]?.name !== 'debian-binary') throw new Error('not a Debian package (first ar member is not debian-binary)');
  const data = members.find((m) => m.name.startsWith('data.tar'));
  if (!data) throw new Error('Debian package without a data.tar member');
  return readTar(decompress(data.name, data.data), options);
}

/** The decompressed bytes of a `*.tar[.gz|.xz|.zst]` member, as a stream of chunks. */
export function decompress(name: string, bytes: Uint8Array): AsyncIterable<Uint8Array> {
  if (name.endsWith('.tar')) return (async function* () { yield bytes; })();
  if (name.endsWith('.gz')) return Readable.from([bytes]).pipe(createGunzip());
  if (name.endsWith('.xz')) return (async function* () { yield* xzDecompressChunks(bytes); })();
  if (name.endsWith('.zst')) return external('zstd', ['-dc'], bytes);
  throw new Error(`unsupported compression of ${name}`);
}

function external(program: string, args: string[], input: Uint8Array): AsyncIterable<Uint8Array> {
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  child.on('error', () => {});
  child.stdin.on('error', () => {});
  child.stdin.end(input);
  return (async function* () {
    try {
      for await (const chunk of child.stdout) yield chunk as Uint8Array;
    } catch (error) {
      throw new Error(`${program} failed: ${(error as Error).message} (is ${program} installed?)`);
    } finally {
      child.kill();
    }
  })();
}

/** Parse a tar stream (ustar, GNU long names, pax path/linkpath records). */
export async function readTar(stream: AsyncIterable<Uint8Array>, options: UnpackOptions = {}): Promise<TarEntry[]> {
  const select = options.select ?? (() => true);
  const limit = options.limit ?? Infinity;
  const entries: TarEntry[] = [];
  let buffer: Uint8Array = new Uint8Array(0);
  let found = 0;
  let longName: string | null = null, longLink: string | null = null;
  let pax: Record<string, string> = {};
  // State: waiting for a header, or collecting/skipping `remaining` bytes (+ padding) of an entry.
  let current: { entry: TarEntry | null; special: string | null; chunks: Uint8Array[]; remaining: number; padding: number } | null = null;
  const iterator = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      buffer = buffer.length === 0 ? next.value : concat([buffer, next.value]);
      let at = 0;
      for (;;) {
        if (current) {
          const take = Math.min(current.remaining, buffer.length - at);
          if (take > 0 && (current.entry?.data !== undefined || current.special)) current.chunks.push(buffer.subarray(at, at + take));
          at += take;
          current.remaining -= take;
          if (current.remaining > 0) break;
          const skip = Math.min(current.padding, buffer.length - at);
          at += skip;
          current.padding -= skip;
          if (current.padding > 0) break;
          const body = current.chunks.length === 1 ? current.chunks[0]!.slice() : concat(current.chunks);
          if (current.special === 'L') longName = cString(body);
          else if (current.special === 'K') longLink = cString(body);
          else if (current.special === 'x') pax = parsePax(body);
          else if (current.entry && current.entry.data !== null) current.entry.data = body;
          current = null;
          if (found >= limit) return entries;
          continue;
        }
        if (buffer.length - at < 512) break;
        const header = buffer.subarray(at, at + 512);
        at += 512;
        if (header.every((b) => b === 0)) continue; // end-of-archive blocks
        const size = octal(header.subarray(124, 136));
        const typeflag = String.fromCharCode(header[156]!);
        const padding = (512 - (size % 512)) % 512;
        if (typeflag === 'L' || typeflag === 'K' || typeflag === 'x' || typeflag === 'g') {
          current = { entry: null, special: typeflag === 'g' ? null : typeflag, chunks: [], remaining: size, padding };
          continue;
        }
        const ustar = latin1(header.subarray(257, 262)) === 'ustar';
        const prefix = ustar ? cString(header.subarray(345, 500)) : '';
        let path = pax.path ?? longName ?? (prefix ? `${prefix}/${cString(header.subarray(0, 100))}` : cString(header.subarray(0, 100)));
        const linkname = pax.linkpath ?? longLink ?? cString(header.subarray(157, 257));
        pax = {};
        longName = longLink = null;
        path = path.replace(/^(\.\/|\/)+/, '').replace(/\/$/, '');
        const type: TarEntryType = typeflag === '0' || typeflag === '\0' || typeflag === '7' ? 'file'
          : typeflag === '5' ? 'directory' : typeflag === '2' ? 'symlink' : typeflag === '1' ? 'hardlink' : 'other';
        const wanted = type === 'file' && found < limit && select(path);
        const entry: TarEntry = { path, type, mode: octal(header.subarray(100, 108)), size, linkname, data: wanted ? new Uint8Array(0) : null };
        if (wanted) found++;
        if (wanted || options.listAll || (type !== 'file' && select(path))) entries.push(entry);
        current = { entry, special: null, chunks: [], remaining: type === 'file' ? size : 0, padding: type === 'file' ? padding : 0 };
        if (!wanted) current.entry = { ...entry, data: null };
      }
      buffer = buffer.subarray(at);
      if (found >= limit && current === null) return entries;
    }
  } finally {
    await iterator.return?.();
  }
  if (current && current.remaining > 0) throw new Error('tar: archive truncated');
  return entries;
}

function parsePax(body: Uint8Array): Record<string, string> {
  const text = new TextDecoder().decode(body);
  const out: Record<string, string> = {};
  let at = 0;
  while (at < text.length) {
    const space = text.indexOf(' ', at);
    const length = Number.parseInt(text.slice(at, space), 10);
    if (!(length > 0)) break;
    const record = text.slice(space + 1, at + length - 1);
    const eq = record.indexOf('=');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    at += length;
  }
  return out;
}

function octal(field: Uint8Array): number {
  if ((field[0]! & 0x80) !== 0) { // GNU base-256
    let v = 0;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i]!;
    return v;
  }
  const text = cString(field).trim();
  return text ? Number.parseInt(text, 8) : 0;
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
