namespace Internal.Runtime.Exceptions
{
    // Exception.StackTrace: one "   at <method>" line per frame, the method named from the image's
    // symbol table (MethodNames) or, without one, given as its address.
    internal static class StackTraceText
    {
        internal static string Format(ulong[] frames, int count)
        {
            string text = "";
            for (int i = 0; i < count; i++)
            {
                if (i > 0) text += "\n";
                string? name = MethodNames.Find(frames[i], out ulong offset);
                text += name is null ? "   at 0x" + frames[i].ToString("x") : "   at " + name + " + 0x" + offset.ToString("x");
            }
            return text;
        }
    }
}
