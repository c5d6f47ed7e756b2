using System.Net.Sockets;
using System.Text;
using Tender.Host.Interop;

namespace Tender.Host;

/// <summary>
/// The console of a container run with a terminal (`ctr run -t`): a pseudoterminal whose master
/// goes to whoever listens on the OCI console socket — as runc sends it: one SCM_RIGHTS message
/// carrying the master descriptor, the slave's name as its data — and whose slave becomes the
/// container process's stdin, stdout and stderr.
/// </summary>
public static unsafe class Pseudoterminal
{
    /// <summary>Opens a new pseudoterminal; returns the master and the slave's path (/dev/pts/N).</summary>
    public static (FileDescriptor Master, string SlavePath) Open()
    {
        int fd = LibC.PosixOpenPt(LibC.O_RDWR | LibC.O_NOCTTY | 0x80000 /* O_CLOEXEC */);
        if (fd < 0) throw HostException.FromLastError("posix_openpt");
        var master = new FileDescriptor(fd);
        if (LibC.GrantPt(fd) < 0) throw HostException.FromLastError("grantpt");
        if (LibC.UnlockPt(fd) < 0) throw HostException.FromLastError("unlockpt");
        byte* name = stackalloc byte[128];
        int error = LibC.PtsNameR(fd, name, 128);
        if (error != 0) throw new HostException("ptsname_r", error);
        return (master, Encoding.UTF8.GetString(System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpanFromNullTerminated(name)));
    }

    /// <summary>Connects to the console socket at <paramref name="socketPath"/> and sends <paramref name="master"/> over it.</summary>
    public static void SendMaster(string socketPath, FileDescriptor master, string name)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        byte[] data = Encoding.UTF8.GetBytes(name);
        // cmsghdr (len 8, level 4, type 4) + one int, padded to 8: CMSG_SPACE(sizeof(int)) = 24, CMSG_LEN = 20.
        byte* control = stackalloc byte[24];
        new Span<byte>(control, 24).Clear();
        *(ulong*)control = 20;
        *(int*)(control + 8) = LibC.SOL_SOCKET;
        *(int*)(control + 12) = LibC.SCM_RIGHTS;
        *(int*)(control + 16) = master.Fd;
        fixed (byte* payload = data)
        {
            var vector = new LibC.IoVec { Base = payload, Length = (nuint)data.Length };
            var message = new LibC.MessageHeader { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = 24 };
            if (LibC.SendMsg((int)socket.Handle, &message, 0) < 0) throw HostException.FromLastError($"sendmsg to {socketPath}");
        }
    }

    /// <summary>
    /// Makes the terminal at <paramref name="slavePath"/> this process's stdin, stdout and stderr
    /// and its controlling terminal (a new session), as a container's process has it.
    /// </summary>
    public static void BecomeStdio(string slavePath)
    {
        using var slave = FileDescriptor.Open(slavePath, LibC.O_RDWR);
        if (LibC.SetSid() < 0) throw HostException.FromLastError("setsid");
        if (LibC.Ioctl(slave.Fd, LibC.TIOCSCTTY, 0) < 0) throw HostException.FromLastError($"TIOCSCTTY {slavePath}");
        for (int fd = 0; fd <= 2; fd++)
            if (LibC.Dup2(slave.Fd, fd) < 0) throw HostException.FromLastError($"dup2 {slavePath} to {fd}");
    }
}
