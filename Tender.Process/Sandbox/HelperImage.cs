using System.Buffers.Binary;
using Tender.Host.Interop;

namespace Tender.ProcessPlatform.Sandbox;

/// <summary>
/// The sandbox child's program: a static x86-64 ELF executable of a few hundred bytes, assembled
/// here, so that nothing has to be built for or shipped with the tender. It waits until the
/// tracer has attached, stops at an <c>int3</c>, and from then on only serves as a place for
/// the tracer to inject system calls (<see cref="GadgetAddress"/>) and to keep their arguments
/// (<see cref="ScratchAddress"/>). Everything else in the child's address space is the guest's.
/// </summary>
/// <remarks>
/// The image is linked at a fixed address far above every guest range (guest RAM below 4 GiB,
/// BAR windows from 2^39, DMA from 2^40 + at most 8 GiB) and below the top of the 47-bit user
/// address space, where the kernel puts the stack and the vDSO; so a guest mapping never
/// collides with it. It is executed from a memfd (written once per tender process) that the
/// spawn puts at fd 4 in the child: <c>/proc/self/fd/4</c>; the helper closes it first thing.
/// </remarks>
internal static unsafe class HelperImage
{
    /// <summary>Where the code segment (and the ELF header, which it includes) is loaded.</summary>
    public const ulong LoadAddress = 0x5F00_0000_0000;

    /// <summary>The read-write scratch page: the segment after the code page.</summary>
    public const ulong ScratchAddress = LoadAddress + 0x1000;

    public const int ScratchSize = 4096;

    /// <summary>Bytes from <see cref="LoadAddress"/> to the end of the scratch page: all the helper maps.</summary>
    public const ulong MappedSize = ScratchAddress + ScratchSize - LoadAddress;

    private const int ElfHeaderSize = 64;
    private const int ProgramHeaderSize = 56;
    private const int ProgramHeaderCount = 3;
    private const int CodeOffset = ElfHeaderSize + ProgramHeaderCount * ProgramHeaderSize;

    /// <summary>
    /// The code, at <see cref="CodeOffset"/>:
    /// <code>
    /// _start: mov eax, 3            ; close(4): the spawn put this image's own descriptor there
    ///         mov edi, 4            ;   to execute it; the helper has no use for it
    ///         syscall
    ///         xor eax, eax          ; read(0, rsp-16, 1): blocks until the tracer has attached
    ///         xor edi, edi          ;   (PTRACE_SEIZE) and writes one byte into the pipe on fd 0;
    ///         lea rsi, [rsp-16]     ;   if the tender died first, read returns 0 (end of file)
    ///         mov edx, 1            ;   and the int3 below, with no tracer, kills the child
    ///         syscall
    ///         int3                  ; the first stop: the tracer takes over here
    /// gadget: syscall               ; injection: RIP = gadget, RAX = number, arguments as usual
    ///         int3                  ; stop after the call; RAX holds the result
    /// </code>
    /// </summary>
    private static ReadOnlySpan<byte> Code =>
    [
        0xB8, 0x03, 0x00, 0x00, 0x00,
        0xBF, 0x04, 0x00, 0x00, 0x00,
        0x0F, 0x05,
        0x31, 0xC0,
        0x31, 0xFF,
        0x48, 0x8D, 0x74, 0x24, 0xF0,
        0xBA, 0x01, 0x00, 0x00, 0x00,
        0x0F, 0x05,
        0xCC,
        0x0F, 0x05,
        0xCC,
    ];

    private const int GadgetOffsetInCode = 29;

    /// <summary>The entry point, <c>_start</c>.</summary>
    public const ulong EntryAddress = LoadAddress + CodeOffset;

    /// <summary>The <c>syscall; int3</c> pair used for injection. Also where RIP points at the first stop (just past the first int3).</summary>
    public const ulong GadgetAddress = EntryAddress + GadgetOffsetInCode;

    /// <summary>RIP at the stop after an injected system call: past the gadget's syscall and int3.</summary>
    public const ulong GadgetReturnAddress = GadgetAddress + 3;

    private static readonly Lock s_lock = new();
    private static int s_fd = -1;

    /// <summary>
    /// The image as an ELF file: header, three program headers (code R+X, scratch R+W with no
    /// file bytes, and PT_GNU_STACK so the stack is explicitly not executable), then the code.
    /// No sections: the kernel's loader reads program headers only.
    /// </summary>
    public static byte[] Build()
    {
        int fileSize = CodeOffset + Code.Length;
        var image = new byte[fileSize];
        var span = image.AsSpan();

        // e_ident: magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV.
        span[0] = 0x7F; span[1] = (byte)'E'; span[2] = (byte)'L'; span[3] = (byte)'F';
        span[4] = 2; span[5] = 1; span[6] = 1; span[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(span[16..], 2);      // e_type: ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(span[18..], 62);     // e_machine: EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], 1);      // e_version
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], EntryAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(span[32..], ElfHeaderSize);  // e_phoff
        BinaryPrimitives.WriteUInt64LittleEndian(span[40..], 0);      // e_shoff: no sections
        BinaryPrimitives.WriteUInt32LittleEndian(span[48..], 0);      // e_flags
        BinaryPrimitives.WriteUInt16LittleEndian(span[52..], ElfHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(span[54..], ProgramHeaderSize);
        BinaryPrimitives.WriteUInt16LittleEndian(span[56..], ProgramHeaderCount);
        BinaryPrimitives.WriteUInt16LittleEndian(span[58..], 64);     // e_shentsize
        BinaryPrimitives.WriteUInt16LittleEndian(span[60..], 0);      // e_shnum
        BinaryPrimitives.WriteUInt16LittleEndian(span[62..], 0);      // e_shstrndx

        const uint PT_LOAD = 1, PT_GNU_STACK = 0x6474E551;
        const uint PF_X = 1, PF_W = 2, PF_R = 4;
        // The code segment maps the whole file (header included) from offset 0.
        WriteProgramHeader(span[ElfHeaderSize..], PT_LOAD, PF_R | PF_X, 0, LoadAddress, (ulong)fileSize, (ulong)fileSize, 0x1000);
        // The scratch page: no file bytes, so the kernel maps zeroed anonymous memory.
        WriteProgramHeader(span[(ElfHeaderSize + ProgramHeaderSize)..], PT_LOAD, PF_R | PF_W, 0, ScratchAddress, 0, ScratchSize, 0x1000);
        WriteProgramHeader(span[(ElfHeaderSize + 2 * ProgramHeaderSize)..], PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);

        Code.CopyTo(span[CodeOffset..]);
        return image;
    }

    private static void WriteProgramHeader(Span<byte> at, uint type, uint flags, ulong offset, ulong address, ulong fileSize, ulong memorySize, ulong align)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(at, type);
        BinaryPrimitives.WriteUInt32LittleEndian(at[4..], flags);
        BinaryPrimitives.WriteUInt64LittleEndian(at[8..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(at[16..], address);   // p_vaddr
        BinaryPrimitives.WriteUInt64LittleEndian(at[24..], address);   // p_paddr
        BinaryPrimitives.WriteUInt64LittleEndian(at[32..], fileSize);
        BinaryPrimitives.WriteUInt64LittleEndian(at[40..], memorySize);
        BinaryPrimitives.WriteUInt64LittleEndian(at[48..], align);
    }

    /// <summary>The descriptor the spawn puts the image at in the child, to execute it as <c>/proc/self/fd/4</c>.</summary>
    public const int FdInChild = 4;

    /// <summary>
    /// A read-only descriptor of a memfd holding the image, created on the first call and kept
    /// open for the life of the process. It is above <see cref="FdInChild"/>, so the spawn's
    /// file actions (which fill fds 0 to 4) cannot overwrite it before they move it.
    /// </summary>
    public static int Fd
    {
        get
        {
            lock (s_lock)
            {
                if (s_fd < 0) s_fd = CreateMemfd();
                return s_fd;
            }
        }
    }

    private static int CreateMemfd()
    {
        int fd = LibC.MemfdCreate("tender-sandbox", LibC.MFD_CLOEXEC);
        if (fd < 0) throw SandboxException.FromLastError("memfd_create for the sandbox helper");
        try
        {
            byte[] image = Build();
            fixed (byte* bytes = image)
            {
                nint written = LibC.PWrite(fd, bytes, (nuint)image.Length, 0);
                if (written < 0) throw SandboxException.FromLastError("writing the sandbox helper's memfd");
                if (written != image.Length) throw new SandboxException($"writing the sandbox helper's memfd: {written} of {image.Length} bytes written");
            }
            // Keep only a read-only descriptor: nothing that gets hold of it, in the tender or
            // (briefly, before the helper closes it) in a child, can change the image.
            int readOnly = LibC.Open($"/proc/self/fd/{fd}", LibC.O_RDONLY | LibC.O_CLOEXEC);
            if (readOnly < 0) throw SandboxException.FromLastError("reopening the sandbox helper's memfd read-only");
            return SandboxProcess.MoveAboveChildFds(readOnly, "the sandbox helper's memfd");
        }
        finally
        {
            LibC.Close(fd);
        }
    }
}
