/**
 * Seed kvm-smp-trampoline-emulation-failure.txt, end to end: the BSP starts three APs with
 * INIT/SIPI/SIPI, one after the other, into the real-mode trampoline of the report (the exact bytes of Linux 2.6.23's
 * trampoline_64.S), each AP overwrites the trampoline's first four bytes with the A5A5A5A5 marker
 * and counts itself, then the BSP executes that page from offset 2 — inside the instruction that
 * was `0F 09` — and runs what is there now: the marker bytes, then the bytes after them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { VirtualClock } from '../../src/machine/clock.js';
import { TimerQueue } from '../../src/machine/timer-queue.js';
import { Scheduler } from '../../src/machine/scheduler.js';
import { installApics } from '../../src/machine/smp.js';
import { I_HALTED, I_RIP, I_SEG_LIMIT, I_SEG_SEL } from '../../src/cpu/state/cpu-state.js';
import { assemble } from '../support/nasm.js';

const TRAMPOLINE = 0x8000;
/** cli; wbinvd; mov ax,cs; mov ds,ax; mov ss,ax; mov es,ax; mov dword [0], 0xA5A5A5A5 (the report's bytes) */
const SEED_BYTES = [0xfa, 0x0f, 0x09, 0x8c, 0xc8, 0x8e, 0xd8, 0x8e, 0xd0, 0x8e, 0xc0, 0x66, 0xc7, 0x06, 0x00, 0x00, 0xa5, 0xa5, 0xa5, 0xa5];
/** then: lock inc word [0x100]; cli; hlt; jmp $-1 */
const COUNT_AND_SLEEP = [0xf0, 0xff, 0x06, 0x00, 0x01, 0xfa, 0xf4, 0xeb, 0xfd];

describe('seed kvm-smp-trampoline-emulation-failure: INIT/SIPI into a self-modifying trampoline', () => {
  it('APs start in real mode at vector x 4096, mark the trampoline, and the BSP executes the new bytes', () => {
    const machine = new BareMachine({ ramSize: 4 << 20, cpus: 4 });
    const clock = VirtualClock.deterministic();
    const timers = new TimerQueue(clock);
    const scheduler = new Scheduler(machine.cpus, clock, timers);
    scheduler.quantum = 500;
    installApics({ physical: machine.physical, cpus: machine.cpus, timers, pic: null });
    machine.physical.load(TRAMPOLINE, new Uint8Array([...SEED_BYTES, ...COUNT_AND_SLEEP]));
    machine.physical.load(0x7000, assemble(`
      mov edi, 0xfee00000
      mov dword [edi + 0xf0], 0x1ff
      mov ebx, 1
    next_ap:
      ; Like Linux's do_boot_cpu: restore the trampoline (the previous AP marked it), then INIT/SIPI/SIPI one AP.
      mov dword [0x8000], 0x8c090ffa
      mov eax, ebx
      shl eax, 24
      mov dword [edi + 0x310], eax
      mov dword [edi + 0x300], 0x00004500   ; INIT
      mov dword [edi + 0x300], 0x00004608   ; start-up, vector 8
      mov dword [edi + 0x300], 0x00004608   ; the second SIPI of the MP protocol (ignored: already running)
    spin:
      pause
      cmp word [0x8100], bx
      jne spin
      cmp dword [0x8000], 0xa5a5a5a5
      jne fail
      inc ebx
      cmp ebx, 4
      jne next_ap
      mov ax, 0x800
      mov ds, ax
      mov es, ax
      mov ax, 0x9000
      mov ss, ax
      mov sp, 0xfff0
      mov bp, sp
      mov si, 0x200
      mov di, 0x240
      jmp 0x0800:0x0002
    fail:
      cli
      hlt`, 16, 0x7000));
    const [bsp, ...aps] = machine.cpus;
    // The BSP in real mode at 0000:7000 with a 4 GiB DS limit ("unreal mode") to reach the APIC page.
    bsp!.loadRealSegment(1, 0);
    bsp!.s[I_RIP] = 0x7000;
    bsp!.s[I_SEG_LIMIT + 3] = -1;
    for (const ap of aps) ap.enterWaitForSipi();

    for (let i = 0; i < 200 && bsp!.s[I_HALTED] === 0; i++) scheduler.step(clock.now() + 10_000);
    const mem = machine.physical;
    for (const ap of aps) {
      assert.equal(ap.s[I_SEG_SEL + 1], 0x0800, 'AP CS = vector << 8');
      assert.equal(ap.mode, 0, 'AP in real mode');
      assert.equal(ap.s[I_HALTED], 1, 'AP asleep after counting');
    }
    assert.deepEqual([0, 1, 2, 3].map((i) => mem.read(TRAMPOLINE + i, 1)), [0xa5, 0xa5, 0xa5, 0xa5], 'marker');
    // From offset 2: movsw; movsw (the marker), ENTER 0xD88E,0x8E (offset 4: the old `mov ax, cs` tail),
    // ROR byte [bp+0x66C0],1, mov word [0],0xA5A5, movsw; movsw, then the counter and cli; hlt.
    assert.equal(bsp!.s[I_HALTED], 1, 'the BSP ran the modified trampoline to its HLT');
    assert.equal(bsp!.s[I_SEG_SEL + 1], 0x0800);
    assert.equal(bsp!.s[I_RIP], SEED_BYTES.length + 7, 'stopped after the HLT of the page it executed');
    assert.equal(mem.read(0x8100, 2), 4, 'three APs and the BSP counted');
  });
});
