namespace Tender.Gdb;

/// <summary>
/// The session's breakpoints: trap bytes (int3, or the target's own choice) it wrote into guest
/// memory (with the bytes they replaced, so reads show the original code and a detach puts it
/// back) and the debug-register set, which the target programs as a whole. Where the target has
/// no debug registers, execute breakpoints (`Z1`) are trap bytes too.
/// </summary>
internal sealed class Breakpoints(IGdbTarget target)
{
    /// <summary>More is a client gone wild, not a debugging session.</summary>
    public const int MaxSoftware = 4096;

    /// <summary>Address → the byte under the trap byte; shared by `Z0` and software-served `Z1` at one address.</summary>
    private readonly Dictionary<ulong, byte> software = [];
    private readonly HashSet<ulong> z0 = [];
    private readonly HashSet<ulong> z1InSoftware = [];
    private readonly List<(ulong Address, WatchKind Kind, int Length)> hardware = [];

    private byte Trap => target.SoftwareBreakpointInstruction;

    public bool HasSoftwareAt(ulong address) => software.ContainsKey(address);

    /// <summary>Whether gdb set a `Z0` at <paramref name="address"/>.</summary>
    public bool HasZ0At(ulong address) => z0.Contains(address);

    /// <summary>Whether the trap byte at <paramref name="address"/> serves a `Z1` (stop reason hwbreak).</summary>
    public bool IsExecuteBreakpointInSoftware(ulong address) => z1InSoftware.Contains(address);

    /// <summary>Saves the byte and writes the trap; false if the address cannot be read or written (nothing changed then).</summary>
    public bool InsertSoftware(ulong address) => Insert(address, z0);

    /// <summary>Puts the original byte back; false if there was no breakpoint or the write failed.</summary>
    public bool RemoveSoftware(ulong address) => Remove(address, z0);

    private bool Insert(ulong address, HashSet<ulong> owners)
    {
        if (owners.Contains(address)) return true;
        if (!software.ContainsKey(address))
        {
            if (software.Count >= MaxSoftware) return false;
            Span<byte> original = stackalloc byte[1];
            if (target.ReadMemory(address, original) != 1) return false;
            if (target.WriteMemory(address, [Trap]) != 1) return false;
            software[address] = original[0];
        }
        owners.Add(address);
        return true;
    }

    private bool Remove(ulong address, HashSet<ulong> owners)
    {
        if (!owners.Contains(address) || !software.TryGetValue(address, out byte original)) return false;
        bool stillUsed = (owners == z0 ? z1InSoftware : z0).Contains(address);
        if (!stillUsed)
        {
            if (target.WriteMemory(address, [original]) != 1) return false;
            software.Remove(address);
        }
        owners.Remove(address);
        return true;
    }

    /// <summary>Shows the original bytes where the session's trap bytes are, in what was read at <paramref name="address"/>.</summary>
    public void HideInserted(ulong address, Span<byte> read)
    {
        if (software.Count == 0) return;
        foreach (var (at, original) in software)
            if (at >= address && at - address < (ulong)read.Length) read[(int)(at - address)] = original;
    }

    /// <summary>
    /// After gdb wrote memory over one of our trap bytes: the written byte becomes the one to restore, and
    /// the trap goes back so the breakpoint stays armed (as if it had been inserted after the write).
    /// </summary>
    public void Rearm(ulong address, int written)
    {
        if (software.Count == 0 || written <= 0) return;
        Span<byte> now = stackalloc byte[1];
        foreach (var at in software.Keys.ToList())
        {
            if (at < address || at - address >= (ulong)written) continue;
            if (target.ReadMemory(at, now) == 1 && target.WriteMemory(at, [Trap]) == 1) software[at] = now[0];
            else
            {
                software.Remove(at);
                z0.Remove(at);
                z1InSoftware.Remove(at);
            }
        }
    }

    public int HardwareCount => hardware.Count;

    /// <summary>Adds a debug-register breakpoint or watchpoint; false if no slot is free, it is
    /// not what x86 can watch (length 1, 2, 4 or 8, aligned to it), or the target refuses. An
    /// execute breakpoint on a target without debug registers is a trap byte instead.</summary>
    public bool InsertHardware(ulong address, WatchKind kind, int length)
    {
        if (kind == WatchKind.Execute && target.ExecuteBreakpointsInSoftware) return Insert(address, z1InSoftware);
        if (length is not (1 or 2 or 4 or 8) || address % (ulong)length != 0) return false;
        if (hardware.Contains((address, kind, length))) return true;
        if (hardware.Count >= target.HardwareSlots) return false;
        hardware.Add((address, kind, length));
        if (target.SetHardwareBreakpoints(hardware.ToArray())) return true;
        hardware.RemoveAt(hardware.Count - 1);
        return false;
    }

    public bool RemoveHardware(ulong address, WatchKind kind, int length)
    {
        if (kind == WatchKind.Execute && z1InSoftware.Contains(address)) return Remove(address, z1InSoftware);
        int i = hardware.IndexOf((address, kind, length));
        if (i < 0) return false;
        hardware.RemoveAt(i);
        if (target.SetHardwareBreakpoints(hardware.ToArray())) return true;
        hardware.Insert(i, (address, kind, length));
        return false;
    }

    /// <summary>The kind of the watchpoint covering <paramref name="address"/> (for a stop reply that did not say).</summary>
    public WatchKind? WatchAt(ulong address)
    {
        foreach (var (at, kind, length) in hardware)
            if (kind != WatchKind.Execute && address >= at && address - at < (ulong)length) return kind;
        return null;
    }

    /// <summary>Everything out of the guest, as on detach or kill: original bytes back, debug registers cleared.</summary>
    public void RemoveAll(Action<string>? log)
    {
        foreach (var (at, original) in software)
            if (target.WriteMemory(at, [original]) != 1) log?.Invoke($"gdb: could not restore the byte under the breakpoint at 0x{at:x}");
        software.Clear();
        z0.Clear();
        z1InSoftware.Clear();
        if (hardware.Count > 0)
        {
            hardware.Clear();
            if (!target.SetHardwareBreakpoints([])) log?.Invoke("gdb: the target refused to clear its debug registers");
        }
    }
}
