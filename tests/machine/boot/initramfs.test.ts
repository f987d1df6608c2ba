/**
 * The cpio "newc" writer: read back by our reader and, when installed, by GNU cpio (Debian's cpio
 * package) as the independent check; the default initramfs's layout and /init.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { defaultInitramfs, readCpio, writeCpio, READY_MARKER, type CpioEntry } from '../../../src/machine/boot/initramfs.js';

let cpio: string | false = false;
try { execFileSync('cpio', ['--version'], { stdio: 'ignore' }); } catch { cpio = 'GNU cpio not installed (apt-get install cpio)'; }

const entries: CpioEntry[] = [
  { path: 'bin', type: 'directory' },
  { path: 'bin/tool', type: 'file', data: Uint8Array.from({ length: 1001 }, (_, i) => i & 0xff), mode: 0o755 },
  { path: 'bin/link', type: 'symlink', data: 'tool' },
  { path: 'etc', type: 'directory', mode: 0o700 },
  { path: 'etc/a', type: 'file', data: 'x', mode: 0o644 },
  { path: 'etc/empty', type: 'file', data: '', mode: 0o600 },
  { path: 'dev', type: 'directory' },
  { path: 'dev/console', type: 'chardev', major: 5, minor: 1 },
];

describe('cpio newc writer', () => {
  it('is read back record by record with 4-byte alignment and the trailer', () => {
    const archive = writeCpio(entries);
    assert.equal(archive.length % 4, 0);
    assert.equal(new TextDecoder().decode(archive.subarray(0, 6)), '070701');
    const records = readCpio(archive);
    assert.deepEqual(records.map((r) => r.name), entries.map((e) => e.path));
    assert.equal(records[1]!.mode, 0o100755);
    assert.deepEqual(records[1]!.data, entries[1]!.data);
    assert.equal(records[2]!.mode, 0o120777);
    assert.equal(new TextDecoder().decode(records[2]!.data), 'tool');
    assert.equal(records[3]!.mode, 0o040700);
    assert.equal(records[5]!.data.length, 0);
    assert.deepEqual([records[7]!.mode, records[7]!.rdevMajor, records[7]!.rdevMinor], [0o020600, 5, 1]);
    assert.ok(new TextDecoder().decode(archive).includes('TRAILER!!!'));
  });

  it('is accepted by GNU cpio', { skip: cpio }, () => {
    const archive = writeCpio(entries);
    const listing = execFileSync('cpio', ['-i', '-t', '--quiet'], { input: archive }).toString().trim().split('\n');
    assert.deepEqual(listing, entries.map((e) => e.path));
    const dir = mkdtempSync(join(tmpdir(), 'x86vm-cpio-'));
    execFileSync('cpio', ['-i', '-d', '--quiet', '--no-absolute-filenames'], { input: writeCpio(entries.filter((e) => e.type !== 'chardev')), cwd: dir });
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'bin/tool'))), entries[1]!.data);
    assert.equal(readlinkSync(join(dir, 'bin/link')), 'tool');
    assert.equal(statSync(join(dir, 'etc/a')).mode & 0o777, 0o644);
  });
});

describe('default initramfs', () => {
  it('holds busybox with applet links, /dev/console and an /init that prints the ready marker', () => {
    const fakeBusybox = new TextEncoder().encode('\x7fELF busybox');
    const records = readCpio(new Uint8Array(gunzipSync(defaultInitramfs(fakeBusybox))));
    const byName = new Map(records.map((r) => [r.name, r]));
    assert.deepEqual(byName.get('bin/busybox')!.data, fakeBusybox);
    assert.equal(new TextDecoder().decode(byName.get('bin/sh')!.data), 'busybox');
    assert.equal(byName.get('dev/console')!.rdevMajor, 5);
    const init = byName.get('init')!;
    assert.equal(init.mode, 0o100755);
    const script = new TextDecoder().decode(init.data);
    assert.match(script, /^#!\/bin\/sh\n/);
    assert.match(script, /mount -t proc proc \/proc/);
    assert.match(script, /mount -t devtmpfs/);
    assert.ok(script.includes(`echo "${READY_MARKER} $(grep -c ^processor /proc/cpuinfo) cpus"`));
    assert.ok(records.findIndex((r) => r.name === 'bin') < records.findIndex((r) => r.name === 'bin/busybox'), 'directories first');
  });
});
