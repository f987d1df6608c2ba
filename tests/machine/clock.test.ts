import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock, DETERMINISTIC_EPOCH_MS } from '../../src/machine/clock.js';
import { TimerQueue } from '../../src/machine/timer-queue.js';

describe('VirtualClock', () => {
  it('derives deterministic time from executed instructions and skipped idle time', () => {
    const clock = VirtualClock.deterministic(2.5);
    let instructions = 0;
    clock.setInstructionSource(() => instructions);
    assert.equal(clock.now(), 0);
    instructions = 1000;
    assert.equal(clock.now(), 2500);
    clock.advanceTo(10_000);
    assert.equal(clock.now(), 10_000);
    instructions = 1004;
    assert.equal(clock.now(), 10_010);
    clock.advanceTo(5); // never backwards
    assert.equal(clock.now(), 10_010);
    assert.equal(clock.instructionsUntil(10_020, 1000), 4);
    assert.equal(clock.instructionsUntil(1e12, 1000), 1000);
    assert.equal(clock.instructionsUntil(0, 1000), 1);
    assert.equal(clock.wallClockMs(0), DETERMINISTIC_EPOCH_MS);
  });

  it('keeps time continuous when the instruction source changes', () => {
    const clock = VirtualClock.deterministic(1);
    clock.setInstructionSource(() => 500);
    assert.equal(clock.now(), 500);
    clock.setInstructionSource(() => 0);
    assert.equal(clock.now(), 500);
  });

  it('follows host time in real-time mode and stops while paused', () => {
    let host = 1_000_000;
    const clock = new VirtualClock({ mode: 'realtime', hostNs: () => host, epochMs: 0 });
    assert.equal(clock.now(), 0);
    host += 5000;
    assert.equal(clock.now(), 5000);
    clock.advanceTo(1e9); // no effect in real time
    assert.equal(clock.now(), 5000);
    clock.pause();
    host += 7000;
    assert.equal(clock.now(), 5000);
    clock.resume();
    host += 1000;
    assert.equal(clock.now(), 6000);
  });
});

describe('TimerQueue', () => {
  it('fires due timers in deadline order, reports the next deadline and supports cancel and re-arm', () => {
    const clock = VirtualClock.deterministic(1);
    const q = new TimerQueue(clock);
    const fired: string[] = [];
    const a = q.createTimer('a', () => fired.push('a'));
    const b = q.createTimer('b', () => fired.push('b'));
    const c = q.createTimer('c', () => fired.push('c'));
    assert.equal(q.nextDeadline(), Infinity);
    a.arm(300); b.arm(100); c.arm(200);
    assert.equal(q.nextDeadline(), 100);
    c.cancel();
    assert.equal(c.pending, false);
    a.arm(50); // re-arming moves it
    assert.equal(q.nextDeadline(), 50);
    assert.equal(q.runExpired(99), 1);
    assert.deepEqual(fired, ['a']);
    assert.equal(q.runExpired(1000), 1);
    assert.deepEqual(fired, ['a', 'b']);
    assert.equal(q.nextDeadline(), Infinity);
  });

  it('fires equal deadlines in arming order and lets a callback re-arm its own timer', () => {
    const clock = VirtualClock.deterministic(1);
    const q = new TimerQueue(clock);
    const fired: number[] = [];
    let periodic = 0;
    const p = q.createTimer('periodic', (now) => { fired.push(now); if (++periodic < 2) p.arm(now + 10); });
    q.schedule(10, () => fired.push(-1));
    p.arm(10);
    q.runExpired(10);
    assert.deepEqual(fired, [-1, 10]);
    assert.equal(q.nextDeadline(), 20);
    clock.advanceTo(40);
    q.runExpired();
    assert.deepEqual(fired, [-1, 10, 40]);
    assert.equal(q.size, 0);
  });

  it('tells a sleeping scheduler when a new deadline is earlier than the next one', () => {
    const q = new TimerQueue(VirtualClock.deterministic(1));
    const wakes: number[] = [];
    q.onEarlierDeadline = (ns) => wakes.push(ns);
    q.schedule(100, () => {});
    q.schedule(200, () => {});
    q.schedule(50, () => {});
    assert.deepEqual(wakes, [100, 50]);
  });
});
