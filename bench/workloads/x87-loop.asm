; x87 kernel: 80-bit arithmetic in a loop (multiply, add, divide, square root, compare),
; 8 FPU instructions per iteration plus the loop counter.
%if __BITS__ == 64
%define CREG rax
%else
%define CREG eax
%endif
        mov CREG, cr0
        and eax, ~0xc               ; EM and TS off
        or eax, 0x22                ; MP, NE
        mov cr0, CREG
        fninit
        fld1
        fldpi
        mov ecx, 500000
.loop:  fld st0                     ; pi
        fmul st0, st2               ; * 1
        fadd st0, st1
        fdiv st0, st2
        fsqrt
        fcomi st0, st1
        fxch st1
        fstp st1
        dec ecx
        jnz .loop
        hlt
