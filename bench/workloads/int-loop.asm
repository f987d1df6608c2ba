; Tight integer loop: 5 instructions per iteration, registers only.
; Entry: flat 32-bit protected mode or 64-bit mode, CPL 0. Ends with HLT.
        mov ecx, 20000000
.loop:  add eax, ebx
        xor edx, eax
        inc ebx
        dec ecx
        jnz .loop
        hlt
