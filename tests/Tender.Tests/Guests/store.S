# Stores 1, then 2, then 3 into the word `counter` (in .data), then halts with status 0: a target
# for watchpoints (tests/Tender.Tests/GdbRunTests.cs).
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    movl $1, counter(%rip)
    movl $2, counter(%rip)
    movl $3, counter(%rip)
    xorl %edi, %edi
    call lib_halt
    .data
    .balign 8
    .globl counter
counter: .long 0
