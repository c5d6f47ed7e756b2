# Stores 1, then 2, then 3 into the word `counter` (in .data); reads `source` twice; adds 5 to
# `total` (a read and a write in one instruction); then halts with status 0: a target for
# watchpoints of every kind (tests/Tender.Tests/GdbRunTests.cs). The three words share a page, so
# a watch on one sees the page faults of the others' accesses and must let them pass.
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    movl $1, counter(%rip)
    movl $2, counter(%rip)
    movl $3, counter(%rip)
    movl source(%rip), %eax
    movl source(%rip), %ecx
    addl $5, total(%rip)
    xorl %edi, %edi
    call lib_halt
    .data
    .balign 8
    .globl counter, source, total
counter: .long 0
source: .long 7
total: .long 0
