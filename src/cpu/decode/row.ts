/**
 * One row of an opcode map, written the way the Intel SDM Vol. 2 writes it.
 *
 * `opcode` grammar (space separated, in this order):
 *   [NP|66|F2|F3]    mandatory prefix (SSE rows); NP = none of 66/F2/F3. Absent: any prefix.
 *   [0F [38|3A]]     escape bytes selecting the map
 *   XX | XX+r        the opcode byte; `+r` = eight opcodes with a register number in bits 2:0
 *   [/0../7 | /r]    ModRM.reg selects the row (`/digit`) or names a register (`/r`)
 *   [mem | reg]      the row applies only to that ModRM.mod class (mod != 3 / mod = 3)
 *   [YY]             the row applies only to this exact ModRM byte (x87 D9 E8, 0F 01 D0, ...)
 *
 * `operands` uses the SDM Appendix A.2 letters and size codes, comma separated:
 *   E G M R O I J A C D S N P Q U V W X Y  followed by b w d q v z y dq p a s ...;
 *   fixed registers AL CL DX eAX rAX 1 ES CS SS DS FS GS ...;
 *   Z* = register encoded in opcode bits 2:0 (+REX.B) (the SDM's "rAX/r8" columns);
 *   Ibs = Ib sign-extended to the operand size (the SDM marks this in a footnote);
 *   x87: ST0, STi, and memory sizes Mt (m80), Me (FPU environment), Mst (FSAVE image),
 *   Mfx (512-byte FXSAVE image).
 *
 * `attrs` (space separated): lock (LOCK allowed with a memory destination), i64 (invalid in 64-bit
 * mode), o64 (only in 64-bit mode), d64 (operand size defaults to 64 in 64-bit mode), f64 (operand
 * size forced to 64 in 64-bit mode), rep (REP applies: string op), repcc (REPE/REPNE apply), branch
 * (ends a decoded block), cpl0 (needs CPL 0), pm (needs protected mode: #UD in real and v8086
 * mode), sse/sse2/... (required CPUID feature), nomod3 etc. are expressed in `opcode`.
 */
export interface OpcodeRow {
  readonly opcode: string;
  readonly name: string;
  readonly operands?: string;
  readonly exec: string;
  readonly attrs?: string;
}
