/*
 * x86vm native oracle harness.
 *
 * Runs small x86 code snippets on the host CPU (x86-64 Linux) and prints
 * their final architectural state.  Built and driven by tools/oracle/record.ts.
 *
 * Input: one case per line, space separated, all numbers in hex without 0x:
 *   <id> <mode:64|32> <codehex|-> <rax> <rcx> <rdx> <rbx> <rsp> <rbp> <rsi> <rdi>
 *   <r8> ... <r15> <rflags> <memhex (exactly DATA_SIZE bytes)> [<simdhex> <mxcsr>]
 * The optional SIMD fields (SIMD cases) are XMM0..XMM15 then MM0..MM7 (320 bytes) and MXCSR;
 * they are loaded before the snippet and printed after it (from the signal frame on a fault).
 *
 * Output: one line per case:
 *   <id> ok|fault|timeout <vector> <faultoff> <16 gprs> <rflags> <memhex> [<simdhex> <mxcsr>]
 * (vector/faultoff are "-" when status is ok.  In mode 32 the GPRs are
 * truncated to their low 32 bits.)
 *
 * Memory layout used while a case runs:
 *   CODE_BASE  0x00100000  one RWX page; snippet at offset 0, followed by a
 *                          return sequence; rest of the page is 0xCC (int3).
 *   DATA_BASE  0x00200000  0x3000 bytes RW (three pages).
 * Nothing else is mapped below 4 GiB, so any other access faults (#PF).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_BASE 0x00100000UL
#define CODE_SIZE 0x1000UL
#define DATA_BASE 0x00200000UL
#define DATA_SIZE 0x3000UL
/* 64-bit trampoline used to get from compatibility mode back to the harness */
#define STUB64_OFF 0xF00UL
#define MAX_CODE (STUB64_OFF - 16)

#define USER32_CS 0x23
#define USER64_CS 0x33
#define USER_DS 0x2b

/* Only these RFLAGS bits are ever loaded from a case (plus reserved bit 1). */
#define FLAGS_LOAD_MASK 0x0CD5UL

/* Shared with the assembly below.  Order: rax rcx rdx rbx rsp rbp rsi rdi r8..r15 rflags */
uint64_t g_in[17] __attribute__((used));
uint64_t g_out[17] __attribute__((used));
uint64_t g_host_rsp __attribute__((used));
/* SIMD state (cases with a 22nd/23rd field): XMM0-15, MM0-7, MXCSR in and out. */
uint8_t g_xin[16 * 16 + 8 * 8] __attribute__((used, aligned(16)));
uint8_t g_xout[16 * 16 + 8 * 8] __attribute__((used, aligned(16)));
uint32_t g_mxin __attribute__((used)) = 0x1f80;
uint32_t g_mxout __attribute__((used));
uint32_t g_mxdefault __attribute__((used)) = 0x1f80;
uint8_t g_simd __attribute__((used));
uint64_t g_enter_target __attribute__((used));
uint64_t g_code_addr __attribute__((used)) = CODE_BASE;
/* m16:32 far pointer for entering compatibility mode */
struct __attribute__((packed)) { uint32_t off; uint16_t sel; } g_far32 __attribute__((used)) = { (uint32_t)CODE_BASE, USER32_CS };

extern void run_guest(void);
extern char enter64[], enter32[], guest_exit[], run_guest_end[];

__asm__(
    ".text\n"
    ".globl run_guest\n"
    "run_guest:\n"
    "  push %rbx\n  push %rbp\n  push %r12\n  push %r13\n  push %r14\n  push %r15\n"
    "  mov %rsp, g_host_rsp(%rip)\n"
    /* Compatibility mode needs usable DS/ES (Linux leaves them null for 64-bit tasks). */
    "  mov $0x2b, %eax\n  mov %eax, %ds\n  mov %eax, %es\n"
    /* SIMD cases: load XMM0-15, MM0-7 and MXCSR (before RFLAGS, which cmpb would change). */
    "  cmpb $0, g_simd(%rip)\n"
    "  je 1f\n"
    "  movdqu g_xin+0(%rip), %xmm0\n  movdqu g_xin+16(%rip), %xmm1\n"
    "  movdqu g_xin+32(%rip), %xmm2\n  movdqu g_xin+48(%rip), %xmm3\n"
    "  movdqu g_xin+64(%rip), %xmm4\n  movdqu g_xin+80(%rip), %xmm5\n"
    "  movdqu g_xin+96(%rip), %xmm6\n  movdqu g_xin+112(%rip), %xmm7\n"
    "  movdqu g_xin+128(%rip), %xmm8\n  movdqu g_xin+144(%rip), %xmm9\n"
    "  movdqu g_xin+160(%rip), %xmm10\n  movdqu g_xin+176(%rip), %xmm11\n"
    "  movdqu g_xin+192(%rip), %xmm12\n  movdqu g_xin+208(%rip), %xmm13\n"
    "  movdqu g_xin+224(%rip), %xmm14\n  movdqu g_xin+240(%rip), %xmm15\n"
    "  movq g_xin+256(%rip), %mm0\n  movq g_xin+264(%rip), %mm1\n"
    "  movq g_xin+272(%rip), %mm2\n  movq g_xin+280(%rip), %mm3\n"
    "  movq g_xin+288(%rip), %mm4\n  movq g_xin+296(%rip), %mm5\n"
    "  movq g_xin+304(%rip), %mm6\n  movq g_xin+312(%rip), %mm7\n"
    "  ldmxcsr g_mxin(%rip)\n"
    "1:\n"
    "  pushq g_in+128(%rip)\n"
    "  popfq\n"
    "  mov g_in+0(%rip), %rax\n"
    "  mov g_in+8(%rip), %rcx\n"
    "  mov g_in+16(%rip), %rdx\n"
    "  mov g_in+24(%rip), %rbx\n"
    "  mov g_in+40(%rip), %rbp\n"
    "  mov g_in+48(%rip), %rsi\n"
    "  mov g_in+56(%rip), %rdi\n"
    "  mov g_in+64(%rip), %r8\n"
    "  mov g_in+72(%rip), %r9\n"
    "  mov g_in+80(%rip), %r10\n"
    "  mov g_in+88(%rip), %r11\n"
    "  mov g_in+96(%rip), %r12\n"
    "  mov g_in+104(%rip), %r13\n"
    "  mov g_in+112(%rip), %r14\n"
    "  mov g_in+120(%rip), %r15\n"
    "  mov g_in+32(%rip), %rsp\n"
    "  jmp *g_enter_target(%rip)\n"
    ".globl enter64\n"
    "enter64:\n"
    "  jmp *g_code_addr(%rip)\n"
    ".globl enter32\n"
    "enter32:\n"
    "  ljmpl *g_far32(%rip)\n"
    ".globl guest_exit\n"
    "guest_exit:\n"
    "  mov %rax, g_out+0(%rip)\n"
    "  mov %rcx, g_out+8(%rip)\n"
    "  mov %rdx, g_out+16(%rip)\n"
    "  mov %rbx, g_out+24(%rip)\n"
    "  mov %rsp, g_out+32(%rip)\n"
    "  mov %rbp, g_out+40(%rip)\n"
    "  mov %rsi, g_out+48(%rip)\n"
    "  mov %rdi, g_out+56(%rip)\n"
    "  mov %r8, g_out+64(%rip)\n"
    "  mov %r9, g_out+72(%rip)\n"
    "  mov %r10, g_out+80(%rip)\n"
    "  mov %r11, g_out+88(%rip)\n"
    "  mov %r12, g_out+96(%rip)\n"
    "  mov %r13, g_out+104(%rip)\n"
    "  mov %r14, g_out+112(%rip)\n"
    "  mov %r15, g_out+120(%rip)\n"
    "  movdqu %xmm0, g_xout+0(%rip)\n  movdqu %xmm1, g_xout+16(%rip)\n"
    "  movdqu %xmm2, g_xout+32(%rip)\n  movdqu %xmm3, g_xout+48(%rip)\n"
    "  movdqu %xmm4, g_xout+64(%rip)\n  movdqu %xmm5, g_xout+80(%rip)\n"
    "  movdqu %xmm6, g_xout+96(%rip)\n  movdqu %xmm7, g_xout+112(%rip)\n"
    "  movdqu %xmm8, g_xout+128(%rip)\n  movdqu %xmm9, g_xout+144(%rip)\n"
    "  movdqu %xmm10, g_xout+160(%rip)\n  movdqu %xmm11, g_xout+176(%rip)\n"
    "  movdqu %xmm12, g_xout+192(%rip)\n  movdqu %xmm13, g_xout+208(%rip)\n"
    "  movdqu %xmm14, g_xout+224(%rip)\n  movdqu %xmm15, g_xout+240(%rip)\n"
    "  stmxcsr g_mxout(%rip)\n"
    "  ldmxcsr g_mxdefault(%rip)\n"
    "  mov g_host_rsp(%rip), %rsp\n"
    /* MM0-7 after RFLAGS is saved: only SIMD cases touch them (then EMMS for the C code). */
    "  pushfq\n"
    "  pop %rax\n"
    "  mov %rax, g_out+128(%rip)\n"
    "  cmpb $0, g_simd(%rip)\n"
    "  je 2f\n"
    "  movq %mm0, g_xout+256(%rip)\n  movq %mm1, g_xout+264(%rip)\n"
    "  movq %mm2, g_xout+272(%rip)\n  movq %mm3, g_xout+280(%rip)\n"
    "  movq %mm4, g_xout+288(%rip)\n  movq %mm5, g_xout+296(%rip)\n"
    "  movq %mm6, g_xout+304(%rip)\n  movq %mm7, g_xout+312(%rip)\n"
    "  emms\n"
    "2:\n"
    "  cld\n"
    "  pop %r15\n  pop %r14\n  pop %r13\n  pop %r12\n  pop %rbp\n  pop %rbx\n"
    "  ret\n"
    ".globl run_guest_end\n"
    "run_guest_end:\n");

static sigjmp_buf g_jmp;
static volatile sig_atomic_t g_running;
static volatile long g_fault_vector;
static volatile uint64_t g_fault_rip;
static volatile int g_fault_kind; /* 1 = fault, 2 = timeout */

static void on_signal(int sig, siginfo_t *si, void *ctxp) {
    (void)si;
    ucontext_t *uc = (ucontext_t *)ctxp;
    greg_t *g = uc->uc_mcontext.gregs;
    uint64_t rip = (uint64_t)g[REG_RIP];
    if (!g_running) {
        if (sig == SIGALRM) return;
        static const char msg[] = "harness: fault outside guest code\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(3);
    }
    int in_guest = rip >= CODE_BASE && rip < CODE_BASE + CODE_SIZE;
    int in_harness = rip >= (uint64_t)(uintptr_t)run_guest && rip < (uint64_t)(uintptr_t)run_guest_end;
    if (!in_guest && !(sig == SIGALRM && in_harness)) {
        if (sig == SIGALRM) return; /* should not happen */
        static const char msg[] = "harness: fault in harness code\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(4);
    }
    static const int order[16] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                    REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15 };
    for (int i = 0; i < 16; i++) g_out[i] = (uint64_t)g[order[i]];
    g_out[16] = (uint64_t)g[REG_EFL];
    if (g_simd && uc->uc_mcontext.fpregs) {
        struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
        memcpy(g_xout, fp->_xmm, 16 * 16);
        for (int i = 0; i < 8; i++) memcpy(g_xout + 256 + 8 * i, fp->_st[i].significand, 8);
        g_mxout = fp->mxcsr;
    }
    g_fault_rip = rip;
    g_fault_vector = sig == SIGALRM ? -1 : (long)g[REG_TRAPNO];
    g_fault_kind = sig == SIGALRM ? 2 : 1;
    g_running = 0;
    siglongjmp(g_jmp, 1);
}

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode hex into buf; returns byte count or -1. */
static long unhex(const char *s, uint8_t *buf, size_t cap) {
    size_t n = strlen(s);
    if (n % 2) return -1;
    if (n / 2 > cap) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        buf[i] = (uint8_t)(hi << 4 | lo);
    }
    return (long)(n / 2);
}

static void die(const char *what) {
    fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

int main(void) {
    void *code = mmap((void *)CODE_BASE, CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (code == MAP_FAILED || code != (void *)CODE_BASE) die("mmap code");
    void *data = mmap((void *)DATA_BASE, DATA_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (data == MAP_FAILED || data != (void *)DATA_BASE) die("mmap data");

    static uint8_t altstack[1 << 16];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL) != 0) die("sigaltstack");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGALRM, SIGSYS };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) != 0) die("sigaction");

    uint8_t *cp = (uint8_t *)CODE_BASE;
    uint8_t *dp = (uint8_t *)DATA_BASE;
    static uint8_t codebuf[CODE_SIZE];
    static uint8_t membuf[DATA_SIZE];
    static char outline[DATA_SIZE * 2 + 4096];

    char *line = NULL;
    size_t linecap = 0;
    ssize_t len;
    long lineno = 0;
    while ((len = getline(&line, &linecap, stdin)) > 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (len == 0) continue;
        char *tok[64];
        int nt = 0;
        for (char *save = NULL, *t = strtok_r(line, " ", &save); t && nt < 64; t = strtok_r(NULL, " ", &save))
            tok[nt++] = t;
        if (nt != 21 && nt != 23) {
            fprintf(stderr, "harness: line %ld: expected 21 or 23 fields, got %d\n", lineno, nt);
            return 2;
        }
        const char *id = tok[0];
        int mode = atoi(tok[1]);
        if (mode != 64 && mode != 32) {
            fprintf(stderr, "harness: line %ld: bad mode\n", lineno);
            return 2;
        }
        long codelen = strcmp(tok[2], "-") == 0 ? 0 : unhex(tok[2], codebuf, MAX_CODE);
        if (codelen < 0) {
            fprintf(stderr, "harness: line %ld: bad code\n", lineno);
            return 2;
        }
        uint64_t regs[17];
        for (int i = 0; i < 17; i++) regs[i] = strtoull(tok[3 + i], NULL, 16);
        if (unhex(tok[20], membuf, DATA_SIZE) != (long)DATA_SIZE) {
            fprintf(stderr, "harness: line %ld: bad memory image\n", lineno);
            return 2;
        }

        g_simd = nt == 23;
        if (g_simd) {
            if (unhex(tok[21], g_xin, sizeof g_xin) != (long)sizeof g_xin) {
                fprintf(stderr, "harness: line %ld: bad SIMD image\n", lineno);
                return 2;
            }
            g_mxin = (uint32_t)strtoul(tok[22], NULL, 16);
        }

        /* Set up code page. */
        memset(cp, 0xCC, CODE_SIZE);
        memcpy(cp, codebuf, (size_t)codelen);
        uint8_t *p = cp + codelen;
        if (mode == 64) {
            /* jmp qword [rip+0] ; dq guest_exit */
            p[0] = 0xFF; p[1] = 0x25; p[2] = p[3] = p[4] = p[5] = 0;
            put_u64(p + 6, (uint64_t)(uintptr_t)guest_exit);
        } else {
            /* jmp 0x33:CODE_BASE+STUB64_OFF (ptr16:32) */
            uint32_t off = (uint32_t)(CODE_BASE + STUB64_OFF);
            p[0] = 0xEA;
            memcpy(p + 1, &off, 4);
            p[5] = USER64_CS; p[6] = 0;
            uint8_t *s = cp + STUB64_OFF;
            s[0] = 0xFF; s[1] = 0x25; s[2] = s[3] = s[4] = s[5] = 0;
            put_u64(s + 6, (uint64_t)(uintptr_t)guest_exit);
        }
        __builtin___clear_cache((char *)cp, (char *)cp + CODE_SIZE);
        memcpy(dp, membuf, DATA_SIZE);

        for (int i = 0; i < 16; i++) g_in[i] = regs[i];
        g_in[16] = (regs[16] & FLAGS_LOAD_MASK) | 2;
        g_enter_target = (uint64_t)(uintptr_t)(mode == 64 ? enter64 : enter32);
        g_fault_kind = 0;

        if (sigsetjmp(g_jmp, 1) == 0) {
            struct itimerval tv = { .it_interval = {0, 0}, .it_value = {0, 500000} };
            setitimer(ITIMER_REAL, &tv, NULL);
            g_running = 1;
            run_guest();
            g_running = 0;
            { struct itimerval z = {{0, 0}, {0, 0}}; setitimer(ITIMER_REAL, &z, NULL); }
        } else {
            { struct itimerval z = {{0, 0}, {0, 0}}; setitimer(ITIMER_REAL, &z, NULL); }
        }

        /* Print result. */
        char *o = outline;
        const char *status = g_fault_kind == 0 ? "ok" : g_fault_kind == 1 ? "fault" : "timeout";
        o += sprintf(o, "%s %s", id, status);
        if (g_fault_kind == 0)
            o += sprintf(o, " - -");
        else
            o += sprintf(o, " %ld %lx", (long)g_fault_vector, (unsigned long)(g_fault_rip - CODE_BASE));
        for (int i = 0; i < 17; i++) {
            uint64_t v = g_out[i];
            if (mode == 32 && i < 16) v &= 0xFFFFFFFFUL;
            o += sprintf(o, " %lx", (unsigned long)v);
        }
        *o++ = ' ';
        static const char hx[] = "0123456789abcdef";
        for (size_t i = 0; i < DATA_SIZE; i++) {
            *o++ = hx[dp[i] >> 4];
            *o++ = hx[dp[i] & 15];
        }
        if (g_simd) {
            *o++ = ' ';
            for (size_t i = 0; i < sizeof g_xout; i++) {
                *o++ = hx[g_xout[i] >> 4];
                *o++ = hx[g_xout[i] & 15];
            }
            o += sprintf(o, " %x", g_mxout);
        }
        *o++ = '\n';
        fwrite(outline, 1, (size_t)(o - outline), stdout);
    }
    free(line);
    return 0;
}
