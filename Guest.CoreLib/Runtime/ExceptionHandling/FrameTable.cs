namespace Internal.Runtime.Exceptions
{
    // A method (or funclet) found by address: its code range and ilc's LSDA, and where its FDE's
    // call-frame instructions are.
    internal unsafe struct CodeRange
    {
        internal byte* Start;
        internal byte* End;
        internal byte* Lsda;
        internal byte* Fde;
    }

    // Finds FDEs through the binary-search table of .eh_frame_hdr (built by ld --eh-frame-hdr) and reads
    // the FDE/CIE headers (DWARF pointer encodings of the subset GNU tools and ilc emit).
    internal static unsafe class FrameTable
    {
        private const byte OmitEncoding = 0xff;

        internal static bool Find(ulong pc, out CodeRange range)
        {
            range = default;
            byte* hdr = EhNative.EhFrameHeader();
            if (hdr[0] != 1 || hdr[3] != 0x3b) return false; // version 1, table of datarel sdata4 pairs
            byte* p = hdr + 4;
            ReadEncoded(ref p, hdr[1], hdr);                   // .eh_frame's address: not needed
            long count = (long)ReadEncoded(ref p, hdr[2], hdr);
            int* table = (int*)p;
            long lo = 0, hi = count - 1, found = -1;
            while (lo <= hi)
            {
                long mid = (lo + hi) >> 1;
                if ((ulong)(hdr + table[mid * 2]) <= pc) { found = mid; lo = mid + 1; }
                else hi = mid - 1;
            }
            if (found < 0) return false;
            byte* fde = hdr + table[found * 2 + 1];
            if (!ReadFde(fde, out range)) return false;
            return pc >= (ulong)range.Start && pc < (ulong)range.End;
        }

        // FDE: length, CIE pointer (self-relative, backwards), pc begin and range, augmentation data
        // (the LSDA pointer when the CIE's augmentation has 'L'), instructions.
        internal static bool ReadFde(byte* fde, out CodeRange range)
        {
            range = default;
            byte* p = fde + 4;
            byte* cie = p - *(uint*)p;
            p += 4;
            if (!ReadCie(cie, out CieInfo info)) return false;
            range.Start = (byte*)ReadEncoded(ref p, info.FdeEncoding, null);
            range.End = range.Start + ReadEncoded(ref p, (byte)(info.FdeEncoding & 0x0f), null);
            range.Fde = fde;
            if (info.HasAugmentationData)
            {
                ulong augLength = ReadUleb(ref p);
                byte* augEnd = p + augLength;
                if (info.LsdaEncoding != OmitEncoding) range.Lsda = (byte*)ReadEncoded(ref p, info.LsdaEncoding, null);
                p = augEnd;
            }
            return true;
        }

        internal struct CieInfo
        {
            internal ulong CodeAlignment;
            internal long DataAlignment;
            internal int ReturnRegister;
            internal byte FdeEncoding;
            internal byte LsdaEncoding;
            internal bool HasAugmentationData;
            internal byte* Instructions;
            internal byte* InstructionsEnd;
        }

        internal static bool ReadCie(byte* cie, out CieInfo info)
        {
            info = default;
            info.FdeEncoding = 0;           // absolute pointers unless 'R' says otherwise
            info.LsdaEncoding = OmitEncoding;
            uint length = *(uint*)cie;
            if (length == 0xffffffff) return false; // 64-bit DWARF: not emitted by the toolchain
            byte* end = cie + 4 + length;
            byte* p = cie + 8;
            byte version = *p++;
            byte* augmentation = p;
            while (*p != 0) p++;
            p++;
            info.CodeAlignment = ReadUleb(ref p);
            info.DataAlignment = ReadSleb(ref p);
            info.ReturnRegister = version == 1 ? *p++ : (int)ReadUleb(ref p);
            if (augmentation[0] == (byte)'z')
            {
                info.HasAugmentationData = true;
                ulong augLength = ReadUleb(ref p);
                byte* augEnd = p + augLength;
                for (byte* a = augmentation + 1; *a != 0; a++)
                {
                    if (*a == (byte)'L') info.LsdaEncoding = *p++;
                    else if (*a == (byte)'R') info.FdeEncoding = *p++;
                    else if (*a == (byte)'P') { byte enc = *p++; ReadEncoded(ref p, enc, null); }
                    else if (*a == (byte)'S') { }
                    else return false;
                }
                p = augEnd;
            }
            else if (augmentation[0] != 0) return false;
            info.Instructions = p;
            info.InstructionsEnd = end;
            return true;
        }

        // DW_EH_PE_*: low nibble the format, bits 4-6 what it is relative to (pcrel, datarel = hdr).
        internal static ulong ReadEncoded(ref byte* p, byte encoding, byte* dataBase)
        {
            if (encoding == OmitEncoding) return 0;
            byte* at = p;
            ulong value;
            switch (encoding & 0x0f)
            {
                case 0x00: value = *(ulong*)p; p += 8; break;              // absptr
                case 0x01: value = ReadUleb(ref p); break;
                case 0x02: value = *(ushort*)p; p += 2; break;
                case 0x03: value = *(uint*)p; p += 4; break;
                case 0x04: value = *(ulong*)p; p += 8; break;
                case 0x09: value = (ulong)ReadSleb(ref p); break;
                case 0x0a: value = (ulong)(long)*(short*)p; p += 2; break;
                case 0x0b: value = (ulong)(long)*(int*)p; p += 4; break;
                case 0x0c: value = *(ulong*)p; p += 8; break;
                default: return 0;
            }
            switch (encoding & 0x70)
            {
                case 0x10: value += (ulong)at; break;
                case 0x30: value += (ulong)dataBase; break;
            }
            return value;
        }

        internal static ulong ReadUleb(ref byte* p)
        {
            ulong result = 0;
            int shift = 0;
            byte b;
            do { b = *p++; result |= (ulong)(b & 0x7f) << shift; shift += 7; } while ((b & 0x80) != 0);
            return result;
        }

        internal static long ReadSleb(ref byte* p)
        {
            long result = 0;
            int shift = 0;
            byte b;
            do { b = *p++; result |= (long)(b & 0x7f) << shift; shift += 7; } while ((b & 0x80) != 0);
            if (shift < 64 && (b & 0x40) != 0) result |= -1L << shift;
            return result;
        }
    }
}
