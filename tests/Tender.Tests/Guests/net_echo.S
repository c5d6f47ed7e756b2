# Network echo guest over the NET hypercalls, NIC handle 1. First prints the ret of seven bad
# requests (hex lines: oversize write, runt write, read into a buffer smaller than MTU + 14,
# write on handle 5, read on handle 0, write and read of 0 bytes at an address far outside guest
# memory), then "ready", then sends every received frame back with
# source and destination MAC swapped until COUNT frames were echoed: prints "echoed" and the
# count and halts 0. Halts 3 if nothing arrives for 5 s.
    .include "lib.inc"
    .include "devices.inc"
    TENDER_NOTE
    .ifndef COUNT
    .set COUNT, 10
    .endif
    .globl _start
_start:
    movq 32(%rdi), %rbx             # mft
    movzwq 8+104+78(%rbx), %r13     # entry 1 mtu
    addq $14, %r13                  # largest frame
    xorl %r14d, %r14d               # frames echoed

    movl $HC_NETWRITE, %edi
    movl $1, %esi
    leaq buf(%rip), %rdx
    leaq 1(%r13), %rcx
    call bad
    movl $HC_NETWRITE, %edi
    movl $1, %esi
    leaq buf(%rip), %rdx
    movl $13, %ecx
    call bad
    movl $HC_NETREAD, %edi
    movl $1, %esi
    leaq buf(%rip), %rdx
    leaq -1(%r13), %rcx
    call bad
    movl $HC_NETWRITE, %edi
    movl $5, %esi
    leaq buf(%rip), %rdx
    movl $60, %ecx
    call bad
    movl $HC_NETREAD, %edi
    xorl %esi, %esi
    leaq buf(%rip), %rdx
    movq %r13, %rcx
    call bad
    # Zero-length buffers touch nothing, wherever they point (fuzz/regressions/hypercalls).
    movl $HC_NETWRITE, %edi
    movl $1, %esi
    movabsq $0xdd0000000000, %rdx
    xorl %ecx, %ecx
    call bad
    movl $HC_NETREAD, %edi
    movl $1, %esi
    movabsq $0xdd0000000000, %rdx
    xorl %ecx, %ecx
    call bad
    leaq ready(%rip), %rdi
    call lib_puts_cstr

wait:
    movq $5000000000, %rdi
    call lib_poll
    testq %rax, %rax
    jz silent
    testq $2, %rdx
    jz wait
read:
    movl $HC_NETREAD, %edi
    movl $1, %esi
    leaq buf(%rip), %rdx
    movq %r13, %rcx
    call lib_net
    cmpq $1, %rax                   # SOLO5_R_AGAIN: drained
    je wait
    testq %rax, %rax
    jnz failed
    movq %rdx, %r15                 # frame length
    call swap_macs
    movl $HC_NETWRITE, %edi
    movl $1, %esi
    leaq buf(%rip), %rdx
    movq %r15, %rcx
    call lib_net
    testq %rax, %rax
    jnz failed
    incq %r14
    cmpq $COUNT, %r14
    jb read
    leaq echoed(%rip), %rdi
    call lib_puts_cstr
    movq %r14, %rdi
    call lib_print_hex
    xorl %edi, %edi
    call lib_halt
silent:
    movl $3, %edi
    call lib_halt
failed:
    movq %rax, %rdi
    call lib_print_hex
    movl $4, %edi
    call lib_halt

bad:
    call lib_net
    movq %rax, %rdi
    jmp lib_print_hex

swap_macs:
    leaq buf(%rip), %rdi
    movl (%rdi), %eax
    movw 4(%rdi), %cx
    movl 6(%rdi), %edx
    movw 10(%rdi), %si
    movl %edx, (%rdi)
    movw %si, 4(%rdi)
    movl %eax, 6(%rdi)
    movw %cx, 10(%rdi)
    ret

    .section .rodata
ready:  .asciz "ready\n"
echoed: .asciz "echoed\n"

    .bss
    .balign 4096
buf: .space 65536
