using Tender.Host.Interop;
using Tender.Kvm.Interop;

namespace Tender.Kvm;

/// <summary>An open <c>/dev/kvm</c>: system-wide queries and VM creation.</summary>
public sealed unsafe class KvmSystem : IDisposable
{
    private readonly FileDescriptor _fd;

    private KvmSystem(FileDescriptor fd, int vcpuMmapSize)
    {
        _fd = fd;
        VcpuMmapSize = vcpuMmapSize;
    }

    /// <summary>Bytes of the per-vCPU shared <c>kvm_run</c> mapping.</summary>
    public int VcpuMmapSize { get; }

    /// <summary>
    /// Opens <paramref name="path"/> and checks the API version and the capabilities the tender
    /// relies on. Throws <see cref="KvmException"/> with a message a user can act on.
    /// </summary>
    public static KvmSystem Open(string path = "/dev/kvm")
    {
        KvmLayout.Verify();
        int raw = LibC.Open(path, LibC.O_RDWR | LibC.O_CLOEXEC);
        if (raw < 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            throw new KvmException($"cannot open {path}: {LibC.ErrorText(errno)}" +
                (errno == 2 ? " (is KVM available on this machine?)" : errno == 13 ? " (run as root or join the kvm group)" : ""));
        }
        var fd = new FileDescriptor(raw);
        try
        {
            int version = LibC.Ioctl(fd.Fd, KvmIoctls.GetApiVersion, 0);
            if (version != KvmIoctls.ExpectedApiVersion)
                throw new KvmException($"{path}: KVM API version {version}, expected {KvmIoctls.ExpectedApiVersion}");
            foreach (var (cap, name) in new[] { (KvmIoctls.CapUserMemory, "KVM_CAP_USER_MEMORY"), (KvmIoctls.CapExtCpuid, "KVM_CAP_EXT_CPUID"), (KvmIoctls.CapImmediateExit, "KVM_CAP_IMMEDIATE_EXIT") })
                if (LibC.Ioctl(fd.Fd, KvmIoctls.CheckExtension, cap) <= 0)
                    throw new KvmException($"{path}: the kernel lacks {name}");
            int size = LibC.Ioctl(fd.Fd, KvmIoctls.GetVcpuMmapSize, 0);
            if (size < KvmRunLayout.MinimumSize) throw new KvmException($"{path}: KVM_GET_VCPU_MMAP_SIZE returned {size}");
            return new KvmSystem(fd, size);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>KVM_CHECK_EXTENSION: 0 if absent, otherwise a capability-specific positive value.</summary>
    public int CheckExtension(int capability)
    {
        int result = LibC.Ioctl(_fd.Fd, KvmIoctls.CheckExtension, capability);
        return result < 0 ? 0 : result;
    }

    /// <summary>KVM_GET_SUPPORTED_CPUID: the CPUID leaves this host can offer a guest.</summary>
    public CpuidEntry[] GetSupportedCpuid()
    {
        // The kernel fails with E2BIG when the buffer is too small: grow and retry.
        for (int capacity = 64; capacity <= 4096; capacity *= 2)
        {
            int bytes = 8 + capacity * sizeof(CpuidEntry);
            var buffer = new byte[bytes];
            fixed (byte* p = buffer)
            {
                *(uint*)p = (uint)capacity;
                if (LibC.Ioctl(_fd.Fd, KvmIoctls.GetSupportedCpuid, p) == 0)
                {
                    int count = (int)*(uint*)p;
                    var entries = new CpuidEntry[count];
                    new ReadOnlySpan<CpuidEntry>(p + 8, count).CopyTo(entries);
                    return entries;
                }
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno != LibC.E2BIG) throw new KvmException("KVM_GET_SUPPORTED_CPUID", errno);
            }
        }
        throw new KvmException("KVM_GET_SUPPORTED_CPUID: more than 4096 entries");
    }

    /// <summary>KVM_CREATE_VM.</summary>
    public Vm CreateVm()
    {
        int fd = LibC.Ioctl(_fd.Fd, KvmIoctls.CreateVm, 0);
        if (fd < 0) throw KvmException.FromLastError("KVM_CREATE_VM");
        return new Vm(this, new FileDescriptor(fd));
    }

    public void Dispose() => _fd.Dispose();
}
