import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortBus } from '../../src/bus/port-bus.js';
import { IrqLine } from '../../src/bus/irq-line.js';
import { VirtualClock } from '../../src/machine/clock.js';
import { TimerQueue } from '../../src/machine/timer-queue.js';
import { BufferCharBackend } from '../../src/backends/char.js';
import { Uart16550, COM_PORTS } from '../../src/devices/uart16550.js';

const COM1 = COM_PORTS[0].base;
const THR = COM1, IER = COM1 + 1, IIR = COM1 + 2, FCR = COM1 + 2, LCR = COM1 + 3, MCR = COM1 + 4, LSR = COM1 + 5, MSR = COM1 + 6, SCR = COM1 + 7;

function setup() {
  const clock = VirtualClock.deterministic(1);
  const timers = new TimerQueue(clock);
  const bus = new PortBus();
  const backend = new BufferCharBackend();
  let rising = 0;
  const irq = new IrqLine((level) => { if (level) rising++; });
  const uart = new Uart16550(timers, irq, backend);
  uart.registerPorts(bus, COM1);
  const out = (port: number, value: number) => bus.write(port, 1, value);
  const inb = (port: number) => bus.read(port, 1);
  const runTo = (ns: number) => {
    while (timers.nextDeadline() <= ns) { clock.advanceTo(timers.nextDeadline()); timers.runExpired(); }
    clock.advanceTo(ns);
  };
  return { clock, timers, uart, backend, irq, out, inb, runTo, rising: () => rising };
}

describe('16550A UART', () => {
  it('is detected the way Linux probes it: scratch register, FIFO bits in IIR, divisor latch', () => {
    const { out, inb } = setup();
    out(SCR, 0xa5);
    assert.equal(inb(SCR), 0xa5);
    assert.equal(inb(IIR), 0x01, 'no interrupt, FIFOs off');
    out(FCR, 0x07);
    assert.equal(inb(IIR) & 0xc0, 0xc0, '16550A: working FIFOs');
    out(LCR, 0x83); // DLAB, 8N1
    out(THR, 0x01); out(IER, 0x00); // 115200 baud
    assert.equal(inb(THR), 0x01);
    assert.equal(inb(IER), 0x00);
    out(LCR, 0x03);
    assert.equal(inb(IER), 0x00, 'IER is back once DLAB is clear');
    assert.equal(inb(LSR), 0x60, 'THR and transmitter empty');
  });

  it('sends written bytes to the backend and receives fed bytes', () => {
    const { out, inb, backend } = setup();
    out(LCR, 0x03);
    for (const c of 'Hi\n') out(THR, c.charCodeAt(0));
    assert.equal(backend.text(), 'Hi\n');
    backend.feed('ok');
    assert.equal(inb(LSR) & 0x01, 0x01);
    assert.equal(inb(THR), 'o'.charCodeAt(0));
    assert.equal(inb(THR), 'k'.charCodeAt(0), 'without FIFO the next byte arrives after the read');
    assert.equal(inb(LSR) & 0x01, 0);
  });

  it('loops back data and modem lines in loopback mode', () => {
    const { out, inb, backend } = setup();
    out(FCR, 0x01);
    out(MCR, 0x10);
    assert.equal(inb(MSR) & 0xf0, 0x00);
    out(THR, 0x55);
    assert.equal(backend.output.length, 0, 'nothing leaves the chip');
    assert.equal(inb(LSR) & 0x01, 0x01);
    assert.equal(inb(THR), 0x55);
    out(MCR, 0x1f); // DTR RTS OUT1 OUT2 → DSR CTS RI DCD
    assert.equal(inb(MSR), 0xf0 | 0x0b, 'lines and their deltas (RI has no leading-edge delta)');
    assert.equal(inb(MSR), 0xf0);
    out(MCR, 0x1b); // OUT1 off: RI falls
    assert.equal(inb(MSR) & 0x0f, 0x04, 'trailing edge of RI');
    backend.feed('x');
    assert.equal(inb(LSR) & 0x01, 0, 'the serial input is disconnected in loopback');
    out(MCR, 0x00);
    assert.equal(inb(THR), 'x'.charCodeAt(0));
  });

  it('orders RDA before THRE and clears THRE by reading IIR', () => {
    const { out, inb, irq } = setup();
    out(LCR, 0x03);
    out(FCR, 0x07); // FIFO, trigger 1
    out(MCR, 0x0b); // DTR RTS OUT2
    out(IER, 0x03); // RDA + THRE
    assert.equal(inb(IIR), 0xc2, 'enabling ETBEI with THR empty raises THRE');
    assert.equal(irq.level, false, 'reading IIR cleared it');
    assert.equal(inb(IIR), 0xc1);
    out(MCR, 0x1b); // loopback
    out(THR, 0x41);
    assert.equal(inb(IIR), 0xc4, 'received data outranks THRE');
    assert.equal(inb(THR), 0x41);
    assert.equal(inb(IIR), 0xc2, 'then THRE: THR emptied after the write');
    assert.equal(inb(IIR), 0xc1);
    out(IER, 0x01);
    out(IER, 0x03);
    assert.equal(inb(IIR), 0xc2, 're-enabling ETBEI raises THRE again');
  });

  it('raises RDA at the FIFO trigger level and a character timeout below it', () => {
    const t = setup();
    t.out(LCR, 0x03);
    t.out(FCR, 0x81); // FIFO, trigger 8
    t.out(MCR, 0x08);
    t.out(IER, 0x01);
    t.backend.feed(new Uint8Array(20).map((_, i) => i));
    assert.equal(t.backend.pendingInput, 4, 'the FIFO holds 16');
    assert.equal(t.inb(IIR), 0xc4);
    assert.equal(t.irq.level, true);
    for (let i = 0; i < 9; i++) assert.equal(t.inb(THR), i);
    // 7 left + 4 refilled = 11 ≥ 8
    assert.equal(t.inb(IIR), 0xc4);
    for (let i = 9; i < 13; i++) assert.equal(t.inb(THR), i);
    assert.equal(t.inb(IIR), 0xc1, 'below the trigger, no timeout yet');
    assert.equal(t.irq.level, false);
    const charNs = t.uart.charTimeNs();
    t.runTo(t.clock.now() + 3 * charNs);
    assert.equal(t.inb(IIR), 0xc1);
    t.runTo(t.clock.now() + 1.01 * charNs);
    assert.equal(t.inb(IIR), 0xcc, 'character timeout');
    assert.equal(t.irq.level, true);
    assert.equal(t.inb(THR), 13);
    assert.equal(t.inb(IIR), 0xc1, 'a read clears the timeout');
    for (let i = 14; i < 20; i++) assert.equal(t.inb(THR), i);
    t.runTo(t.clock.now() + 10 * charNs);
    assert.equal(t.inb(IIR), 0xc1, 'empty FIFO: no timeout');
  });

  it('reports an overrun as a line status interrupt, cleared by reading LSR', () => {
    const { out, inb } = setup();
    out(MCR, 0x18); // loopback, OUT2
    out(IER, 0x05); // RDA + RLS
    out(THR, 1); out(THR, 2); // no FIFO: the second byte overruns RBR
    assert.equal(inb(IIR), 0x06);
    assert.equal(inb(LSR) & 0x03, 0x03);
    assert.equal(inb(LSR) & 0x02, 0, 'OE cleared by the read');
    assert.equal(inb(IIR), 0x04);
    assert.equal(inb(THR), 2);
  });

  it('drives the IRQ line only with OUT2 set and outside loopback, as PC serial cards do', () => {
    const t = setup();
    t.out(IER, 0x02);
    assert.equal(t.inb(IIR) & 0x0f, 0x02);
    t.out(IER, 0x00); t.out(IER, 0x02);
    assert.equal(t.irq.level, false, 'OUT2 clear');
    t.out(MCR, 0x08);
    assert.equal(t.irq.level, true);
    t.out(THR, 0x30);
    assert.equal(t.rising(), 2, 'writing THR drops THRE; the byte leaves and THRE rises again');
    t.out(MCR, 0x18);
    assert.equal(t.irq.level, false, 'loopback forces the OUT2 pin inactive');
  });

  it('raises a modem status interrupt when the backend changes CTS', () => {
    const { out, inb, uart, irq } = setup();
    out(MCR, 0x08);
    out(IER, 0x08);
    assert.equal(irq.level, false);
    uart.setModemInputs(0xa0); // CTS drops
    assert.equal(irq.level, true);
    assert.equal(inb(IIR), 0x00);
    assert.equal(inb(MSR), 0xa1);
    assert.equal(irq.level, false);
  });
});
