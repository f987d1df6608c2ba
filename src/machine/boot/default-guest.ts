/**
 * The kernel command line of x86vm's default guest (Debian's kernel + the busybox initramfs of
 * `initramfs.ts`), shared by the CLI, the benchmarks and tools/boot-linux.ts:
 * - console=ttyS0: the serial port is the console (x86vm has no display).
 * - quiet: only warnings before the shell; the boot log costs serial output time.
 * - mitigations=off: the emulated CPU executes nothing speculatively, so retpolines, return thunks
 *   and page-table isolation (a CR3 switch on every kernel entry) protect nothing and cost time.
 * - cryptomgr.notests: the crypto self-tests (RSA and friends) are ~0.8 G guest instructions,
 *   more than the rest of the boot.
 */
export const DEFAULT_GUEST_CMDLINE = 'console=ttyS0 quiet mitigations=off cryptomgr.notests';
