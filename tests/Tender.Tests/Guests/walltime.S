# Prints WALLTIME's nanoseconds in hex, halts 0.
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    call lib_walltime
    movq %rax, %rdi
    call lib_print_hex
    xorl %edi, %edi
    call lib_halt
