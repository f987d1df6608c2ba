/**
 * Terminal handling without a real terminal: raw mode is entered only on a TTY and always put
 * back (explicit restore, process 'exit', terminating signals), and QEMU's Ctrl-A escapes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { EscapeDecoder, TerminalGuard, type EscapeAction } from '../../src/cli/terminal.js';

class FakeTty {
  isTTY = true;
  isRaw = false;
  readonly calls: boolean[] = [];
  setRawMode(mode: boolean): this {
    this.calls.push(mode);
    this.isRaw = mode;
    return this;
  }
}

class FakeProcess extends EventEmitter {
  readonly exits: (number | undefined)[] = [];
  exit(code?: number): void {
    this.exits.push(code);
    this.emit('exit', code);
  }
}

describe('TerminalGuard', () => {
  it('enters raw mode on a TTY and restores it once', () => {
    const tty = new FakeTty(), proc = new FakeProcess();
    const guard = new TerminalGuard(tty, proc);
    assert.equal(guard.enter(), true);
    assert.equal(tty.isRaw, true);
    guard.restore();
    guard.restore();
    assert.deepEqual(tty.calls, [true, false]);
    assert.equal(proc.listenerCount('exit'), 0, 'hooks removed');
    assert.equal(proc.listenerCount('SIGINT'), 0);
  });

  it('keeps a terminal that was already raw raw', () => {
    const tty = new FakeTty(), proc = new FakeProcess();
    tty.isRaw = true;
    const guard = new TerminalGuard(tty, proc);
    guard.enter();
    guard.restore();
    assert.deepEqual(tty.calls, [true, true]);
  });

  it('leaves a non-TTY alone but still hooks exit and signals', () => {
    const tty = new FakeTty(), proc = new FakeProcess();
    tty.isTTY = false;
    const guard = new TerminalGuard(tty, proc);
    assert.equal(guard.enter(), false);
    assert.deepEqual(tty.calls, []);
    assert.equal(proc.listenerCount('SIGTERM'), 1);
    guard.restore();
    assert.equal(proc.listenerCount('SIGTERM'), 0);
  });

  it('does not enter raw mode when asked not to (serial not on stdio)', () => {
    const tty = new FakeTty(), proc = new FakeProcess();
    const guard = new TerminalGuard(tty, proc);
    assert.equal(guard.enter(false), false);
    assert.deepEqual(tty.calls, []);
    guard.restore();
  });

  it('restores on process exit (process.exit, errors reaching the top)', () => {
    const tty = new FakeTty(), proc = new FakeProcess();
    new TerminalGuard(tty, proc).enter();
    proc.emit('exit', 1);
    assert.equal(tty.isRaw, false);
    assert.deepEqual(tty.calls, [true, false]);
  });

  it('restores on a terminating signal, reports it, and exits with 128+n', () => {
    for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
      const tty = new FakeTty(), proc = new FakeProcess();
      const seen: string[] = [];
      new TerminalGuard(tty, proc, (s) => { seen.push(`${s} raw=${tty.isRaw}`); }).enter();
      proc.emit(signal);
      assert.equal(tty.isRaw, false);
      assert.deepEqual(seen, [`${signal} raw=false`], 'the report comes after the restore');
      assert.deepEqual(proc.exits, [status]);
      assert.deepEqual(tty.calls, [true, false], 'restored exactly once (the exit hook finds nothing to do)');
    }
  });

  it('survives a terminal that is gone when restoring', () => {
    const proc = new FakeProcess();
    const tty = { isTTY: true, isRaw: false, setRawMode(mode: boolean) { if (!mode) throw new Error('EIO'); } };
    const guard = new TerminalGuard(tty, proc);
    guard.enter();
    assert.doesNotThrow(() => guard.restore());
  });
});

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const show = (actions: EscapeAction[]) => actions.map((a) => (a.kind === 'data' ? `data:${String.fromCharCode(...a.bytes)}` : a.kind));

describe('EscapeDecoder (Ctrl-A escapes)', () => {
  it('passes ordinary bytes through', () => {
    assert.deepEqual(show(new EscapeDecoder().feed(bytes('ls -l\r'))), ['data:ls -l\r']);
  });

  it('x quits, h shows help, c switches to the monitor, a and Ctrl-A send Ctrl-A', () => {
    const d = new EscapeDecoder();
    assert.deepEqual(show(d.feed(bytes('ab\x01xcd'))), ['data:ab', 'quit', 'data:cd']);
    assert.deepEqual(show(d.feed(bytes('\x01h'))), ['help']);
    assert.deepEqual(show(d.feed(bytes('\x01c'))), ['monitor']);
    assert.deepEqual(show(d.feed(bytes('1\x01a2'))), ['data:1\x012']);
    assert.deepEqual(show(d.feed(bytes('\x01\x01'))), ['data:\x01']);
  });

  it('keeps the escape state across chunks and drops unknown escapes', () => {
    const d = new EscapeDecoder();
    assert.deepEqual(show(d.feed(bytes('q\x01'))), ['data:q']);
    assert.deepEqual(show(d.feed(bytes('x'))), ['quit']);
    assert.deepEqual(show(d.feed(bytes('\x01zok'))), ['data:ok']);
  });
});
