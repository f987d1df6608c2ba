/**
 * A tiny VMM for the assist tests: an x86vm vCPU plays the hardware. Guest code runs until it
 * touches the trap window (a physical MMIO range or any port): the access raises a private vector, so
 * the vCPU stops *before* the instruction commits, like a VM exit. The harness then takes a register
 * snapshot, calls the assist with callbacks over the machine's RAM and a device buffer, writes the
 * result back into the vCPU and resumes it, until HLT.
 */
import assert from 'node:assert/strict';
import { BareMachine } from '../../src/machine/bare-machine.js';
import { buildIdentityPageTables, enterFlatMode } from '../../src/machine/flat-setup.js';
import { ExitReason, type Cpu } from '../../src/cpu/cpu.js';
import { I_CR, I_RIP } from '../../src/cpu/state/cpu-state.js';
import { assemble } from '../support/nasm.js';
import {
  emulateMmioAccess, emulatePortIo, loadVcpuState, saveVcpuState,
  type AssistCallbacks, type AssistResult, type MmioExit, type PortIoExit, type VcpuState,
} from '../../src/index.js';

export const MMIO_BASE = 0xd0000000;
export const MMIO_SIZE = 0x4000;
export const CODE = 0x10000;
/** The vector the trap window raises (not an architectural one). */
const TRAP = 0x100;

export type PendingExit = { kind: 'mmio'; exit: MmioExit } | { kind: 'io'; exit: PortIoExit };

export interface Guest {
  machine: BareMachine;
  cpu: Cpu;
  /** The device behind the MMIO window: plain bytes. */
  device: Uint8Array;
  /** Device accesses as seen by the assist's callbacks: 'r4@10', 'w1@2003=ab', 'in1@60', 'out2@3f8=41'. */
  log: string[];
  /** Values IN returns, consumed in order (then 0). */
  portInput: number[];
  /** Values OUT wrote, in order. */
  portOutput: number[];
  /** Callback call counts. */
  calls: { readRam: number; writeRam: number; writes: [number, number][] };
  /** Make the assist treat the whole window (not just the exit's page) as MMIO. */
  wholeWindowIsMmio: boolean;
  /** Give the assist the instruction bytes (as SVM decode assist / NVMM do) instead of letting it fetch. */
  passBytes: boolean;
  /** Every assist result, in order. */
  results: AssistResult[];
  /** Run the guest with the VMM loop until HLT; returns the number of exits handled. */
  run(maxExits?: number): number;
  /** The callbacks the VMM passes (over this machine's RAM and devices). */
  callbacks(): AssistCallbacks;
  reg(n: number): bigint;
}

function makeGuest(machine: BareMachine, windowBase = MMIO_BASE): Guest {
  const cpu = machine.cpu;
  let pending: PendingExit | null = null;
  machine.physical.mapMmio('trap', windowBase, MMIO_SIZE, {
    read(offset) {
      pending = { kind: 'mmio', exit: { gpa: windowBase + offset } };
      return cpu.raise(TRAP);
    },
    write(offset) {
      pending = { kind: 'mmio', exit: { gpa: BigInt(windowBase + offset) } };
      cpu.raise(TRAP);
    },
  });
  machine.ports.register('trap', 0, 0x10000, {
    read(port, size) {
      pending = { kind: 'io', exit: { port, size, direction: 'in' } };
      return cpu.raise(TRAP);
    },
    write(port, size) {
      pending = { kind: 'io', exit: { port, size, direction: 'out' } };
      cpu.raise(TRAP);
    },
  });
  const inWindow = (gpa: number) => gpa >= windowBase && gpa < windowBase + MMIO_SIZE;
  const g: Guest = {
    machine, cpu, device: new Uint8Array(MMIO_SIZE), log: [], portInput: [], portOutput: [],
    calls: { readRam: 0, writeRam: 0, writes: [] }, wholeWindowIsMmio: false, passBytes: false, results: [],
    reg: (n) => cpu.state.getGpr(n),
    callbacks: () => makeCallbacks(),
    run(maxExits = 10_000) {
      cpu.exitOnException = true;
      for (let exits = 0; ; exits++) {
        const reason = cpu.run(1_000_000);
        if (reason === ExitReason.Halted) return exits;
        assert.equal(reason, ExitReason.Exception, `guest stopped with exit reason ${reason}`);
        assert.equal(cpu.faultVector, TRAP, `guest raised vector ${cpu.faultVector} (error code ${cpu.faultErrorCode})`);
        assert.ok(exits < maxExits, 'too many exits');
        const state = saveVcpuState(cpu);
        const exit = pending!;
        pending = null;
        const callbacks = makeCallbacks();
        if (g.passBytes) {
          const rip = Number(state.rip) + (cpu.mode === 4 ? 0 : Number(state.segments.cs.base));
          (exit.exit as { instructionBytes?: Uint8Array }).instructionBytes = g.machine.physical.dump(rip, 15);
        }
        const result = exit.kind === 'mmio' ? emulateMmioAccess(state, exit.exit, callbacks) : emulatePortIo(state, exit.exit, callbacks);
        g.results.push(result);
        assert.equal(result.status, 'done', `assist failed: ${JSON.stringify(result, (_, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
        if (result.status === 'done') loadVcpuState(cpu, result.state);
      }
    },
  } as Guest;
  function makeCallbacks(): AssistCallbacks {
    const cb: AssistCallbacks = {
      readGuestPhysical(gpa, length) {
        g.calls.readRam++;
        if (inWindow(gpa) || gpa >= machine.physical.regions[1]!.size) return null;
        return machine.physical.dump(gpa, length);
      },
      writeGuestPhysical(gpa, bytes) {
        g.calls.writeRam++;
        g.calls.writes.push([gpa, bytes.length]);
        machine.physical.load(gpa, bytes);
      },
      mmioRead(gpa, size) {
        const off = gpa - windowBase;
        g.log.push(`r${size}@${off.toString(16)}`);
        let v = 0;
        for (let i = 0; i < size; i++) v += g.device[off + i]! * 2 ** (8 * i);
        return v;
      },
      mmioWrite(gpa, size, value) {
        const off = gpa - windowBase;
        g.log.push(`w${size}@${off.toString(16)}=${value.toString(16)}`);
        for (let i = 0; i < size; i++) g.device[off + i] = Math.floor(value / 2 ** (8 * i)) & 0xff;
      },
      portRead(port, size) {
        g.log.push(`in${size}@${port.toString(16)}`);
        return g.portInput.shift() ?? 0;
      },
      portWrite(port, size, value) {
        g.log.push(`out${size}@${port.toString(16)}=${value.toString(16)}`);
        g.portOutput.push(value);
      },
    };
    if (g.wholeWindowIsMmio) cb.isMmio = inWindow;
    return cb;
  }
  return g;
}

/**
 * A 64-bit (or 32-bit flat) guest at CPL 0: 4 MiB RAM, identity-mapped low 2 MiB and the MMIO window,
 * the snippet at 0x10000, RSP at 0x8000.
 */
export function guest(source: string, bits: 32 | 64 = 64, extraMap: readonly [number, number][] = []): Guest {
  const machine = new BareMachine({ ramSize: 4 << 20 });
  machine.physical.load(CODE, assemble(source, bits, CODE));
  enterFlatMode(machine.cpu, { mode: bits, identityMap: [[0, 0x200000], [MMIO_BASE, MMIO_SIZE], ...extraMap], pageTablesAt: 0x300000 });
  machine.cpu.s[I_RIP] = CODE;
  machine.cpu.state.setGpr(4, 0x8000n);
  return makeGuest(machine);
}

/** Real mode reaches only the first MiB: there the trap window is at REAL_MMIO. */
export const REAL_MMIO = 0x90000;

/** A real-mode guest: 512 KiB RAM, code at 0000:7C00, all segments 0, SP 0x7000; window at 9000:0000. */
export function realModeGuest(source: string): Guest {
  const machine = new BareMachine({ ramSize: 0x80000 });
  const g = makeGuest(machine, REAL_MMIO);
  machine.physical.load(0x7c00, assemble(source, 16, 0x7c00));
  const cpu = machine.cpu;
  for (const seg of [0, 1, 2, 3, 4, 5]) cpu.loadRealSegment(seg, 0);
  cpu.s[I_RIP] = 0x7c00;
  cpu.state.setGpr(4, 0x7000n);
  return g;
}

/** Page-table edits for a 4-level guest: tables are allocated from a bump pointer at 0x380000. */
let nextTable = 0x380000;

function write64(g: Guest, at: number, value: number): void {
  g.machine.physical.write(at, 4, value % 2 ** 32);
  g.machine.physical.write(at + 4, 4, Math.floor(value / 2 ** 32));
}

function read64(g: Guest, at: number): number {
  return g.machine.physical.read(at, 4) + g.machine.physical.read(at + 4, 4) * 2 ** 32;
}

/**
 * Map `virtual` to `physical` in the guest's 4-level tables with a 4 KiB, 2 MiB or 1 GiB page
 * (present, writable, user). CR4.PSE is not involved: long mode ignores it.
 */
export function mapPage(g: Guest, virtual: number, physical: number, pageSize: 0x1000 | 0x200000 | 0x40000000 = 0x1000): void {
  let table = (g.machine.cpu.s[offsetCr3]! & ~0xfff) >>> 0;
  const leafLevel = pageSize === 0x1000 ? 1 : pageSize === 0x200000 ? 2 : 3;
  for (let level = 4; level > leafLevel; level--) {
    const at = table + (Math.floor(virtual / 2 ** (12 + 9 * (level - 1))) % 512) * 8;
    let entry = read64(g, at);
    if ((entry & 1) === 0) {
      const fresh = nextTable;
      nextTable += 0x1000;
      g.machine.physical.load(fresh, new Uint8Array(0x1000));
      entry = fresh | 7;
      write64(g, at, entry);
    }
    table = entry - (entry % 0x1000);
  }
  const at = table + (Math.floor(virtual / 2 ** (12 + 9 * (leafLevel - 1))) % 512) * 8;
  write64(g, at, physical + 7 + (leafLevel > 1 ? 0x80 : 0));
  g.machine.cpu.flushTlb();
}

const offsetCr3 = I_CR + 6;
