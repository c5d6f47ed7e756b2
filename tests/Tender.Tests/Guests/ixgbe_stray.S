# Reads BAR1 of PCI device 0 (2^39 + 2^30), which the manifest does not map: a page fault the
# tender reports as a crash (the guest cannot reach any MMIO address the tender did not map).
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    movabsq $0x8040000000, %rbx
    movl (%rbx), %edi
    xorl %edi, %edi
    call lib_halt
