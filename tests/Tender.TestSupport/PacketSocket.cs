using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Tender.Host;
using Tender.Host.Interop;

namespace Tender.TestSupport;

/// <summary>
/// The Linux side of a test link: an AF_PACKET socket bound to one interface and one EtherType,
/// so it sees only the test's own frames. Create it inside the namespace (it stays tied to it).
/// </summary>
public sealed unsafe class PacketSocket : IDisposable
{
    /// <summary>IEEE 802 "local experimental" EtherType: no protocol of the kernel's uses it.</summary>
    public const ushort TestEtherType = 0x88B5;

    private readonly FileDescriptor _fd;
    private readonly int _ifIndex;
    private readonly ushort _protocol;

    public PacketSocket(string interfaceName, ushort etherType = TestEtherType)
    {
        _ifIndex = NetworkInterface.GetIndex(interfaceName);
        InterfaceMac = NetworkInterface.GetHardwareAddress(interfaceName);
        ushort protocol = BinaryPrimitives.ReverseEndianness(etherType);
        _protocol = protocol;
        int fd = LibC.Socket(LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, protocol);
        if (fd < 0) throw HostException.FromLastError("socket AF_PACKET");
        _fd = new FileDescriptor(fd);
        var address = new LibC.SockAddrLl { Family = LibC.AF_PACKET, Protocol = protocol, InterfaceIndex = _ifIndex };
        if (LibC.Bind(_fd.Fd, &address, (uint)sizeof(LibC.SockAddrLl)) < 0)
            throw HostException.FromLastError($"bind AF_PACKET {interfaceName}");
        // A packet socket also queues a copy of every frame it sends; with bursts of jumbo frames
        // those copies and the echoes overflowed the default receive buffer on a loaded machine and
        // the test lost echoes the guest had sent. Keep only incoming frames, and queue plenty.
        int on = 1, bytes = 8 << 20;
        if (LibC.SetSockOpt(_fd.Fd, LibC.SOL_PACKET, LibC.PACKET_IGNORE_OUTGOING, &on, sizeof(int)) < 0)
            throw HostException.FromLastError("setsockopt PACKET_IGNORE_OUTGOING");
        if (LibC.SetSockOpt(_fd.Fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, &bytes, sizeof(int)) < 0)
            throw HostException.FromLastError("setsockopt SO_RCVBUFFORCE");
    }

    /// <summary>The Linux-side interface's own MAC.</summary>
    public byte[] InterfaceMac { get; }

    /// <summary>Transmits a whole Ethernet frame out of the interface (toward the TAP's reader).</summary>
    public void Send(ReadOnlySpan<byte> frame)
    {
        var address = new LibC.SockAddrLl { Family = LibC.AF_PACKET, Protocol = _protocol, InterfaceIndex = _ifIndex, AddressLength = 6 };
        for (int i = 0; i < 6; i++) address.Address[i] = frame[i];
        fixed (byte* p = frame)
        {
            nint n = LibC.SendTo(_fd.Fd, p, (nuint)frame.Length, 0, &address, (uint)sizeof(LibC.SockAddrLl));
            if (n < 0) throw HostException.FromLastError($"sendto AF_PACKET ({frame.Length} bytes)");
            if (n != frame.Length) throw new IOException($"sendto sent {n} of {frame.Length} bytes");
        }
    }

    /// <summary>
    /// The next frame that arrived on the interface (not one Linux sent itself), or null if none
    /// comes within the timeout. Polls every millisecond: bounded in time.
    /// </summary>
    public byte[]? Receive(TimeSpan timeout)
    {
        var buffer = new byte[65536];
        long start = Stopwatch.GetTimestamp();
        while (true)
        {
            int n = TryReceive(buffer);
            if (n >= 0) return buffer[..n];
            if (Stopwatch.GetElapsedTime(start) > timeout) return null;
            Thread.Sleep(1);
        }
    }

    /// <summary>
    /// The next frame that arrived on the interface, copied into buffer (its length returned), or
    /// -1 at once if none is waiting: for a loop that relays frames without allocating.
    /// </summary>
    public int TryReceive(Span<byte> buffer)
    {
        while (true)
        {
            LibC.SockAddrLl from;
            uint fromLength = (uint)sizeof(LibC.SockAddrLl);
            nint n;
            fixed (byte* p = buffer)
                n = LibC.RecvFrom(_fd.Fd, p, (nuint)buffer.Length, 0, &from, &fromLength);
            if (n >= 0)
            {
                if (from.PacketType == LibC.PACKET_OUTGOING) continue;
                return (int)n;
            }
            int errno = Marshal.GetLastSystemError();
            if (errno == LibC.EINTR) continue;
            if (errno != LibC.EAGAIN) throw new HostException("recvfrom AF_PACKET", errno);
            return -1;
        }
    }

    public void Dispose() => _fd.Dispose();
}

/// <summary>Test frames: Ethernet header with the test EtherType, then a recognisable payload.</summary>
public static class Frames
{
    public static byte[] Make(ReadOnlySpan<byte> destination, ReadOnlySpan<byte> source, int length, int seed)
    {
        var frame = new byte[length];
        destination.CopyTo(frame);
        source.CopyTo(frame.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), PacketSocket.TestEtherType);
        for (int i = 14; i < length; i++) frame[i] = (byte)(seed * 31 + i * 7);
        if (length >= 18) BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(14), seed);
        return frame;
    }

    /// <summary>Frames received from the TAP, skipping any that are not the test's (other EtherTypes).</summary>
    public static bool IsTestFrame(ReadOnlySpan<byte> frame) =>
        frame.Length >= 14 && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == PacketSocket.TestEtherType;
}
