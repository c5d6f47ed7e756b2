using Tender.Host.Interop;

namespace Tender.Host;

/// <summary>What a path is, without following a final symbolic link and without opening it for reading (a FIFO would block).</summary>
public static class FileKind
{
    private const int O_PATH = 0x200000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000;
    private const uint S_IFMT = 0xF000, S_IFREG = 0x8000;

    public static unsafe bool IsRegularFile(string path)
    {
        int fd = LibC.Open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return false;
        try
        {
            LibC.Stat stat;
            if (LibC.FStat(fd, &stat) < 0) throw HostException.FromLastError($"fstat {path}");
            return (stat.Mode & S_IFMT) == S_IFREG;
        }
        finally
        {
            LibC.Close(fd);
        }
    }
}
