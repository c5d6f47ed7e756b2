# bench-boot: COUNT WALLTIME hypercalls between two rdtsc reads; prints the TSC cycles they took
# and the TSC frequency (boot info) in hex, halts 0.
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    movq 16(%rdi), %r13             # cpu_cycle_freq
    rdtsc
    shlq $32, %rdx
    orq %rax, %rdx
    movq %rdx, %r12
    movl $COUNT, %ebx
1:  HYPERCALL HC_WALLTIME, lib_walltime_args
    decl %ebx
    jnz 1b
    rdtsc
    shlq $32, %rdx
    orq %rax, %rdx
    subq %r12, %rdx
    movq %rdx, %rdi
    call lib_print_hex
    movq %r13, %rdi
    call lib_print_hex
    xorl %edi, %edi
    call lib_halt
