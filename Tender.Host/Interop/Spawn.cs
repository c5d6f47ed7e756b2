using System.Runtime.InteropServices;

namespace Tender.Host.Interop;

/// <summary>
/// Starting a child process without fork: posix_spawn (glibc's clones with CLONE_VM|CLONE_VFORK,
/// so nothing of the multithreaded .NET process runs in the child but glibc's own code), its
/// attribute and file-action objects, signal sets, pipes, memfds and descriptor duplication.
/// The opaque glibc objects are only ever handled through pointers to buffers of at least
/// their x86-64 size (<see cref="SpawnAttrSize"/>, <see cref="SpawnFileActionsSize"/>).
/// </summary>
internal static unsafe partial class LibC
{
    /// <summary>sizeof(posix_spawnattr_t) on x86-64 glibc is 336; callers allocate this much.</summary>
    public const int SpawnAttrSize = 512;
    /// <summary>sizeof(posix_spawn_file_actions_t) on x86-64 glibc is 80; callers allocate this much.</summary>
    public const int SpawnFileActionsSize = 128;
    /// <summary>sizeof(sigset_t) in glibc: 1024 bits.</summary>
    public const int SigSetSize = 128;

    public const short POSIX_SPAWN_SETPGROUP = 0x02;
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;

    public const int F_DUPFD_CLOEXEC = 1030;

    [LibraryImport(Lib, EntryPoint = "posix_spawn")]
    public static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_init")]
    public static partial int PosixSpawnAttrInit(void* attributes);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_destroy")]
    public static partial int PosixSpawnAttrDestroy(void* attributes);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setflags")]
    public static partial int PosixSpawnAttrSetFlags(void* attributes, short flags);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setpgroup")]
    public static partial int PosixSpawnAttrSetPgroup(void* attributes, int processGroup);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigmask")]
    public static partial int PosixSpawnAttrSetSigMask(void* attributes, void* signalSet);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigdefault")]
    public static partial int PosixSpawnAttrSetSigDefault(void* attributes, void* signalSet);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_init")]
    public static partial int PosixSpawnFileActionsInit(void* fileActions);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_destroy")]
    public static partial int PosixSpawnFileActionsDestroy(void* fileActions);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_adddup2")]
    public static partial int PosixSpawnFileActionsAddDup2(void* fileActions, int fd, int newFd);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addopen")]
    public static partial int PosixSpawnFileActionsAddOpen(void* fileActions, int fd, byte* path, int flags, uint mode);

    /// <summary>glibc 2.34: closes every descriptor from lowFd up in the child before exec.</summary>
    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addclosefrom_np")]
    public static partial int PosixSpawnFileActionsAddCloseFrom(void* fileActions, int lowFd);

    [LibraryImport(Lib, EntryPoint = "sigemptyset")]
    public static partial int SigEmptySet(void* signalSet);

    [LibraryImport(Lib, EntryPoint = "sigfillset")]
    public static partial int SigFillSet(void* signalSet);

    [LibraryImport(Lib, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);


    /// <summary>fcntl with an integer argument (F_DUPFD_CLOEXEC, F_GETFD, …).</summary>
    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport(Lib, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int FTruncate(int fd, long length);
}
