using System.Diagnostics;
using System.Runtime.InteropServices;
using Guest.Stack;

namespace Guest.Stack.Tests.Support;

/// <summary>libc calls for TAP devices: the one interop place of this test project.</summary>
internal static unsafe partial class Libc
{
    public const int O_RDWR = 2, O_NONBLOCK = 0x800, EAGAIN = 11;
    public const ulong TUNSETIFF = 0x400454CA;
    public const short IFF_TAP = 0x0002, IFF_NO_PI = 0x1000;
    public const short POLLIN = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd { public int Fd; public short Events; public short Revents; }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);
    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, byte* arg);
    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, byte* buf, nint count);
    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, byte* buf, nint count);
    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, ulong nfds, int timeoutMs);
    [LibraryImport("libc")]
    public static partial int close(int fd);
}

/// <summary>A real Linux TAP interface; the kernel's side gets 10.213.X.1/24, our stack is .2.</summary>
public sealed class TapDevice : IDisposable
{
    public readonly int Fd;
    public readonly string Name;
    public readonly string HostIp, StackIp;
    static int _counter;

    TapDevice(int fd, string name, int subnet)
    {
        Fd = fd; Name = name;
        HostIp = $"10.213.{subnet}.1"; StackIp = $"10.213.{subnet}.2";
    }

    /// <summary>Creates the device, or returns null with the reason (no /dev/net/tun, no permission).</summary>
    public static unsafe TapDevice? TryCreate(out string why)
    {
        why = "";
        if (!File.Exists("/dev/net/tun")) { why = "/dev/net/tun is missing"; return null; }
        int fd = Libc.open("/dev/net/tun", Libc.O_RDWR | Libc.O_NONBLOCK);
        if (fd < 0) { why = $"open /dev/net/tun failed, errno {Marshal.GetLastPInvokeError()}"; return null; }
        int n = Interlocked.Increment(ref _counter);
        string name = $"gstk{Environment.ProcessId % 10000}x{n}";
        var ifr = stackalloc byte[40];
        for (int i = 0; i < 40; i++) ifr[i] = 0;
        for (int i = 0; i < name.Length; i++) ifr[i] = (byte)name[i];
        *(short*)(ifr + 16) = Libc.IFF_TAP | Libc.IFF_NO_PI;
        if (Libc.ioctl(fd, Libc.TUNSETIFF, ifr) < 0)
        {
            why = $"TUNSETIFF failed, errno {Marshal.GetLastPInvokeError()} (needs CAP_NET_ADMIN)";
            Libc.close(fd);
            return null;
        }
        string used = Run("ip", "-4 addr");
        int subnet = (Environment.ProcessId + n * 37) % 250 + 1;
        while (used.Contains($"10.213.{subnet}.")) subnet = subnet % 250 + 1;
        var tap = new TapDevice(fd, name, subnet);
        Run("ip", $"addr add {tap.HostIp}/24 dev {name}");
        Run("ip", $"link set {name} up");
        return tap;
    }

    public static string Run(string file, string args)
    {
        var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string o = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return o;
    }

    public void Dispose() => Libc.close(Fd);   // a non-persistent TAP disappears with its last descriptor
}

/// <summary>Frames a <see cref="TapNic"/> loses on purpose, in each direction (the host has no netem).</summary>
public sealed class TapLoss
{
    public double Rate;
    public long DroppedIn, DroppedOut;
    XorShift _rng = new(42);
    public bool Drop() => Rate > 0 && (_rng.Next() >> 11) * (1.0 / (1UL << 53)) < Rate;
}

/// <summary>The stack's device over a TAP descriptor: one read/write system call per frame.</summary>
public unsafe struct TapNic : INetDevice
{
    readonly int _fd;
    readonly PacketPool _pool;
    readonly MacAddress _mac;
    readonly TapLoss? _loss;
    public TapNic(int fd, PacketPool pool, MacAddress mac, TapLoss? loss = null) { _fd = fd; _pool = pool; _mac = mac; _loss = loss; }
    public MacAddress Mac => _mac;
    public int Mtu => 1500;

    public int ReceiveBatch(Span<PacketBuffer> into)
    {
        int n = 0;
        while (n < into.Length && _pool.TryRent(out var b))
        {
            nint r;
            fixed (byte* p = _pool.Data(b)) r = Libc.read(_fd, p, b.Length);
            if (r <= 0) { _pool.Return(b); break; }
            if (_loss != null && _loss.Drop()) { _loss.DroppedIn++; _pool.Return(b); continue; }
            b.Length = (int)r;
            into[n++] = b;
        }
        return n;
    }

    public int SendBatch(ReadOnlySpan<PacketBuffer> frames)
    {
        int n = 0;
        for (; n < frames.Length; n++)
        {
            if (_loss != null && _loss.Drop()) { _loss.DroppedOut++; _pool.Return(frames[n]); continue; }
            nint w;
            fixed (byte* p = _pool.Data(frames[n])) w = Libc.write(_fd, p, frames[n].Length);
            if (w < 0 && Marshal.GetLastPInvokeError() == Libc.EAGAIN) break;   // kernel queue full: keep the rest
            _pool.Return(frames[n]);
        }
        return n;
    }

    /// <summary>Sleeps until the TAP has a frame or the timeout passes.</summary>
    public void Wait(int timeoutMs)
    {
        var pfd = new Libc.PollFd { Fd = _fd, Events = Libc.POLLIN };
        Libc.poll(&pfd, 1, timeoutMs);
    }
}
