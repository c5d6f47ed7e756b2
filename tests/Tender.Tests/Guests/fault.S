# One CPU exception, chosen at assembly time with --defsym KIND=n:
#   1 divide by zero, 2 read page 0, 3 write own text, 4 execute own data, 5 hlt, 6 int3,
#   7 write the stack guard page, 8 read the tender's system area, 9 `out` to a port outside the
#   I/O bitmap (0x700), 10 `out` to the tender's private fault-report port (0xF1), 11 `cli`
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    movq $0x1111, %rbx              # recognisable registers for the report
    movq $0x2222, %r15
    .if KIND == 1
    xorl %ecx, %ecx
    movl $1, %eax
    xorl %edx, %edx
    divl %ecx
    .elseif KIND == 2
    movq 0, %rax
    .elseif KIND == 3
    movb $0x90, _start(%rip)
    .elseif KIND == 4
    leaq data_code(%rip), %rax
    jmp *%rax
    .elseif KIND == 5
    hlt
    .elseif KIND == 6
    int3
    .elseif KIND == 7
    movq 24(%rdi), %rax             # any readable value; the guard page is 1 MiB + 4 KiB below the top
    movq %rsp, %rax
    subq $0x100008, %rax
    movq $1, (%rax)
    .elseif KIND == 8
    movabsq $0x400000000, %rax
    movq (%rax), %rax
    .elseif KIND == 9
    movw $0x700, %dx
    outl %eax, %dx
    .elseif KIND == 10
    outb %al, $0xf1
    .elseif KIND == 11
    cli
    .endif
    movl $99, %edi
    call lib_halt
    .data
data_code: .byte 0xc3
