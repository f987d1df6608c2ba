/**
 * Seed kvm-smp-trampoline-emulation-failure.txt: application processors overwrite the first bytes
 * of their real-mode trampoline with a marker while the BSP later executes the same page; KVM's
 * emulator then failed on the modified bytes. Here: code modified by one vCPU is never executed
 * stale by another, the writing vCPU itself sees its own modification at once, and executing from
 * an odd offset decodes whatever bytes are there. (INIT/SIPI start-up arrives with the local APIC.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { enterFlatMode } from '../../src/machine/flat-setup.js';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_HALTED, I_RIP } from '../../src/cpu/state/cpu-state.js';
import { assemble } from '../support/nasm.js';

const TRAMPOLINE = 0x20000, AP_CODE = 0x30000;

function twoCpus(): BareMachine {
  const machine = new BareMachine({ ramSize: 4 << 20, cpus: 2 });
  for (const cpu of machine.cpus) enterFlatMode(cpu, { mode: 32, cpl: 0 });
  return machine;
}

function runAt(machine: BareMachine, index: number, address: number): ExitReason {
  const cpu = machine.cpus[index]!;
  cpu.s[I_HALTED] = 0;
  cpu.s[I_RIP] = address;
  return cpu.run(10_000);
}

describe('seed kvm-smp-trampoline-emulation-failure: cross-vCPU self-modifying code', () => {
  it('a page rewritten by another vCPU is decoded again before the BSP executes it', () => {
    const machine = twoCpus();
    const [bsp] = machine.cpus;
    machine.physical.load(TRAMPOLINE, assemble('mov eax, 1\nhlt', 32));
    // The "AP" writes `mov eax, 2` (B8 02 00 00 00) over the trampoline's first bytes.
    machine.physical.load(AP_CODE, assemble(`mov dword [${TRAMPOLINE}], 0x000002b8\nmov byte [${TRAMPOLINE + 4}], 0\nhlt`, 32));
    assert.equal(runAt(machine, 0, TRAMPOLINE), ExitReason.Halted);
    assert.equal(bsp!.state.getGpr(0), 1n);
    assert.equal(runAt(machine, 1, AP_CODE), ExitReason.Halted);
    assert.equal(runAt(machine, 0, TRAMPOLINE), ExitReason.Halted);
    assert.equal(bsp!.state.getGpr(0), 2n, 'BSP executed the stale trampoline');
  });

  it('a vCPU that patches the instruction right after the store executes the new bytes', () => {
    const machine = twoCpus();
    // The store rewrites the immediate of the following MOV inside the same decoded block.
    machine.physical.load(TRAMPOLINE, assemble(`
      mov byte [next + 1], 0x42
    next:
      mov eax, 0x11
      hlt`, 32, TRAMPOLINE));
    assert.equal(runAt(machine, 0, TRAMPOLINE), ExitReason.Halted);
    assert.equal(machine.cpus[0]!.state.getGpr(0), 0x42n);
  });

  it('executing from an odd offset inside an instruction decodes the bytes found there', () => {
    const machine = twoCpus();
    // B8 90 31 C9 F4 = mov eax, 0xF4C93190; from offset 1: nop; xor ecx, ecx; hlt.
    machine.physical.load(TRAMPOLINE, new Uint8Array([0xb8, 0x90, 0x31, 0xc9, 0xf4, 0xf4]));
    const cpu = machine.cpus[0]!;
    cpu.state.setGpr(1, 5n);
    assert.equal(runAt(machine, 0, TRAMPOLINE), ExitReason.Halted);
    assert.equal(cpu.state.getGpr(0), 0xf4c93190n);
    cpu.state.setGpr(1, 5n);
    assert.equal(runAt(machine, 0, TRAMPOLINE + 1), ExitReason.Halted);
    assert.equal(cpu.state.getGpr(1), 0n);
    assert.equal(cpu.s[I_RIP], TRAMPOLINE + 5);
  });
});
