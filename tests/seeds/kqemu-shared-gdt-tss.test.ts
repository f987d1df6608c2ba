/**
 * Seed kqemu-amd64-smp-shared-gdt-tss.txt: on an SMP amd64 host whose CPUs share one GDT, kqemu
 * saved/restored TR with STR/LTR and ended up using another CPU's TSS, so interrupt stacks (RSP0,
 * IST) were wrong. Here two vCPUs share one GDT and one IDT, each LTRs its own TSS descriptor:
 * LTR marks the descriptor busy and faults on a busy one; an interrupt from ring 3 switches to the
 * RSP0 of the vCPU's own TSS; a double fault through IST1 lands on that vCPU's IST stack
 * (SDM Vol. 3, 8.7 and 6.14.5).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExitReason } from '../../src/cpu/cpu.js';
import { I_GPR, I_HALTED, I_RIP } from '../../src/cpu/state/cpu-state.js';
import { descriptor, SEL, systemMachine, CODE_BASE } from '../system/machine.js';
import { assemble } from '../support/nasm.js';

const IDT = 0x30000, RESULTS = 0x8000;
const TSS = [0x20000, 0x21000], RSP0 = [0x50000, 0x60000], IST1 = [0x70000, 0x78000], USER_STACK = [0x40000, 0x44000];
const TSS_SEL = [SEL.FREE, SEL.FREE + 0x10];

const PROGRAM = `
        ltr ax                          ; AX = this vCPU's TSS selector
        lidt [idtr]
        push ${SEL.UDATA | 3}
        push rbx                        ; RBX = this vCPU's user stack
        pushfq
        push ${SEL.UCODE64 | 3}
        lea rcx, [rel user]
        push rcx
        iretq
user:   int 0x80                        ; to ring 0 on RSP0
        int 0x81                        ; gate not present: #NP, whose gate is not present: #DF on IST1
        jmp $
int80:  mov [${RESULTS}], rsp
        iretq
double: mov [${RESULTS + 8}], rsp
        mov rax, [rsp]                  ; the #DF error code (0)
        mov [${RESULTS + 16}], rax
        hlt
idtr:   dw 256 * 16 - 1
        dq ${IDT}
`;

function gate(handler: number, dpl: number, ist = 0): [number, number, number, number] {
  const lo = ((SEL.KCODE64 << 16) | (handler & 0xffff)) >>> 0;
  const hi = ((handler & 0xffff0000) | 0x8e00 | (dpl << 13) | ist) >>> 0;
  return [lo, hi, 0, 0];
}

function setup() {
  const sm = systemMachine(PROGRAM, { mode: 64, cpl: 0, cpus: 2 });
  const mem = sm.machine.physical;
  const labels = assembleLabels();
  for (const [vector, g] of [[0x80, gate(labels.int80, 3)], [8, gate(labels.double, 0, 1)]] as const) {
    g.forEach((w, i) => mem.write(IDT + vector * 16 + i * 4, 4, w));
  }
  // Vector 0x81 (DPL 3) and vector 11 (#NP) stay not present.
  mem.write(IDT + 0x81 * 16 + 4, 4, 0x6e00);
  for (let c = 0; c < 2; c++) {
    mem.write(TSS[c]! + 4, 4, RSP0[c]!);
    mem.write(TSS[c]! + 36, 4, IST1[c]!);
    sm.setGdt(TSS_SEL[c]!, descriptor(TSS[c]!, 0x67, 0x89, 0), [0, 0]);
    const cpu = sm.machine.cpus[c]!;
    cpu.exitOnException = false; // interrupts and exceptions go through the guest's IDT
    cpu.s[I_GPR] = TSS_SEL[c]!;
    cpu.s[I_GPR + 2 * 3] = USER_STACK[c]!;
  }
  return sm;
}

/** Handler addresses: assemble once more and find the labels by their byte patterns' offsets. */
function assembleLabels(): { int80: number; double: number } {
  const marker = (label: string) => assemble(`${PROGRAM}\nmark: dq ${label}`, 64, CODE_BASE);
  const read = (bytes: Uint8Array) => Number(new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 8).getBigUint64(0, true));
  return { int80: read(marker('int80')), double: read(marker('double')) };
}

const busy = (sm: ReturnType<typeof setup>, c: number) => ((sm.read32(0x1000 + TSS_SEL[c]! + 4) >> 8) & 0xf) === 0xb;

describe('seed kqemu-amd64-smp-shared-gdt-tss: per-vCPU TR on a shared GDT', () => {
  it('each vCPU takes ring-3 interrupts on its own RSP0 and #DF on its own IST1', () => {
    const sm = setup();
    for (let c = 0; c < 2; c++) {
      const cpu = sm.machine.cpus[c]!;
      const exit = cpu.run(10_000);
      assert.equal(exit, ExitReason.Halted, `vCPU ${c}: exit ${exit}, vector ${cpu.faultVector} error ${cpu.faultErrorCode}`);
      assert.ok(busy(sm, c), `vCPU ${c}: LTR marks its TSS descriptor busy`);
      assert.equal(sm.read32(RESULTS), RSP0[c]! - 5 * 8, `vCPU ${c}: INT 0x80 from ring 3 used RSP0 of its own TSS`);
      assert.equal(sm.read32(RESULTS + 8), IST1[c]! - 6 * 8, `vCPU ${c}: #DF used IST1 of its own TSS`);
      assert.equal(sm.read32(RESULTS + 16), 0, '#DF pushes error code 0');
    }
  });

  it("LTR of another vCPU's busy TSS descriptor raises #GP(selector)", () => {
    const sm = setup();
    const [first, second] = sm.machine.cpus;
    first!.run(10_000);
    assert.ok(busy(sm, 0));
    second!.s[I_GPR] = TSS_SEL[0]!;
    second!.s[I_HALTED] = 0;
    second!.s[I_RIP] = CODE_BASE;
    second!.exitOnException = true;
    assert.equal(second!.run(10), ExitReason.Exception);
    assert.equal(second!.faultVector, 13);
    assert.equal(second!.faultErrorCode, TSS_SEL[0]);
  });
});
