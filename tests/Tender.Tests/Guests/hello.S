# Prints a greeting and its command line, then halts with status 0.
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    movq %rdi, %rbx                 # struct hvt_boot_info *
    leaq greeting(%rip), %rdi
    movl $greeting_len, %esi
    call lib_puts
    movq 24(%rbx), %rdi             # cmdline
    call lib_puts_cstr
    leaq newline(%rip), %rdi
    movl $1, %esi
    call lib_puts
    xorl %edi, %edi
    call lib_halt

    .section .rodata
greeting: .ascii "hello from the guest: "
    .set greeting_len, . - greeting
newline: .ascii "\n"
