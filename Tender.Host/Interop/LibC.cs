using System.Runtime.InteropServices;

namespace Tender.Host.Interop;

/// <summary>
/// The libc functions the tender calls: files, epoll, eventfd, sockets, TAP and namespace
/// plumbing, and KVM's memory mapping and signal plumbing. This is the one place with libc
/// declarations (KVM's ioctl numbers and structs stay with Tender.Kvm: they are KVM's ABI). Constants and structs are x86-64 Linux/glibc; every struct's size is
/// asserted in <see cref="LayoutChecks"/> so a wrong layout fails at start-up, not in a syscall.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Lib = "libc";

    // open(2) flags.
    public const int O_RDONLY = 0x0;
    public const int O_WRONLY = 0x1;
    public const int O_RDWR = 0x2;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_NOFOLLOW = 0x20000;
    public const int O_DIRECTORY = 0x10000;

    // errno values.
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int EMSGSIZE = 90;

    // st_mode file types.
    public const uint S_IFMT = 0xF000;
    public const uint S_IFREG = 0x8000;
    public const uint S_IFBLK = 0x6000;
    public const uint S_IFDIR = 0x4000;
    public const uint S_IFCHR = 0x2000;

    // epoll.
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;

    // eventfd.
    public const int EFD_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000;

    // Sockets.
    public const int AF_UNIX = 1;
    public const int AF_INET = 2;
    public const int AF_PACKET = 17;
    public const int SOCK_DGRAM = 2;
    public const int SOCK_RAW = 3;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const ushort ETH_P_ALL = 0x0003;
    public const byte PACKET_OUTGOING = 4;

    // Network-interface ioctls (linux/sockios.h) and TUN/TAP (linux/if_tun.h).
    public const nuint SIOCGIFFLAGS = 0x8913;
    public const nuint SIOCGIFMTU = 0x8921;
    public const nuint SIOCGIFHWADDR = 0x8927;
    public const nuint SIOCGIFINDEX = 0x8933;
    /// <summary>_IOW('T', 202, int).</summary>
    public const nuint TUNSETIFF = 0x400454CA;
    /// <summary>_IOR('T', 210, unsigned int).</summary>
    public const nuint TUNGETIFF = 0x800454D2;
    public const short IFF_TUN = 0x0001;
    public const short IFF_TAP = 0x0002;
    public const short IFF_NO_PI = 0x1000;
    public const int IFNAMSIZ = 16;

    // Block devices (linux/fs.h).
    /// <summary>_IOR(0x12, 114, size_t): the device's size in bytes.</summary>
    public const nuint BLKGETSIZE64 = 0x80081272;

    // Namespaces.
    public const int CLONE_NEWNET = 0x40000000;

    // Memory mapping (guest RAM, kvm_run) and signals (vCPU kicks): KVM's plumbing.
    public const int PROT_NONE = 0x0;
    public const int PROT_READ = 0x1;
    public const int PROT_WRITE = 0x2;
    public const int PROT_EXEC = 0x4;
    public const int MAP_SHARED = 0x01;
    public const int MAP_PRIVATE = 0x02;
    public const int MAP_ANONYMOUS = 0x20;
    public const int MAP_NORESERVE = 0x4000;
    public static readonly nint MAP_FAILED = -1;
    public const int E2BIG = 7;
    public const int SA_SIGINFO = 0x4;

    [LibraryImport(Lib, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Open(string path, int flags);

    [LibraryImport(Lib, EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int Openat(int directoryFd, string path, int flags, uint mode);

    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport(Lib, EntryPoint = "pread64", SetLastError = true)]
    public static partial nint PRead(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Lib, EntryPoint = "pwrite64", SetLastError = true)]
    public static partial nint PWrite(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport(Lib, EntryPoint = "readv", SetLastError = true)]
    public static partial nint ReadV(int fd, IoVec* vectors, int count);

    [LibraryImport(Lib, EntryPoint = "writev", SetLastError = true)]
    public static partial nint WriteV(int fd, IoVec* vectors, int count);

    [LibraryImport(Lib, EntryPoint = "fstat", SetLastError = true)]
    public static partial int FStat(int fd, Stat* buffer);

    /// <summary>ioctl with an integer (or no) argument.</summary>
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, nint argument);

    /// <summary>ioctl with a pointer argument (an ifreq, a u64, …).</summary>
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int Ioctl(int fd, nuint request, void* argument);

    [LibraryImport(Lib, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Lib, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epollFd, int operation, int fd, EpollEvent* ev);

    [LibraryImport(Lib, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epollFd, EpollEvent* events, int maxEvents, int timeoutMilliseconds);

    /// <summary>
    /// epoll_wait with a nanosecond timeout (Linux 5.11, glibc 2.35): POLL's timeout is in
    /// nanoseconds and rounding it to milliseconds would turn short waits into busy loops or
    /// long sleeps. A null timeout waits forever.
    /// </summary>
    [LibraryImport(Lib, EntryPoint = "epoll_pwait2", SetLastError = true)]
    public static partial int EpollPWait2(int epollFd, EpollEvent* events, int maxEvents, TimeSpec* timeout, void* signalMask);

    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Lib, EntryPoint = "socketpair", SetLastError = true)]
    public static unsafe partial int SocketPair(int domain, int type, int protocol, int* pair);

    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, void* address, uint addressLength);

    [LibraryImport(Lib, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int option, void* value, uint valueLength);

    public const int SOL_SOCKET = 1, SO_RCVBUFFORCE = 33;
    public const int SOL_PACKET = 263, PACKET_IGNORE_OUTGOING = 23;

    [LibraryImport(Lib, EntryPoint = "sendto", SetLastError = true)]
    public static partial nint SendTo(int fd, byte* buffer, nuint length, int flags, void* address, uint addressLength);

    [LibraryImport(Lib, EntryPoint = "recvfrom", SetLastError = true)]
    public static partial nint RecvFrom(int fd, byte* buffer, nuint length, int flags, void* address, uint* addressLength);

    /// <summary>Moves the calling thread into the namespace behind fd (for network namespaces: per thread).</summary>
    [LibraryImport(Lib, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int namespaceType);

    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(nint address, nuint length);

    [LibraryImport(Lib, EntryPoint = "mprotect", SetLastError = true)]
    public static partial int Mprotect(nint address, nuint length, int protection);

    [LibraryImport(Lib, EntryPoint = "pthread_self")]
    public static partial nuint PthreadSelf();

    /// <summary>Returns an error number (not -1/errno) as POSIX threads functions do.</summary>
    [LibraryImport(Lib, EntryPoint = "pthread_kill")]
    public static partial int PthreadKill(nuint thread, int signal);

    [LibraryImport(Lib, EntryPoint = "sigaction", SetLastError = true)]
    public static partial int SigAction(int signal, SigActionStruct* action, SigActionStruct* oldAction);

    [LibraryImport(Lib, EntryPoint = "__libc_current_sigrtmin")]
    public static partial int CurrentSigRtMin();

    [LibraryImport(Lib, EntryPoint = "__libc_current_sigrtmax")]
    public static partial int CurrentSigRtMax();

    [LibraryImport(Lib, EntryPoint = "strerror")]
    private static partial nint StrError(int errno);

    public static string ErrorText(int errno) =>
        Marshal.PtrToStringUTF8(StrError(errno)) ?? $"errno {errno}";

    /// <summary>glibc's x86-64 <c>struct sigaction</c>: handler, 1024-bit mask, flags, restorer (152 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SigActionStruct
    {
        public nint Handler;
        public fixed ulong Mask[16];
        public int Flags;
        public int Padding;
        public nint Restorer;
    }

    /// <summary><c>struct iovec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    /// <summary><c>struct timespec</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>
    /// <c>struct epoll_event</c>: on x86-64 the kernel declares it packed, so the 64-bit data
    /// follows the 32-bit event mask directly (12 bytes, not 16).
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    /// <summary>glibc's x86-64 <c>struct stat</c> (144 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stat
    {
        public ulong Device;
        public ulong Inode;
        public ulong LinkCount;
        public uint Mode;
        public uint UserId;
        public uint GroupId;
        private uint _padding;
        public ulong SpecialDevice;
        public long Size;
        public long BlockSize;
        public long Blocks;
        public TimeSpec AccessTime;
        public TimeSpec ModificationTime;
        public TimeSpec ChangeTime;
        private fixed long _reserved[3];
    }

    /// <summary>
    /// <c>struct ifreq</c> (40 bytes): a 16-byte interface name, then a 24-byte union of which
    /// the tender uses the flags (short), the MTU or index (int) and the hardware address
    /// (a sockaddr: 16-bit family, then the address bytes).
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct IfReq
    {
        [FieldOffset(0)] public fixed byte Name[IFNAMSIZ];
        [FieldOffset(16)] public short Flags;
        [FieldOffset(16)] public int IntValue;
        [FieldOffset(16)] public ushort HardwareFamily;
        [FieldOffset(18)] public fixed byte HardwareAddress[14];

        /// <summary>An ifreq naming the interface; false if the name is empty, too long, or not ASCII.</summary>
        public static bool TryCreate(string interfaceName, out IfReq request)
        {
            request = default;
            if (interfaceName.Length == 0 || interfaceName.Length >= IFNAMSIZ) return false;
            for (int i = 0; i < interfaceName.Length; i++)
            {
                char c = interfaceName[i];
                // The kernel refuses '/', ':' and whitespace in interface names (dev_valid_name).
                if (c <= ' ' || c > '~' || c == '/' || c == ':') return false;
                request.Name[i] = (byte)c;
            }
            return true;
        }

        public readonly string GetName()
        {
            fixed (byte* name = Name)
                return Marshal.PtrToStringUTF8((nint)name) ?? "";
        }
    }

    /// <summary><c>struct sockaddr_ll</c> (20 bytes), a packet socket's address.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SockAddrLl
    {
        public ushort Family;
        /// <summary>Ethernet protocol in network byte order.</summary>
        public ushort Protocol;
        public int InterfaceIndex;
        public ushort HardwareType;
        public byte PacketType;
        public byte AddressLength;
        public fixed byte Address[8];
    }
}

/// <summary>Size checks of every struct passed to the kernel, against the x86-64 ABI's sizes.</summary>
internal static unsafe class LayoutChecks
{
    private static bool s_checked;

    /// <summary>Throws if a struct's managed size differs from its C size (a layout bug).</summary>
    public static void Verify()
    {
        if (s_checked) return;
        Check(sizeof(LibC.IoVec), 16, "struct iovec");
        Check(sizeof(LibC.TimeSpec), 16, "struct timespec");
        Check(sizeof(LibC.EpollEvent), 12, "struct epoll_event");
        Check(sizeof(LibC.Stat), 144, "struct stat");
        Check(sizeof(LibC.IfReq), 40, "struct ifreq");
        Check(sizeof(LibC.SockAddrLl), 20, "struct sockaddr_ll");
        Check(sizeof(LibC.SigActionStruct), 152, "struct sigaction");
        Check((int)Marshal.OffsetOf<LibC.Stat>(nameof(LibC.Stat.Size)), 48, "struct stat.st_size offset");
        Check((int)Marshal.OffsetOf<LibC.EpollEvent>(nameof(LibC.EpollEvent.Data)), 4, "struct epoll_event.data offset");
        s_checked = true;
    }

    private static void Check(int actual, int expected, string what)
    {
        if (actual != expected)
            throw new InvalidOperationException($"interop layout bug: {what} is {actual} bytes in C#, {expected} in C");
    }
}
