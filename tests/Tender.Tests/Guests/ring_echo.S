# Network echo guest over Solo5's shared ring (docs/ring-io.md), NIC handle 1. Prints (hex lines)
# host_features, net_ring and mem_size from the boot info, then "ready", then echoes frames as
# net_echo does but with NET_READ/NET_WRITE ring entries, kicking port 0x600 only when the tender
# set needs_kick. Ends printing "echoed", the count and the kicks it made, and halts 0. Halts 6
# if the ring is not offered, 3 if nothing arrives for 5 s.
# CORRUPT=1: instead, pushes ent_tail 5000 ahead, kicks, and waits in a 30-second POLL: the tender
# must end it with the ring's report at once, not when the POLL times out.
# SEND_AND_HALT=1: instead, after "ready", fills COUNT NET_WRITE entries (broadcast frames of the
# test EtherType 0x88B5, byte 14 = the frame's index), publishes them without kicking and halts 0
# at once: the tender must still send them (it serves what the guest queued before HALT).
    .include "lib.inc"
    .include "devices.inc"
    TENDER_NOTE
    .ifndef COUNT
    .set COUNT, 10
    .endif
    .set RING_NET_WRITE, 1
    .set RING_NET_READ, 2
    .globl _start
_start:
    movq %rdi, %rbx
    movl 40(%rbx), %edi             # host_features
    call lib_print_hex
    movq 48(%rbx), %rdi             # net_ring
    call lib_print_hex
    movq 0(%rbx), %rdi              # mem_size
    call lib_print_hex
    testl $1, 40(%rbx)
    jz no_ring
    movq 48(%rbx), %r15             # struct hvt_ring *
    testq %r15, %r15
    jz no_ring
    movl $1, 44(%rbx)               # guest_features: this guest uses the ring
    movq 32(%rbx), %rax             # mft
    movzwq 8+104+78(%rax), %r13     # mtu
    addq $14, %r13
    xorl %r14d, %r14d               # frames echoed
    xorl %r12d, %r12d               # kicks made

    .ifdef CORRUPT
    addl $5000, (%r15)
    mfence
    xorl %eax, %eax
    movw $0x600, %dx
    outl %eax, %dx
    movq $30000000000, %rdi
    call lib_poll
    movl $7, %edi                   # POLL returned: the tender did not stop us
    call lib_halt
    .endif
    leaq ready(%rip), %rdi
    call lib_puts_cstr
    .ifdef SEND_AND_HALT
    xorl %r14d, %r14d
1:  movq %r14, %rax
    shlq $6, %rax                   # a 64-byte buffer per frame
    leaq buf(%rip), %rsi
    addq %rax, %rsi
    movq $-1, (%rsi)                # destination ff:ff:ff:ff:ff:ff
    movl $0x00000002, 6(%rsi)       # source 02:00:00:00:00:01
    movw $0x0100, 10(%rsi)
    movw $0xb588, 12(%rsi)          # EtherType 0x88B5, big-endian
    movb %r14b, 14(%rsi)
    movl ent_tail(%rip), %eax
    movl %eax, %ecx
    andl $1023, %ecx
    shll $5, %ecx
    leaq 128(%r15,%rcx), %rcx
    movl $RING_NET_WRITE, 0(%rcx)
    movl $1, 4(%rcx)
    movq %rsi, 8(%rcx)
    movl $60, 16(%rcx)
    movl %eax, 20(%rcx)
    incl %eax
    movl %eax, ent_tail(%rip)
    incq %r14
    cmpq $COUNT, %r14
    jb 1b
    movl %eax, 0(%r15)              # publish them all, and do not kick
    xorl %edi, %edi
    call lib_halt
    .endif
wait:
    movq $5000000000, %rdi
    call lib_poll
    testq %rax, %rax
    jz silent
    testq $2, %rdx
    jz wait
read:
    movl $RING_NET_READ, %edi
    leaq buf(%rip), %rsi
    movq %r13, %rdx
    call submit
    # wait for the commit
    movl com_head(%rip), %ecx
1:  cmpl 68(%r15), %ecx
    jne 2f
    pause
    jmp 1b
2:  andl $1023, %ecx
    shll $4, %ecx
    leaq 128+32*1024(%r15,%rcx), %rcx
    movslq 4(%rcx), %rax            # ret
    movl 8(%rcx), %ebp              # len
    incl com_head(%rip)
    movl com_head(%rip), %ecx
    movl %ecx, 4(%r15)
    cmpq $1, %rax
    je wait
    testq %rax, %rax
    jnz failed
    call swap_macs
    movl $RING_NET_WRITE, %edi
    leaq buf(%rip), %rsi
    movl %ebp, %edx
    call submit
    # the buffer is reused by the next read: wait until the tender has consumed the write
    movl ent_tail(%rip), %ecx
1:  cmpl 64(%r15), %ecx
    je 2f
    pause
    jmp 1b
2:  incq %r14
    cmpq $COUNT, %r14
    jb read
    leaq echoed(%rip), %rdi
    call lib_puts_cstr
    movq %r14, %rdi
    call lib_print_hex
    movq %r12, %rdi
    call lib_print_hex
    xorl %edi, %edi
    call lib_halt
no_ring:
    movl $6, %edi
    call lib_halt
silent:
    movl $3, %edi
    call lib_halt
failed:
    movq %rax, %rdi
    call lib_print_hex
    movl $4, %edi
    call lib_halt

# submit(edi = operation, rsi = data, edx = len): fill entry ent_tail, publish, kick if needed
submit:
    movl ent_tail(%rip), %eax
    movl %eax, %ecx
    andl $1023, %ecx
    shll $5, %ecx
    leaq 128(%r15,%rcx), %rcx
    movl %edi, 0(%rcx)
    movl $1, 4(%rcx)
    movq %rsi, 8(%rcx)
    movl %edx, 16(%rcx)
    movl %eax, 20(%rcx)             # id = index
    incl %eax
    movl %eax, ent_tail(%rip)
    movl %eax, 0(%r15)              # publish (x86 keeps the entry's stores before this one)
    mfence                          # store ent_tail, then load needs_kick
    cmpl $0, 72(%r15)
    je 1f
    incq %r12
    xorl %eax, %eax
    movw $0x600, %dx
    outl %eax, %dx
1:  ret

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

    .data
ent_tail: .long 0
com_head: .long 0

    .bss
    .balign 4096
buf: .space 65536
