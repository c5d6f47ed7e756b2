# Hostile PCI guest (issue 6): drives the emulated 82599 at BAR0 of PCI device 0 with raw register
# writes and posts one transmit descriptor whose buffer is guest RAM at 0x100000, OUTSIDE the DMA
# area. The device must refuse it with a device error (reported by the tender), complete the
# descriptor, and keep going; the guest prints STATUS, TXDCTL, the descriptor's status dword and
# TDH (hex lines), then halts with 0.
    .include "lib.inc"
    TENDER_NOTE
    .globl _start
_start:
    movabsq $0x8000000000, %rbx      # BAR0 of PCI device 0: 2^39
    movabsq $0x10000000000, %r12     # the DMA area: 2^40
    movl 0x8(%rbx), %edi             # STATUS: an MMIO read
    call lib_print_hex
    movq $0x100000, (%r12)           # descriptor 0: buffer address outside the DMA area
    movl $0x2B30003C, 8(%r12)        # advanced data, EOP|IFCS|RS|DEXT, 60 bytes
    movl $(60 << 14), 12(%r12)       # PAYLEN
    movl $1, 0x4A80(%rbx)            # DMATXCTL.TE
    movl $0, 0x6000(%rbx)            # TDBAL[0]
    movl $0x100, 0x6004(%rbx)        # TDBAH[0]: the ring at 2^40
    movl $128, 0x6008(%rbx)          # TDLEN[0]: 8 descriptors
    movl $0, 0x6010(%rbx)            # TDH[0]
    movl $0, 0x6018(%rbx)            # TDT[0]
    movl $(1 << 25), 0x6028(%rbx)    # TXDCTL[0].ENABLE
    movl 0x6028(%rbx), %edi
    call lib_print_hex
    movl $1, 0x6018(%rbx)            # TDT[0] = 1: the doorbell
    movl 12(%r12), %edi              # the descriptor's status dword (DD = bit 0)
    call lib_print_hex
    movl 0x6010(%rbx), %edi          # TDH[0]
    call lib_print_hex
    xorl %edi, %edi
    call lib_halt
