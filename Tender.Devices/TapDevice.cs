using System.Runtime.InteropServices;
using Tender.Host;
using Tender.Host.Interop;

namespace Tender.Devices;

/// <summary>
/// A NET_BASIC device backed by a TAP interface: Ethernet frames without any prefix
/// (IFF_TAP | IFF_NO_PI), non-blocking. The interface's MTU is read when it is opened; a frame is
/// at most MTU + 14 bytes (the Ethernet header; no FCS). The guest's MAC address is the device's
/// own choice (given or generated) and is independent of the Linux-side interface's address.
/// Reads and writes of one device may come from different threads (the kernel keeps frames whole).
/// </summary>
public sealed unsafe class TapDevice : IDisposable
{
    public const int EthernetHeaderLength = 14;
    public const string CloneDevice = "/dev/net/tun";

    private readonly FileDescriptor _fd;

    private TapDevice(FileDescriptor fd, string interfaceName, int mtu, MacAddress guestMac)
    {
        _fd = fd;
        InterfaceName = interfaceName;
        Mtu = mtu;
        GuestMac = guestMac;
    }

    /// <summary>
    /// A device over a descriptor that carries whole frames but is not a TAP (one end of
    /// <see cref="FileDescriptor.DatagramPair"/>): the fuzz harness drives the hypercalls and the
    /// ring engine through it. Takes ownership of fd.
    /// </summary>
    internal static TapDevice OverDescriptor(FileDescriptor fd, string name, int mtu, MacAddress guestMac) =>
        new(fd, name, mtu, guestMac);

    /// <summary>The interface's name as the kernel reports it.</summary>
    public string InterfaceName { get; }
    /// <summary>The interface's MTU when the device was opened (the guest is told this one).</summary>
    public int Mtu { get; }
    /// <summary>The largest frame either way: MTU + Ethernet header.</summary>
    public int MaxFrameSize => Mtu + EthernetHeaderLength;
    /// <summary>The address the guest NIC uses.</summary>
    public MacAddress GuestMac { get; }
    /// <summary>The descriptor, readable when a frame waits (for <see cref="DevicePoller"/>).</summary>
    public FileDescriptor Descriptor => _fd;

    /// <summary>
    /// Attaches to the TAP interface interfaceName in the calling thread's network namespace.
    /// As solo5-hvt, the interface must already exist and be up (TUNSETIFF would otherwise create
    /// a new one, so a mistyped name would silently give the guest an unconnected NIC), unless
    /// createIfMissing. guestMac null means a generated locally administered address. Throws
    /// <see cref="DeviceException"/> naming the interface.
    /// </summary>
    public static TapDevice Open(string interfaceName, MacAddress? guestMac = null, bool createIfMissing = false)
    {
        LayoutChecks.Verify();
        if (!LibC.IfReq.TryCreate(interfaceName, out var ifr))
            throw new DeviceException($"network interface '{interfaceName}': not a valid interface name (1 to {LibC.IFNAMSIZ - 1} printable characters, no '/' or ':')");
        if (guestMac is MacAddress given && (given.IsMulticast || given == default))
            throw new DeviceException($"network interface '{interfaceName}': guest MAC {given} is not a unicast address");
        if (!createIfMissing)
        {
            int flags;
            try
            {
                flags = NetworkInterface.GetFlags(interfaceName);
            }
            catch (HostException e) when (e.Errno == LibC.ENODEV)
            {
                throw new DeviceException($"network interface '{interfaceName}' does not exist (create it first, e.g. ip tuntap add dev {interfaceName} mode tap)");
            }
            if ((flags & (NetworkInterface.FlagUp | NetworkInterface.FlagRunning)) == 0)
                throw new DeviceException($"network interface '{interfaceName}' is down (ip link set dev {interfaceName} up)");
        }

        int fd = LibC.Open(CloneDevice, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastSystemError();
            throw new DeviceException(errno == LibC.ENOENT
                ? $"network interface '{interfaceName}': {CloneDevice} is missing (no TUN/TAP support on this host)"
                : $"network interface '{interfaceName}': cannot open {CloneDevice}: {LibC.ErrorText(errno)}");
        }
        var descriptor = new FileDescriptor(fd);
        try
        {
            ifr.Flags = LibC.IFF_TAP | LibC.IFF_NO_PI;
            if (LibC.Ioctl(descriptor.Fd, LibC.TUNSETIFF, &ifr) < 0)
            {
                int errno = Marshal.GetLastSystemError();
                string why = errno switch
                {
                    LibC.EBUSY => "it is in use by another process",
                    LibC.EINVAL => "it exists but is not a TAP interface without packet information (a TUN device, or other flags)",
                    LibC.EPERM => "not permitted (needs CAP_NET_ADMIN, or the interface belongs to another user)",
                    _ => LibC.ErrorText(errno),
                };
                throw new DeviceException($"network interface '{interfaceName}': cannot attach as TAP: {why}");
            }
            string name = ifr.GetName();
            if (name != interfaceName)
                throw new DeviceException($"network interface '{interfaceName}': the kernel attached '{name}' instead (a name with '%d' is a pattern, not an interface)");
            int mtu;
            try
            {
                mtu = NetworkInterface.GetMtu(name);
            }
            catch (HostException e)
            {
                throw new DeviceException($"network interface '{name}': cannot read its MTU: {e.Message}", e);
            }
            if (mtu <= 0)
                throw new DeviceException($"network interface '{name}': MTU {mtu} is not usable");
            return new TapDevice(descriptor, name, mtu, guestMac ?? MacAddress.GenerateLocal());
        }
        catch
        {
            descriptor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends one frame out through the interface. Frames shorter than an Ethernet header or
    /// longer than <see cref="MaxFrameSize"/> are refused (InvalidArgument) without a system call.
    /// </summary>
    public DeviceResult Write(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EthernetHeaderLength || frame.Length > MaxFrameSize) return DeviceResult.InvalidArgument;
        fixed (byte* p = frame)
        {
            while (true)
            {
                nint n = LibC.Write(_fd.Fd, p, (nuint)frame.Length);
                if (n == frame.Length) return DeviceResult.Ok;
                if (n >= 0) return DeviceResult.Unspecified; // the kernel never splits a frame; a short write is a host fault
                int errno = Marshal.GetLastSystemError();
                if (errno == LibC.EINTR) continue;
                return errno == LibC.EAGAIN ? DeviceResult.Again : DeviceResult.Unspecified;
            }
        }
    }

    /// <summary>
    /// Receives one frame into buffer, which must hold <see cref="MaxFrameSize"/> bytes (so no
    /// frame is ever cut short; a smaller buffer is InvalidArgument). Again if none is waiting.
    /// </summary>
    public DeviceResult Read(Span<byte> buffer, out int length)
    {
        length = 0;
        if (buffer.Length < MaxFrameSize) return DeviceResult.InvalidArgument;
        fixed (byte* p = buffer)
        {
            while (true)
            {
                nint n = LibC.Read(_fd.Fd, p, (nuint)buffer.Length);
                if (n > 0)
                {
                    length = (int)n;
                    return DeviceResult.Ok;
                }
                if (n == 0) return DeviceResult.Again;
                int errno = Marshal.GetLastSystemError();
                if (errno == LibC.EINTR) continue;
                return errno == LibC.EAGAIN ? DeviceResult.Again : DeviceResult.Unspecified;
            }
        }
    }

    /// <summary>
    /// Receives up to buffers.Length frames, one per buffer, stopping at the first buffer that
    /// would stay empty. lengths[i] is the size of the frame in buffers[i]. Returns how many were
    /// received; stop says why it stopped (Ok: every buffer filled; Again: no more frames waiting).
    /// </summary>
    public int ReadBatch(ReadOnlySpan<Memory<byte>> buffers, Span<int> lengths, out DeviceResult stop)
    {
        if (lengths.Length < buffers.Length) throw new ArgumentException("fewer lengths than buffers", nameof(lengths));
        for (int i = 0; i < buffers.Length; i++)
        {
            stop = Read(buffers[i].Span, out lengths[i]);
            if (stop != DeviceResult.Ok) return i;
        }
        stop = DeviceResult.Ok;
        return buffers.Length;
    }

    /// <summary>
    /// Sends every frame; results[i] is frames[i]'s result (a refused frame does not stop the
    /// batch). Returns how many were sent.
    /// </summary>
    public int WriteBatch(ReadOnlySpan<ReadOnlyMemory<byte>> frames, Span<DeviceResult> results)
    {
        if (results.Length < frames.Length) throw new ArgumentException("fewer results than frames", nameof(results));
        int sent = 0;
        for (int i = 0; i < frames.Length; i++)
        {
            results[i] = Write(frames[i].Span);
            if (results[i] == DeviceResult.Ok) sent++;
        }
        return sent;
    }

    public void Dispose() => _fd.Dispose();
}
