/**
 * The APIC bus (SDM Vol. 3, 11.6 "Issuing Interprocessor Interrupts" and 11.11 "Message Signalled
 * Interrupts"): how interrupt messages from a local APIC's ICR or from the I/O APIC reach local
 * APICs. Destination matching (physical, logical flat/cluster, x2APIC cluster), shorthands,
 * lowest-priority arbitration, and the EOI broadcast back to I/O APICs for level-triggered vectors.
 */

/** Delivery modes (ICR / redirection entry bits 10:8). */
export const enum DeliveryMode {
  Fixed = 0,
  LowestPriority = 1,
  Smi = 2,
  Nmi = 4,
  Init = 5,
  StartUp = 6,
  ExtInt = 7,
}

/** Destination shorthand (ICR bits 19:18). */
export const enum Shorthand {
  None = 0,
  Self = 1,
  AllIncludingSelf = 2,
  AllExcludingSelf = 3,
}

export interface ApicMessage {
  vector: number;
  mode: DeliveryMode;
  /** Logical destination mode (ICR bit 11). */
  logical: boolean;
  /** Destination: 8 bits (xAPIC, I/O APIC) or 32 bits (`x2` set). */
  dest: number;
  /** The destination is an x2APIC 32-bit ID / logical ID. */
  x2: boolean;
  /** Level-triggered (TMR is set, EOI is broadcast). */
  level: boolean;
  shorthand: Shorthand;
}

/** What the bus needs from each local APIC. */
export interface ApicBusMember {
  /** Initial APIC ID (its index on the bus). */
  readonly index: number;
  matchesDestination(dest: number, logical: boolean, x2: boolean): boolean;
  /** Arbitration priority (APR) for lowest-priority delivery. */
  arbitrationPriority(): number;
  /** Whether `vector` is already pending or in service (the "focus processor"). */
  isFocus(vector: number): boolean;
  /** Accepts a message addressed to it. */
  receive(message: ApicMessage): void;
  /** Whether the APIC is globally enabled (IA32_APIC_BASE.EN): a disabled APIC takes no fixed interrupts. */
  readonly hardwareEnabled: boolean;
}

/** An I/O APIC listening for EOI broadcasts. */
export interface EoiListener {
  eoi(vector: number): void;
}

export class ApicBus {
  readonly members: ApicBusMember[] = [];
  readonly eoiListeners: EoiListener[] = [];

  attach(member: ApicBusMember): void {
    this.members.push(member);
  }

  /** The local APICs a message addresses (`source`: the sender, for shorthands; null from the I/O APIC). */
  targets(message: ApicMessage, source: ApicBusMember | null): ApicBusMember[] {
    switch (message.shorthand) {
      case Shorthand.Self: return source ? [source] : [];
      case Shorthand.AllIncludingSelf: return [...this.members];
      case Shorthand.AllExcludingSelf: return this.members.filter((m) => m !== source);
      default: return this.members.filter((m) => m.matchesDestination(message.dest, message.logical, message.x2));
    }
  }

  /** Deliver a message (ICR write, I/O APIC redirection, self IPI). */
  /** Deliver a message; returns the members that received it. */
  deliver(message: ApicMessage, source: ApicBusMember | null): readonly ApicBusMember[] {
    let targets = this.targets(message, source);
    if (message.mode === DeliveryMode.Fixed || message.mode === DeliveryMode.LowestPriority) {
      targets = targets.filter((m) => m.hardwareEnabled);
    }
    if (message.mode === DeliveryMode.LowestPriority && targets.length > 1) {
      targets = [this.lowestPriority(targets, message.vector)];
    }
    for (const t of targets) t.receive(message);
    return targets;
  }

  /**
   * Lowest-priority arbitration (SDM Vol. 3, 11.6.2.4): a focus processor (the vector already in
   * its IRR or ISR) wins, else the lowest arbitration priority; ties go to the lowest APIC ID (a
   * deterministic choice where hardware rotates).
   */
  private lowestPriority(targets: ApicBusMember[], vector: number): ApicBusMember {
    const focus = targets.find((t) => t.isFocus(vector));
    if (focus) return focus;
    let best = targets[0]!, bestApr = best.arbitrationPriority();
    for (const t of targets.slice(1)) {
      const apr = t.arbitrationPriority();
      if (apr < bestApr) { best = t; bestApr = apr; }
    }
    return best;
  }

  /** EOI for a level-triggered vector: the I/O APICs clear Remote IRR of the matching entries. */
  broadcastEoi(vector: number): void {
    for (const l of this.eoiListeners) l.eoi(vector);
  }
}
