using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Guest.Tests;

/// <summary>
/// `tender run --gdb=PORT` with Debian's gdb on the other end, in batch mode: a C# guest stopped
/// before its first instruction, a breakpoint on its Main by ilc's symbol, a backtrace down to the
/// boot stub, a step, memory read and written, registers, continue to the guest's own exit
/// status; detach letting it finish; and hostile clients that the stub answers with errors and
/// outlives. On both platforms. (Ctrl-C on a spinning guest: tests/Tender.Tests/GdbRunTests.cs.)
/// </summary>
public sealed class GdbTests
{
    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>The tender, started with --gdb on a free port, once it listens.</summary>
    internal sealed class DebuggedTender : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _out = new();
        public int Port { get; } = FreePort();

        public DebuggedTender(string elf, params string[] guestArgs)
        {
            var info = new ProcessStartInfo(Path.Combine(Repo.Root, "scripts", "tender")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in (string[])["run", "--mem=32", "--timeout=120s", $"--gdb={Port}", elf, "--", .. guestArgs]) info.ArgumentList.Add(a);
            TestPlatform.Apply(info);
            _process = Process.Start(info)!;
            _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.Append(e.Data).Append('\n'); };
            _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.Append(e.Data).Append('\n'); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (!Output.Contains("waiting for gdb", StringComparison.Ordinal))
            {
                Assert.True(!_process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(120), "the tender did not wait for gdb:\n" + Output);
                Thread.Sleep(20);
            }
        }

        public string Output { get { lock (_out) return _out.ToString(); } }

        public int WaitForExit()
        {
            Assert.True(_process.WaitForExit(60_000), "the tender did not exit:\n" + Output);
            _process.WaitForExit();
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }

    /// <summary>gdb in batch mode on <paramref name="elf"/>, connected to <paramref name="port"/>: its output.</summary>
    internal static string Gdb(string elf, int port, params string[] commands)
    {
        var args = new List<string> { "-batch", "-nx", "-ex", "set pagination off", "-ex", $"target remote 127.0.0.1:{port}" };
        foreach (string c in commands) { args.Add("-ex"); args.Add(c); }
        args.Add(elf);
        ProcessResult g = Repo.Run("gdb", args, TimeSpan.FromSeconds(90));
        return g.Stdout + g.Stderr;
    }

    [GuestFact]
    public void Gdb_breaks_at_a_csharp_Main_steps_reads_and_writes_and_continues_to_the_exit()
    {
        string elf = GuestBuilds.Elf("hello");
        using var tender = new DebuggedTender(elf, "--exit=3");
        string gdb = Gdb(elf, tender.Port,
            "info registers rip",
            "break hello_Program__Main",
            "continue",
            "bt",
            "info registers rip",
            "stepi",
            "info registers rip",
            "x/8bx $rsp",
            "set {unsigned char}($rsp - 64) = 0xa5",
            "x/1bx $rsp - 64",
            "continue");
        Assert.Matches(@"rip +0x[0-9a-f]+ +0x[0-9a-f]+ <_start>", gdb);
        Assert.Matches(@"Breakpoint 1, 0x[0-9a-f]+ in hello_Program__Main \(\)", gdb);
        Assert.Contains("in _start ()", gdb);
        var rips = System.Text.RegularExpressions.Regex.Matches(gdb, @"rip +(0x[0-9a-f]+)").Select(m => m.Groups[1].Value).ToList();
        Assert.True(rips.Count == 3 && rips[1] != rips[2], gdb);      // stepi moved RIP
        Assert.Matches(@"0x[0-9a-f]+:\s+0x[0-9a-f]{2}(\s+0x[0-9a-f]{2}){7}", gdb);
        Assert.Matches(@":\s+0xa5", gdb);
        Assert.Contains("exited with code 03", gdb);
        Assert.Equal(3, tender.WaitForExit());
    }

    [GuestFact]
    public void Detach_lets_the_guest_finish()
    {
        string elf = GuestBuilds.Elf("hello");
        using var tender = new DebuggedTender(elf, "--exit=5");
        string gdb = Gdb(elf, tender.Port, "detach");
        Assert.Contains("[Inferior 1 (Remote target) detached]", gdb);
        Assert.Equal(5, tender.WaitForExit());
        Assert.Contains("hello", tender.Output);
    }

    [GuestFact]
    public void Hostile_clients_get_errors_and_the_guest_runs_on_when_they_leave()
    {
        string elf = GuestBuilds.Elf("hello");
        using var tender = new DebuggedTender(elf, "--exit=6");
        using (var client = new TcpClient())
        {
            client.Connect(IPAddress.Loopback, tender.Port);
            var s = client.GetStream();
            s.ReadTimeout = 10_000;
            byte[] Send(string packet)
            {
                byte sum = 0;
                foreach (char c in packet) sum += (byte)c;
                s.Write(Encoding.ASCII.GetBytes($"${packet}#{sum:x2}"));
                var reply = new List<byte>();
                var buffer = new byte[4096];
                // '+' then "$...#xx"
                while (!(reply.Count >= 3 && reply[^3] == '#')) { int n = s.Read(buffer); Assert.True(n > 0, "the stub closed the connection"); reply.AddRange(buffer.AsSpan(0, n).ToArray()); }
                return reply.ToArray();
            }
            string Reply(string packet) => Encoding.ASCII.GetString(Send(packet));
            Assert.Contains("$E", Reply("m0,10"));                          // the null page: not mapped
            Assert.Contains("$E", Reply("m7fffffffffff0000,100"));         // far outside the guest
            Assert.Contains("$E", Reply("mffffffffffffffff,ffffffff"));    // wraps, and huge
            Assert.Contains("$E", Reply("M0,1:00"));
            s.Write("$garbage#00"u8);                                        // bad checksum: a nack
            s.Write("\x00\xff\xfe}}}$$$###"u8);
            s.Write(Encoding.ASCII.GetBytes("$" + new string('m', 100_000) + "#00"));
        }
        // The client left mid-session: the stub detaches and the guest runs to its end.
        Assert.Equal(6, tender.WaitForExit());
    }
}
