# Block device test guest: device handle 1 (the manifest's first device). Prints, one hex line
# each: capacity, block size, then the ret of every request below (and 0/1 for compares), and
# halts 0. With BAD=1 it ends with a read into the unmapped null page (the tender must stop it);
# with BAD=2 with a read past the end into that page (EINVAL: the range is checked first, as Solo5).
    .include "lib.inc"
    .include "devices.inc"
    TENDER_NOTE
    .ifndef BAD
    .set BAD, 0
    .endif
    .globl _start
_start:
    movq 32(%rdi), %rbx             # mft
    movq 8+104+72(%rbx), %r12       # entry 1 capacity
    movzwq 8+104+80(%rbx), %r13     # entry 1 block_size
    movq %r12, %rdi
    call lib_print_hex
    movq %r13, %rdi
    call lib_print_hex

    # Pattern A in wbuf, written at sector 0, read back, compared.
    movb $0x5a, %al
    call fill
    movl $HC_BLKWRITE, %edi
    movl $1, %esi
    xorl %edx, %edx
    leaq wbuf(%rip), %rcx
    movq %r13, %r8
    call req
    movl $HC_BLKREAD, %edi
    movl $1, %esi
    xorl %edx, %edx
    leaq rbuf(%rip), %rcx
    movq %r13, %r8
    call req
    call compare

    # Pattern B at the last sector.
    movb $0xc3, %al
    call fill
    movl $HC_BLKWRITE, %edi
    movl $1, %esi
    movq %r12, %rdx
    subq %r13, %rdx
    leaq wbuf(%rip), %rcx
    movq %r13, %r8
    call req
    movl $HC_BLKREAD, %edi
    movl $1, %esi
    movq %r12, %rdx
    subq %r13, %rdx
    leaq rbuf(%rip), %rcx
    movq %r13, %r8
    call req
    call compare

    # Errors: at capacity; crossing the end; misaligned offset; partial sector; zero length;
    # handles 0, 9 and 2^63.
    movl $HC_BLKWRITE, %edi
    movl $1, %esi
    movq %r12, %rdx
    leaq wbuf(%rip), %rcx
    movq %r13, %r8
    call req
    movl $HC_BLKWRITE, %edi
    movl $1, %esi
    movq %r12, %rdx
    subq %r13, %rdx
    leaq wbuf(%rip), %rcx
    leaq (%r13,%r13), %r8
    call req
    movl $HC_BLKREAD, %edi
    movl $1, %esi
    movl $1, %edx
    leaq rbuf(%rip), %rcx
    movq %r13, %r8
    call req
    movl $HC_BLKREAD, %edi
    movl $1, %esi
    xorl %edx, %edx
    leaq rbuf(%rip), %rcx
    leaq -1(%r13), %r8
    call req
    movl $HC_BLKREAD, %edi
    movl $1, %esi
    xorl %edx, %edx
    leaq rbuf(%rip), %rcx
    xorl %r8d, %r8d
    call req
    movl $HC_BLKREAD, %edi
    xorl %esi, %esi
    xorl %edx, %edx
    leaq rbuf(%rip), %rcx
    movq %r13, %r8
    call req
    movl $HC_BLKREAD, %edi
    movl $9, %esi
    xorl %edx, %edx
    leaq rbuf(%rip), %rcx
    movq %r13, %r8
    call req
    movl $HC_BLKREAD, %edi
    movabsq $0x8000000000000000, %rsi
    xorl %edx, %edx
    leaq rbuf(%rip), %rcx
    movq %r13, %r8
    call req

    .if BAD == 2                    # out of range and a bad buffer: EINVAL, the buffer is never looked at
    movl $HC_BLKREAD, %edi
    movl $1, %esi
    movq %r12, %rdx
    movl $0x10, %ecx
    movq %r13, %r8
    call req
    .endif
    .if BAD == 1
    movl $HC_BLKREAD, %edi
    movl $1, %esi
    xorl %edx, %edx
    movl $0x10, %ecx                # the null page: not the guest's memory
    movq %r13, %r8
    call req
    .endif
    xorl %edi, %edi
    call lib_halt

# req: lib_blk, then print its ret
req:
    call lib_blk
    movq %rax, %rdi
    jmp lib_print_hex

# fill(al = first byte): wbuf[i] = al + i for block_size bytes
fill:
    leaq wbuf(%rip), %rdi
    movq %r13, %rcx
1:  movb %al, (%rdi)
    incb %al
    incq %rdi
    decq %rcx
    jnz 1b
    ret

# compare: prints 0 if rbuf == wbuf over block_size bytes, else 1
compare:
    leaq wbuf(%rip), %rsi
    leaq rbuf(%rip), %rdi
    movq %r13, %rcx
    repe cmpsb
    setne %al
    movzbq %al, %rdi
    jmp lib_print_hex

    .bss
    .balign 4096
wbuf: .space 65536
rbuf: .space 65536
