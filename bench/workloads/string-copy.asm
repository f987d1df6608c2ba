; REP MOVSB of 64 KiB from 0x100000 to 0x110000, 200 times; then a byte-by-byte copy loop of the
; same block 20 times. Ends with HLT. Flat 32-bit (or 64-bit with 32-bit registers).
        mov ebp, 200
.rep:   mov esi, 0x100000
        mov edi, 0x110000
        mov ecx, 0x10000
        cld
        rep movsb
        dec ebp
        jnz .rep
        mov ebp, 20
.outer: mov esi, 0x100000
        mov edi, 0x110000
        mov ecx, 0x10000
.byte:  mov al, [esi]
        mov [edi], al
        inc esi
        inc edi
        dec ecx
        jnz .byte
        dec ebp
        jnz .outer
        hlt
