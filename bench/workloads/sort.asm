; Mixed workload: fill 2000 dwords at 0x100000 with a linear congruential sequence, insertion-sort
; them, repeat 4 times. Memory loads/stores, compares, branches, multiplies. Ends with HLT.
        mov ebp, 4
.round: mov edi, 0x100000
        mov ecx, 2000
        mov eax, ebp
.fill:  imul eax, eax, 1103515245
        add eax, 12345
        mov [edi], eax
        add edi, 4
        dec ecx
        jnz .fill
        mov esi, 1                       ; i
.outer: cmp esi, 2000
        jae .done
        mov eax, [0x100000 + esi*4]      ; key
        mov edi, esi                     ; j
.inner: test edi, edi
        jz .place
        mov edx, [0x100000 + edi*4 - 4]
        cmp edx, eax
        jle .place
        mov [0x100000 + edi*4], edx
        dec edi
        jmp .inner
.place: mov [0x100000 + edi*4], eax
        inc esi
        jmp .outer
.done:  dec ebp
        jnz .round
        hlt
