using System;

/// <summary>What the parser found in one request head.</summary>
struct Request
{
    public bool Head;          // HEAD (else GET)
    public int Kind;           // Content.Index/Hello/Status/Large/NotFound
    public bool KeepAlive;     // the connection stays open after the response
    public bool Http10;        // answer "Connection: keep-alive" when it stays open
    public int Length;         // bytes of the head, up to and including the empty line
}

/// <summary>
/// An HTTP/1.x request head parser over the bytes received so far (RFC 9112): request line,
/// header fields, end at the empty line (CRLF or, tolerated, bare LF). It never allocates and
/// never reads past the bytes given; a malformed head is reported as soon as it is evident.
/// </summary>
static class RequestParser
{
    public const int NeedMore = 0, Complete = 1;
    private const int MaxMethod = 16;

    /// <summary>
    /// Parses <paramref name="data"/>: <see cref="NeedMore"/> (no empty line yet),
    /// <see cref="Complete"/> (then <paramref name="request"/> is set), or an HTTP status to answer
    /// with before closing (400 malformed, 405 a method other than GET/HEAD). <paramref name="scanned"/>
    /// keeps where the search for the end stopped, so bytes are not scanned twice.
    /// </summary>
    public static int Parse(ReadOnlySpan<byte> data, ref int scanned, out Request request)
    {
        request = default;
        // The method is checked as it arrives: garbage is refused at once, not after a full head.
        for (int i = 0; i < data.Length && i <= MaxMethod; i++)
        {
            if (data[i] == ' ') { if (i == 0) return 400; break; }
            if (!IsTokenChar(data[i]) || i == MaxMethod) return 400;
        }
        int end = -1;
        for (int i = Math.Max(0, scanned); i < data.Length; i++)
        {
            if (data[i] != '\n') continue;
            if (i + 1 < data.Length && data[i + 1] == '\n') { end = i + 2; break; }
            if (i + 2 < data.Length && data[i + 1] == '\r' && data[i + 2] == '\n') { end = i + 3; break; }
        }
        if (end < 0)
        {
            // A '\n' in the last two bytes may still start the end: look at it again next time.
            scanned = Math.Max(0, data.Length - 2);
            return NeedMore;
        }
        request.Length = end;
        ReadOnlySpan<byte> head = data.Slice(0, end);

        // Request line: method SP target SP version.
        int lineEnd = LineEnd(head, 0, out int next);
        ReadOnlySpan<byte> line = head.Slice(0, lineEnd);
        int sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0) return 400;
        ReadOnlySpan<byte> method = line.Slice(0, sp1);
        ReadOnlySpan<byte> rest = line.Slice(sp1 + 1);
        int sp2 = rest.IndexOf((byte)' ');
        if (sp2 <= 0) return 400;
        ReadOnlySpan<byte> target = rest.Slice(0, sp2);
        ReadOnlySpan<byte> version = rest.Slice(sp2 + 1);
        for (int i = 0; i < target.Length; i++) if (target[i] <= 32 || target[i] >= 127) return 400;
        // Absolute form (RFC 9112 3.2.2, what a proxy is sent): the path after the authority.
        if (StartsWithIgnoreCase(target, "http://"))
        {
            ReadOnlySpan<byte> afterScheme = target.Slice(7);
            int slash = afterScheme.IndexOf((byte)'/');
            target = slash < 0 ? "/"u8 : afterScheme.Slice(slash);
        }
        if (target[0] != '/') return 400;
        if (Is(version, "HTTP/1.1")) request.Http10 = false;
        else if (Is(version, "HTTP/1.0")) request.Http10 = true;
        else return 400;

        // Header fields.
        bool close = false, keepAlive = false, body = false, host = false;
        int at = next;
        while (at < end)
        {
            int e = LineEnd(head, at, out next);
            ReadOnlySpan<byte> field = head.Slice(at, e - at);
            at = next;
            if (field.Length == 0) break; // the empty line
            int colon = field.IndexOf((byte)':');
            if (colon <= 0) return 400;   // also refuses obsolete line folding (leading space)
            ReadOnlySpan<byte> name = field.Slice(0, colon);
            for (int i = 0; i < name.Length; i++) if (!IsTokenChar(name[i])) return 400;
            ReadOnlySpan<byte> value = Trim(field.Slice(colon + 1));
            if (IsIgnoreCase(name, "connection"))
            {
                // A comma-separated list of options.
                while (value.Length > 0)
                {
                    int comma = value.IndexOf((byte)',');
                    ReadOnlySpan<byte> option = Trim(comma < 0 ? value : value.Slice(0, comma));
                    if (IsIgnoreCase(option, "close")) close = true;
                    else if (IsIgnoreCase(option, "keep-alive")) keepAlive = true;
                    value = comma < 0 ? default : value.Slice(comma + 1);
                }
            }
            else if (IsIgnoreCase(name, "content-length"))
            {
                if (value.Length == 0) return 400;
                for (int i = 0; i < value.Length; i++)
                {
                    if (value[i] < '0' || value[i] > '9') return 400;
                    if (value[i] != '0') body = true;
                }
            }
            else if (IsIgnoreCase(name, "transfer-encoding")) body = true;
            else if (IsIgnoreCase(name, "host")) host = true;
        }

        if (Is(method, "GET")) request.Head = false;
        else if (Is(method, "HEAD")) request.Head = true;
        else return 405;
        // This server reads no request bodies; one would be taken for the next request.
        if (body) return 400;
        // RFC 9112 3.2: an HTTP/1.1 request without Host is refused.
        if (!host && !request.Http10) return 400;

        request.KeepAlive = request.Http10 ? keepAlive && !close : !close;
        int q = target.IndexOf((byte)'?');
        ReadOnlySpan<byte> path = q < 0 ? target : target.Slice(0, q);
        request.Kind = Is(path, "/") || Is(path, "/index.html") ? Content.Index
            : Is(path, "/hello") ? Content.Hello
            : Is(path, "/status") ? Content.Status
            : Is(path, "/large") ? Content.Large
            : Content.NotFound;
        return Complete;
    }

    // End of the line starting at `from` (without CR); `next` is where the following line starts.
    private static int LineEnd(ReadOnlySpan<byte> head, int from, out int next)
    {
        int lf = head.Slice(from).IndexOf((byte)'\n');
        int end = lf < 0 ? head.Length : from + lf;
        next = lf < 0 ? head.Length : end + 1;
        return end > from && head[end - 1] == '\r' ? end - 1 : end;
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
    {
        int a = 0, b = s.Length;
        while (a < b && (s[a] == ' ' || s[a] == '\t')) a++;
        while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
        return s.Slice(a, b - a);
    }

    // RFC 9110 5.6.2 tchar.
    private static bool IsTokenChar(byte c) =>
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' || c == '+'
        || c == '-' || c == '.' || c == '^' || c == '_' || c == '`' || c == '|' || c == '~';

    private static bool Is(ReadOnlySpan<byte> s, string text)
    {
        if (s.Length != text.Length) return false;
        for (int i = 0; i < s.Length; i++) if (s[i] != text[i]) return false;
        return true;
    }

    private static bool StartsWithIgnoreCase(ReadOnlySpan<byte> s, string lower) =>
        s.Length >= lower.Length && IsIgnoreCase(s.Slice(0, lower.Length), lower);

    private static bool IsIgnoreCase(ReadOnlySpan<byte> s, string lower)
    {
        if (s.Length != lower.Length) return false;
        for (int i = 0; i < s.Length; i++)
        {
            int c = s[i];
            if (c >= 'A' && c <= 'Z') c += 32;
            if (c != lower[i]) return false;
        }
        return true;
    }
}
