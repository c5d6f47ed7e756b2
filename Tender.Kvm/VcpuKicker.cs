using Tender.Host.Interop;
using Tender.Kvm.Interop;

namespace Tender.Kvm;

/// <summary>
/// Makes KVM_RUN return early: a real-time signal sent to the vCPU thread interrupts the ioctl
/// with EINTR. The signal needs a handler (its default action kills the process; an ignored
/// signal is discarded and would not interrupt anything) and the handler must be native: a
/// managed handler would re-enter the runtime from a signal context. So the handler is one
/// `ret` instruction in a page of its own.
/// </summary>
internal static unsafe class VcpuKicker
{
    private static readonly object Gate = new();
    private static int _signal; // 0 until installed

    public static int SignalNumber => _signal;

    public static void EnsureInstalled()
    {
        if (Volatile.Read(ref _signal) != 0) return;
        lock (Gate)
        {
            if (_signal != 0) return;
            nint page = LibC.Mmap(0, 4096, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
            if (page == LibC.MAP_FAILED) throw KvmException.FromLastError("mmap for the kick signal handler");
            *(byte*)page = 0xC3; // ret
            if (LibC.Mprotect(page, 4096, LibC.PROT_READ | LibC.PROT_EXEC) != 0)
                throw KvmException.FromLastError("mprotect for the kick signal handler");

            // .NET uses the lowest real-time signal itself; take the first free one above it.
            int min = LibC.CurrentSigRtMin(), max = LibC.CurrentSigRtMax();
            for (int signal = min + 4; signal <= max; signal++)
            {
                LibC.SigActionStruct old;
                if (LibC.SigAction(signal, null, &old) != 0 || old.Handler != 0) continue; // not SIG_DFL: someone uses it
                var action = new LibC.SigActionStruct { Handler = page, Flags = 0 }; // no SA_RESTART: KVM_RUN must see EINTR
                if (LibC.SigAction(signal, &action, null) != 0) throw KvmException.FromLastError($"sigaction({signal})");
                Volatile.Write(ref _signal, signal);
                return;
            }
            throw new KvmException("no free real-time signal to interrupt KVM_RUN with");
        }
    }

    public static void Signal(nuint thread)
    {
        int signal = Volatile.Read(ref _signal);
        if (signal != 0) LibC.PthreadKill(thread, signal);
    }
}
