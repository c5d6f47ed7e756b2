using System;
using System.Runtime.InteropServices;

namespace Internal.Runtime
{
    // Start-up work a NativeAOT runtime does before managed code runs: allocate each type's GC static
    // base (ilc leaves a self-relative pointer to the type's statics layout in the slot, tagged
    // "uninitialized", and possibly preinitialized contents to copy in), then run eager class
    // constructors. Must not touch GC statics itself.
    internal static unsafe class GuestStartup
    {
        private const uint ReadyToRunSignature = 0x00525452; // "RTR"
        private const int GCStaticRegion = 201;
        private const int EagerCctor = 205;
        private const nint Uninitialized = 1;
        private const nint HasPreInitializedData = 2;
        private const nint FlagMask = 3;

        [DllImport("*", EntryPoint = "tender_module_headers")]
        [SuppressGCTransition]
        private static extern void** ModuleHeaders(void*** end);

        [StructLayout(LayoutKind.Sequential)]
        private struct Header
        {
            internal uint Signature;
            internal ushort MajorVersion;
            internal ushort MinorVersion;
            internal uint Flags;
            internal ushort NumberOfSections;
            internal byte EntrySize;
            internal byte EntryType;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct Section
        {
            internal int SectionId;
            internal int Flags;
            internal byte* Start;
            internal byte* End;
        }

        private const int ThreadStaticRegion = 202;
        private const int FrozenObjectRegion = 206;

        // Objects ilc built at compile time (string literals, preinitialised arrays and statics): the
        // collector scans them by their layout, not word by word (a string's characters can look
        // like heap addresses).
        internal static byte* s_frozenStart;
        internal static byte* s_frozenEnd;

        private static bool s_done;
        private static byte* s_threadStaticRegion;

        // The layout (MethodTable) of the block that holds all inlined thread statics: the first entry
        // (an absolute pointer) of the module's thread-static region.
        internal static MethodTable* InlinedThreadStaticsType()
        {
            if (s_threadStaticRegion == null) return null;
            return (MethodTable*)(*(nint*)s_threadStaticRegion & ~FlagMask);
        }

        internal static void Initialize()
        {
            if (s_done) return;
            s_done = true;
            Environment.MarkBoot();
            void** end;
            for (void** h = ModuleHeaders(&end); h < end; h++)
            {
                Header* header = (Header*)*h;
                if (header->Signature != ReadyToRunSignature || header->EntrySize != sizeof(Section))
                    FailFast.Abort("Unsupported module header (ilc version mismatch?)");
                Section* sections = (Section*)(header + 1);
                for (int i = 0; i < header->NumberOfSections; i++)
                    if (sections[i].SectionId == GCStaticRegion) InitializeStatics(sections[i].Start, sections[i].End);
                for (int i = 0; i < header->NumberOfSections; i++)
                    if (sections[i].SectionId == ThreadStaticRegion && sections[i].End > sections[i].Start) s_threadStaticRegion = sections[i].Start;
                for (int i = 0; i < header->NumberOfSections; i++)
                    if (sections[i].SectionId == FrozenObjectRegion) { s_frozenStart = sections[i].Start; s_frozenEnd = sections[i].End; }
                for (int i = 0; i < header->NumberOfSections; i++)
                    if (sections[i].SectionId == EagerCctor) RunEagerConstructors(sections[i].Start, sections[i].End);
            }
        }

        private static byte* FollowRelative(byte* at) => at + *(int*)at;

        private static void InitializeStatics(byte* start, byte* end)
        {
            for (byte* entry = start; entry < end; entry += 4)
            {
                byte* block = FollowRelative(entry);
                nint tagged = (nint)FollowRelative(block);
                if ((tagged & Uninitialized) == 0) continue;
                MethodTable* mt = (MethodTable*)(tagged & ~FlagMask);
                // An object in the collected heap; the slot in the image's data keeps it alive.
                byte* obj = Heap.AllocateObject(mt);
                if ((tagged & HasPreInitializedData) != 0)
                {
                    byte* data = FollowRelative(block + 4);
                    Native.Memmove(obj + sizeof(IntPtr), data, mt->BaseSize - (nuint)(2 * sizeof(IntPtr)));
                }
                *(byte**)block = obj;
            }
        }

        private static void RunEagerConstructors(byte* start, byte* end)
        {
            for (byte* entry = start; entry < end; entry += 4)
                ((delegate*<void>)FollowRelative(entry))();
        }
    }
}
