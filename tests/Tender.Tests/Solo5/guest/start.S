/*
 * Entry point and ELF notes of the Solo5-mode test guests.
 *
 * The notes make the tender treat this ELF as a Solo5 hvt unikernel (ABI target hvt,
 * version 2) with a manifest of its own. Layouts (docs/solo5-mode.md, sections 1 and 2):
 *   note header: namesz, descsz, type, "Solo5\0" padded to 8 bytes  -> 20 bytes
 *   ABI1 descriptor: target, version, 2 reserved u32               -> 16 bytes
 *   MFT1 descriptor: 4 bytes padding, then struct mft (8 + 104 per entry)
 *
 * _start records the CPU state the tender handed over before any instruction changes it, so
 * the C code can print it: entry_state[] slots, in this order.
 */
#define ENTRY_RSP        0
#define ENTRY_RDI        8
#define ENTRY_RFLAGS     16
#define ENTRY_CR0        24
#define ENTRY_CR3        32
#define ENTRY_CR4        40
#define ENTRY_EFER       48
#define ENTRY_CS         56
#define ENTRY_SS         64
#define ENTRY_DS         72
#define ENTRY_ES         80
#define ENTRY_FS         88
#define ENTRY_GS         96
#define ENTRY_TR         104
#define ENTRY_LDTR       112
#define ENTRY_OTHER_GPRS 120  /* OR of rax rbx rcx rdx rsi rbp r8..r15: 0 if all were 0 */
#define ENTRY_FS_BASE    128
#define ENTRY_GS_BASE    136
#define ENTRY_SLOTS      18

#define MFT_ENTRY_SIZE   104
#define MFT_RESERVED_FIRST 0x40000000
#define MFT_BLOCK_BASIC  1
#define MFT_NET_BASIC    2

#if defined(GUEST_BLOCK) || defined(GUEST_NET)
#define MFT_ENTRIES 2
#else
#define MFT_ENTRIES 1
#endif

    .section .note.solo5.abi, "a", @note
    .balign 4
    .long 6                       /* namesz: "Solo5" and its NUL */
    .long 16                      /* descsz */
    .long 0x31494241              /* "ABI1" */
    .asciz "Solo5"
    .balign 4
    .long 1                       /* target: hvt */
    .long 2                       /* hvt ABI version */
    .long 0, 0

    .section .note.solo5.manifest, "a", @note
    .balign 4                     /* 4 as in Solo5 (an 8-aligned PT_NOTE follows other rules) */
    .globl guest_mft_note
guest_mft_note:
    .long 6
    .long 12 + MFT_ENTRY_SIZE * MFT_ENTRIES   /* 4 bytes padding + struct mft */
    .long 0x3154464d              /* "MFT1" */
    .asciz "Solo5"
    .balign 4
    .long 0                       /* padding: the manifest starts 8-aligned */
    .globl guest_mft
guest_mft:
    .long 1                       /* manifest version */
    .long MFT_ENTRIES
    /* entry 0: the reserved first entry, empty name */
    .fill 68, 1, 0
    .long MFT_RESERVED_FIRST
    .fill 16 + 8 + 8, 1, 0        /* u, b, attached + padding */
#ifdef GUEST_BLOCK
    /* entry 1: a block device named "storage" */
    .ascii "storage"
    .fill 68 - 7, 1, 0
    .long MFT_BLOCK_BASIC
    .fill 16 + 8 + 8, 1, 0
#endif
#ifdef GUEST_NET
    /* entry 1: a network device named "service0" */
    .ascii "service0"
    .fill 68 - 8, 1, 0
    .long MFT_NET_BASIC
    .fill 16 + 8 + 8, 1, 0
#endif

    .section .bss
    .balign 16
    .globl entry_state
entry_state:
    .fill ENTRY_SLOTS, 8, 0
    .globl entry_gdtr, entry_idtr
entry_gdtr:
    .fill 16, 1, 0
entry_idtr:
    .fill 16, 1, 0

    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    movq %rsp, entry_state+ENTRY_RSP(%rip)
    pushfq                        /* first: the ORs below change the flags */
    popq entry_state+ENTRY_RFLAGS(%rip)
    movq %rdi, entry_state+ENTRY_RDI(%rip)
    movq %rax, entry_state+ENTRY_OTHER_GPRS(%rip)
    orq  %rbx, entry_state+ENTRY_OTHER_GPRS(%rip)
    orq  %rcx, entry_state+ENTRY_OTHER_GPRS(%rip)
    orq  %rdx, entry_state+ENTRY_OTHER_GPRS(%rip)
    orq  %rsi, entry_state+ENTRY_OTHER_GPRS(%rip)
    orq  %rbp, entry_state+ENTRY_OTHER_GPRS(%rip)
    orq  %r8,  entry_state+ENTRY_OTHER_GPRS(%rip)
    orq  %r9,  entry_state+ENTRY_OTHER_GPRS(%rip)
    orq  %r10, entry_state+ENTRY_OTHER_GPRS(%rip)
    orq  %r11, entry_state+ENTRY_OTHER_GPRS(%rip)
    orq  %r12, entry_state+ENTRY_OTHER_GPRS(%rip)
    orq  %r13, entry_state+ENTRY_OTHER_GPRS(%rip)
    orq  %r14, entry_state+ENTRY_OTHER_GPRS(%rip)
    orq  %r15, entry_state+ENTRY_OTHER_GPRS(%rip)

    movq %cr0, %rax
    movq %rax, entry_state+ENTRY_CR0(%rip)
    movq %cr3, %rax
    movq %rax, entry_state+ENTRY_CR3(%rip)
    movq %cr4, %rax
    movq %rax, entry_state+ENTRY_CR4(%rip)

    movl $0xc0000080, %ecx        /* IA32_EFER */
    rdmsr
    shlq $32, %rdx
    orq  %rdx, %rax
    movq %rax, entry_state+ENTRY_EFER(%rip)
    movl $0xc0000100, %ecx        /* IA32_FS_BASE */
    rdmsr
    shlq $32, %rdx
    orq  %rdx, %rax
    movq %rax, entry_state+ENTRY_FS_BASE(%rip)
    movl $0xc0000101, %ecx        /* IA32_GS_BASE */
    rdmsr
    shlq $32, %rdx
    orq  %rdx, %rax
    movq %rax, entry_state+ENTRY_GS_BASE(%rip)

    xorl %eax, %eax
    movw %cs, %ax
    movq %rax, entry_state+ENTRY_CS(%rip)
    movw %ss, %ax
    movq %rax, entry_state+ENTRY_SS(%rip)
    movw %ds, %ax
    movq %rax, entry_state+ENTRY_DS(%rip)
    movw %es, %ax
    movq %rax, entry_state+ENTRY_ES(%rip)
    movw %fs, %ax
    movq %rax, entry_state+ENTRY_FS(%rip)
    movw %gs, %ax
    movq %rax, entry_state+ENTRY_GS(%rip)
    str  %ax
    movq %rax, entry_state+ENTRY_TR(%rip)
    sldt %ax
    movq %rax, entry_state+ENTRY_LDTR(%rip)
    sgdt entry_gdtr(%rip)
    sidt entry_idtr(%rip)

    /* RSP + 8 is 16-aligned at entry (as after a call); realign for the call below. */
    subq $8, %rsp
    movq entry_state+ENTRY_RDI(%rip), %rdi
    call guest_main
1:  jmp 1b                        /* guest_main ends with HALT and never returns */
    .size _start, . - _start
