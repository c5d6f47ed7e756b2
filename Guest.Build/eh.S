/*
 * Native half of exception handling (Guest.CoreLib/Runtime/ExceptionHandling): capture the thrower's
 * registers, call funclets with their parent frame's callee-saved registers, and resume execution in a
 * frame found by the unwinder. The dispatcher itself is managed code.
 *
 * struct EhContext (Guest.CoreLib/Runtime/ExceptionHandling/EhContext.cs), 8 bytes each:
 *   0 rip, 8 rsp, 16 rbx, 24 rbp, 32 r12, 40 r13, 48 r14, 56 r15
 */
        .intel_syntax noprefix
        .text

/* Stores the callee-saved registers into the EhContext at RSP + \base (rip and rsp set by the caller). */
.macro SAVE_CALLEE_SAVED base
        mov     [rsp + \base + 16], rbx
        mov     [rsp + \base + 24], rbp
        mov     [rsp + \base + 32], r12
        mov     [rsp + \base + 40], r13
        mov     [rsp + \base + 48], r14
        mov     [rsp + \base + 56], r15
.endm

/* RhpThrowEx(object exception) and RhpRethrow(): ilc's helpers for `throw` and `throw;`. The context
   handed to the dispatcher is the caller's as it will be when the helper "returns": RIP = the return
   address, RSP above it, the callee-saved registers untouched by this stub. Never returns. */
        .globl  RhpThrowEx
        .type   RhpThrowEx, @function
RhpThrowEx:
        /* Call-frame information, so that a debugger (gdb on a core of an unhandled exception)
           unwinds through this stub into the thrower and on down to _start. */
        .cfi_startproc
        xor     edx, edx                /* kind 0: throw */
        jmp     1f
        .globl  RhpRethrow
RhpRethrow:
        xor     edi, edi                /* the exception being caught: the dispatcher knows it */
        mov     edx, 1                  /* kind 1: rethrow */
1:      mov     rax, [rsp]
        lea     rcx, [rsp + 8]
        sub     rsp, 72                 /* EhContext (64) + 8: RSP 16-byte aligned for the call */
        .cfi_adjust_cfa_offset 72
        mov     [rsp + 0], rax
        mov     [rsp + 8], rcx
        SAVE_CALLEE_SAVED 0
        mov     rsi, rsp
        call    GuestRuntime_DispatchException
        int3
        .cfi_endproc
        .size   RhpThrowEx, . - RhpThrowEx

/* nuint tender_eh_call_funclet(void *code, object argument, EhContext *parent): calls a catch, filter,
   finally or fault funclet with RDI = argument (the exception for catch and filter) and the parent
   frame's callee-saved registers (funclets address the parent's locals through RBP), then writes the
   registers back into *parent (what the parent frame holds after the funclet) and returns the
   funclet's RAX (catch: the address to resume at; filter: nonzero to accept). */
        .globl  tender_eh_call_funclet
        .type   tender_eh_call_funclet, @function
tender_eh_call_funclet:
        push    rbp
        push    rbx
        push    r12
        push    r13
        push    r14
        push    r15
        sub     rsp, 8
        mov     [rsp], rdx
        mov     rax, rdi
        mov     rdi, rsi
        mov     rbx, [rdx + 16]
        mov     rbp, [rdx + 24]
        mov     r12, [rdx + 32]
        mov     r13, [rdx + 40]
        mov     r14, [rdx + 48]
        mov     r15, [rdx + 56]
        call    rax
        /* The unwinder recognises a funclet's caller by this return address (tender_eh_funclet_return). */
        .globl  tender_eh_funclet_return_address
tender_eh_funclet_return_address:
        mov     rdx, [rsp]
        mov     [rdx + 16], rbx
        mov     [rdx + 24], rbp
        mov     [rdx + 32], r12
        mov     [rdx + 40], r13
        mov     [rdx + 48], r14
        mov     [rdx + 56], r15
        jmp     2f
        /* An exception escaped a filter: the dispatcher resumes here with RSP as at the call above;
           the filter counts as having returned false. */
        .globl  tender_eh_filter_escape
tender_eh_filter_escape:
        xor     eax, eax
2:      add     rsp, 8
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     rbx
        pop     rbp
        ret
        .size   tender_eh_call_funclet, . - tender_eh_call_funclet

/* void *tender_eh_funclet_return(void): the address funclets return to (see above). */
        .globl  tender_eh_funclet_return
        .type   tender_eh_funclet_return, @function
tender_eh_funclet_return:
        lea     rax, [rip + tender_eh_funclet_return_address]
        ret
        .size   tender_eh_funclet_return, . - tender_eh_funclet_return

        .globl  tender_eh_filter_escape_address
        .type   tender_eh_filter_escape_address, @function
tender_eh_filter_escape_address:
        lea     rax, [rip + tender_eh_filter_escape]
        ret
        .size   tender_eh_filter_escape_address, . - tender_eh_filter_escape_address

/* void tender_eh_resume(EhContext *context, void *rip, object rax): continues execution at RIP with the
   context's RSP and callee-saved registers (and RAX, RDI = the third argument). Never returns. */
        .globl  tender_eh_resume
        .type   tender_eh_resume, @function
tender_eh_resume:
        mov     rax, rdx
        mov     rbx, [rdi + 16]
        mov     rbp, [rdi + 24]
        mov     r12, [rdi + 32]
        mov     r13, [rdi + 40]
        mov     r14, [rdi + 48]
        mov     r15, [rdi + 56]
        mov     rsp, [rdi + 8]
        mov     rdi, rax
        jmp     rsi
        .size   tender_eh_resume, . - tender_eh_resume

/* The .eh_frame_hdr lookup table the linker builds (ld --eh-frame-hdr; guest.ld names its bounds). */
        .globl  tender_eh_frame_hdr
        .type   tender_eh_frame_hdr, @function
tender_eh_frame_hdr:
        lea     rax, [rip + __eh_frame_hdr_start]
        ret
        .size   tender_eh_frame_hdr, . - tender_eh_frame_hdr

/* The Tender fault note (docs/abi.md "CPU faults as guest exceptions"): a null dereference or an
   integer division error at CPL 3 comes back to tender_fault_entry while the guest is armed. */
        .section .note.tender, "a", @note
        .balign 4
        .long   7                       /* namesz: "Tender\0" */
        .long   16                      /* descsz */
        .long   0x544C4654              /* NT_TENDER_FAULTS ("TFLT") */
        .asciz  "Tender"
        .balign 4
        .long   1                       /* version */
        .long   0                       /* flags */
        .quad   tender_fault_entry
        .text

/* Entered by the tender with RSP -> { vector, rip, rsp, cr2 } and every other register as at the
   fault. Saves them all, describes the faulting frame as an EhContext and asks the core library to
   raise the matching exception (GuestRuntime_HandleFault, which does not return when it does). When
   it returns (the fault is not in managed code, or no catch takes the exception), the registers
   are put back and the faulting instruction runs again: the tender, now disarmed, ends the run with
   its crash report, as without this feature. */
        .globl  tender_fault_entry
        .type   tender_fault_entry, @function
tender_fault_entry:
        push    rax
        push    rbx
        push    rcx
        push    rdx
        push    rsi
        push    rdi
        push    rbp
        push    r8
        push    r9
        push    r10
        push    r11
        push    r12
        push    r13
        push    r14
        push    r15
        pushfq                          /* 16 quadwords: RSP stays 16-byte aligned; the record is at RSP + 128 */
        sub     rsp, 64                 /* EhContext */
        mov     rax, [rsp + 64 + 128 + 8]
        mov     [rsp + 0], rax          /* rip: the faulting instruction */
        mov     rax, [rsp + 64 + 128 + 16]
        mov     [rsp + 8], rax          /* rsp */
        SAVE_CALLEE_SAVED 0
        mov     rdi, rsp
        mov     rsi, [rsp + 64 + 128 + 0]       /* vector */
        mov     rdx, [rsp + 64 + 128 + 24]      /* cr2 */
        call    GuestRuntime_HandleFault
        add     rsp, 64
        popfq
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     r11
        pop     r10
        pop     r9
        pop     r8
        pop     rbp
        pop     rdi
        pop     rsi
        pop     rdx
        pop     rcx
        pop     rbx
        pop     rax
        /* RSP -> the record. Return to the faulting instruction with its own RSP: its address goes
           just below that RSP (the red zone of a program about to crash) and `ret` takes it. */
        push    rax
        push    rbx
        mov     rax, [rsp + 16 + 16]    /* the faulting rsp */
        mov     rbx, [rsp + 16 + 8]     /* the faulting rip */
        mov     [rax - 8], rbx
        pop     rbx
        pop     rax
        mov     rsp, [rsp + 16]
        lea     rsp, [rsp - 8]          /* lea, not sub: the flags stay the faulting instruction's */
        ret
        .size   tender_fault_entry, . - tender_fault_entry

/* struct { uint64_t start; const char *name; } *tender_methodnames(void **end): the method-name table
   methodnames.sh generates (empty in the first link pass). */
        .globl  tender_methodnames
        .type   tender_methodnames, @function
tender_methodnames:
        lea     rax, [rip + __guest_methodnames_end]
        mov     [rdi], rax
        lea     rax, [rip + __guest_methodnames_start]
        ret
        .size   tender_methodnames, . - tender_methodnames

        .section .note.GNU-stack, "", @progbits
