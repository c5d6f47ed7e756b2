# Hostile user of Solo5's shared network ring (docs/ring-io.md). Prints host_features, net_ring
# and mem_size from the boot info (hex lines), then corrupts the ring as --defsym BAD=n says and
# kicks port 0x600; the tender must end it with a report (else it spins until --timeout).
#   BAD=1: entry 0 is a NET_WRITE (handle 1) of 60 bytes from the unmapped null page
#   BAD=2: ent_tail jumps 5000 entries ahead of the tender
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    movq %rdi, %rbx
    movl 40(%rbx), %edi             # host_features
    call lib_print_hex
    movq 48(%rbx), %rdi             # net_ring
    call lib_print_hex
    movq 0(%rbx), %rdi              # mem_size
    call lib_print_hex
    movq 48(%rbx), %r15             # struct hvt_ring *
    testq %r15, %r15
    jz no_ring
    .if BAD == 1
    movl $1, 128(%r15)              # entries[0].op = NET_WRITE
    movl $1, 132(%r15)              # .handle = 1
    movq $0x10, 136(%r15)           # .data = null page
    movl $60, 144(%r15)             # .len
    movl $1, 0(%r15)                # ent_tail = 1
    .else
    movl $5000, 0(%r15)             # ent_tail far ahead
    .endif
    movl $1, %eax
    movw $0x600, %dx
    outl %eax, %dx                  # kick
1:  pause
    jmp 1b
no_ring:
    movl $6, %edi
    call lib_halt
