import { PhysicalMemory } from '../mem/physical-memory.js';
import { PortBus } from '../bus/port-bus.js';
import { CodeCache, Cpu, CPU_BLOCK_BYTES } from '../cpu/cpu.js';
import { DEFAULT_FEATURES, type CpuFeatures } from '../cpu/cpuid.js';

const WASM_PAGE = 65536;

export interface BareMachineOptions {
  /** Guest RAM in bytes, mapped at physical 0 (rounded up to 64 KiB). */
  ramSize: number;
  /** Number of vCPUs sharing the memory and code cache. */
  cpus?: number;
  /** CPU model (CPUID answers and the instruction sets the decoder accepts). */
  features?: CpuFeatures;
}

/**
 * The smallest thing that runs code: one WebAssembly.Memory holding the vCPU state blocks and
 * guest RAM, a physical memory map, a port bus and the vCPUs. Boards (machine/pc.ts) build on it;
 * tests, benchmarks and the built-in demo use it directly.
 */
export class BareMachine {
  readonly memory: WebAssembly.Memory;
  readonly physical: PhysicalMemory;
  readonly ports = new PortBus();
  readonly code: CodeCache;
  readonly cpus: Cpu[] = [];
  /** Offset of guest-physical address 0 inside the WebAssembly memory. */
  readonly ramOffset: number;

  constructor(options: BareMachineOptions) {
    const cpuCount = options.cpus ?? 1;
    const stateBytes = Math.ceil((cpuCount * CPU_BLOCK_BYTES) / 4096) * 4096;
    const ramSize = Math.ceil(options.ramSize / WASM_PAGE) * WASM_PAGE;
    const total = stateBytes + ramSize;
    if (total > 0xffff0000) throw new Error(`guest RAM of ${options.ramSize} bytes does not fit in a 4 GiB WebAssembly memory`);
    const pages = Math.ceil(total / WASM_PAGE);
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    this.physical = new PhysicalMemory(this.memory);
    this.ramOffset = stateBytes;
    this.physical.mapRam('ram', 0, ramSize, stateBytes);
    this.code = new CodeCache(this.physical);
    for (let i = 0; i < cpuCount; i++) {
      this.cpus.push(new Cpu(this.physical, this.ports, this.code, i * CPU_BLOCK_BYTES, i, options.features ?? DEFAULT_FEATURES));
    }
  }

  get cpu(): Cpu {
    return this.cpus[0]!;
  }
}
