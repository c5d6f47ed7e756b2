namespace Internal.Runtime.Exceptions
{
    // Walks the managed frames from a throw site outwards: unwinds with the FDEs, hops from a funclet
    // to the frame that owns it, and stops at a filter funclet's stub (an exception never leaves a
    // filter) or where no unwind information exists (the end of the managed stack).
    internal unsafe struct FrameWalker
    {
        internal EhContext Context;
        internal CodeRange Range;
        internal byte* MethodStart;      // the main body's start: clause offsets are relative to it
        internal byte* MainLsda;
        internal FuncletCall* Cursor;    // the innermost funclet record not yet walked past
        internal int SkipThrough;        // clauses up to this index were dealt with by an earlier dispatch
        internal uint SkipTryStart;
        internal uint SkipTryEnd;
        internal bool AtFilterBoundary;  // reached a filter's stub: the frame is not a method
        internal int Index;              // frames walked so far (the same on both passes)
        internal bool IsFaultingFrame;   // the first frame stopped at a faulting instruction, not a call

        internal bool Start(in EhContext thrower, FuncletCall* active, bool faulting)
        {
            Context = thrower;
            Cursor = active;
            SkipThrough = -1;
            Index = 0;
            IsFaultingFrame = faulting;
            return Resolve();
        }

        // The frame's code address to look up: inside the call instruction for a frame that called
        // out (its return address - 1), the instruction itself for a faulting frame.
        internal ulong LookupPc => IsFaultingFrame ? Context.Rip : Context.Rip - 1;

        internal uint CodeOffset => (uint)(LookupPc - (ulong)MethodStart);

        internal bool Next()
        {
            if (AtFilterBoundary) return false;
            if (!Unwinder.Step(ref Context, in Range, LookupPc)) return false;
            IsFaultingFrame = false;
            SkipThrough = -1;
            Index++;
            return Resolve();
        }

        private bool Resolve()
        {
            ulong funcletReturn = EhNative.FuncletReturnAddress();
            while (Context.Rip == funcletReturn)
            {
                FuncletCall* call = Cursor;
                if (call == null) return false;
                if (call->Kind == FuncletKind.Filter)
                {
                    AtFilterBoundary = true;
                    return true;
                }
                Context = call->Parent;
                SkipThrough = call->ClauseIndex;
                SkipTryStart = call->TryStart;
                SkipTryEnd = call->TryEnd;
                Cursor = call->Outer;
                IsFaultingFrame = false;
            }
            if (!FrameTable.Find(LookupPc, out Range)) return false;
            if (Range.Lsda == null)
            {
                // Runtime assembly with call-frame information (the interface dispatch stubs): a
                // frame without clauses.
                MainLsda = null;
                MethodStart = Range.Start;
                return true;
            }
            MainLsda = MethodEhInfo.MainLsda(Range.Lsda);
            MethodStart = MainLsda == Range.Lsda ? Range.Start : FindMainStart(Range, MainLsda);
            return MethodStart != null;
        }

        // ilc places a method's funclets right after its main body: step back through the preceding
        // code ranges to the one whose LSDA is the main body's.
        private static byte* FindMainStart(CodeRange funclet, byte* mainLsda)
        {
            CodeRange r = funclet;
            for (int i = 0; i < 256; i++)
            {
                if (!FrameTable.Find((ulong)r.Start - 1, out r)) return null;
                if (r.Lsda == mainLsda) return r.Start;
            }
            return null;
        }

        // Whether clause `index` applies to this frame: its try range covers the frame's code offset
        // and no earlier dispatch already went past it. Coming back from a funclet, that is the clauses
        // up to the funclet's own, and the run of clauses right after it with the very same try range:
        // other handlers of that try (they protect only its try block) and, since funclets lie outside
        // the main body, enclosing trys whose main-body range is the same; ilc separates the latter
        // from the next run with an empty marker clause, which ends the skipping.
        internal bool Covers(int index, in EhClause clause)
        {
            if (index <= SkipThrough) return false;
            if (SkipThrough >= 0 && !_skipRunEnded)
            {
                if (clause.TryStart == SkipTryStart && clause.TryEnd == SkipTryEnd) return false;
                _skipRunEnded = true;
            }
            uint offset = CodeOffset;
            return offset >= clause.TryStart && offset < clause.TryEnd;
        }

        // Clauses are visited in order once per scan of a frame; each scan starts with this.
        internal void BeginClauses() => _skipRunEnded = false;

        private bool _skipRunEnded;
    }
}
