using System.Text;

namespace Tender.Gdb;

/// <summary>The packets of a stopped guest: registers, memory, breakpoints, resuming, kill and detach.</summary>
public sealed partial class GdbSession
{
    /// <summary>The most memory one 'm' returns: its hex must fit in the packet size we announced.</summary>
    internal const int MaxRead = (PacketChannel.MaxPayload - 16) / 2;

    private static readonly Outcome Replied = new(Answer.Reply);

    private Outcome Handle(ReadOnlySpan<byte> command)
    {
        if (command.IsEmpty) return Replied; // empty reply: not supported
        var args = command[1..];
        switch (command[0])
        {
            case (byte)'?': Text(StopReply(lastStop)); return Replied;
            case (byte)'g': ReadAllRegisters(); return Replied;
            case (byte)'G': Text(WriteAllRegisters(args) ? "OK" : "E01"); return Replied;
            case (byte)'p': ReadRegister(args); return Replied;
            case (byte)'P': Text(WriteRegister(args) ? "OK" : "E01"); return Replied;
            case (byte)'m': ReadMemory(args); return Replied;
            case (byte)'M': Text(WriteMemory(args, binary: false)); return Replied;
            case (byte)'X': Text(WriteMemory(args, binary: true)); return Replied;
            case (byte)'Z': Text(Breakpoint(args, insert: true)); return Replied;
            case (byte)'z': Text(Breakpoint(args, insert: false)); return Replied;
            case (byte)'c': return ResumeAt(ResumeKind.Continue, 0, args);
            case (byte)'s': return ResumeAt(ResumeKind.Step, 0, args);
            case (byte)'C': return ResumeWithSignal(ResumeKind.Continue, args);
            case (byte)'S': return ResumeWithSignal(ResumeKind.Step, args);
            case (byte)'H': Text(args.Length >= 2 && (args[0] == 'g' || args[0] == 'c') && IsOurThread(args[1..]) ? "OK" : "E01"); return Replied;
            case (byte)'T': Text(IsOurThread(args) && !args.SequenceEqual("-1"u8) && !args.SequenceEqual("0"u8) ? "OK" : "E01"); return Replied;
            case (byte)'k': return new Outcome(Answer.Resume, new Resume(ResumeKind.Kill));
            case (byte)'D':
                Text("OK");
                return new Outcome(Answer.Resume, new Resume(ResumeKind.Detach));
            case (byte)'q': Query(args); return Replied;
            case (byte)'Q': return Set(args);
            case (byte)'v': return Verbose(args);
            default: return Replied; // unknown: the empty reply
        }
    }

    private void Text(string s)
    {
        foreach (char c in s) reply.Add((byte)c);
    }

    /// <summary>Thread ids gdb may name: ours is 1; 0 is "any" and -1 "all"; also in the
    /// multiprocess form pPID.TID (process 1), which a client may use even though we do not offer it.</summary>
    private static bool IsOurThread(ReadOnlySpan<byte> id)
    {
        if (!id.IsEmpty && id[0] == 'p')
        {
            int dot = id.IndexOf((byte)'.');
            var pid = dot < 0 ? id[1..] : id[1..dot];
            return IsOne(pid) && (dot < 0 || IsOne(id[(dot + 1)..]));
        }
        return IsOne(id);

        static bool IsOne(ReadOnlySpan<byte> n) => n.SequenceEqual("-1"u8) || (Hex.TryParse(n, out ulong v) && v <= 1);
    }

    private void ReadAllRegisters()
    {
        var image = new byte[RegisterLayout.ImageBytes];
        RegisterLayout.Write(target.ReadRegisters(), image);
        Hex.Append(reply, image);
    }

    private bool WriteAllRegisters(ReadOnlySpan<byte> hex)
    {
        var image = new byte[RegisterLayout.ImageBytes];
        if (!Hex.TryDecode(hex, image)) return false;
        var registers = target.ReadRegisters();
        RegisterLayout.Read(image, ref registers);
        target.WriteRegisters(registers);
        return true;
    }

    private void ReadRegister(ReadOnlySpan<byte> args)
    {
        if (!Hex.TryParse(args, out ulong n) || n >= (ulong)RegisterLayout.Count)
        {
            Text("E01");
            return;
        }
        var image = new byte[RegisterLayout.ImageBytes];
        RegisterLayout.Write(target.ReadRegisters(), image);
        Hex.Append(reply, image.AsSpan(RegisterLayout.Offset((int)n), RegisterLayout.Size((int)n)));
    }

    private bool WriteRegister(ReadOnlySpan<byte> args)
    {
        int eq = args.IndexOf((byte)'=');
        if (eq < 0 || !Hex.TryParse(args[..eq], out ulong n) || n >= (ulong)RegisterLayout.Count) return false;
        var registers = target.ReadRegisters();
        var image = new byte[RegisterLayout.ImageBytes];
        RegisterLayout.Write(registers, image);
        if (!Hex.TryDecode(args[(eq + 1)..], image.AsSpan(RegisterLayout.Offset((int)n), RegisterLayout.Size((int)n)))) return false;
        RegisterLayout.Read(image, ref registers);
        target.WriteRegisters(registers);
        return true;
    }

    /// <summary>"ADDR,LEN" (both hex); the length is refused above <paramref name="maxLength"/>.</summary>
    private static bool TryAddressLength(ReadOnlySpan<byte> text, ulong maxLength, out ulong address, out int length)
    {
        length = 0;
        address = 0;
        int comma = text.IndexOf((byte)',');
        if (comma < 0 || !Hex.TryParse(text[..comma], out address) || !Hex.TryParse(text[(comma + 1)..], out ulong n) || n > maxLength) return false;
        length = (int)n;
        return true;
    }

    private void ReadMemory(ReadOnlySpan<byte> args)
    {
        int comma = args.IndexOf((byte)',');
        if (comma < 0 || !Hex.TryParse(args[..comma], out ulong address) || !Hex.TryParse(args[(comma + 1)..], out ulong asked) || asked == 0)
        {
            Text("E01");
            return;
        }
        // A short reply is allowed: a huge length gets what fits in a packet, and never wraps past the top.
        ulong toTop = ulong.MaxValue - address + 1;
        int length = (int)Math.Min(Math.Min(asked, MaxRead), toTop == 0 ? MaxRead : toTop);
        var buffer = new byte[length];
        int read = Math.Clamp(target.ReadMemory(address, buffer), 0, length);
        if (read == 0)
        {
            Text("E14");
            return;
        }
        breakpoints.HideInserted(address, buffer.AsSpan(0, read));
        Hex.Append(reply, buffer.AsSpan(0, read));
    }

    /// <summary>M (hex) or X (binary, escaped with '}'): the data must be exactly the announced length.</summary>
    private string WriteMemory(ReadOnlySpan<byte> args, bool binary)
    {
        int colon = args.IndexOf((byte)':');
        if (colon < 0 || !TryAddressLength(args[..colon], PacketChannel.MaxPayload, out ulong address, out int length)) return "E01";
        var data = new byte[length];
        var text = args[(colon + 1)..];
        if (binary ? !Unescape(text, data) : !Hex.TryDecode(text, data)) return "E01";
        if (length == 0) return "OK"; // gdb probes X support with an empty write
        if (length > 1 && address + (ulong)(length - 1) < address) return "E01";
        int written = Math.Clamp(target.WriteMemory(address, data), 0, length);
        breakpoints.Rearm(address, written);
        return written == length ? "OK" : "E14";
    }

    /// <summary>Binary data: '}' escapes the next byte (xor 0x20); the result must fill <paramref name="into"/> exactly.</summary>
    internal static bool Unescape(ReadOnlySpan<byte> text, Span<byte> into)
    {
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            byte b = text[i];
            if (b == '}')
            {
                if (++i == text.Length) return false;
                b = (byte)(text[i] ^ 0x20);
            }
            if (n == into.Length) return false;
            into[n++] = b;
        }
        return n == into.Length;
    }

    /// <summary>Z/z TYPE,ADDR,KIND[;conditions]: 0 int3, 1 execute, 2 write, 3 read, 4 access watchpoints.</summary>
    private string Breakpoint(ReadOnlySpan<byte> args, bool insert)
    {
        int semicolon = args.IndexOf((byte)';');
        if (semicolon >= 0) args = args[..semicolon]; // target-side conditions and commands: not offered, ignored
        if (args.Length < 2 || args[1] != ',' || args[0] < '0' || args[0] > '4') return args.Length > 0 && args[0] > '4' ? "" : "E01";
        if (!TryAddressLength(args[2..], 8, out ulong address, out int kind)) return "E01";
        if (args[0] == '0')
        {
            if (insert) return breakpoints.InsertSoftware(address) ? "OK" : "E14";
            return !breakpoints.HasZ0At(address) || breakpoints.RemoveSoftware(address) ? "OK" : "E14";
        }
        var watch = args[0] switch { (byte)'1' => WatchKind.Execute, (byte)'2' => WatchKind.Write, (byte)'3' => WatchKind.Read, _ => WatchKind.Access };
        int length = watch == WatchKind.Execute ? 1 : kind;
        if (insert) return breakpoints.InsertHardware(address, watch, length) ? "OK" : "E22";
        return breakpoints.RemoveHardware(address, watch, length) ? "OK" : "E22";
    }

    /// <summary>c/s [ADDR]: resume, first moving RIP to ADDR if given.</summary>
    private Outcome ResumeAt(ResumeKind kind, int signal, ReadOnlySpan<byte> address)
    {
        if (!address.IsEmpty)
        {
            if (!Hex.TryParse(address, out ulong rip))
            {
                Text("E01");
                return Replied;
            }
            var registers = target.ReadRegisters();
            registers.Rip = rip;
            target.WriteRegisters(registers);
        }
        return new Outcome(Answer.Resume, new Resume(kind, signal));
    }

    /// <summary>C/S SIG[;ADDR].</summary>
    private Outcome ResumeWithSignal(ResumeKind kind, ReadOnlySpan<byte> args)
    {
        int semicolon = args.IndexOf((byte)';');
        var sig = semicolon < 0 ? args : args[..semicolon];
        if (sig.Length != 2 || !Hex.TryParse(sig, out ulong signal))
        {
            Text("E01");
            return Replied;
        }
        return ResumeAt(kind, (int)signal, semicolon < 0 ? [] : args[(semicolon + 1)..]);
    }

    /// <summary>vCont;ACTION[:THREAD]...: the first action that applies to our thread (c, C sig, s, S sig).</summary>
    private Outcome VCont(ReadOnlySpan<byte> actions)
    {
        while (!actions.IsEmpty)
        {
            if (actions[0] != ';') break;
            actions = actions[1..];
            int end = actions.IndexOf((byte)';');
            var action = end < 0 ? actions : actions[..end];
            actions = end < 0 ? [] : actions[end..];
            int colon = action.IndexOf((byte)':');
            if (colon >= 0 && !IsOurThread(action[(colon + 1)..])) continue;
            var verb = colon < 0 ? action : action[..colon];
            if (verb.SequenceEqual("c"u8)) return new Outcome(Answer.Resume, new Resume(ResumeKind.Continue));
            if (verb.SequenceEqual("s"u8)) return new Outcome(Answer.Resume, new Resume(ResumeKind.Step));
            if (verb.Length == 3 && (verb[0] == 'C' || verb[0] == 'S') && Hex.TryParse(verb[1..], out ulong signal))
                return new Outcome(Answer.Resume, new Resume(verb[0] == 'C' ? ResumeKind.Continue : ResumeKind.Step, (int)signal));
            break;
        }
        Text("E01");
        return Replied;
    }

    private static string Ascii(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes);
}
