# Block device handle 1 (the manifest's first device): reads sector 0 and prints its first 32
# bytes, then writes a message to sector 1 and halts 0. On an error it halts with 10 + the result.
    .include "lib.inc"
    TENDER_NOTE
    .set HC_BLKWRITE, 4
    .set HC_BLKREAD, 5
    .globl _start
_start:
    movq $1, blk_args(%rip)             # handle
    movq $0, blk_args+8(%rip)           # offset
    leaq sector(%rip), %rax
    movq %rax, blk_args+16(%rip)        # data
    movq $512, blk_args+24(%rip)        # len
    HYPERCALL HC_BLKREAD, blk_args
    movl blk_args+32(%rip), %edi
    testl %edi, %edi
    jnz fail
    leaq sector(%rip), %rdi
    movl $32, %esi
    call lib_puts
    leaq message(%rip), %rsi            # copy the message into the sector buffer
    leaq sector(%rip), %rdi
    movl $message_len, %ecx
    rep movsb
    movq $512, blk_args+8(%rip)         # offset: sector 1
    HYPERCALL HC_BLKWRITE, blk_args
    movl blk_args+32(%rip), %edi
    testl %edi, %edi
    jnz fail
    xorl %edi, %edi
    call lib_halt
fail:
    addl $10, %edi
    call lib_halt
    .section .rodata
message: .ascii "written by the guest"
    .set message_len, . - message
    .data
    .balign 16
blk_args: .quad 0, 0, 0, 0, 0
    .balign 512
sector: .space 512
