/**
 * Idle cost (seed nt4-smp-kvm-tpr-patch: "a vCPU in HLT costs no host CPU"): a 4-vCPU pc board in
 * real time whose BSP takes the PIT's 100 Hz interrupt through the 8259 and the local APIC's LINT0
 * and halts again, while the three APs (started by a SIPI) sit in HLT. Reports the host CPU time
 * used per second of guest time. `npm run bench -- --idle [--seconds N]` or `tsx bench/idle.ts`.
 */
import { PcMachine } from '../src/machine/pc.js';

/** A 64 KiB ROM: program the PIC (IRQ0 → vector 8) and the PIT (100 Hz), then STI; HLT forever. */
export function idleRom(): Uint8Array {
  const rom = new Uint8Array(0x10000).fill(0xff);
  rom.set([0xea, 0x00, 0xe0, 0x00, 0xf0], 0xfff0); // jmp f000:e000
  rom.set([
    0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0, 0xbc, 0x00, 0x70, // cli; xor ax,ax; mov ds,ax; mov ss,ax; mov sp,7000h
    0xc7, 0x06, 0x20, 0x00, 0x00, 0xe1, 0xc7, 0x06, 0x22, 0x00, 0x00, 0xf0, // IVT[8] = f000:e100
    0xb0, 0x11, 0xe6, 0x20, 0xb0, 0x08, 0xe6, 0x21, 0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x01, 0xe6, 0x21, 0xb0, 0xfe, 0xe6, 0x21,
    0xb0, 0x11, 0xe6, 0xa0, 0xb0, 0x70, 0xe6, 0xa1, 0xb0, 0x02, 0xe6, 0xa1, 0xb0, 0x01, 0xe6, 0xa1, 0xb0, 0xff, 0xe6, 0xa1,
    0xb0, 0x34, 0xe6, 0x43, 0xb0, 0x9c, 0xe6, 0x40, 0xb0, 0x2e, 0xe6, 0x40, // PIT ch0 mode 2, 11932 (100 Hz)
    0xfb, 0xf4, 0xeb, 0xfd, // sti; hlt; jmp hlt
  ], 0xe000);
  // IRQ0 handler: push ax; mov al,20h; out 20h,al; inc word [500h]; pop ax; iret
  rom.set([0x50, 0xb0, 0x20, 0xe6, 0x20, 0xff, 0x06, 0x00, 0x05, 0x58, 0xcf], 0xe100);
  return rom;
}

export interface IdleResult {
  seconds: number;
  cpuSeconds: number;
  percentOfCore: number;
  ticks: number;
  instructions: number;
}

export async function runIdle(seconds = 10): Promise<IdleResult> {
  const pc = new PcMachine({ ramSize: 32 << 20, cpus: 4, bios: idleRom() });
  pc.ramView(0x9000, 4).set([0xfb, 0xf4, 0xeb, 0xfd]); // APs: sti; hlt; jmp hlt
  for (const ap of pc.cpus.slice(1)) ap.signalStartup(0x09);
  const usage = process.cpuUsage();
  const start = performance.now();
  await pc.runRealtime(seconds * 1e9);
  const wall = (performance.now() - start) / 1000;
  const used = process.cpuUsage(usage);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const ticks = new DataView(pc.ramView(0x500, 2).slice().buffer).getUint16(0, true);
  return {
    seconds: wall, cpuSeconds, percentOfCore: (100 * cpuSeconds) / wall, ticks,
    instructions: pc.cpus.reduce((n, c) => n + c.instructionCount, 0),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runIdle(Number(process.env.IDLE_SECONDS ?? 10));
  console.log(`idle 4-vCPU guest: ${r.seconds.toFixed(2)} s, host CPU ${r.cpuSeconds.toFixed(3)} s (${r.percentOfCore.toFixed(2)}% of a core), ${r.ticks} timer interrupts, ${r.instructions} instructions`);
}
