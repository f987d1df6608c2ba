/**
 * Test support: N vCPUs in flat 32-bit protected mode (GDT 0x08 code, 0x10 data; an IDT whose 256
 * interrupt gates lead to a common handler) with local APICs, an I/O APIC and a deterministic clock.
 * The handler logs each vector into the per-vCPU log page at LOG + APIC ID × 0x1000 (dword 0: count,
 * then the vectors) and writes EOI unless the page's last dword (NO_EOI) is non-zero.
 */
import { BareMachine } from '../../../src/machine/bare-machine.js';
import { enterFlatMode } from '../../../src/machine/flat-setup.js';
import { VirtualClock } from '../../../src/machine/clock.js';
import { TimerQueue } from '../../../src/machine/timer-queue.js';
import { Scheduler } from '../../../src/machine/scheduler.js';
import { installApics, type SmpHardware } from '../../../src/machine/smp.js';
import { Pic8259 } from '../../../src/devices/pic8259.js';
import { I_GDTR_BASE, I_GDTR_LIMIT, I_GPR, I_IDTR_BASE, I_IDTR_LIMIT, I_RIP } from '../../../src/cpu/state/cpu-state.js';
import { assemble } from '../../support/nasm.js';

export const CODE_BASE = 0x10000, GDT_BASE = 0x1000, IDT_BASE = 0x2000, LOG = 0x100000, NO_EOI = 0xffc;

const PRELUDE = `
bits 32
org ${CODE_BASE}
  jmp start
align 16
handlers:
%assign v 0
%rep 256
  align 16
  push eax
  mov eax, v
  jmp isr_common
%assign v v+1
%endrep
isr_common:
  push ebx
  push ecx
  mov ecx, [0xfee00020]
  shr ecx, 24
  shl ecx, 12
  add ecx, ${LOG}
  mov ebx, [ecx]
  mov [ecx + 4 + ebx*4], eax
  inc dword [ecx]
  cmp dword [ecx + ${NO_EOI}], 0
  jne .noeoi
  mov dword [0xfee000b0], 0
.noeoi:
  pop ecx
  pop ebx
  pop eax
  iret
park:
  sti
  hlt
  jmp park
start:
`;

export interface ApicMachine {
  machine: BareMachine;
  clock: VirtualClock;
  timers: TimerQueue;
  scheduler: Scheduler;
  smp: SmpHardware;
  pic: Pic8259;
  /** The vectors the handler logged on vCPU `cpu`. */
  log(cpu: number): number[];
  read32(phys: number): number;
  write32(phys: number, value: number): void;
}

/** `entries`: per vCPU, the label its RIP starts at (default: 'start' for vCPU 0, halted otherwise). */
/**
 * `yieldOnIpi` (default false here): whether an IPI to another vCPU ends the sender's quantum (the
 * board's default); off, a vCPU can queue several IPIs before their targets run.
 */
export function apicMachine(source: string, options: { cpus?: number; entries?: Record<number, string>; yieldOnIpi?: boolean } = {}): ApicMachine {
  const cpus = options.cpus ?? 2;
  const machine = new BareMachine({ ramSize: 4 << 20, cpus });
  const clock = VirtualClock.deterministic();
  const timers = new TimerQueue(clock);
  const scheduler = new Scheduler(machine.cpus, clock, timers);
  scheduler.quantum = 1000;
  const pic = new Pic8259();
  pic.registerPorts(machine.ports);
  const smp = installApics({ physical: machine.physical, cpus: machine.cpus, timers, pic, ioApic: { id: cpus }, yieldOnIpi: options.yieldOnIpi ?? false });
  for (const cpu of machine.cpus) cpu.tscSource = () => BigInt(clock.now());
  const text = PRELUDE + source;
  const code = assemble(text, 32, CODE_BASE);
  const mem = machine.physical;
  mem.load(CODE_BASE, code);
  // GDT
  mem.write(GDT_BASE + 8, 4, 0x0000ffff); mem.write(GDT_BASE + 12, 4, 0x00cf9b00);
  mem.write(GDT_BASE + 16, 4, 0x0000ffff); mem.write(GDT_BASE + 20, 4, 0x00cf9300);
  // IDT: 32-bit interrupt gates to handlers + v * 16
  for (let v = 0; v < 256; v++) {
    const target = CODE_BASE + 16 + v * 16;
    mem.write(IDT_BASE + v * 8, 4, ((0x08 << 16) | (target & 0xffff)) >>> 0);
    mem.write(IDT_BASE + v * 8 + 4, 4, ((target & 0xffff0000) | 0x8e00) >>> 0);
  }
  const labels = labelAddresses(text);
  machine.cpus.forEach((cpu, i) => {
    enterFlatMode(cpu, { mode: 32, cpl: 0 });
    cpu.s[I_GDTR_BASE] = GDT_BASE; cpu.s[I_GDTR_LIMIT] = 0x17;
    cpu.s[I_IDTR_BASE] = IDT_BASE; cpu.s[I_IDTR_LIMIT] = 0x7ff;
    cpu.s[I_GPR + 8] = 0x90000 - i * 0x1000;
    const entry = options.entries?.[i] ?? (i === 0 ? 'start' : null);
    cpu.s[I_RIP] = labels(entry ?? 'park');
  });
  return {
    machine, clock, timers, scheduler, smp, pic,
    log: (cpu) => {
      const base = LOG + cpu * 0x1000, n = mem.read(base, 4);
      return Array.from({ length: n }, (_, k) => mem.read(base + 4 + 4 * k, 4));
    },
    read32: (p) => mem.read(p, 4) >>> 0,
    write32: (p, v) => mem.write(p, 4, v >>> 0),
  };
}

/** Label addresses by assembling with a listing of `label:` lines (nasm map through a marker trick). */
function labelAddresses(text: string): (name: string) => number {
  const cache = new Map<string, number>();
  return (name) => {
    let at = cache.get(name);
    if (at === undefined) {
      // Assemble again with the label's address emitted at the end.
      const probe = assemble(`${text}\n dd ${name}\n`, 32, CODE_BASE);
      at = (probe[probe.length - 4]! | (probe[probe.length - 3]! << 8) | (probe[probe.length - 2]! << 16) | (probe[probe.length - 1]! << 24)) >>> 0;
      cache.set(name, at);
    }
    return at;
  };
}
