/**
 * The command line's contract for mistakes: an unknown flag, a bad value, a missing or unusable
 * file → exactly one line on stderr naming the problem, exit status 2, and nothing created.
 * Also: --help lists every option of the table, --version prints the package version.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPTIONS } from '../../src/cli/options.js';
import { runCli, ROOT, type CliRun } from './cli-process.js';

function oneLineError(run: CliRun, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit status: ${run.code}, stderr: ${run.stderr}`);
  assert.equal(run.stdout, '', 'nothing on stdout');
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^x86vm: /);
  assert.match(lines[0]!, pattern);
}

describe('x86vm command line: help and version', { concurrency: true }, () => {
  it('--help lists every option of the table', async () => {
    const run = await runCli(['--help']);
    assert.equal(run.code, 0, run.stderr);
    for (const option of OPTIONS) {
      for (const name of option.names) assert.ok(run.stdout.includes(name), `--help mentions ${name}`);
      assert.ok(run.stdout.includes(option.help), `--help shows the description of ${option.names[0]}`);
    }
    assert.match(run.stdout, /Ctrl-A x/);
  });

  it('--version prints the package version', async () => {
    const run = await runCli(['--version']);
    assert.equal(run.code, 0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(run.stdout, `x86vm ${pkg.version}\n`);
  });

  it('-cpu help and -d help list the names', async () => {
    const cpus = await runCli(['-cpu', 'help']);
    assert.equal(cpus.code, 0);
    assert.match(cpus.stdout, /^x86vm /m);
    const items = await runCli(['-d', 'help']);
    assert.equal(items.code, 0);
    for (const item of ['in_asm', 'exec', 'int', 'cpu']) assert.match(items.stdout, new RegExp(`^${item} `, 'm'));
  });
});

describe('x86vm command line: errors are one line and exit status 2', { concurrency: 4 }, () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'x86vm-cli-err-')); });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('an unknown flag', async () => {
    oneLineError(await runCli(['-frobnicate']), /unknown option '-frobnicate'.*--help/);
  });

  it('the default guest without apt (and nothing cached) says so and how to boot your own kernel', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'x86vm-noapt-'));
    try {
      const run = await runCli([], { env: { PATH: empty, X86VM_CACHE: join(empty, 'cache') } });
      oneLineError(run, /--guest amd64: apt-get was not found.*-kernel bzImage/);
      assert.deepEqual(readdirSync(empty).filter((f) => f !== 'cache'), [], 'nothing created');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('a stray argument', async () => {
    oneLineError(await runCli(['disk.img']), /unexpected argument 'disk\.img'.*-hda disk\.img/);
  });

  it('a missing value', async () => {
    oneLineError(await runCli(['-m']), /-m needs a value/);
  });

  it('bad sizes and counts', async () => {
    oneLineError(await runCli(['-m', '12Q']), /-m 12Q: not a size/);
    oneLineError(await runCli(['-m', '0']), /at least 1 MiB/);
    oneLineError(await runCli(['-m', '64G']), /smaller -m/);
    oneLineError(await runCli(['-smp', '0']), /1 to 255 vCPUs/);
    oneLineError(await runCli(['-smp', 'two']), /not a whole number/);
  });

  it('an unknown CPU model lists the known ones', async () => {
    oneLineError(await runCli(['-cpu', 'pentium9']), /unknown CPU model; known models: x86vm, max/);
  });

  it('unsupported drive kinds and formats', async () => {
    oneLineError(await runCli(['-drive', 'file=x.img,if=scsi']), /-drive if=scsi: only if=ide and if=virtio are supported/);
    oneLineError(await runCli(['-drive', 'file=x.img,if=virtio,media=cdrom']), /virtio block device is a disk.*if=ide,media=cdrom/);
    oneLineError(await runCli(['-drive', 'file=missing.img,if=virtio']), /-drive if=virtio missing\.img: cannot open the image \(no such file\)/);
    oneLineError(await runCli(['-drive', 'file=x.img,format=qcow2']), /only raw images.*qemu-img convert/);
    oneLineError(await runCli(['-hda', 'a.img', '-drive', 'file=b.img,index=0']), /position 0 is already used/);
  });

  it('a missing -hda image: nothing is created, not even the -serial file or the -D log', async () => {
    const empty = mkdtempSync(join(dir, 'cwd-'));
    const run = await runCli(['-nographic', '-hda', 'missing.img', '-serial', 'file:serial.txt', '-d', 'int', '-D', 'trace.log'], { cwd: empty });
    oneLineError(run, /-hda missing\.img: cannot open the image \(no such file\)/);
    assert.deepEqual(readdirSync(empty), [], 'no file was created');
  });

  it('an image that is a directory, and an empty image', async () => {
    const sub = join(dir, 'adir');
    mkdirSync(sub);
    oneLineError(await runCli(['-hda', sub]), /it is a directory/);
    const empty = join(dir, 'empty.img');
    writeFileSync(empty, '');
    oneLineError(await runCli(['-hda', empty]), /the image is empty/);
    oneLineError(await runCli(['-cdrom', join(dir, 'none.iso')]), /-cdrom .*none\.iso: cannot open the image \(no such file\)/);
    rmSync(sub, { recursive: true });
    rmSync(empty);
  });

  it('a firmware file of the wrong size', async () => {
    const bad = join(dir, 'bios.bin');
    writeFileSync(bad, new Uint8Array(1000));
    oneLineError(await runCli(['-bios', bad]), /64 KiB to 16 MiB/);
    oneLineError(await runCli(['-bios', join(dir, 'nope.bin')]), /-bios .*nope\.bin: no such file/);
    rmSync(bad);
  });

  it('-serial file: in a directory that does not exist', async () => {
    const empty = mkdtempSync(join(dir, 'cwd-'));
    oneLineError(await runCli(['-serial', `file:${join(empty, 'no', 'such', 'dir', 'x.txt')}`, '-D', 'log.txt'], { cwd: empty }), /-serial .*cannot create it/);
    assert.deepEqual(readdirSync(empty), []);
  });

  it('-initrd and -append need -kernel; -kernel with a missing file', async () => {
    oneLineError(await runCli(['-initrd', 'x']), /-initrd is only allowed with -kernel/);
    oneLineError(await runCli(['-append', 'console=ttyS0']), /-append is only allowed with -kernel/);
    oneLineError(await runCli(['-kernel', join(dir, 'bzImage')]), /-kernel .*bzImage: no such file/);
  });
});
