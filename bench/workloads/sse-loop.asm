; SSE/SSE2 kernel: packed float multiply-add and integer adds/shuffles on XMM registers, 8 SIMD
; instructions per iteration plus the loop counter. Enables OSFXSR/OSXMMEXCPT first (CPL 0).
%if __BITS__ == 64
%define CREG rax
%else
%define CREG eax
%endif
        mov CREG, cr4
        or eax, 0x600
        mov cr4, CREG
        mov CREG, cr0
        and eax, ~4                 ; EM off
        or eax, 2                   ; MP on
        mov cr0, CREG
        xorps xmm0, xmm0
        pcmpeqd xmm1, xmm1
        psrld xmm1, 25              ; small integers
        cvtdq2ps xmm2, xmm1         ; 127.0 in each lane
        movaps xmm3, xmm2
        mov ecx, 2000000
.loop:  mulps xmm3, xmm2
        addps xmm0, xmm3
        minps xmm3, xmm2
        paddd xmm1, xmm1
        pshufd xmm1, xmm1, 0x1b
        pxor xmm4, xmm1
        psubd xmm4, xmm1
        sqrtps xmm5, xmm2
        dec ecx
        jnz .loop
        hlt
