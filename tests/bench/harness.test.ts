/**
 * Smoke test of the benchmark harness (bench/run.ts): one micro-benchmark with a small instruction
 * limit and the tiny ROM guest on x86vm in a child process (bench/guest-run.ts), end to end, with
 * the JSON it writes. No timing is asserted; the peers (v86, QEMU) are not run here.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MarkerWatcher } from '../../bench/protocol.js';
import { benchInit, BENCH_MARKERS, BENCH_WORKLOADS } from '../../src/machine/boot/initramfs.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('bench harness', () => {
  it('finds markers split across chunks, in order', () => {
    const w = new MarkerWatcher([['a', 'mark: a'], ['b', 'mark: b']]);
    assert.deepEqual(w.feed('noise mark: b mar'), []);
    assert.deepEqual(w.feed('k: a 42\nmark'), [{ name: 'a', line: 'mark: a 42' }]);
    assert.equal(w.waitingFor, 'mark: b');
    assert.deepEqual(w.feed(': b'), [{ name: 'b', line: 'mark: b' }]);
    assert.ok(!w.done, 'done waits for the end of the last marker\'s line');
    assert.deepEqual(w.feed(' 2 cpus\r\n'), []);
    assert.ok(w.done);
  });

  it('the benchmark /init prints its markers around the workload and powers off', () => {
    const init = benchInit('md5');
    const order = [BENCH_MARKERS.booted, BENCH_MARKERS.start, BENCH_WORKLOADS.md5.command, BENCH_MARKERS.end, BENCH_MARKERS.done, 'poweroff -f'].map((s) => init.indexOf(s));
    assert.ok(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!)), init);
    assert.ok(!benchInit(null).includes(BENCH_MARKERS.start));
  });

  it('runs a micro-benchmark and the tiny ROM guest in a child process, and writes the JSON', { timeout: 60_000 }, () => {
    const json = join(mkdtempSync(join(tmpdir(), 'x86vm-bench-')), 'out.json');
    const stdout = execFileSync(process.execPath, [
      '--import', 'tsx', join(ROOT, 'bench', 'run.ts'), '--only', 'int-loop,tiny-rom', '--systems', 'x86vm', '--reps', '1',
      '--micro-limit', '200000', '--tiny-loops', '1000', '--json', json,
    ], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(stdout, /int-loop/);
    assert.match(stdout, /tiny-rom\s+x86vm\s+1\/1/);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(typeof out.date, 'string');
    assert.equal(typeof out.host.cpu, 'string');
    assert.equal(out.reps, 1);
    assert.deepEqual(out.micro.map((m: { name: string; mode: number }) => `${m.name}/${m.mode}`), ['int-loop/32', 'int-loop/64']);
    for (const m of out.micro) assert.ok(m.instructions >= 200000 && m.mipsMedian > 0);
    assert.equal(out.guests.length, 1);
    const tiny = out.guests[0];
    assert.equal(tiny.workload, 'tiny-rom');
    const x86vm = tiny.systems.x86vm;
    assert.equal(x86vm.ok, 1, JSON.stringify(x86vm.errors));
    assert.ok(x86vm.wallSeconds.median > 0 && x86vm.cpuSeconds.median >= 0 && x86vm.maxRssMiB.max > 0);
    // The loop: 1000 iterations of DEC ECX; JNZ, between the start and end markers (plus the print loop).
    assert.ok(x86vm.instructions >= 2000 && x86vm.instructions < 4000, String(x86vm.instructions));
    assert.deepEqual(out.runs.map((r: { system: string; ok: boolean }) => [r.system, r.ok]), [['x86vm', true]]);
  });
});
