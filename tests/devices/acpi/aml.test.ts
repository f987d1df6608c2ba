import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  arg, buffer, device, dwordMemory, eisaId, endTag, integer, interrupt, io, irqNoFlags, local, memory32Fixed, method,
  name, nameString, packageOf, pkgLength, processor, qwordMemory, ref, resourceTemplate, returnOp, scope, store,
  string, wordBusNumber, wordIo, Zero,
} from '../../../src/devices/acpi/aml.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ascii = (s: string) => Buffer.from(s, 'latin1').toString('hex');

describe('AML encoder', () => {
  it('encodes PkgLength in 1-4 bytes, counting its own bytes (ACPI 20.2.4)', () => {
    assert.equal(hex(pkgLength(0)), '01');
    assert.equal(hex(pkgLength(62)), '3f', 'total 63 fits the one-byte form');
    assert.equal(hex(pkgLength(63)), '4104', 'total 65 = 0x41: lead 0x40|1, then 0x04');
    assert.equal(hex(pkgLength(4093)), '4fff', 'total 4095, the largest two-byte value');
    assert.equal(hex(pkgLength(4094)), '810001', 'total 4097 needs three bytes');
    assert.equal(hex(pkgLength(2 ** 20)), 'c4000001', 'total 2^20 + 4 in four bytes');
  });

  it('encodes name strings: segments, padding, root/parent prefixes, dual and multi names', () => {
    assert.equal(hex(nameString('_SB')), ascii('_SB_'));
    assert.equal(hex(nameString('\\_SB.PCI0')), '5c2e' + ascii('_SB_PCI0'));
    assert.equal(hex(nameString('^^FOO')), '5e5e' + ascii('FOO_'));
    assert.equal(hex(nameString('\\_SB.PCI0.ISA')), '5c2f03' + ascii('_SB_PCI0ISA_'));
    assert.equal(hex(nameString('\\')), '5c00');
    assert.throws(() => nameString('1ABC'));
    assert.throws(() => nameString('ABCDE'));
  });

  it('encodes integers in the shortest form and strings NUL-terminated', () => {
    assert.equal(hex(integer(0)), '00');
    assert.equal(hex(integer(1)), '01');
    assert.equal(hex(integer(2)), '0a02');
    assert.equal(hex(integer(0x1234)), '0b3412');
    assert.equal(hex(integer(0xfed00000)), '0c0000d0fe');
    assert.equal(hex(integer(0x100000000n)), '0e0000000001000000');
    assert.equal(hex(string('ACPI0007')), '0d' + ascii('ACPI0007') + '00');
  });

  it('compresses EISA IDs as a DWord (EisaId("PNP0A03") = 0x030AD041)', () => {
    assert.equal(hex(eisaId('PNP0A03')), '0c41d00a03');
    assert.equal(hex(eisaId('PNP0303')), '0c41d00303');
    assert.throws(() => eisaId('pnp0303'));
  });

  it('builds Buffer, Package, Name, Scope, Device, Processor and Method with their opcodes', () => {
    assert.equal(hex(buffer(Uint8Array.of(1, 2))), '11' + '05' + '0a02' + '0102');
    assert.equal(hex(packageOf([Zero, One()])), '12' + '04' + '02' + '0001');
    assert.equal(hex(name('_UID', Zero)), '08' + ascii('_UID') + '00');
    assert.equal(hex(scope('\\_SB', [])), '10' + '06' + '5c' + ascii('_SB_'));
    assert.equal(hex(device('PCI0', [])), '5b82' + '05' + ascii('PCI0'));
    assert.equal(hex(processor('C001', 1, 0, 0)), '5b83' + '0b' + ascii('C001') + '01' + '00000000' + '00');
    // Method(_PIC, 1) { Store(Arg0, PICF) }
    assert.equal(hex(method('_PIC', 1, false, [store(arg(0), ref('PICF'))])), '14' + '0c' + ascii('_PIC') + '01' + '7068' + ascii('PICF'));
    assert.equal(hex(method('_STA', 0, true, [returnOp(integer(0x0f))])), '14' + '09' + ascii('_STA') + '08' + 'a40a0f');
    assert.equal(hex(local(7)), '67');
    assert.throws(() => arg(7));
  });

  it('encodes resource descriptors byte for byte (ACPI 6.4.2/6.4.3)', () => {
    assert.equal(hex(io(0x3f8, 0x3f8, 1, 8)), '4701f803f8030108');
    assert.equal(hex(irqNoFlags([4])), '221000');
    assert.equal(hex(irqNoFlags([1, 12])), '220210');
    assert.equal(hex(interrupt({ edge: false, activeLow: false, shared: true }, [9])), '8906000901' + '09000000');
    assert.equal(hex(memory32Fixed(0xfed00000, 0x400, false)), '8609000000' + '00d0fe' + '00040000');
    assert.equal(hex(wordBusNumber({ min: 0, max: 0xff })), '880d00' + '020c00' + '0000' + '0000' + 'ff00' + '0000' + '0001');
    assert.equal(hex(wordIo({ min: 0xd00, max: 0xffff })), '880d00' + '010c03' + '0000' + '000d' + 'ffff' + '0000' + '00f3');
    assert.equal(hex(dwordMemory({ min: 0xa0000, max: 0xbffff }, 'cacheable')), '871700' + '000c03' + '00000000' + '00000a00' + 'ffff0b00' + '00000000' + '00000200');
    const q = qwordMemory({ min: 0x100000000n, max: 0x1ffffffffn }, 'noncacheable');
    assert.equal(q.length, 46);
    assert.equal(hex(q.subarray(0, 6)), '8a2b00' + '000c01');
    assert.equal(hex(endTag()), '7900');
    assert.equal(hex(resourceTemplate([irqNoFlags([4])])), '11' + '08' + '0a05' + '221000' + '7900');
  });
});

function One() { return integer(1); }
