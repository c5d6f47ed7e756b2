using Tender.Paging;
using Tender.ProcessPlatform.Emulation;

namespace Tender.ProcessPlatform;

/// <summary>
/// The guest-virtual address space as the child has it: the regions the boot mode described,
/// each either mapped from the guest memfd (memory behind it) or an MMIO window (guest-physical
/// addresses nothing backs: an emulated BAR, whose every access faults and is routed to the
/// device as KVM routes an MMIO exit). The tender reads and writes guest-virtual memory through
/// its own mapping of the same memfd, with the rights the guest has.
/// </summary>
internal sealed class GuestAddressSpace : IGuestMemoryView
{
    private readonly List<Mapped> _mapped = [];
    private readonly List<Region> _mmio = [];

    /// <param name="Accessible">False for a CPL 3 guest's supervisor-only pages (the tender's
    /// system area): mapped PROT_NONE, so a touch faults as "present, protection violation" as
    /// under KVM, and never readable through this view.</param>
    public readonly record struct Mapped(Region Region, GuestMemory Memory, ulong FileOffset, bool Accessible);

    public IReadOnlyList<Mapped> MappedRegions => _mapped;

    public IReadOnlyList<Region> MmioWindows => _mmio;

    /// <summary>Sorts the regions into mapped and MMIO ones; a region partly backed is refused.</summary>
    public static GuestAddressSpace Build(ProcessMachine machine, IReadOnlyList<Region> regions, bool supervisorGuest)
    {
        var space = new GuestAddressSpace();
        foreach (var region in regions)
        {
            // A CPL 3 guest's page tables also map supervisor-only pages (the system area): the
            // guest cannot touch them; they are mapped without any access right.
            bool accessible = supervisorGuest || (region.Flags & PageFlags.User) != 0;
            if (machine.Locate(region.PhysicalAddress, region.Length) is var (memory, offset))
                space._mapped.Add(new Mapped(region, memory, offset, accessible));
            else if (machine.Locate(region.PhysicalAddress, 1) is null && machine.Locate(region.PhysicalAddress + region.Length - 1, 1) is null)
                space._mmio.Add(region);
            else
                throw new PlatformException($"the region at guest-virtual 0x{region.VirtualAddress:x} (+0x{region.Length:x}) is only partly backed by guest memory");
        }
        space._mapped.Sort((a, b) => a.Region.VirtualAddress.CompareTo(b.Region.VirtualAddress));
        return space;
    }

    /// <summary>The guest-physical address behind a guest-virtual one in an MMIO window, or null.</summary>
    public ulong? MmioPhysical(ulong address)
    {
        foreach (var w in _mmio)
            if (address >= w.VirtualAddress && address - w.VirtualAddress < w.Length)
                return w.PhysicalAddress + (address - w.VirtualAddress);
        return null;
    }

    private Mapped? Find(ulong address)
    {
        int lo = 0, hi = _mapped.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var r = _mapped[mid].Region;
            if (address < r.VirtualAddress) hi = mid - 1;
            else if (address - r.VirtualAddress >= r.Length) lo = mid + 1;
            else return _mapped[mid];
        }
        return null;
    }

    /// <summary>Guest-virtual to guest-physical through the regions the child maps (for a debugger).</summary>
    public bool TryTranslate(ulong address, out ulong physical)
    {
        physical = 0;
        if (Find(address) is not Mapped m || !m.Accessible) return false;
        physical = m.Region.PhysicalAddress + (address - m.Region.VirtualAddress);
        return true;
    }

    /// <summary>Reads what the guest could read; returns the bytes read before the first unmapped one.</summary>
    public int Read(ulong address, Span<byte> into)
    {
        int done = 0;
        while (done < into.Length)
        {
            ulong at = address + (ulong)done;
            if (at < address || Find(at) is not Mapped m || !m.Accessible) break;
            ulong inRegion = m.Region.VirtualAddress + m.Region.Length - at;
            int n = (int)Math.Min((ulong)(into.Length - done), inRegion);
            m.Memory.GetSpan(m.Region.PhysicalAddress + (at - m.Region.VirtualAddress), (ulong)n).CopyTo(into[done..]);
            done += n;
        }
        return done;
    }

    public bool TryRead(ulong address, Span<byte> into) => Read(address, into) == into.Length;

    /// <summary>Writes as the guest could: every byte must be in a writable mapped region.</summary>
    public bool TryWrite(ulong address, ReadOnlySpan<byte> bytes)
    {
        int done = 0;
        while (done < bytes.Length)
        {
            ulong at = address + (ulong)done;
            if (at < address || Find(at) is not Mapped m || !m.Accessible || (m.Region.Flags & PageFlags.Writable) == 0) return false;
            done += (int)Math.Min((ulong)(bytes.Length - done), m.Region.VirtualAddress + m.Region.Length - at);
        }
        done = 0;
        while (done < bytes.Length)
        {
            ulong at = address + (ulong)done;
            var m = Find(at)!.Value;
            int n = (int)Math.Min((ulong)(bytes.Length - done), m.Region.VirtualAddress + m.Region.Length - at);
            bytes.Slice(done, n).CopyTo(m.Memory.GetSpan(m.Region.PhysicalAddress + (at - m.Region.VirtualAddress), (ulong)n));
            done += n;
        }
        return true;
    }
}
