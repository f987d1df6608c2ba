/**
 * A PS/2 mouse with the IntelliMouse extensions (wheel: ID 3; 5 buttons: ID 4), as the 8042's
 * auxiliary device. Commands per the IBM PS/2 mouse technical reference and Microsoft's
 * IntelliMouse detection sequences (sample rates 200, 100, 80 → ID 3; then 200, 200, 80 → ID 4).
 */
const ACK = 0xfa, RESEND = 0xfe;
const QUEUE_LIMIT = 256;

export const MOUSE_LEFT = 1, MOUSE_RIGHT = 2, MOUSE_MIDDLE = 4, MOUSE_BUTTON4 = 8, MOUSE_BUTTON5 = 16;

export class Ps2Mouse {
  readonly queue: number[] = [];
  id = 0;
  enabled = false;
  remote = false;
  wrap = false;
  sampleRate = 100;
  resolution = 2;
  scaling21 = false;
  buttons = 0;
  private pendingCommand = -1;
  private readonly rates: number[] = [];
  private lastSent = 0;
  /** Movement not yet reported (remote mode keeps it until 0xEB; stream mode sends it at once). */
  private dx = 0;
  private dy = 0;
  private dz = 0;
  onData: (() => void) | null = null;

  private send(...bytes: number[]): void {
    for (const b of bytes) {
      if (this.queue.length < QUEUE_LIMIT) this.queue.push(b);
      this.lastSent = b;
    }
    this.onData?.();
  }

  private setDefaults(): void {
    this.sampleRate = 100;
    this.resolution = 2;
    this.scaling21 = false;
    this.enabled = false;
    this.remote = false;
  }

  reset(): void {
    this.queue.length = 0;
    this.setDefaults();
    this.id = 0;
    this.wrap = false;
    this.pendingCommand = -1;
    this.rates.length = 0;
    this.dx = this.dy = this.dz = 0;
  }

  write(value: number): void {
    if (this.wrap && value !== 0xec && value !== 0xff) {
      this.send(value); // wrap (echo) mode
      return;
    }
    const pending = this.pendingCommand;
    if (pending >= 0) {
      this.pendingCommand = -1;
      if (pending === 0xf3) {
        this.sampleRate = value;
        this.rates.push(value);
        if (this.rates.length > 3) this.rates.shift();
        const r = this.rates.join(',');
        if (r === '200,100,80') this.id = 3;
        else if (r === '200,200,80' && this.id === 3) this.id = 4;
      } else this.resolution = value & 3;
      this.send(ACK);
      return;
    }
    switch (value) {
      case 0xff: this.reset(); this.send(ACK, 0xaa, this.id); break;
      case 0xfe: this.send(this.lastSent); break;
      case 0xf6: this.setDefaults(); this.send(ACK); break;
      case 0xf5: this.enabled = false; this.dx = this.dy = this.dz = 0; this.send(ACK); break;
      case 0xf4: this.enabled = true; this.send(ACK); break;
      case 0xf3: case 0xe8: this.pendingCommand = value; this.send(ACK); break;
      case 0xf2: this.send(ACK, this.id); break;
      case 0xf0: this.remote = true; this.send(ACK); break;
      case 0xee: this.wrap = true; this.send(ACK); break;
      case 0xec: this.wrap = false; this.send(ACK); break;
      case 0xeb: this.send(ACK); this.sendPacket(); break; // read data
      case 0xea: this.remote = false; this.send(ACK); break;
      case 0xe9: { // status request
        const b = this.buttons;
        const status = (this.remote ? 0x40 : 0) | (this.enabled ? 0x20 : 0) | (this.scaling21 ? 0x10 : 0)
          | ((b & MOUSE_LEFT) !== 0 ? 4 : 0) | ((b & MOUSE_MIDDLE) !== 0 ? 2 : 0) | ((b & MOUSE_RIGHT) !== 0 ? 1 : 0);
        this.send(ACK, status, this.resolution, this.sampleRate);
        break;
      }
      case 0xe7: this.scaling21 = true; this.send(ACK); break;
      case 0xe6: this.scaling21 = false; this.send(ACK); break;
      default: this.send(RESEND);
    }
  }

  /** Host mouse motion: dx right, dy up (PS/2 orientation), dz wheel (positive = towards the user). */
  move(dx: number, dy: number, dz = 0): void {
    if (!this.enabled && !this.remote) return; // stream mode with reporting disabled drops motion
    this.dx += dx; this.dy += dy; this.dz += dz;
    if (this.enabled && !this.remote) this.sendPacket();
  }

  setButtons(buttons: number): void {
    if (buttons === this.buttons) return;
    this.buttons = buttons;
    if (this.enabled && !this.remote) this.sendPacket();
  }

  private sendPacket(): void {
    const clamp = (v: number) => Math.max(-256, Math.min(255, v));
    const x = clamp(this.dx), y = clamp(this.dy);
    const b = this.buttons;
    const head = 0x08 | (b & 7) | (x < 0 ? 0x10 : 0) | (y < 0 ? 0x20 : 0)
      | (x !== this.dx ? 0x40 : 0) | (y !== this.dy ? 0x80 : 0);
    const bytes = [head, x & 0xff, y & 0xff];
    if (this.id === 3) bytes.push(Math.max(-128, Math.min(127, this.dz)) & 0xff);
    else if (this.id === 4) {
      bytes.push((Math.max(-8, Math.min(7, this.dz)) & 0x0f) | ((b & MOUSE_BUTTON4) !== 0 ? 0x10 : 0) | ((b & MOUSE_BUTTON5) !== 0 ? 0x20 : 0));
    }
    this.dx = this.dy = this.dz = 0;
    this.send(...bytes);
  }
}
