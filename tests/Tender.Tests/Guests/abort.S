# Halts with a cookie pointing at a message: Solo5's abort path (exit 255).
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    leaq message(%rip), %rax
    movq %rax, halt_args(%rip)
    movl $1, halt_args+8(%rip)
    HYPERCALL HC_HALT, halt_args
1:  jmp 1b
    .section .rodata
message: .asciz "assertion failed: the answer is 42"
    .data
halt_args: .quad 0, 0
