using System;
using System.Runtime.CompilerServices;

namespace Internal.Runtime
{
    // Thread-static fields. The guest has one thread, whose thread-local block the boot stub set up;
    // ilc keeps a reference to the block of all "inlined" thread statics in a TLS slot and asks for it
    // to be allocated on first use.
    internal static unsafe class ThreadStatics
    {
        internal static object GetInlinedThreadStaticBaseSlow(ref object? threadStorage)
        {
            MethodTable* mt = GuestStartup.InlinedThreadStaticsType();
            if (mt == null) FailFast.Abort("Thread statics: the module has no thread-static layout");
            // The TLS slot that receives it (in the image's data) keeps the block alive.
            byte* block = Heap.AllocateObject(mt);
            object storage = System.Runtime.RuntimeExports.ObjectAt(block);
            threadStorage = storage;
            return storage;
        }

        internal static object GetThreadStaticBaseForType(void* moduleData, int typeTlsIndex)
        {
            FailFast.Abort("Thread statics outside the inlined block are not supported in a guest.");
            return null!;
        }
    }
}
