/**
 * .deb unpacking in TypeScript: a package assembled here (GNU tar + our ar writer) with gzip and,
 * when xz is installed, xz data members; and a real Debian package (seabios) fetched through the
 * private apt instance when apt and the network are available, checked file by file against
 * dpkg-deb's own extraction.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAr, unpackDeb } from '../../src/fetch/deb.js';
import { Apt, hasApt } from '../../src/fetch/apt.js';

function ar(members: [string, Uint8Array][]): Uint8Array {
  const parts: Buffer[] = [Buffer.from('!<arch>\n')];
  for (const [name, data] of members) {
    const header = `${name.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'100644'.padEnd(8)}${String(data.length).padEnd(10)}\`\n`;
    parts.push(Buffer.from(header, 'latin1'), Buffer.from(data));
    if (data.length & 1) parts.push(Buffer.from('\n'));
  }
  return new Uint8Array(Buffer.concat(parts));
}

const has = (program: string) => spawnSync(program, ['--version'], { stdio: 'ignore' }).status === 0;

function makeTree(): { dir: string; longName: string } {
  const dir = mkdtempSync(join(tmpdir(), 'x86vm-deb-'));
  mkdirSync(join(dir, 'root/boot'), { recursive: true });
  writeFileSync(join(dir, 'root/boot/vmlinuz-test'), Buffer.alloc(70000, 7));
  const longName = `usr/share/${'d'.repeat(60)}/${'f'.repeat(80)}.txt`;
  mkdirSync(join(dir, 'root', longName, '..'), { recursive: true });
  writeFileSync(join(dir, 'root', longName), 'long\n');
  symlinkSync('vmlinuz-test', join(dir, 'root/boot/vmlinuz'));
  return { dir, longName };
}

describe('.deb unpacking', () => {
  for (const compression of ['gz', 'xz'] as const) {
    it(`reads a data.tar.${compression} member: files, symlinks, GNU long names, early stop`, { skip: has(compression === 'gz' ? 'gzip' : 'xz') ? false : `${compression} not installed` }, async () => {
      const { dir, longName } = makeTree();
      const tarFile = join(dir, `data.tar.${compression}`);
      execFileSync('tar', ['--format=gnu', compression === 'gz' ? '-czf' : '-cJf', tarFile, '-C', join(dir, 'root'), '.']);
      const deb = ar([['debian-binary', Buffer.from('2.0\n')], ['control.tar.gz', new Uint8Array(0)], [`data.tar.${compression}`, readFileSync(tarFile)]]);
      assert.deepEqual(parseAr(deb).map((m) => m.name), ['debian-binary', 'control.tar.gz', `data.tar.${compression}`]);
      const all = await unpackDeb(deb, { listAll: true });
      const byPath = new Map(all.map((e) => [e.path, e]));
      assert.deepEqual(byPath.get('boot/vmlinuz-test')!.data, new Uint8Array(70000).fill(7));
      assert.equal(byPath.get('boot/vmlinuz')!.type, 'symlink');
      assert.equal(byPath.get('boot/vmlinuz')!.linkname, 'vmlinuz-test');
      assert.equal(new TextDecoder().decode(byPath.get(longName)!.data!), 'long\n');
      const one = await unpackDeb(deb, { select: (p) => p.startsWith('boot/vmlinuz-'), limit: 1 });
      assert.deepEqual(one.map((e) => e.path), ['boot/vmlinuz-test']);
    });
  }

  it('rejects what is not a package', async () => {
    assert.throws(() => parseAr(new Uint8Array(100)), /not an ar archive/);
    await assert.rejects(unpackDeb(ar([['data.tar.gz', new Uint8Array(0)]])), /not a Debian package/);
  });

  const skip = !hasApt() ? 'apt-get not available' : !has('dpkg-deb') ? 'dpkg-deb not available' : false;
  it('unpacks Debian\'s seabios package like dpkg-deb does', { skip, timeout: 120_000 }, async (t) => {
    let deb: string;
    try {
      deb = await new Apt({ progress: null }).download('seabios');
    } catch (error) {
      t.skip(`cannot fetch seabios (offline?): ${(error as Error).message.slice(0, 200)}`);
      return;
    }
    const bytes = new Uint8Array(readFileSync(deb));
    const ours = (await unpackDeb(bytes)).filter((e) => e.type === 'file');
    const out = mkdtempSync(join(tmpdir(), 'x86vm-dpkg-'));
    execFileSync('dpkg-deb', ['-x', deb, out]);
    assert.ok(ours.some((e) => e.path === 'usr/share/seabios/bios-256k.bin'));
    for (const entry of ours) assert.deepEqual(entry.data, new Uint8Array(readFileSync(join(out, entry.path))), entry.path);
  });
});
