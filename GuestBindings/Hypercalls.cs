using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace GuestBindings
{
    // The hvt hypercalls (Solo5 hvt_abi.h, docs/abi.md) and the boot stub's helpers. Argument structs
    // live in the image, below 4 GiB as the ABI requires; the guest is single-threaded so one of each
    // suffices.
    internal static unsafe class Hypercalls
    {
        [DllImport("*", EntryPoint = "tender_hypercall")]
        [SuppressGCTransition]
        internal static extern void Hypercall(uint port, uint argument);

        [DllImport("*", EntryPoint = "tender_boot_info")]
        [SuppressGCTransition]
        internal static extern Solo5.HvtAbi.BootInfo* GetBootInfo();

        [DllImport("*", EntryPoint = "tender_rdtsc")]
        [SuppressGCTransition]
        internal static extern ulong ReadTsc();

        private static Solo5.HvtAbi.PutsArgs s_puts;
        private static Solo5.HvtAbi.WalltimeArgs s_walltime;
        private static Solo5.HvtAbi.PollArgs s_poll;
        private static Solo5.HvtAbi.HaltArgs s_halt;

        internal static void Write(byte* data, ulong length)
        {
            fixed (Solo5.HvtAbi.PutsArgs* a = &s_puts)
            {
                a->Data = (ulong)data;
                a->Length = length;
                Hypercall(Solo5.HvtAbi.PortBase + Solo5.HvtAbi.Puts, (uint)(ulong)a);
            }
        }

        internal static ulong ReadWallTime()
        {
            fixed (Solo5.HvtAbi.WalltimeArgs* a = &s_walltime)
            {
                a->Nanoseconds = 0;
                Hypercall(Solo5.HvtAbi.PortBase + Solo5.HvtAbi.Walltime, (uint)(ulong)a);
                return a->Nanoseconds;
            }
        }

        internal static int DoPoll(ulong timeoutNanoseconds, out ulong readySet)
        {
            fixed (Solo5.HvtAbi.PollArgs* a = &s_poll)
            {
                a->TimeoutNanoseconds = timeoutNanoseconds;
                a->ReadySet = 0;
                a->Result = 0;
                Hypercall(Solo5.HvtAbi.PortBase + Solo5.HvtAbi.Poll, (uint)(ulong)a);
                readySet = a->ReadySet;
                return a->Result;
            }
        }

        [DoesNotReturn]
        internal static void DoHalt(int status, byte* cookie)
        {
            fixed (Solo5.HvtAbi.HaltArgs* a = &s_halt)
            {
                a->Cookie = (ulong)cookie;
                a->Status = status;
                Hypercall(Solo5.HvtAbi.PortBase + Solo5.HvtAbi.Halt, (uint)(ulong)a);
            }
            while (true) { }
        }
    }
}
