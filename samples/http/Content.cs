using System;
using System.Runtime.InteropServices;

/// <summary>
/// What the server sends: the built-in pages, the response heads (status line and fixed headers up
/// to "Content-Length: ") and the generated /large body. Everything here is made once at start as
/// byte arrays, so answering a request copies bytes and builds no strings.
/// </summary>
static class Content
{
    // Kinds of response; each has a precomputed head prefix.
    public const int Index = 0, Hello = 1, Status = 2, Large = 3, NotFound = 4, BadRequest = 5, MethodNotAllowed = 6, HeaderTooLarge = 7;

    public static readonly byte[][] Prefix =
    [
        Head("200 OK", "text/html; charset=utf-8", null),
        Head("200 OK", "text/plain", null),
        Head("200 OK", "text/plain", null),
        Head("200 OK", "application/octet-stream", null),
        Head("404 Not Found", "text/plain", null),
        Head("400 Bad Request", "text/plain", null),
        Head("405 Method Not Allowed", "text/plain", "Allow: GET, HEAD\r\n"),
        Head("431 Request Header Fields Too Large", "text/plain", null),
    ];

    public static readonly byte[] IndexPage = Ascii(
        "<!DOCTYPE html>\n<html><head><title>guest http</title></head><body>\n"
        + "<h1>A C# unikernel serving HTTP</h1>\n"
        + "<ul><li><a href=\"/hello\">/hello</a></li><li><a href=\"/status\">/status</a> (counters)</li>"
        + "<li><a href=\"/large\">/large</a> (a generated body)</li></ul>\n</body></html>\n");
    public static readonly byte[] HelloPage = Ascii("hello from a C# unikernel\n");
    public static readonly byte[] NotFoundPage = Ascii("not found\n");
    public static readonly byte[] BadRequestPage = Ascii("bad request\n");
    public static readonly byte[] MethodNotAllowedPage = Ascii("only GET and HEAD\n");
    public static readonly byte[] HeaderTooLargePage = Ascii("request header too large\n");

    public static readonly byte[] Crlf = Ascii("\r\n");
    public static readonly byte[] ConnectionClose = Ascii("Connection: close\r\n");
    public static readonly byte[] ConnectionKeepAlive = Ascii("Connection: keep-alive\r\n");

    /// <summary>The fixed body of a response kind (Status and Large are made per request).</summary>
    public static byte[] Body(int kind) => kind switch
    {
        Index => IndexPage,
        Hello => HelloPage,
        NotFound => NotFoundPage,
        BadRequest => BadRequestPage,
        MethodNotAllowed => MethodNotAllowedPage,
        HeaderTooLarge => HeaderTooLargePage,
        _ => throw new ArgumentException("no fixed body for this kind of response"),
    };

    private static byte[] Head(string status, string type, string? extra) =>
        Ascii("HTTP/1.1 " + status + "\r\nServer: guest-http\r\nContent-Type: " + type + "\r\n" + (extra ?? "") + "Content-Length: ");

    private static byte[] Ascii(string s)
    {
        var b = new byte[s.Length];
        for (int i = 0; i < s.Length; i++) b[i] = (byte)s[i];
        return b;
    }

    /// <summary>Appends <paramref name="bytes"/> at <paramref name="at"/>; returns the new end.</summary>
    public static int Append(byte[] to, int at, byte[] bytes)
    {
        bytes.AsSpan().CopyTo(to.AsSpan(at));
        return at + bytes.Length;
    }

    /// <summary>Appends the decimal digits of <paramref name="value"/>; returns the new end.</summary>
    public static int AppendNumber(byte[] to, int at, ulong value)
    {
        int digits = 1;
        for (ulong v = value; v >= 10; v /= 10) digits++;
        for (int i = digits - 1; i >= 0; i--)
        {
            to[at + i] = (byte)('0' + (int)(value % 10));
            value /= 10;
        }
        return at + digits;
    }

    /// <summary>
    /// The /large body: 64-bit little-endian words, word j = (j+1)·φ64 xor-shifted, so any offset's
    /// byte can be computed without the rest and a client can check the whole body's hash.
    /// </summary>
    public static ulong LargeWord(ulong j)
    {
        ulong z = (j + 1) * 0x9E3779B97F4A7C15UL;
        return z ^ (z >> 29);
    }

    /// <summary>
    /// Fills <paramref name="scratch"/> with the body bytes at [offset, offset+count) and returns
    /// them; the scratch must hold count + 8 bytes (the first word may start before offset).
    /// </summary>
    public static ReadOnlySpan<byte> LargeChunk(byte[] scratch, ulong offset, int count)
    {
        int skip = (int)(offset & 7);
        int words = (skip + count + 7) / 8;
        ulong first = offset >> 3;
        // Native words: the guest CPU (x86-64) is little-endian, as the pattern is defined.
        Span<ulong> w = MemoryMarshal.Cast<byte, ulong>(scratch.AsSpan(0, words * 8));
        for (int k = 0; k < words; k++) w[k] = LargeWord(first + (ulong)k);
        return new ReadOnlySpan<byte>(scratch, skip, count);
    }
}
