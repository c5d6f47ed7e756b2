using System.Buffers.Binary;
using Solo5;
using Tender.Devices;
using Tender.Hypercalls;

namespace Tender.Fuzz;

/// <summary>
/// The tender's hypercall handler (<see cref="HypercallHandler"/>) as a hostile guest drives it:
/// up to 8 hypercalls, each a number and a 32-bit argument address, over guest RAM built from the
/// input. Devices: handle 1 a block device over a 64 KiB file, handle 2 a NIC with one frame
/// waiting. A bad argument ends the guest with <see cref="GuestCrashException"/> (the clean rejection).
/// <para>Input: byte 0 = number of calls - 1 (low 3 bits); then per call the hypercall number
/// (1 byte, any value) and the argument address (u32 LE); the rest is the memory image at 0x1000.</para>
/// </summary>
internal static class HypercallTarget
{
    public const int CallSize = 5;
    public const ulong BlockSize = 64 * 1024;

    public static readonly FuzzTarget Target = new("hypercalls",
        "tender HypercallHandler.Handle: argument struct and buffer checks against GuestAccessMap/GuestMemory for all 8 hvt hypercalls, block and net devices behind handles",
        ["tender.dll", "Tender.Devices.dll", "Tender.Platform.dll"], Run, typeof(GuestCrashException));

    private sealed class State
    {
        public readonly FuzzGuest Guest = FuzzGuest.Instance;
        public readonly GuestDevices Devices;
        public readonly DevicePoller Poller = new();
        public readonly Boot.GuestAccessMap Access = FuzzGuest.AccessMap(FuzzGuest.RamSize - 0x1000);

        public State()
        {
            // The block file is unlinked at once: the descriptor keeps it, nothing is left behind.
            string path = Path.Combine(Path.GetTempPath(), $"tender-fuzz-block-{Environment.ProcessId}");
            File.WriteAllBytes(path, new byte[BlockSize]);
            try
            {
                var block = BlockDevice.Open(path);
                Devices = GuestDevices.Of([null, block, null], [null, null, Guest.Nic]);
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    private static readonly Lazy<State> s_state = new(() => new State());

    private static void Run(ReadOnlySpan<byte> input)
    {
        var s = s_state.Value;
        int calls = input.IsEmpty ? 1 : (input[0] & 7) + 1;
        int header = 1 + calls * CallSize;
        s.Guest.LoadImage(input.Length > header ? input[header..] : default, FuzzGuest.RamSize);
        s.Guest.ResetWire(frames: 1);
        var handler = new HypercallHandler(s.Guest.Ram, s.Access, Stream.Null, s.Devices, s.Poller, tracer: null);
        Span<byte> call = stackalloc byte[CallSize];
        for (int i = 0; i < calls; i++)
        {
            call.Clear();
            int at = 1 + i * CallSize;
            if (at < input.Length) input[at..Math.Min(input.Length, at + CallSize)].CopyTo(call);
            int n = call[0];
            uint argument = BinaryPrimitives.ReadUInt32LittleEndian(call[1..]);
            // POLL would sleep for the guest's timeout: the harness makes it a look (timeout 0).
            if (n == HvtAbi.Poll && s.Guest.Ram.TryGetSpan(argument, 8, out var timeout, out _)) timeout.Clear();
            if (handler.Handle(n, argument) is not null) return; // HALT ends the guest
        }
    }
}
