# Prints "looping", then spins forever at CPL 3 (for --timeout and signals).
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    leaq text(%rip), %rdi
    call lib_puts_cstr
1:  jmp 1b
    .section .rodata
text: .asciz "looping\n"
