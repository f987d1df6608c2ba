/**
 * An interrupt request line as a device sees it (DESIGN "Devices and buses": devices hold
 * `IrqLine`s made by the PIC/IOAPIC and never import the CPU). The line has a level; whoever made
 * it (an interrupt controller input, a fan-out to PIC and IOAPIC, a test probe) receives every
 * change of that level. Edge-triggered inputs see a rising edge on `raise()` after `lower()`.
 */
export type IrqSink = (level: boolean) => void;

export class IrqLine {
  private current = false;

  constructor(private readonly sink: IrqSink, readonly name = 'irq') {}

  /** A line connected to nothing (an unwired device output). */
  static unconnected(name = 'unconnected'): IrqLine {
    return new IrqLine(() => {}, name);
  }

  /** One line driving several inputs (e.g. the same ISA IRQ into the i8259 and the IOAPIC). */
  static fanOut(name: string, ...targets: IrqLine[]): IrqLine {
    return new IrqLine((level) => { for (const t of targets) t.set(level); }, name);
  }

  get level(): boolean {
    return this.current;
  }

  /** Drive the line to `level`; the sink hears only changes. */
  set(level: boolean): void {
    if (level === this.current) return;
    this.current = level;
    this.sink(level);
  }

  raise(): void {
    this.set(true);
  }

  lower(): void {
    this.set(false);
  }

  /** A rising then a falling edge (what an edge-triggered ISA device produces for one event). */
  pulse(): void {
    this.set(true);
    this.set(false);
  }
}
