# What a hostile guest might try against the platform it runs on, chosen with --defsym KIND=n:
#   1 a system call with `syscall` (getpid), 2 a system call with `int 0x80` (i386 getpid),
#   3 kill(0, SIGTERM): send itself (and its process group) a signal, 4 read the process
#   platform's helper (its loader, at 0x5F0000000000), 5 read 64 KiB above the end of its memory,
#   6 read the top of the lower half (where a process's stack and vDSO live).
# Each must end the guest with a crash report (exit 125) on every platform; none may reach the host.
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    movq $0x1111, %rbx
    .if KIND == 1
    movl $39, %eax
    syscall
    .elseif KIND == 2
    movl $20, %eax
    int $0x80
    .elseif KIND == 3
    movl $62, %eax
    xorl %edi, %edi
    movl $15, %esi
    syscall
    .elseif KIND == 4
    movabsq $0x5F0000000000, %rax
    movq (%rax), %rax
    .elseif KIND == 5
    movq (%rdi), %rax               # boot info: mem_size
    addq $0x10000, %rax
    movq (%rax), %rax
    .elseif KIND == 6
    movabsq $0x7ffffffff000, %rax
    movq -8(%rax), %rax
    .endif
    leaq survived(%rip), %rdi
    call lib_puts_cstr
    movl $99, %edi
    call lib_halt
    .section .rodata
survived: .asciz "the guest survived\n"
