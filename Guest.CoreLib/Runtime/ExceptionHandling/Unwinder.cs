namespace Internal.Runtime.Exceptions
{
    // Steps a frame to its caller by interpreting the DWARF call-frame instructions of its FDE (the
    // subset compilers emit for x86-64: CFA = register + offset, registers saved at CFA + offset).
    internal static unsafe class Unwinder
    {
        private const int Registers = 17;               // rax..r15 and the return address (16)
        private const int RuleSame = 0, RuleOffset = 1, RuleUndefined = 2;
        private const int MaxRemembered = 4;

        private struct Row
        {
            internal int CfaRegister;
            internal long CfaOffset;
            internal fixed byte Rule[Registers];
            internal fixed long Offset[Registers];
        }

        // Replaces `context` by its caller's. `lookupPc` is the address inside the frame's code that
        // selects the row (the return address - 1 for a frame that made a call).
        internal static bool Step(ref EhContext context, in CodeRange range, ulong lookupPc)
        {
            byte* fde = range.Fde;
            byte* cie = fde + 4 - *(uint*)(fde + 4);
            if (!FrameTable.ReadCie(cie, out FrameTable.CieInfo info)) return false;

            Row initial = default;
            Row row = default;
            if (!Run(info.Instructions, info.InstructionsEnd, in info, (ulong)range.Start, ulong.MaxValue, ref row, ref initial)) return false;
            initial = row;

            // The FDE's instructions follow its augmentation data.
            byte* p = fde + 8;
            FrameTable.ReadEncoded(ref p, info.FdeEncoding, null);
            FrameTable.ReadEncoded(ref p, (byte)(info.FdeEncoding & 0x0f), null);
            if (info.HasAugmentationData) { ulong n = FrameTable.ReadUleb(ref p); p += n; }
            byte* end = fde + 4 + *(uint*)fde;
            if (!Run(p, end, in info, (ulong)range.Start, lookupPc, ref row, ref initial)) return false;

            ulong* cfaBase = context.Slot(row.CfaRegister);
            if (cfaBase == null) return false;
            ulong cfa = (ulong)((long)*cfaBase + row.CfaOffset);
            EhContext caller = context;
            for (int r = 0; r < Registers; r++)
            {
                if (row.Rule[r] != RuleOffset) continue;
                ulong* slot = caller.Slot(r);
                if (slot != null) *slot = *(ulong*)(long)((long)cfa + row.Offset[r]);
            }
            if (row.Rule[info.ReturnRegister] != RuleOffset) return false; // no caller: the outermost frame
            caller.Rsp = cfa;
            context = caller;
            return true;
        }

        private static bool Run(byte* p, byte* end, in FrameTable.CieInfo info, ulong loc, ulong target, ref Row row, ref Row initial)
        {
            Row* remembered = stackalloc Row[MaxRemembered];
            int depth = 0;
            while (p < end)
            {
                byte op = *p++;
                int high = op & 0xc0, low = op & 0x3f;
                if (high == 0x40) { loc += (ulong)low * info.CodeAlignment; if (loc > target) return true; continue; }
                if (high == 0x80) { Set(ref row, low, RuleOffset, (long)FrameTable.ReadUleb(ref p) * info.DataAlignment); continue; }
                if (high == 0xc0) { Restore(ref row, ref initial, low); continue; }
                switch (op)
                {
                    case 0x00: break;                                           // nop
                    case 0x01: loc = *(ulong*)p; p += 8; if (loc > target) return true; break; // set_loc (absptr)
                    case 0x02: loc += (ulong)*p * info.CodeAlignment; p += 1; if (loc > target) return true; break;
                    case 0x03: loc += (ulong)*(ushort*)p * info.CodeAlignment; p += 2; if (loc > target) return true; break;
                    case 0x04: loc += (ulong)*(uint*)p * info.CodeAlignment; p += 4; if (loc > target) return true; break;
                    case 0x05: { int r = (int)FrameTable.ReadUleb(ref p); Set(ref row, r, RuleOffset, (long)FrameTable.ReadUleb(ref p) * info.DataAlignment); break; }
                    case 0x06: Restore(ref row, ref initial, (int)FrameTable.ReadUleb(ref p)); break;
                    case 0x07: Set(ref row, (int)FrameTable.ReadUleb(ref p), RuleUndefined, 0); break;
                    case 0x08: Set(ref row, (int)FrameTable.ReadUleb(ref p), RuleSame, 0); break;
                    case 0x0a: if (depth == MaxRemembered) return false; remembered[depth++] = row; break;
                    case 0x0b:
                        {
                            if (depth == 0) return false;
                            int cfaRegister = row.CfaRegister; long cfaOffset = row.CfaOffset; // the CFA is not part of the saved state
                            row = remembered[--depth];
                            row.CfaRegister = cfaRegister; row.CfaOffset = cfaOffset;
                            break;
                        }
                    case 0x0c: row.CfaRegister = (int)FrameTable.ReadUleb(ref p); row.CfaOffset = (long)FrameTable.ReadUleb(ref p); break;
                    case 0x0d: row.CfaRegister = (int)FrameTable.ReadUleb(ref p); break;
                    case 0x0e: row.CfaOffset = (long)FrameTable.ReadUleb(ref p); break;
                    case 0x11: { int r = (int)FrameTable.ReadUleb(ref p); Set(ref row, r, RuleOffset, FrameTable.ReadSleb(ref p) * info.DataAlignment); break; }
                    case 0x12: row.CfaRegister = (int)FrameTable.ReadUleb(ref p); row.CfaOffset = FrameTable.ReadSleb(ref p) * info.DataAlignment; break;
                    case 0x13: row.CfaOffset = FrameTable.ReadSleb(ref p) * info.DataAlignment; break;
                    case 0x2e: FrameTable.ReadUleb(ref p); break;              // GNU_args_size: no effect on the registers
                    default: return false;                                     // expressions etc.: not emitted by ilc
                }
            }
            return true;
        }

        private static void Set(ref Row row, int register, int rule, long offset)
        {
            if ((uint)register >= Registers) return;
            row.Rule[register] = (byte)rule;
            row.Offset[register] = offset;
        }

        private static void Restore(ref Row row, ref Row initial, int register)
        {
            if ((uint)register >= Registers) return;
            row.Rule[register] = initial.Rule[register];
            row.Offset[register] = initial.Offset[register];
        }
    }
}
