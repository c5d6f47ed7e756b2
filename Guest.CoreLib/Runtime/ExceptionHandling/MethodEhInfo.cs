namespace Internal.Runtime.Exceptions
{
    internal enum ClauseKind { Typed = 0, Fault = 1, Filter = 2 }

    internal unsafe struct EhClause
    {
        internal uint TryStart;     // offsets from the method's (main body's) start
        internal uint TryEnd;
        internal ClauseKind Kind;   // ilc emits `finally` as a fault clause (the normal path is inlined)
        internal byte* Handler;
        internal byte* Filter;
        internal MethodTable* CatchType;
    }

    // What ilc puts behind an FDE's LSDA pointer for a method or one of its funclets (the format of
    // NativeAOT's UnixNativeCodeManager): a flags byte (bits 0-1: 0 main body, 1 catch/finally/fault
    // funclet, 2 filter funclet; 0x04: has an EH clause table; 0x10: an associated-data word follows);
    // funclets then hold a 32-bit self-relative pointer to the main body's LSDA; a main body with EH
    // holds a self-relative pointer to its clause table.
    internal static unsafe class MethodEhInfo
    {
        private const byte KindMask = 0x03;
        private const byte HasEhInfo = 0x04;
        private const byte HasAssociatedData = 0x10;

        internal static bool IsFunclet(byte* lsda) => (*lsda & KindMask) != 0;
        internal static bool IsFilterFunclet(byte* lsda) => (*lsda & KindMask) == 2;

        // The main body's LSDA for a funclet's (itself for a main body).
        internal static byte* MainLsda(byte* lsda)
        {
            byte flags = *lsda;
            if ((flags & KindMask) == 0) return lsda;
            byte* p = lsda + 1;
            if ((flags & HasAssociatedData) != 0) p += 4;
            return p + *(int*)p;
        }

        // The clause table of a main body's LSDA, or null. The table: a count, then per clause
        // try start, (try length << 2 | kind), handler offset, and a self-relative MethodTable pointer
        // (typed) or the filter's offset (filter); all numbers in NativeFormat's variable-length form.
        internal static byte* ClauseTable(byte* mainLsda, out uint count)
        {
            count = 0;
            if (mainLsda == null) return null;
            byte flags = *mainLsda;
            if ((flags & HasEhInfo) == 0) return null;
            byte* p = mainLsda + 1;
            if ((flags & HasAssociatedData) != 0) p += 4;
            byte* table = p + *(int*)p;
            count = ReadUnsigned(ref table);
            return table;
        }

        internal static void ReadClause(ref byte* p, byte* methodStart, out EhClause clause)
        {
            clause = default;
            clause.TryStart = ReadUnsigned(ref p);
            uint lengthAndKind = ReadUnsigned(ref p);
            clause.Kind = (ClauseKind)(lengthAndKind & 3);
            clause.TryEnd = clause.TryStart + (lengthAndKind >> 2);
            clause.Handler = methodStart + ReadUnsigned(ref p);
            if (clause.Kind == ClauseKind.Typed)
            {
                clause.CatchType = (MethodTable*)(p + *(int*)p);
                p += 4;
            }
            else if (clause.Kind == ClauseKind.Filter)
            {
                clause.Filter = methodStart + ReadUnsigned(ref p);
            }
        }

        // NativeFormat unsigned: the low bits of the first byte give the length (x0: 1 byte,
        // x01: 2, x011: 3, x0111: 4, 1111: 4 more bytes follow).
        internal static uint ReadUnsigned(ref byte* p)
        {
            uint b = p[0];
            if ((b & 1) == 0) { p += 1; return b >> 1; }
            if ((b & 2) == 0) { uint v = (b >> 2) | ((uint)p[1] << 6); p += 2; return v; }
            if ((b & 4) == 0) { uint v = (b >> 3) | ((uint)p[1] << 5) | ((uint)p[2] << 13); p += 3; return v; }
            if ((b & 8) == 0) { uint v = (b >> 4) | ((uint)p[1] << 4) | ((uint)p[2] << 12) | ((uint)p[3] << 20); p += 4; return v; }
            uint w = *(uint*)(p + 1);
            p += 5;
            return w;
        }
    }
}
