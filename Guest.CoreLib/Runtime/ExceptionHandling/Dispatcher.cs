using System;
using System.Runtime;
using System.Runtime.CompilerServices;

namespace Internal.Runtime.Exceptions
{
    // .NET's two-pass exception dispatch. Pass 1 walks outwards from the throw site to the first
    // catch clause whose type matches or whose filter accepts (filters run here, in pass 1); no
    // handler means an unhandled exception (the fail-fast report, no finally runs). Pass 2 walks the
    // same frames again running finally/fault funclets innermost first, then runs the catch funclet
    // and resumes its method where the funclet says, with the stack cut back to that frame.
    internal static unsafe class Dispatcher
    {
        private const int KindThrow = 0, KindRethrow = 1, KindFault = 2;

        // A CPU fault in managed code, as an exception (HardwareFaults): returns only when no catch
        // takes it, for the fault to end the guest as it would without this.
        internal static void DispatchFault(Exception exception, EhContext* faulting) => Dispatch(exception, faulting, KindFault);

        // Entry from eh.S (RhpThrowEx/RhpRethrow).
        [RuntimeExport("GuestRuntime_DispatchException")]
        private static void DispatchException(object? exception, EhContext* thrower, int kind)
        {
            if (kind == KindRethrow)
            {
                exception = CurrentlyCaught();
                if (exception is null) FailFast.Abort("`throw;` outside a catch handler.");
            }
            exception ??= new NullReferenceException();
            Dispatch(exception, thrower, kind);
        }

        private static object? CurrentlyCaught()
        {
            for (FuncletCall* c = FuncletCall.Active; c != null; c = c->Outer)
                if (c->Kind == FuncletKind.Catch) return Unsafe.As<nint, object>(ref c->Exception);
            return null;
        }

        private static void Dispatch(object exception, EhContext* thrower, int kind)
        {
            Exception? managed = exception as Exception;
            if (managed is not null && kind != KindRethrow) managed.ResetStackTrace();

            // Pass 1: find the handler.
            FuncletCall* active = FuncletCall.Active;
            FrameWalker walker = default;
            bool faulting = kind == KindFault;
            int handlerFrame = -1, handlerClause = -1;
            if (walker.Start(*thrower, active, faulting))
            {
                do
                {
                    if (walker.AtFilterBoundary) { handlerFrame = walker.Index; break; }
                    managed?.AppendStackFrame(walker.LookupPc);
                    handlerClause = FindCatch(exception, ref walker);
                    if (handlerClause >= 0) { handlerFrame = walker.Index; break; }
                } while (walker.Next());
            }
            if (handlerFrame < 0)
            {
                if (kind != KindFault) FailFast.UnhandledException(exception, thrower->Rip);
                return;
            }

            // Pass 2: run the finally/fault funclets up to the handler, then the handler.
            walker = default;
            walker.Start(*thrower, active, faulting);
            while (true)
            {
                if (walker.Index == handlerFrame && walker.AtFilterBoundary)
                {
                    // The exception ends its filter, which counts as returning false (eh.S).
                    FuncletCall.Active = walker.Cursor;
                    EhContext landing = walker.Context;
                    EhNative.Resume(&landing, (void*)EhNative.FilterEscapeAddress(), 0);
                }
                RunFinallys(ref walker, walker.Index == handlerFrame ? handlerClause : int.MaxValue);
                if (walker.Index == handlerFrame) break;
                if (!walker.Next()) FailFast.Abort("The exception dispatcher lost its way in the second pass.");
            }

            EhClause handler = ClauseAt(walker, handlerClause);
            FuncletCall call = default;
            call.Kind = FuncletKind.Catch;
            call.Parent = walker.Context;
            call.ClauseIndex = handlerClause;
            call.TryStart = handler.TryStart;
            call.TryEnd = handler.TryEnd;
            call.Exception = Unsafe.As<object, nint>(ref exception);
            call.Outer = FuncletCall.Active;
            FuncletCall.Active = &call;
            EhContext frame = walker.Context;
            void* resumeAt = (void*)EhNative.CallFunclet(handler.Handler, call.Exception, &frame);
            // Everything below the handler's frame is gone, including funclets this exception left.
            FuncletCall.Active = walker.Cursor;
            HardwareFaults.Arm(); // back to ordinary code: the next fault may come back as an exception too
            EhNative.Resume(&frame, resumeAt, 0);
        }

        // Pass 1 in one frame: the index of the first clause that catches the exception, or -1.
        private static int FindCatch(object exception, ref FrameWalker walker)
        {
            byte* p = MethodEhInfo.ClauseTable(walker.MainLsda, out uint count);
            walker.BeginClauses();
            for (int i = 0; i < (int)count; i++)
            {
                MethodEhInfo.ReadClause(ref p, walker.MethodStart, out EhClause clause);
                if (!walker.Covers(i, in clause)) continue;
                if (clause.Kind == ClauseKind.Typed)
                {
                    if (TypeCast.IsAssignable(exception.GetMethodTable(), clause.CatchType)) return i;
                }
                else if (clause.Kind == ClauseKind.Filter)
                {
                    if (RunFilter(exception, in walker, i, in clause)) return i;
                }
            }
            return -1;
        }

        private static bool RunFilter(object exception, in FrameWalker walker, int index, in EhClause clause)
        {
            FuncletCall call = default;
            call.Kind = FuncletKind.Filter;
            call.Parent = walker.Context;
            call.ClauseIndex = index;
            call.TryStart = clause.TryStart;
            call.TryEnd = clause.TryEnd;
            call.Outer = FuncletCall.Active;
            FuncletCall.Active = &call;
            EhContext frame = walker.Context;
            nuint accepted = EhNative.CallFunclet(clause.Filter, Unsafe.As<object, nint>(ref exception), &frame);
            FuncletCall.Active = call.Outer;
            return (uint)accepted != 0;
        }

        // Pass 2 in one frame: the finally/fault clauses that cover the frame, before clause `limit`.
        private static void RunFinallys(ref FrameWalker walker, int limit)
        {
            if (walker.AtFilterBoundary) return;
            byte* p = MethodEhInfo.ClauseTable(walker.MainLsda, out uint count);
            walker.BeginClauses();
            for (int i = 0; i < (int)count && i < limit; i++)
            {
                MethodEhInfo.ReadClause(ref p, walker.MethodStart, out EhClause clause);
                if (!walker.Covers(i, in clause) || clause.Kind != ClauseKind.Fault) continue;
                FuncletCall call = default;
                call.Kind = FuncletKind.Finally;
                call.Parent = walker.Context;
                call.ClauseIndex = i;
                call.TryStart = clause.TryStart;
                call.TryEnd = clause.TryEnd;
                call.Outer = FuncletCall.Active;
                FuncletCall.Active = &call;
                EhContext frame = walker.Context;
                EhNative.CallFunclet(clause.Handler, 0, &frame);
                FuncletCall.Active = call.Outer;
            }
        }

        private static EhClause ClauseAt(in FrameWalker walker, int index)
        {
            byte* p = MethodEhInfo.ClauseTable(walker.MainLsda, out _);
            EhClause clause = default;
            for (int i = 0; i <= index; i++) MethodEhInfo.ReadClause(ref p, walker.MethodStart, out clause);
            return clause;
        }
    }
}
