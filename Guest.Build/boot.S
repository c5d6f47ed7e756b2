/*
 * Boot stub and native runtime pieces of a deprivileged tender guest (docs/abi.md).
 *
 * The tender enters _start at CPL 3 with RDI = struct hvt_boot_info *, RSP = mem_size (16-byte
 * aligned) and FS base 0. The stub records the boot info, builds the thread-local storage block that
 * NativeAOT code addresses through FS, runs the program through ilc's __managed__Main and hands its
 * return value to the HALT hypercall. The rest of this file is what ilc-generated code expects a
 * runtime to provide, reduced to what a single-threaded guest with a non-moving, non-generational
 * collector (Guest.CoreLib/Runtime/Gc) needs.
 */
        .intel_syntax noprefix

/* The Tender note: declares a deprivileged (CPL 3) guest; stack_size comes from the link. */
        .section .note.tender, "a", @note
        .balign 4
        .long   7                       /* namesz: "Tender\0" */
        .long   16                      /* descsz */
        .long   0x56504454              /* NT_TENDER_DEPRIV ("TDPV") */
        .asciz  "Tender"
        .balign 4
        .long   1                       /* version */
        .long   0                       /* flags */
tender_note_stack_size:
        .quad   __tender_stack_size     /* stack size in bytes (0 = default 1 MiB) */

        .section .bss
        .balign 8
boot_info:
        .quad   0
boot_stack_top:                         /* RSP at entry: the top of the stack the collector scans */
        .quad   0

        .section .data
        .balign 8
        .globl  __security_cookie
__security_cookie:                      /* stack-protector canary for stackalloc frames */
        .quad   0x2f5b3c1de08a9b17
        .globl  RhpTrapThreads
RhpTrapThreads:                         /* never set: no GC ever asks threads to stop */
        .long   0
        .balign 8
halt_args:                              /* struct hvt_hc_halt { void *cookie; int exit_status; } */
        .quad   0
        .long   0
        .long   0

        .text
        .globl  _start
        .type   _start, @function
_start:
        mov     [rip + boot_info], rdi
        mov     [rip + boot_stack_top], rsp

        /* Thread-local storage, x86-64 variant II: the thread pointer (FS base) points just past the
           TLS block and at a word holding its own address; code reaches TLS data at negative offsets. */
        lea     rdi, [rip + __tls_area]
        lea     rsi, [rip + __tdata_start]
        lea     rcx, [rip + __tdata_end]
        sub     rcx, rsi
        cld
        rep movsb                       /* .tdata image; .tbss (the rest of the area) is already zero */
        lea     rax, [rip + __tls_area]
        add     rax, OFFSET __tls_tp_offset
        mov     [rax], rax
        wrfsbase rax

        and     rsp, -16
        xor     ebp, ebp
        xor     edi, edi                /* argc: unused, the core library reads the boot info */
        xor     esi, esi
        call    __managed__Main
        mov     edi, eax
        call    GuestRuntime_OnExit     /* exit-time reports (the collector's summary); returns the status */

        mov     dword ptr [rip + halt_args + 8], eax
        mov     qword ptr [rip + halt_args], 0
        lea     rax, [rip + halt_args]
        mov     dx, 0x508               /* HALT */
        out     dx, eax
1:      jmp     1b
        .size   _start, . - _start

/* void tender_hypercall(uint32_t port, uint32_t argument): `out port, argument` (argument < 4 GiB). */
        .globl  tender_hypercall
        .type   tender_hypercall, @function
tender_hypercall:
        mov     edx, edi
        mov     eax, esi
        out     dx, eax
        ret
        .size   tender_hypercall, . - tender_hypercall

        .globl  tender_boot_info
        .type   tender_boot_info, @function
tender_boot_info:
        mov     rax, [rip + boot_info]
        ret
        .size   tender_boot_info, . - tender_boot_info

        .globl  tender_stack_size
        .type   tender_stack_size, @function
tender_stack_size:
        mov     rax, [rip + tender_note_stack_size]
        ret
        .size   tender_stack_size, . - tender_stack_size

        .globl  tender_mfence
        .type   tender_mfence, @function
tender_mfence:
        mfence
        ret
        .size   tender_mfence, . - tender_mfence

/* uint64_t tender_rdtsc(void) */
        .globl  tender_rdtsc
        .type   tender_rdtsc, @function
tender_rdtsc:
        rdtsc
        shl     rdx, 32
        or      rax, rdx
        ret
        .size   tender_rdtsc, . - tender_rdtsc

/* memmove/memcpy/memset (C ABI): ilc-generated code and the core library call these. */
        .globl  memmove
        .globl  memcpy
        .type   memmove, @function
memmove:
memcpy:
        mov     rax, rdi
        mov     rcx, rdx
        cmp     rdi, rsi
        jbe     2f
        lea     r8, [rsi + rdx]
        cmp     rdi, r8
        jae     2f
        /* destination overlaps the source from above: copy backwards */
        lea     rsi, [rsi + rdx - 1]
        lea     rdi, [rdi + rdx - 1]
        std
        rep movsb
        cld
        ret
2:      rep movsb
        ret
        .size   memmove, . - memmove

        .globl  memset
        .type   memset, @function
memset:
        mov     r8, rdi
        mov     eax, esi
        mov     rcx, rdx
        rep stosb
        mov     rax, r8
        ret
        .size   memset, . - memset

/* JIT block helpers: RhSpanHelpers_MemCopy(dest, src, len), _MemSet(dest, value, len), _MemZero(dest, len). */
        .globl  RhSpanHelpers_MemCopy
RhSpanHelpers_MemCopy:
        jmp     memmove
        .globl  RhSpanHelpers_MemSet
RhSpanHelpers_MemSet:
        jmp     memset
        .globl  RhSpanHelpers_MemZero
RhSpanHelpers_MemZero:
        mov     rdx, rsi
        xor     esi, esi
        jmp     memset

/* Transitions between managed and native code: nothing to do without a GC or threads. */
        .globl  RhpPInvoke
        .globl  RhpPInvokeReturn
        .globl  RhpReversePInvoke
        .globl  RhpReversePInvokeReturn
        .globl  RhpGcPoll
RhpPInvoke:
RhpPInvokeReturn:
RhpReversePInvoke:
RhpReversePInvokeReturn:
RhpGcPoll:
        ret

/* Write barriers: no GC generations to track, so a store is just a store. */
        .globl  RhpAssignRef
        .globl  RhpCheckedAssignRef
RhpAssignRef:
RhpCheckedAssignRef:
        mov     [rdi], rsi
        ret

/* RhpByRefAssignRef: copy one reference from [rsi] to [rdi] and advance both (clobbers rcx). */
        .globl  RhpByRefAssignRef
RhpByRefAssignRef:
        mov     rcx, [rsi]
        mov     [rdi], rcx
        add     rdi, 8
        add     rsi, 8
        ret

/* RhpThrowEx and RhpRethrow: eh.S. */

        .globl  RhpFallbackFailFast
RhpFallbackFailFast:
        mov     rdi, [rsp]
        jmp     GuestRuntime_FailFast


/* void **tender_module_headers(void ***end): the __modules section (pointers to ilc's module headers). */
        .text
        .globl  tender_module_headers
        .type   tender_module_headers, @function
tender_module_headers:
        lea     rax, [rip + __modules_end]
        mov     [rdi], rax
        lea     rax, [rip + __modules_start]
        ret
        .size   tender_module_headers, . - tender_module_headers


/* Interface dispatch. A call site loads its dispatch cell's address into R11 and calls through the
   cell's first word, which starts as this stub. The stub keeps the call's argument registers, asks
   the core library for the implementation (GuestRuntime_ResolveInterface(this, cell)) and jumps to it
   as if called directly. A null `this` faults in the resolver: NullReferenceException. */
        .text
        .globl  RhpInitialDynamicInterfaceDispatch
        .globl  RhpInitialInterfaceDispatch
        .type   RhpInitialDynamicInterfaceDispatch, @function
RhpInitialDynamicInterfaceDispatch:
RhpInitialInterfaceDispatch:
        /* Call-frame information, so that an exception raised in the resolver (a null `this`)
           unwinds through this frame to the call site. */
        .cfi_startproc
        push    rbp
        .cfi_def_cfa_offset 16
        .cfi_offset rbp, -16
        mov     rbp, rsp
        .cfi_def_cfa_register rbp
        sub     rsp, 0xb0
        mov     [rsp + 0x00], rdi
        mov     [rsp + 0x08], rsi
        mov     [rsp + 0x10], rdx
        mov     [rsp + 0x18], rcx
        mov     [rsp + 0x20], r8
        mov     [rsp + 0x28], r9
        movdqu  [rsp + 0x30], xmm0
        movdqu  [rsp + 0x40], xmm1
        movdqu  [rsp + 0x50], xmm2
        movdqu  [rsp + 0x60], xmm3
        movdqu  [rsp + 0x70], xmm4
        movdqu  [rsp + 0x80], xmm5
        movdqu  [rsp + 0x90], xmm6
        movdqu  [rsp + 0xa0], xmm7
        mov     rsi, r11
        call    GuestRuntime_ResolveInterface
        mov     r11, rax
        mov     rdi, [rsp + 0x00]
        mov     rsi, [rsp + 0x08]
        mov     rdx, [rsp + 0x10]
        mov     rcx, [rsp + 0x18]
        mov     r8,  [rsp + 0x20]
        mov     r9,  [rsp + 0x28]
        movdqu  xmm0, [rsp + 0x30]
        movdqu  xmm1, [rsp + 0x40]
        movdqu  xmm2, [rsp + 0x50]
        movdqu  xmm3, [rsp + 0x60]
        movdqu  xmm4, [rsp + 0x70]
        movdqu  xmm5, [rsp + 0x80]
        movdqu  xmm6, [rsp + 0x90]
        movdqu  xmm7, [rsp + 0xa0]
        mov     rsp, rbp
        pop     rbp
        .cfi_def_cfa rsp, 8
        jmp     r11
        .cfi_endproc
        .size   RhpInitialDynamicInterfaceDispatch, . - RhpInitialDynamicInterfaceDispatch


/* struct { uint64_t methodTable; const char *name; } *tender_typenames(void **end): the type-name
   table typenames.sh generates (empty in the first link pass). */
        .text
        .globl  tender_typenames
        .type   tender_typenames, @function
tender_typenames:
        lea     rax, [rip + __guest_typenames_end]
        mov     [rdi], rax
        lea     rax, [rip + __guest_typenames_start]
        ret
        .size   tender_typenames, . - tender_typenames


/* After its first resolution a dispatch cell points here, with its second word pointing at a block
   { MethodTable *type; void *target; ... }: a call on an object of that type goes straight to the
   target; any other type takes the resolver path again (which re-targets the block). */
        .text
        .globl  GuestInterfaceDispatchCached
        .type   GuestInterfaceDispatchCached, @function
GuestInterfaceDispatchCached:
        .cfi_startproc                  /* nothing pushed: the caller's frame is right above */
        mov     r10, [r11 + 8]
        .globl  tender_dispatch_this_load
tender_dispatch_this_load:
        mov     rax, [rdi]              /* faults on a null `this`: NullReferenceException at the call site */
        cmp     rax, [r10]
        jne     RhpInitialDynamicInterfaceDispatch
        jmp     qword ptr [r10 + 8]
        .cfi_endproc
        .size   GuestInterfaceDispatchCached, . - GuestInterfaceDispatchCached

        .globl  tender_dispatch_this_load_address
        .type   tender_dispatch_this_load_address, @function
tender_dispatch_this_load_address:
        lea     rax, [rip + tender_dispatch_this_load]
        ret
        .size   tender_dispatch_this_load_address, . - tender_dispatch_this_load_address

        .globl  tender_cached_dispatch_stub
        .type   tender_cached_dispatch_stub, @function
tender_cached_dispatch_stub:
        lea     rax, [rip + GuestInterfaceDispatchCached]
        ret
        .size   tender_cached_dispatch_stub, . - tender_cached_dispatch_stub

/* Garbage collector support (Guest.CoreLib/Runtime/Gc). A collection pushes the callee-saved
   registers, so that references only a caller's register holds are on the stack it scans, and runs
   GuestGc_CollectFrom(rsp); the stack above that address up to boot_stack_top is scanned. */
        .text
        .globl  tender_gc_collect_with_registers_spilled
        .type   tender_gc_collect_with_registers_spilled, @function
tender_gc_collect_with_registers_spilled:
        push    rbp
        mov     rbp, rsp
        push    rbx
        push    r12
        push    r13
        push    r14
        push    r15
        sub     rsp, 8                  /* 16-byte alignment at the call */
        mov     rdi, rsp
        call    GuestGc_CollectFrom
        add     rsp, 8
        pop     r15
        pop     r14
        pop     r13
        pop     r12
        pop     rbx
        pop     rbp
        ret
        .size   tender_gc_collect_with_registers_spilled, . - tender_gc_collect_with_registers_spilled

/* void *tender_gc_data_range(void **end): the image's writable data (.data, TLS image, .bss). */
        .globl  tender_gc_data_range
        .type   tender_gc_data_range, @function
tender_gc_data_range:
        lea     rax, [rip + __guest_data_end]
        mov     [rdi], rax
        lea     rax, [rip + __guest_data_start]
        ret
        .size   tender_gc_data_range, . - tender_gc_data_range

        .globl  tender_gc_stack_top
        .type   tender_gc_stack_top, @function
tender_gc_stack_top:
        mov     rax, [rip + boot_stack_top]
        ret
        .size   tender_gc_stack_top, . - tender_gc_stack_top

        .section .note.GNU-stack, "", @progbits
