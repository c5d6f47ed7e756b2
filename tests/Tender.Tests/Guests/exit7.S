# Halts with status 7.
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    movl $7, %edi
    call lib_halt
