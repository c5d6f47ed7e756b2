using System;
using System.Runtime;

namespace Internal.Runtime.Exceptions
{
    // CPU faults as exceptions (docs/abi.md "CPU faults as guest exceptions"): with the tender's
    // consent (host_features bit 1) the guest arms itself (guest_features bit 1); the tender then
    // hands a null dereference or an integer division error back to eh.S's tender_fault_entry,
    // disarmed. In managed code that becomes NullReferenceException / DivideByZeroException, as in
    // .NET; the guest re-arms when a catch takes over. A fault outside managed code, one that no catch
    // takes, and one while disarmed (during the handling of another) end the guest as before.
    internal static unsafe class HardwareFaults
    {
        private const uint FeatureBit = Solo5.HvtAbi.FeatureFaultHandBack;
        private const ulong DivideError = 0;

        internal static void Arm()
        {
            Solo5.HvtAbi.BootInfo* info = Hvt.BootInfo();
            if ((info->HostFeatures & FeatureBit) != 0) info->GuestFeatures |= FeatureBit;
        }

        [System.Runtime.InteropServices.DllImport("*", EntryPoint = "tender_dispatch_this_load_address")]
        [System.Runtime.InteropServices.SuppressGCTransition]
        private static extern void* DispatchThisLoad();

        [RuntimeExport("GuestRuntime_HandleFault")]
        private static void HandleFault(EhContext* faulting, ulong vector, ulong cr2)
        {
            // Managed code, or the interface dispatch stub's load through `this` (a call on null).
            bool managed = FrameTable.Find(faulting->Rip, out CodeRange range) && range.Lsda != null;
            if (!managed && faulting->Rip != (ulong)DispatchThisLoad()) return;
            Exception e = vector == DivideError ? new DivideByZeroException() : new NullReferenceException();
            Dispatcher.DispatchFault(e, faulting);
        }
    }
}
