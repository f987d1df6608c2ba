/** What the CPU sees of the I/O port space (implemented by bus/PortBus). */
export interface PortIo {
  read(port: number, size: number): number;
  write(port: number, size: number, value: number): void;
}
