using System.Runtime.InteropServices;

namespace Internal.Runtime.Exceptions
{
    // The method-name table the build's second link pass adds (Guest.Build/methodnames.sh): entries
    // { start address, NUL-terminated symbol name } sorted by address; empty in the first pass.
    internal static unsafe class MethodNames
    {
        private struct Entry
        {
            internal ulong Start;
            internal byte* Name;
        }

        [DllImport("*", EntryPoint = "tender_methodnames")]
        [SuppressGCTransition]
        private static extern Entry* Table(Entry** end);

        internal static string? Find(ulong address, out ulong offset)
        {
            offset = 0;
            Entry* end;
            Entry* table = Table(&end);
            long lo = 0, hi = end - table - 1, found = -1;
            while (lo <= hi)
            {
                long mid = (lo + hi) >> 1;
                if (table[mid].Start <= address) { found = mid; lo = mid + 1; }
                else hi = mid - 1;
            }
            if (found < 0) return null;
            offset = address - table[found].Start;
            byte* name = table[found].Name;
            int length = 0;
            while (name[length] != 0) length++;
            return Utf8.ToString(name, length);
        }
    }
}
