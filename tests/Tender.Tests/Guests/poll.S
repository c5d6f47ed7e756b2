# POLL with a timeout (--defsym NS=…, default 300 ms) between two WALLTIMEs; prints the elapsed
# nanoseconds and POLL's ready_set and ret in hex, halts 0.
    .ifndef NS
    .set NS, 300000000
    .endif
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    call lib_walltime
    movq %rax, %r12
    movabsq $NS, %rax
    movq %rax, poll_args(%rip)
    movq $0xdead, poll_args+8(%rip)     # ready_set: must come back 0
    movl $0xbeef, poll_args+16(%rip)    # ret: must come back 0
    HYPERCALL HC_POLL, poll_args
    call lib_walltime
    subq %r12, %rax
    movq %rax, %rdi
    call lib_print_hex
    movq poll_args+8(%rip), %rdi
    call lib_print_hex
    movl poll_args+16(%rip), %edi
    call lib_print_hex
    xorl %edi, %edi
    call lib_halt
    .data
poll_args: .quad 0, 0, 0
