import { PciDevice } from './pci-device.js';
import type { ShadowHandle } from '../../mem/physical-memory.js';

/**
 * Intel 82441FX PCI and memory controller (PMC), the host bridge of QEMU's "pc" machine
 * (82441FX datasheet, 4.1): vendor 8086h device 1237h. Its PAM0-PAM6 registers (59h-5Fh) choose,
 * for the BIOS area 0C0000h-0FFFFFh, whether reads and writes reach DRAM or the PCI bus (the BIOS
 * ROM): PAM0[7:4] for 0F0000h-0FFFFFh, then two 16 KiB ranges per register.
 */
export const PAM_BASE = 0x59;

export class I440fx extends PciDevice {
  constructor(private readonly pam: ShadowHandle[]) {
    super(0x8086, 0x1237, 0x060000, 0x02);
    for (let r = PAM_BASE; r <= PAM_BASE + 6; r++) this.writeMask[r] = r === PAM_BASE ? 0x30 : 0x33;
    this.writeMask[0x72] = 0x78; // SMRAM control (D_OPEN, D_CLS, D_LCK, G_SMRAME): storage only
    this.config[0x72] = 0x02;
    if (pam.length !== 13) throw new Error('the i440FX controls 13 PAM ranges');
  }

  protected override configWritten(offset: number, size: number): void {
    super.configWritten(offset, size);
    if (offset + size > PAM_BASE && offset < PAM_BASE + 7) this.applyPam();
  }

  /** Range i: 0 = F0000-FFFFF (PAM0 high nibble), then C0000, C4000, ... EC000 (16 KiB each). */
  private applyPam(): void {
    const mode = (value: number) => ({ read: (value & 1) !== 0, write: (value & 2) !== 0 });
    const f = mode(this.config[PAM_BASE]! >> 4);
    this.pam[0]!.setMode(f.read, f.write);
    for (let i = 0; i < 12; i++) {
      const reg = this.config[PAM_BASE + 1 + (i >> 1)]!;
      const m = mode((i & 1) === 0 ? reg & 0xf : reg >> 4);
      this.pam[1 + i]!.setMode(m.read, m.write);
    }
  }
}
