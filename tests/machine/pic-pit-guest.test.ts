import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_RIP } from '../../src/cpu/state/cpu-state.js';
import { VirtualClock } from '../../src/machine/clock.js';
import { TimerQueue } from '../../src/machine/timer-queue.js';
import { Scheduler } from '../../src/machine/scheduler.js';
import { Pic8259 } from '../../src/devices/pic8259.js';
import { Pit8254, PIT_HZ } from '../../src/devices/pit8254.js';
import { IsaDebugExit } from '../../src/devices/isa-debug-exit.js';
import { assemble } from '../support/nasm.js';

const ORIGIN = 0x1000;
const TICKS = 100;

/** Real-mode guest: IVT entry for IRQ0, SeaBIOS-style PIC set-up, PIT mode 2 at ~1 kHz, STI; HLT loop. */
const GUEST = `
  cli
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x7000
  mov word [0x08 * 4], irq0
  mov word [0x08 * 4 + 2], 0
  mov al, 0x11
  out 0x20, al
  out 0xa0, al
  mov al, 0x08
  out 0x21, al
  mov al, 0x70
  out 0xa1, al
  mov al, 0x04
  out 0x21, al
  mov al, 0x02
  out 0xa1, al
  mov al, 0x01
  out 0x21, al
  out 0xa1, al
  mov al, 0xfe
  out 0x21, al
  mov al, 0xff
  out 0xa1, al
  mov al, 0x34
  out 0x43, al
  mov ax, 1193
  out 0x40, al
  mov al, ah
  out 0x40, al
  sti
idle:
  hlt
  cmp word [ticks], ${TICKS}
  jb idle
  cli
  mov al, 0x21
  out 0xf4, al
  hlt
irq0:
  push ax
  inc word [ticks]
  mov al, 0x20
  out 0x20, al
  pop ax
  iret
ticks: dw 0
`;

describe('PIC + PIT with real guest code', () => {
  it('counts timer ticks in a real-mode IRQ0 handler while the CPU halts between them', () => {
    const machine = new BareMachine({ ramSize: 1 << 20 });
    const cpu = machine.cpu;
    const clock = VirtualClock.deterministic(1);
    const timers = new TimerQueue(clock);
    const pic = new Pic8259();
    pic.registerPorts(machine.ports);
    const pit = new Pit8254(timers, { irq0: pic.irq(0) });
    pit.registerPorts(machine.ports);
    let exitStatus = -1;
    new IsaDebugExit((status) => { exitStatus = status; cpu.requestStop(); }).registerPorts(machine.ports);
    cpu.interruptSource = pic;
    const scheduler = new Scheduler(machine.cpus, clock, timers);

    const code = assemble(GUEST, 16, ORIGIN);
    machine.physical.load(ORIGIN, code);
    const ticksAt = ORIGIN + code.length - 2;
    cpu.loadRealSegment(1, 0);
    cpu.s[I_RIP] = ORIGIN;

    const result = scheduler.runUntil(1e9);
    assert.equal(result.exit, ExitReason.Stopped, 'the guest ended through isa-debug-exit');
    assert.equal(exitStatus, (0x21 << 1) | 1);
    const view = new DataView(machine.memory.buffer, machine.ramOffset);
    assert.equal(view.getUint16(ticksAt, true), TICKS);
    // 100 periods of 1193 input clocks, and the CPU slept through them instead of spinning.
    const expectedNs = (TICKS * 1193 * 1e9) / PIT_HZ;
    assert.ok(Math.abs(clock.now() - expectedNs) < 1_000_000, `guest time ${clock.now()} ns`);
    assert.ok(cpu.instructionCount < 2000, `${cpu.instructionCount} instructions: HLT must idle, not spin`);
  });
});
