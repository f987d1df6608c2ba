/**
 * A small AML encoder (ACPI 6.4 specification, chapter 20 "ACPI Machine Language (AML)
 * Specification", and 6.4 "Resource Data Types for ACPI"). Every function returns the encoded
 * bytes of one term; composite terms take their contents as already-encoded terms.
 *
 * Only what the machine's DSDT needs is here: name strings, data objects (integers, strings,
 * buffers, packages), Name/Scope/Device/Processor/Method, a few statements (Return, Store,
 * LocalX/ArgX) and the resource descriptors used in _CRS templates.
 */

export type Aml = Uint8Array;

export function concat(parts: readonly Aml[]): Aml {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function bytes(...values: number[]): Aml {
  return Uint8Array.from(values);
}

function leBytes(value: number | bigint, count: number): number[] {
  let v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(8 * count)) throw new Error(`AML: ${value} does not fit in ${count} bytes`);
  const out: number[] = [];
  for (let i = 0; i < count; i++) { out.push(Number(v & 0xffn)); v >>= 8n; }
  return out;
}

// ---- Package length (20.2.4) -------------------------------------------------------------------

/**
 * PkgLength for a package whose contents (after the PkgLength itself) are `contentLength` bytes.
 * The encoded value counts the PkgLength bytes too. One byte holds up to 63; otherwise bits 7:6 of
 * the lead byte give the number of following bytes (1-3), its bits 3:0 the low nibble, and each
 * following byte the next 8 bits.
 */
export function pkgLength(contentLength: number): Aml {
  if (contentLength + 1 <= 0x3f) return bytes(contentLength + 1);
  for (let extra = 1; extra <= 3; extra++) {
    const total = contentLength + 1 + extra;
    if (total < 2 ** (4 + 8 * extra)) {
      const out = [(extra << 6) | (total & 0x0f)];
      for (let i = 0; i < extra; i++) out.push(Math.floor(total / 2 ** (4 + 8 * i)) & 0xff);
      return Uint8Array.from(out);
    }
  }
  throw new Error(`AML: package too long (${contentLength} bytes)`);
}

/** An opcode (one or two bytes) followed by PkgLength and the contents. */
function withPkgLength(opcode: readonly number[], contents: readonly Aml[]): Aml {
  const body = concat(contents);
  return concat([Uint8Array.from(opcode), pkgLength(body.length), body]);
}

// ---- Names (20.2.2) ----------------------------------------------------------------------------

/** A NameSeg: one to four characters [A-Z_][A-Z0-9_]*, padded with '_' to four. */
export function nameSeg(seg: string): Aml {
  if (!/^[A-Z_][A-Z0-9_]{0,3}$/.test(seg)) throw new Error(`AML: invalid name segment "${seg}"`);
  return new TextEncoder().encode(seg.padEnd(4, '_'));
}

/**
 * A NameString from ASL notation: an optional root prefix '\' or parent prefixes '^', then
 * segments separated by '.'. "\" alone is the root (a NullName after the prefix).
 */
export function nameString(path: string): Aml {
  let i = 0;
  const prefix: number[] = [];
  if (path[0] === '\\') { prefix.push(0x5c); i = 1; } else while (path[i] === '^') { prefix.push(0x5e); i++; }
  const rest = path.slice(i);
  const segs = rest === '' ? [] : rest.split('.');
  const encoded = segs.map(nameSeg);
  let body: Aml;
  if (segs.length === 0) body = bytes(0x00); // NullName
  else if (segs.length === 1) body = encoded[0]!;
  else if (segs.length === 2) body = concat([bytes(0x2e), ...encoded]); // DualNamePrefix
  else if (segs.length <= 255) body = concat([bytes(0x2f, segs.length), ...encoded]); // MultiNamePrefix
  else throw new Error('AML: name path too long');
  return concat([Uint8Array.from(prefix), body]);
}

// ---- Data objects (20.2.3) ---------------------------------------------------------------------

export const Zero = bytes(0x00);
export const One = bytes(0x01);

/** The shortest integer encoding: ZeroOp, OneOp, BytePrefix, WordPrefix, DWordPrefix, QWordPrefix. */
export function integer(value: number | bigint): Aml {
  const v = BigInt(value);
  if (v < 0n || v >= 1n << 64n) throw new Error(`AML: integer out of range: ${value}`);
  if (v === 0n) return Zero;
  if (v === 1n) return One;
  if (v <= 0xffn) return bytes(0x0a, ...leBytes(v, 1));
  if (v <= 0xffffn) return bytes(0x0b, ...leBytes(v, 2));
  if (v <= 0xffffffffn) return bytes(0x0c, ...leBytes(v, 4));
  return bytes(0x0e, ...leBytes(v, 8));
}

/** Fixed-width encodings, for values whose size matters to a reader (e.g. _ADR as a DWord). */
export const byteConst = (v: number): Aml => bytes(0x0a, ...leBytes(v, 1));
export const wordConst = (v: number): Aml => bytes(0x0b, ...leBytes(v, 2));
export const dwordConst = (v: number): Aml => bytes(0x0c, ...leBytes(v, 4));
export const qwordConst = (v: number | bigint): Aml => bytes(0x0e, ...leBytes(v, 8));

/** A String: StringPrefix, ASCII characters 0x01-0x7F, NUL. */
export function string(text: string): Aml {
  for (const ch of text) if (ch.charCodeAt(0) < 1 || ch.charCodeAt(0) > 0x7f) throw new Error('AML: string must be ASCII');
  return concat([bytes(0x0d), new TextEncoder().encode(text), bytes(0x00)]);
}

/** Buffer(n) { bytes }: BufferOp PkgLength BufferSize ByteList. */
export function buffer(data: Aml): Aml {
  return withPkgLength([0x11], [integer(data.length), data]);
}

/** Package() { elements }: PackageOp PkgLength NumElements PackageElementList. */
export function packageOf(elements: readonly Aml[]): Aml {
  if (elements.length > 255) throw new Error('AML: Package with more than 255 elements needs VarPackage');
  return withPkgLength([0x12], [bytes(elements.length), ...elements]);
}

/** A compressed EISA ID (EisaId("PNP0A03")) as a DWord constant: 3 letters × 5 bits, 4 hex digits. */
export function eisaId(id: string): Aml {
  if (!/^[A-Z]{3}[0-9A-F]{4}$/.test(id)) throw new Error(`AML: invalid EISA ID "${id}"`);
  const c = (i: number) => id.charCodeAt(i) - 0x40;
  const b0 = (c(0) << 2) | (c(1) >> 3);
  const b1 = ((c(1) & 7) << 5) | c(2);
  const b2 = parseInt(id.slice(3, 5), 16);
  const b3 = parseInt(id.slice(5, 7), 16);
  return bytes(0x0c, b0, b1, b2, b3);
}

// ---- Named objects and namespace modifiers (20.2.5) ----------------------------------------------

/** Name(path, value). */
export function name(path: string, value: Aml): Aml {
  return concat([bytes(0x08), nameString(path), value]);
}

/** Scope(path) { terms }. */
export function scope(path: string, terms: readonly Aml[]): Aml {
  return withPkgLength([0x10], [nameString(path), ...terms]);
}

/** Device(path) { terms }. */
export function device(path: string, terms: readonly Aml[]): Aml {
  return withPkgLength([0x5b, 0x82], [nameString(path), ...terms]);
}

/**
 * Processor(path, id, pblkAddress, pblkLength) { terms } (ACPI 1.0-style processor declaration,
 * deprecated since ACPI 6.0 in favour of Device(ACPI0007) but understood by every OS).
 */
export function processor(path: string, id: number, pblkAddress: number, pblkLength: number, terms: readonly Aml[] = []): Aml {
  return withPkgLength([0x5b, 0x83], [nameString(path), bytes(...leBytes(id, 1)), bytes(...leBytes(pblkAddress, 4)),
    bytes(...leBytes(pblkLength, 1)), ...terms]);
}

/** Method(path, argCount, Serialized?) { terms }. */
export function method(path: string, argCount: number, serialized: boolean, terms: readonly Aml[]): Aml {
  if (argCount < 0 || argCount > 7) throw new Error('AML: a method takes 0-7 arguments');
  return withPkgLength([0x14], [nameString(path), bytes(argCount | (serialized ? 0x08 : 0)), ...terms]);
}

// ---- Statements and arguments (20.2.6) -----------------------------------------------------------

/** Return(value). */
export function returnOp(value: Aml): Aml {
  return concat([bytes(0xa4), value]);
}

/** Store(source, target). */
export function store(source: Aml, target: Aml): Aml {
  return concat([bytes(0x70), source, target]);
}

/** LocalN (0-7) and ArgN (0-6). */
export function local(n: number): Aml {
  if (n < 0 || n > 7) throw new Error('AML: Local0-Local7');
  return bytes(0x60 + n);
}
export function arg(n: number): Aml {
  if (n < 0 || n > 6) throw new Error('AML: Arg0-Arg6');
  return bytes(0x68 + n);
}

/** A reference to a named object as an operand (a bare NameString). */
export const ref = nameString;

// ---- Resource descriptors (ACPI 6.4, 6.4.2 small and 6.4.3 large resources) -------------------

/** ResourceTemplate() { descriptors }: a Buffer ending with an End Tag (checksum byte 0). */
export function resourceTemplate(descriptors: readonly Aml[]): Aml {
  return buffer(concat([...descriptors, endTag()]));
}

/** End Tag (small item 0Fh, length 1): checksum 0 means "the checksum is not checked". */
export function endTag(): Aml {
  return bytes(0x79, 0x00);
}

/** IO(Decode16 or Decode10, min, max, alignment, length): small item 08h. */
export function io(min: number, max: number, alignment: number, length: number, decode16 = true): Aml {
  return bytes(0x47, decode16 ? 1 : 0, ...leBytes(min, 2), ...leBytes(max, 2), ...leBytes(alignment, 1), ...leBytes(length, 1));
}

function irqMask(irqs: readonly number[]): number[] {
  let mask = 0;
  for (const irq of irqs) {
    if (irq < 0 || irq > 15) throw new Error(`AML: ISA IRQ ${irq} out of range`);
    mask |= 1 << irq;
  }
  return leBytes(mask, 2);
}

/** IRQNoFlags() { irqs }: small item 04h, length 2 (edge, active high, exclusive). */
export function irqNoFlags(irqs: readonly number[]): Aml {
  return bytes(0x22, ...irqMask(irqs));
}

export interface InterruptFlags {
  consumer?: boolean; // default ResourceConsumer
  edge: boolean;
  activeLow: boolean;
  shared?: boolean;
}

/** IRQ(Edge/Level, ActiveHigh/ActiveLow, Exclusive/Shared) { irqs }: small item 04h, length 3. */
export function irq(flags: InterruptFlags, irqs: readonly number[]): Aml {
  const info = (flags.edge ? 1 : 0) | (flags.activeLow ? 0x08 : 0) | (flags.shared ? 0x10 : 0);
  return bytes(0x23, ...irqMask(irqs), info);
}

/** Interrupt(consumer/producer, trigger, polarity, sharing) { GSIs }: Extended Interrupt (large 09h). */
export function interrupt(flags: InterruptFlags, gsis: readonly number[]): Aml {
  if (gsis.length === 0 || gsis.length > 255) throw new Error('AML: Interrupt needs 1-255 numbers');
  const info = ((flags.consumer ?? true) ? 1 : 0) | (flags.edge ? 2 : 0) | (flags.activeLow ? 4 : 0) | (flags.shared ? 8 : 0);
  const body = [info, gsis.length, ...gsis.flatMap((g) => leBytes(g, 4))];
  return bytes(0x89, ...leBytes(body.length, 2), ...body);
}

/** Memory32Fixed(ReadWrite/ReadOnly, base, length): large item 06h. */
export function memory32Fixed(base: number, length: number, readWrite = true): Aml {
  return bytes(0x86, 9, 0, readWrite ? 1 : 0, ...leBytes(base, 4), ...leBytes(length, 4));
}

/** Resource type of an address space descriptor. */
export const AddressSpace = { Memory: 0, Io: 1, BusNumber: 2 } as const;
export type AddressSpace = (typeof AddressSpace)[keyof typeof AddressSpace];

export interface AddressRange {
  /** ResourceProducer (a bridge's window) or ResourceConsumer. Default producer. */
  consumer?: boolean;
  min: number | bigint;
  max: number | bigint;
  /** Default 0. */
  granularity?: number | bigint;
  /** Default 0. */
  translation?: number | bigint;
  /** Default max - min + 1. */
  length?: number | bigint;
}

/**
 * Address space descriptors (6.4.3.5): Word (large 08h), DWord (07h), QWord (0Ah). General flags:
 * bit 3 _MAF and bit 2 _MIF (both set: the window is fixed), bit 1 _DEC (0: positive decode),
 * bit 0 consumer (1) / producer (0). Then the type-specific flags and five fields of the width:
 * granularity, minimum, maximum, translation offset, length.
 */
function addressSpace(tag: number, width: number, type: AddressSpace, typeFlags: number, r: AddressRange): Aml {
  const min = BigInt(r.min), max = BigInt(r.max);
  const length = r.length !== undefined ? BigInt(r.length) : max - min + 1n;
  const general = 0x0c | (r.consumer ? 1 : 0);
  const fields = [r.granularity ?? 0, min, max, r.translation ?? 0, length].flatMap((v) => leBytes(v, width));
  const body = [type, general, typeFlags, ...fields];
  return bytes(tag, ...leBytes(body.length, 2), ...body);
}

/** WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, ...). */
export function wordBusNumber(r: AddressRange): Aml {
  return addressSpace(0x88, 2, AddressSpace.BusNumber, 0, r);
}

/** WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, ...): _RNG = 3. */
export function wordIo(r: AddressRange): Aml {
  return addressSpace(0x88, 2, AddressSpace.Io, 0x03, r);
}

/** Memory caching attribute of a memory range (_MEM). */
export type MemoryCaching = 'noncacheable' | 'cacheable' | 'writecombining' | 'prefetchable';
const CACHING: Record<MemoryCaching, number> = { noncacheable: 0, cacheable: 1, writecombining: 2, prefetchable: 3 };

function memoryFlags(caching: MemoryCaching, readWrite: boolean): number {
  return (CACHING[caching] << 1) | (readWrite ? 1 : 0); // _MTP = AddressRangeMemory, _TTP = TypeStatic
}

/** DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, caching, ReadWrite, ...). */
export function dwordMemory(r: AddressRange, caching: MemoryCaching, readWrite = true): Aml {
  return addressSpace(0x87, 4, AddressSpace.Memory, memoryFlags(caching, readWrite), r);
}

/** QWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, caching, ReadWrite, ...). */
export function qwordMemory(r: AddressRange, caching: MemoryCaching, readWrite = true): Aml {
  return addressSpace(0x8a, 8, AddressSpace.Memory, memoryFlags(caching, readWrite), r);
}

// ---- Definition block ---------------------------------------------------------------------------

/** The AML body of a definition block (DSDT/SSDT): a TermList. */
export function termList(terms: readonly Aml[]): Aml {
  return concat(terms);
}
