/*
 * x86vm native x87 oracle harness (tools/oracle-fpu).
 *
 * For each input line "<code hex> <fxsave image hex (512 bytes)> <memory hex (MEM_SIZE bytes)>":
 * loads the x87/SSE state with FXRSTOR64, runs the code (64-bit user mode, RDI = MEM_BASE,
 * RFLAGS = 0x202, RAX = 0) and records the final FXSAVE64 image, the memory, RAX and RFLAGS:
 *   "ok|mf <fxsave hex> <memory hex> <rax hex> <rflags hex>"
 * "mf": the code raised #MF (SIGFPE); the image is the state the kernel saved at the fault.
 * Code lives at CODE_BASE, memory at MEM_BASE, so FIP/FDP are comparable with the emulator.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define CODE_BASE 0x00100000UL
#define MEM_BASE 0x00200000UL
#define MEM_SIZE 64

static uint8_t fx_in[512] __attribute__((aligned(64)));
static uint8_t fx_out[512] __attribute__((aligned(64)));
uint64_t g_rax, g_rflags;
static sigjmp_buf g_jmp;

extern void run_case(void *code, void *fxin, void *fxout, void *mem);
__asm__(
    ".text\n.globl run_case\nrun_case:\n"
    "  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "  mov %rdx, %r12\n mov %rcx, %r13\n mov %rdi, %r14\n"
    "  fxrstor64 (%rsi)\n"
    "  mov %r13, %rdi\n xor %eax, %eax\n"
    "  push $0x202\n popfq\n"
    "  call *%r14\n"
    "  pushfq\n pop %rbx\n"
    "  fxsave64 (%r12)\n"
    "  mov %rax, g_rax(%rip)\n mov %rbx, g_rflags(%rip)\n"
    "  fninit\n"
    "  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n ret\n");

static void on_fpe(int sig, siginfo_t *si, void *ctxp) {
    (void)sig; (void)si;
    ucontext_t *uc = ctxp;
    memcpy(fx_out, uc->uc_mcontext.fpregs, 512);
    g_rax = uc->uc_mcontext.gregs[REG_RAX];
    g_rflags = uc->uc_mcontext.gregs[REG_EFL];
    siglongjmp(g_jmp, 1);
}

static int unhex(const char *s, uint8_t *out, size_t n) {
    if (strlen(s) != 2 * n) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

static void puthex(const uint8_t *p, size_t n) {
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) { putchar(d[p[i] >> 4]); putchar(d[p[i] & 15]); }
}

int main(void) {
    uint8_t *code = mmap((void *)CODE_BASE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    uint8_t *mem = mmap((void *)MEM_BASE, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (code != (void *)CODE_BASE || mem != (void *)MEM_BASE) { perror("mmap"); return 2; }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fpe;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGFPE, &sa, NULL);
    static char line[1 << 16];
    static char codehex[8192], fxhex[2048], memhex[1024];
    while (fgets(line, sizeof line, stdin)) {
        if (sscanf(line, "%8191s %2047s %1023s", codehex, fxhex, memhex) != 3) continue;
        size_t clen = strlen(codehex) / 2;
        memset(code, 0xcc, 4096);
        if (unhex(codehex, code, clen) || unhex(fxhex, fx_in, 512) || unhex(memhex, mem, MEM_SIZE)) { fprintf(stderr, "bad line\n"); return 2; }
        code[clen] = 0xc3;
        const char *status = "ok";
        if (sigsetjmp(g_jmp, 1) == 0) {
            run_case(code, fx_in, fx_out, mem);
        } else {
            status = "mf";
            __asm__ volatile("fninit");
        }
        printf("%s ", status);
        puthex(fx_out, 512); putchar(' ');
        puthex(mem, MEM_SIZE);
        printf(" %016llx %016llx\n", (unsigned long long)g_rax, (unsigned long long)g_rflags);
    }
    return 0;
}
