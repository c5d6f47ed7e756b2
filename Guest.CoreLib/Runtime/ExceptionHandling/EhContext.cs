using System.Runtime.InteropServices;

namespace Internal.Runtime.Exceptions
{
    // A frame's registers as the unwinder tracks them: where it executes and the callee-saved
    // registers it sees. Layout shared with Guest.Build/eh.S.
    internal struct EhContext
    {
        internal ulong Rip;
        internal ulong Rsp;
        internal ulong Rbx;
        internal ulong Rbp;
        internal ulong R12;
        internal ulong R13;
        internal ulong R14;
        internal ulong R15;

        // DWARF register numbers of x86-64 (0 rax .. 15 r15, 16 = return address).
        internal unsafe ulong* Slot(int dwarfRegister)
        {
            fixed (EhContext* self = &this)
            {
                switch (dwarfRegister)
                {
                    case 3: return &self->Rbx;
                    case 6: return &self->Rbp;
                    case 7: return &self->Rsp;
                    case 12: return &self->R12;
                    case 13: return &self->R13;
                    case 14: return &self->R14;
                    case 15: return &self->R15;
                    case 16: return &self->Rip;
                    default: return null;
                }
            }
        }
    }

    // The assembly half (Guest.Build/eh.S).
    internal static unsafe class EhNative
    {
        [DllImport("*", EntryPoint = "tender_eh_call_funclet")]
        [SuppressGCTransition]
        internal static extern nuint CallFunclet(void* code, nint argument, EhContext* parent);

        [DllImport("*", EntryPoint = "tender_eh_resume")]
        [SuppressGCTransition]
        internal static extern void Resume(EhContext* context, void* rip, nint rax);

        [DllImport("*", EntryPoint = "tender_eh_funclet_return")]
        [SuppressGCTransition]
        internal static extern ulong FuncletReturnAddress();

        [DllImport("*", EntryPoint = "tender_eh_filter_escape_address")]
        [SuppressGCTransition]
        internal static extern ulong FilterEscapeAddress();

        [DllImport("*", EntryPoint = "tender_eh_frame_hdr")]
        [SuppressGCTransition]
        internal static extern byte* EhFrameHeader();
    }
}
