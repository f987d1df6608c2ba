/**
 * The compressed vmlinux inside a bzImage, unpacked on the host.
 *
 * The setup header locates the payload (payload_offset/payload_length, boot protocol 2.08+,
 * Documentation/x86/boot.rst), relative to the start of the protected-mode code. XZ (what Debian
 * and most distributions use, with the x86 BCJ filter) is decoded by `compress/xz.ts`; other
 * formats throw `UnsupportedPayload`, and the caller lets the kernel's own decompressor run.
 */
import { xzDecompress } from '../../compress/xz.js';

const PAYLOAD_OFFSET = 0x248;
const PAYLOAD_LENGTH = 0x24c;
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

/** Why a bzImage's payload cannot be unpacked on the host (the guest's decompressor then runs). */
export class UnsupportedPayload extends Error {}

/** Decompress the vmlinux of a bzImage whose protected-mode part starts at `setupSize`. */
export function extractVmlinux(image: Uint8Array, setupSize: number, protocol: number): Uint8Array {
  if (protocol < 0x208) throw new UnsupportedPayload('boot protocol before 2.08 does not locate the payload');
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const offset = setupSize + view.getUint32(PAYLOAD_OFFSET, true);
  const length = view.getUint32(PAYLOAD_LENGTH, true);
  if (length === 0 || offset + length > image.length) throw new UnsupportedPayload('the payload lies outside the image');
  const payload = image.subarray(offset, offset + length);
  if (!XZ_MAGIC.every((b, i) => payload[i] === b)) throw new UnsupportedPayload('the payload is not XZ-compressed');
  // The payload ends with the 4-byte uncompressed size the in-guest decompressor reads.
  return xzDecompress(payload, { allowTrailingData: true });
}
