using Tender.Gdb;

namespace Tender.Fuzz;

/// <summary>
/// The GDB remote serial protocol stub (<see cref="GdbSession"/>) reading what a hostile or broken
/// client sends. Input: the bytes from the client, as they arrive on the connection (packets, acks,
/// Ctrl-C, noise); replies are discarded. The target behind it is 16 KiB of memory at 0x10000 with
/// an unmapped page at 0x12000 and 4 debug-register slots; each resume "runs" to a stop whose reason
/// cycles through all of them. Nothing counts as a clean rejection: the session answers errors.
/// After the session ends (the input is used up = the client vanished) every debug register must be clear.
/// </summary>
internal static class GdbTarget
{
    public static readonly FuzzTarget Target = new("gdb",
        "Tender.Gdb GdbSession.Stopped over the client's bytes: framing, checksums, acks, escapes, every command (registers, memory with a hole, Z0-Z4, vCont, qXfer), stop replies for every reason",
        ["Tender.Gdb.dll"], Run);

    private static void Run(ReadOnlySpan<byte> input) => Run(input, null);

    /// <summary>What the session sent back for <paramref name="input"/> (for the seed-depth tests).</summary>
    internal static string Transcript(ReadOnlySpan<byte> input)
    {
        var replies = new MemoryStream();
        Run(input, replies);
        return System.Text.Encoding.Latin1.GetString(replies.ToArray());
    }

    private static void Run(ReadOnlySpan<byte> input, MemoryStream? replies)
    {
        var target = new FakeGuest();
        using var session = new GdbSession(new ClientBytes(input.ToArray(), replies), target);
        var stop = new StopEvent(StopReason.Initial, 5);
        for (int i = 0; ; i++)
        {
            var resume = session.Stopped(stop);
            if (resume.Kind is ResumeKind.Kill or ResumeKind.Detach) break;
            stop = (i % 6) switch
            {
                0 => new StopEvent(StopReason.Breakpoint, 5),
                1 => new StopEvent(StopReason.SingleStep, 5),
                2 => new StopEvent(StopReason.Watchpoint, 5, 0x11000 + (ulong)i, i % 4 == 0 ? null : "rwatch"),
                3 => new StopEvent(StopReason.Interrupt, 2),
                4 => new StopEvent(StopReason.Signal, 11),
                _ => new StopEvent(StopReason.HardwareBreakpoint, 5),
            };
            session.HasSoftwareBreakpointAt(target.Registers.Rip - 1);
        }
        if (target.Hardware > 0)
            throw new InvalidOperationException("gdb: the session ended with debug registers still set");
    }

    /// <summary>The client's side of the connection: its bytes to read, then end of stream; writes vanish (or are kept).</summary>
    private sealed class ClientBytes(byte[] input, MemoryStream? replies) : Stream
    {
        private int at;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            // Small, varying reads: packets arrive split as they would on a socket.
            int n = Math.Min(Math.Min(count, input.Length - at), 1 + at % 61);
            Array.Copy(input, at, buffer, offset, n);
            at += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => replies?.Write(buffer, offset, count);
    }

    private sealed class FakeGuest : IGdbTarget
    {
        private const ulong Base = 0x10000, Hole = 0x12000;
        private readonly byte[] memory = new byte[0x4000];
        public GdbRegisters Registers = new() { Rip = 0x11000, Rsp = 0x13f00, Eflags = 0x202, HasFpu = true };
        public int Hardware;

        private static bool Mapped(ulong a) => a >= Base && a < Base + 0x4000 && (a < Hole || a >= Hole + 0x1000);

        public GdbRegisters ReadRegisters() => Registers;
        public void WriteRegisters(in GdbRegisters registers) => Registers = registers;

        public int ReadMemory(ulong address, Span<byte> into)
        {
            int n = 0;
            for (; n < into.Length && Mapped(address + (ulong)n); n++) into[n] = memory[address + (ulong)n - Base];
            return n;
        }

        public int WriteMemory(ulong address, ReadOnlySpan<byte> from)
        {
            int n = 0;
            for (; n < from.Length && Mapped(address + (ulong)n); n++) memory[address + (ulong)n - Base] = from[n];
            return n;
        }

        public int HardwareSlots => 4;

        public bool SetHardwareBreakpoints(IReadOnlyList<(ulong Address, WatchKind Kind, int Length)> set)
        {
            if (set.Count > HardwareSlots) throw new InvalidOperationException("gdb: more debug registers than slots");
            // Refuse one kind, as a target without read-only watchpoints might.
            foreach (var s in set) if (s.Kind == WatchKind.Read && s.Length == 8) return false;
            Hardware = set.Count;
            return true;
        }
    }
}
