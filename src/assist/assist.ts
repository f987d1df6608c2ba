/**
 * The instruction-emulation assist (the role of NetBSD's libnvmm `nvmm_assist_mem`/`nvmm_assist_io`):
 * a hypervisor without an in-kernel emulator gets a VM exit on MMIO or port I/O and must perform the
 * faulting instruction itself. This module does it with the interpreter's own decoder and executor:
 * a private `Cpu` runs on a `CallbackMemory`/`CallbackPorts` pair, is loaded with the exit's register
 * snapshot, executes exactly one instruction, and the new state (or the fault to inject) is returned.
 */
import { CallbackMemory, CallbackPorts, MissingCallbackError } from './guest-bus.js';
import { changedFields, loadVcpuState, saveVcpuState, validateVcpuState } from './vcpu-state.js';
import type {
  AssistCallbacks, AssistError, AssistErrorReason, AssistResult, MmioExit, PortIoExit, VcpuState,
} from './types.js';
import { CodeCache, Cpu, CPU_BLOCK_BYTES, ExitReason, FAULT_SIGNAL, VEC_PF } from '../cpu/cpu.js';
import { DEFAULT_FEATURES, type CpuFeatures } from '../cpu/cpuid.js';
import { DecodeMode } from '../cpu/decode/decoder.js';
import { OpKind, PFX_REP, PFX_REPNE, type Instr } from '../cpu/decode/instr.js';
import { disassemble } from '../cpu/decode/disassembler.js';
import { I_CR, I_RFLAGS, I_RIP, I_SEG_BASE } from '../cpu/state/cpu-state.js';
import { IOPL, TF } from '../cpu/exec/flags.js';
import { PAGE_SIZE } from '../mem/physical-memory.js';

const WASM_PAGE = 65536;

/**
 * The private vCPU: its state block lives in a small WebAssembly memory of its own; guest memory and
 * ports are the callback-backed ones.
 */
function createAssistCpu(features: CpuFeatures = DEFAULT_FEATURES): { cpu: Cpu; memory: CallbackMemory } {
  const pages = Math.ceil(CPU_BLOCK_BYTES / WASM_PAGE);
  const memory = new CallbackMemory(new WebAssembly.Memory({ initial: pages, maximum: pages }));
  const cpu = new Cpu(memory, new CallbackPorts(memory), new CodeCache(memory), 0, 0, features);
  return { cpu, memory };
}

/** Executors that access memory without a ModRM memory operand (string, stack, XLAT). */
const IMPLICIT_MEMORY = new Set([
  'movs', 'cmps', 'stos', 'lods', 'scas', 'ins', 'outs', 'xlat', 'push', 'pop', 'push_sreg', 'pop_sreg', 'pusha',
  'popa', 'pushf', 'popf', 'call', 'call_indirect', 'callf', 'callf_indirect', 'ret', 'retf', 'enter', 'leave', 'iret',
]);
/** Executors with a memory-form operand that never touches memory. */
const NO_MEMORY_ACCESS = new Set(['lea', 'nop']);
const IO_EXECUTORS = new Set(['in', 'out', 'ins', 'outs']);

function error(reason: AssistErrorReason, message: string, cause?: unknown): AssistError {
  return cause === undefined ? { status: 'error', reason, message } : { status: 'error', reason, message, cause };
}

function hasMemoryOperand(ins: Instr): boolean {
  return ins.kind0 === OpKind.Mem || ins.kind1 === OpKind.Mem || ins.kind2 === OpKind.Mem;
}

/** Whether the decoded instruction can access memory at all (MMIO exits). */
function canAccessMemory(ins: Instr): boolean {
  const name = ins.row?.execName ?? '';
  if (NO_MEMORY_ACCESS.has(name)) return false;
  return hasMemoryOperand(ins) || IMPLICIT_MEMORY.has(name);
}

type Check = (ins: Instr, cpu: Cpu) => AssistError | null;

/**
 * One assist engine: a private vCPU and its callback-backed memory, created on first use. Calls on
 * one engine must not nest (a callback calling back into the same engine); the module functions
 * below take care of that by using a fresh engine when the shared one is busy.
 */
export class InstructionAssist {
  private cpu: Cpu | null = null;
  private memory: CallbackMemory | null = null;
  busy = false;

  constructor(private readonly features?: CpuFeatures) {}

  /**
   * Perform the instruction that caused an MMIO exit. Accesses to the page of `exit.gpa` (or to
   * whatever `callbacks.isMmio` selects) go to mmioRead/mmioWrite; everything else (page tables,
   * the other operand of MOVS, the stack of PUSH/POP) to guest RAM through the RAM callbacks.
   */
  emulateMmioAccess(state: VcpuState, exit: MmioExit, callbacks: AssistCallbacks): AssistResult {
    let gpa: number;
    try {
      gpa = Number(BigInt(exit.gpa));
    } catch {
      return error('invalid-state', 'exit.gpa is not an integer');
    }
    if (!Number.isSafeInteger(gpa) || gpa < 0) return error('invalid-state', 'exit.gpa is out of range');
    const page = Math.floor(gpa / PAGE_SIZE);
    const isMmio = callbacks.isMmio ? (a: number) => callbacks.isMmio!(a) : (a: number) => Math.floor(a / PAGE_SIZE) === page;
    return this.perform(state, exit.instructionBytes, callbacks, isMmio, false, (ins) =>
      canAccessMemory(ins) ? null : error('not-a-memory-instruction', `${ins.row?.name ?? 'this instruction'} cannot access memory`));
  }

  /**
   * Perform the IN, OUT, INS or OUTS that caused an I/O exit. The exit's port/size/direction/
   * string/rep, when given, are checked against the decoded instruction. String forms read or write
   * guest memory (segment override on OUTS, ES:rDI for INS with or without REP, rCX at the address
   * size, DF); a REP form does up to 4096 iterations per call (`incomplete` tells when more remain).
   *
   * The hardware checked I/O permission before the exit. When `state.segments.tr` is given the
   * check is repeated against the TSS bitmap; without it, IOPL is treated as 3 while executing.
   */
  emulatePortIo(state: VcpuState, exit: PortIoExit, callbacks: AssistCallbacks): AssistResult {
    const isMmio = callbacks.isMmio ? (a: number) => callbacks.isMmio!(a) : () => false;
    return this.perform(state, exit.instructionBytes, callbacks, isMmio, !state?.segments?.tr, (ins, cpu) => checkIoExit(ins, cpu, exit));
  }

  private engine(): { cpu: Cpu; memory: CallbackMemory } {
    if (this.cpu === null || this.memory === null) {
      const created = createAssistCpu(this.features);
      this.cpu = created.cpu;
      this.memory = created.memory;
    }
    return { cpu: this.cpu, memory: this.memory };
  }

  private perform(state: VcpuState, bytes: Uint8Array | undefined, callbacks: AssistCallbacks,
    isMmio: (gpa: number) => boolean, elevateIopl: boolean, check: Check): AssistResult {
    const problem = validateVcpuState(state);
    if (problem !== null) return error('invalid-state', problem);
    if (!callbacks || typeof callbacks.readGuestPhysical !== 'function' || typeof callbacks.writeGuestPhysical !== 'function') {
      return error('missing-callback', 'readGuestPhysical and writeGuestPhysical are required');
    }
    if (bytes !== undefined && !(bytes instanceof Uint8Array)) return error('invalid-state', 'instructionBytes must be a Uint8Array');
    const { cpu, memory } = this.engine();
    this.busy = true;
    memory.begin(callbacks, isMmio);
    try {
      return this.performLoaded(cpu, memory, state, bytes, elevateIopl, check);
    } catch (e) {
      memory.discard();
      if (e === FAULT_SIGNAL) return error('callback-error', 'unexpected guest fault outside an instruction');
      if (e instanceof MissingCallbackError) return error('missing-callback', e.message);
      return error('callback-error', `a callback failed: ${e instanceof Error ? e.message : String(e)}`, e);
    } finally {
      cpu.instructionBytes = null;
      memory.callbacks = null;
      this.busy = false;
    }
  }

  private performLoaded(cpu: Cpu, memory: CallbackMemory, state: VcpuState, bytes: Uint8Array | undefined,
    elevateIopl: boolean, check: Check): AssistResult {
    loadVcpuState(cpu, state);
    const s = cpu.s;
    // TF: the single-step trap is reported to the VMM rather than delivered here.
    const flagsIn = s[I_RFLAGS]!;
    s[I_RFLAGS] = (flagsIn & ~TF) | (elevateIopl ? IOPL : 0);
    const ripLo = s[I_RIP]!, ripHi = s[I_RIP + 1]!;

    // Decode first (to validate), from the exit's bytes or from CS:RIP through the page tables.
    let ins: Instr;
    let source: ((offset: number) => number) | null = null;
    if (bytes !== undefined) {
      let truncated = false;
      source = (i) => {
        if (i < bytes.length) return bytes[i]!;
        truncated = true;
        return 0;
      };
      ins = cpu.decoder.decode(source, cpu.mode);
      if (truncated) {
        return error('truncated-instruction', `the instruction needs more than the ${bytes.length} byte(s) given`);
      }
    } else {
      try {
        ins = cpu.decodeAt(fetchLinear(cpu));
      } catch (e) {
        if (e !== FAULT_SIGNAL) throw e;
        return this.faultResult(cpu, memory, state, flagsIn);
      }
    }
    if (ins.fault < 0) {
      const bad = check(ins, cpu);
      if (bad !== null) {
        memory.discard();
        return bad;
      }
    }

    // Execute exactly one instruction with the interpreter.
    cpu.instructionBytes = source;
    cpu.singleStep = true;
    cpu.exitOnException = true;
    const exit = cpu.run(1);
    if (exit === ExitReason.Exception) return this.faultResult(cpu, memory, state, flagsIn);
    memory.commit();
    const after = this.snapshot(cpu, state, flagsIn);
    const rep = (ins.prefixes & (PFX_REP | PFX_REPNE)) !== 0;
    return {
      status: 'done',
      state: after,
      changed: changedFields(state, after),
      mnemonic: disassemble(ins, state.rip),
      length: ins.len,
      incomplete: rep && s[I_RIP] === ripLo && s[I_RIP + 1] === ripHi,
      singleStepTrap: (flagsIn & TF) !== 0,
      deviceAccesses: memory.deviceAccesses,
    };
  }

  /** Read the vCPU back; TF and IOPL are the guest's own (the assist may have changed them). */
  private snapshot(cpu: Cpu, template: VcpuState, flagsIn: number): VcpuState {
    const after = saveVcpuState(cpu, template);
    const keep = BigInt(TF | IOPL);
    after.rflags = (after.rflags & ~keep) | (BigInt(flagsIn >>> 0) & keep);
    return after;
  }

  private faultResult(cpu: Cpu, memory: CallbackMemory, state: VcpuState, flagsIn: number): AssistResult {
    // Architectural effects before the fault stay: completed REP iterations, A/D bits.
    memory.commit();
    const after = this.snapshot(cpu, state, flagsIn);
    const vector = cpu.faultVector;
    const result: AssistResult = {
      status: 'fault',
      vector,
      errorCode: cpu.faultErrorCode >= 0 ? cpu.faultErrorCode : null,
      state: after,
      changed: changedFields(state, after),
    };
    if (vector === VEC_PF) result.cr2 = (BigInt(cpu.s[I_CR + 5]! >>> 0) << 32n) | BigInt(cpu.s[I_CR + 4]! >>> 0);
    return result;
  }
}

/** Linear address of CS:RIP (64-bit mode: RIP itself, which must be canonical). */
function fetchLinear(cpu: Cpu): number {
  const s = cpu.s;
  if (cpu.mode === DecodeMode.Long64) return cpu.canonical((s[I_RIP]! >>> 0) + s[I_RIP + 1]! * 4294967296, 1);
  return (s[I_RIP]! + s[I_SEG_BASE + 2]!) >>> 0;
}

/** The decoded instruction must be port I/O, and agree with what the exit reported. */
function checkIoExit(ins: Instr, cpu: Cpu, exit: PortIoExit): AssistError | null {
  const name = ins.row?.execName ?? '';
  if (!IO_EXECUTORS.has(name)) return error('not-an-io-instruction', `${ins.row?.name ?? 'this instruction'} is not IN/OUT/INS/OUTS`);
  const isIn = name === 'in' || name === 'ins';
  const string = name === 'ins' || name === 'outs';
  const size = isIn ? ins.size0 : ins.size1;
  const portKind = name === 'in' ? ins.kind1 : name === 'out' ? ins.kind0 : OpKind.Implicit;
  const port = portKind === OpKind.Imm ? ins.immLo & 0xff : cpu.g16[2 * 4]!;
  const rep = (ins.prefixes & (PFX_REP | PFX_REPNE)) !== 0;
  const mismatch = (what: string) => error('exit-mismatch', `the exit reports a different ${what} than ${ins.row!.name} performs`);
  if (exit.port !== undefined && (exit.port & 0xffff) !== port) return mismatch('port');
  if (exit.size !== undefined && exit.size !== size) return mismatch('size');
  if (exit.direction !== undefined && (exit.direction === 'in') !== isIn) return mismatch('direction');
  if (exit.string !== undefined && exit.string !== string) return mismatch('string flag');
  if (exit.rep !== undefined && string && exit.rep !== rep) return mismatch('REP flag');
  return null;
}

let shared: InstructionAssist | null = null;

function engineFor(): InstructionAssist {
  shared ??= new InstructionAssist();
  return shared.busy ? new InstructionAssist() : shared;
}

/** `InstructionAssist.emulateMmioAccess` on a shared, lazily created engine. */
export function emulateMmioAccess(state: VcpuState, exit: MmioExit, callbacks: AssistCallbacks): AssistResult {
  return engineFor().emulateMmioAccess(state, exit, callbacks);
}

/** `InstructionAssist.emulatePortIo` on a shared, lazily created engine. */
export function emulatePortIo(state: VcpuState, exit: PortIoExit, callbacks: AssistCallbacks): AssistResult {
  return engineFor().emulatePortIo(state, exit, callbacks);
}
