/** The instruction-emulation assist for hypervisors (see docs/ASSIST.md). */
export { emulateMmioAccess, emulatePortIo, InstructionAssist } from './assist.js';
export { loadVcpuState, saveVcpuState, changedFields } from './vcpu-state.js';
export type {
  AssistCallbacks, AssistDone, AssistError, AssistErrorReason, AssistFault, AssistResult, DescriptorTableRegister,
  MmioExit, PortIoExit, SegmentCache, SegmentRegisters, VcpuField, VcpuState,
} from './types.js';
