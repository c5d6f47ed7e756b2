using Tender.Host.Interop;

namespace Tender.Host;

/// <summary>
/// Queries about a network interface by name, through ioctls on a datagram socket. They see the
/// interfaces of the calling thread's network namespace.
/// </summary>
public static unsafe class NetworkInterface
{
    public static int GetMtu(string name) => Query(name, LibC.SIOCGIFMTU, "SIOCGIFMTU").IntValue;

    /// <summary>The interface's flags (IFF_UP = 0x1, IFF_RUNNING = 0x40, …).</summary>
    public static int GetFlags(string name) => (ushort)Query(name, LibC.SIOCGIFFLAGS, "SIOCGIFFLAGS").Flags;

    public const int FlagUp = 0x1;
    public const int FlagRunning = 0x40;

    public static int GetIndex(string name) => Query(name, LibC.SIOCGIFINDEX, "SIOCGIFINDEX").IntValue;

    /// <summary>The interface's own (Linux-side) hardware address.</summary>
    public static byte[] GetHardwareAddress(string name)
    {
        var request = Query(name, LibC.SIOCGIFHWADDR, "SIOCGIFHWADDR");
        var mac = new byte[6];
        for (int i = 0; i < 6; i++) mac[i] = request.HardwareAddress[i];
        return mac;
    }

    private static LibC.IfReq Query(string name, nuint request, string what)
    {
        LayoutChecks.Verify();
        if (!LibC.IfReq.TryCreate(name, out var ifr))
            throw new ArgumentException($"'{name}' is not a valid interface name (1 to {LibC.IFNAMSIZ - 1} printable characters, no '/' or ':')", nameof(name));
        int fd = LibC.Socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) throw HostException.FromLastError("socket AF_INET");
        using var socket = new FileDescriptor(fd);
        if (LibC.Ioctl(socket.Fd, request, &ifr) < 0)
            throw HostException.FromLastError($"{what} {name}");
        return ifr;
    }
}
