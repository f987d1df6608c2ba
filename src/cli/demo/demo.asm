; x86vm built-in demo: a boot-sector style program loaded at 0000:7C00 in real mode.
; It prints through the debug console (port 0xE9), switches to 32-bit protected mode with its own
; GDT, computes the primes below 200 with a sieve, prints them in decimal, and halts.
        bits 16
        org 0x7c00
start:  cli
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7c00
        mov si, msg_real
        call print16
        lgdt [gdt_desc]
        mov eax, cr0
        or eax, 1
        mov cr0, eax
        jmp 0x08:pm_entry

print16: lodsb                      ; DS:SI -> port 0xE9 until NUL
        test al, al
        jz .done
        out 0xe9, al
        jmp print16
.done:  ret

        bits 32
pm_entry:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, 0x90000
        mov esi, msg_prot
        call print32
        ; Sieve of Eratosthenes over [2, 200) in a byte array at 0x80000.
        mov edi, 0x80000
        mov ecx, 200
        mov al, 1
        rep stosb
        mov ebx, 2
.sieve: mov eax, ebx
        imul eax, ebx
        cmp eax, 200
        jae .print
        cmp byte [0x80000 + ebx], 0
        je .next
.mark:  mov byte [0x80000 + eax], 0
        add eax, ebx
        cmp eax, 200
        jb .mark
.next:  inc ebx
        jmp .sieve
.print: mov ebx, 2
.each:  cmp byte [0x80000 + ebx], 0
        je .skip
        mov eax, ebx
        call print_dec
        mov al, ' '
        out 0xe9, al
.skip:  inc ebx
        cmp ebx, 200
        jb .each
        mov al, 10
        out 0xe9, al
        mov esi, msg_done
        call print32
        cli
        hlt

print32: lodsb
        test al, al
        jz .done
        out 0xe9, al
        jmp print32
.done:  ret

print_dec:                          ; EAX -> decimal digits on port 0xE9
        mov ecx, 10
        xor edx, edx
        div ecx
        test eax, eax
        jz .last
        push edx
        call print_dec
        pop edx
.last:  lea eax, [edx + '0']
        out 0xe9, al
        ret

msg_real: db "x86vm demo: hello from 16-bit real mode", 10, 0
msg_prot: db "x86vm demo: now in 32-bit protected mode; primes below 200:", 10, 0
msg_done: db "x86vm demo: done, halting.", 10, 0

        align 8
gdt:    dq 0
        dq 0x00cf9a000000ffff       ; 0x08: code, base 0, 4 GiB, 32-bit
        dq 0x00cf92000000ffff       ; 0x10: data, base 0, 4 GiB
gdt_desc:
        dw gdt_desc - gdt - 1
        dd gdt
