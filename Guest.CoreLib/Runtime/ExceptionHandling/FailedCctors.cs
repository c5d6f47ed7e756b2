using System;
using System.Runtime.CompilerServices;

namespace System.Runtime.CompilerServices
{
    // Static constructors that threw: the exception each one threw, for the TypeInitializationException
    // that every later access to the type throws (.NET keeps such a type failed for good).
    internal static unsafe class FailedCctors
    {
        // Marks a failed type in its StaticClassConstructionContext (0 = done, 1 = running).
        internal const nint Failed = 2;

        private static nint[]? s_contexts;
        private static Exception?[]? s_exceptions;
        private static int s_count;

        internal static void Record(StaticClassConstructionContext* context, Exception e)
        {
            if (s_contexts is null || s_count == s_contexts.Length)
            {
                int size = s_contexts is null ? 4 : s_contexts.Length * 2;
                nint[] contexts = new nint[size];
                Exception?[] exceptions = new Exception?[size];
                for (int i = 0; i < s_count; i++) { contexts[i] = s_contexts![i]; exceptions[i] = s_exceptions![i]; }
                s_contexts = contexts;
                s_exceptions = exceptions;
            }
            s_contexts[s_count] = (nint)context;
            s_exceptions![s_count] = e;
            s_count++;
        }

        internal static void Throw(StaticClassConstructionContext* context)
        {
            Exception? inner = null;
            for (int i = 0; i < s_count; i++)
                if (s_contexts![i] == (nint)context) inner = s_exceptions![i];
            throw new TypeInitializationException(null, inner);
        }
    }
}
