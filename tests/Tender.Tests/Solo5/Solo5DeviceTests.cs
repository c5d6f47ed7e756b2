using Tender.Tests.Support;
using TestNamespace = Tender.TestSupport.TestNamespace;

namespace Tender.Tests.Solo5;

/// <summary>
/// A Solo5 guest with a BLOCK_BASIC device in its manifest note (the probe built with
/// -DGUEST_BLOCK) or a NET_BASIC device (-DGUEST_NET), attached with solo5-hvt's option
/// spellings `--block:storage=FILE` and `--net:service0=TAP`.
/// </summary>
public class Solo5DeviceTests
{
    [GuestFact]
    public void The_manifest_copy_shows_the_attached_device_and_the_note_is_left_as_linked()
    {
        string disk = NewDisk(8 * 512, firstByte: 0);
        try
        {
            var r = Solo5Run.Run(["--mem=32", $"--block:storage={disk}"], Solo5Guests.ProbeWithBlock, "state");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("\nmft_version=1 entries=2\n", r.Stdout);
            Assert.Contains("\nmft_e1 name=[storage] type=0x1 capacity=4096 block_size=512 attached=1\n", r.Stdout);
            Assert.Contains("\nnote_e1 name=[storage] type=0x1 capacity=0 block_size=0 attached=0\n", r.Stdout);
            // Two entries of 104 bytes after the 8-byte header: the command line follows them.
            Assert.Equal(0x10038UL + 8 + 2 * 104, r.Number("cmdline_addr"));
        }
        finally
        {
            File.Delete(disk);
        }
    }

    [GuestFact]
    public void Block_read_and_write_reach_the_file_and_bad_requests_get_einval()
    {
        string disk = NewDisk(8 * 512, firstByte: 0x41);
        try
        {
            var r = Solo5Run.Run(["--mem=32", $"--block:storage={disk}"], Solo5Guests.ProbeWithBlock, "block");
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal(0UL, r.Number("block_read_ret"));
            Assert.Equal(0x41UL, r.Number("block_byte0"));
            Assert.Equal(0UL, r.Number("block_write_ret"));
            Assert.Equal(2UL, r.Number("block_past_end_ret"));   // SOLO5_R_EINVAL
            Assert.Equal(2UL, r.Number("block_bad_handle_ret")); // entry 0 is not a block device
            Assert.Equal(0x42, File.ReadAllBytes(disk)[0]);      // the guest wrote byte0 + 1 back
        }
        finally
        {
            File.Delete(disk);
        }
    }

    [GuestFact(HostNeeds.Root | HostNeeds.Tun)]
    public void With_a_network_device_the_ring_sits_right_above_mem_size_as_in_solo5_hvt()
    {
        // solo5-hvt: the ring takes 2 MiB above the --mem size, mem_size stays the --mem size,
        // host_features offers RING_IO and net_ring points at the ring. The TAP lives in a
        // namespace of this test's own; the guest only reads its boot info and sends nothing.
        using var ns = new TestNamespace("s5n");
        ns.AddTap("s5tap0");
        var r = ns.Run(() => Solo5Run.Run(["--mem=32", "--net:service0=s5tap0", "--net-mac:service0=02:00:00:00:00:05"],
            Solo5Guests.ProbeWithNet, "state"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(32UL << 20, r.Number("mem_size"));
        Assert.Equal((32UL << 20) - 8, r.Number("rsp"));
        Assert.Equal(1UL, r.Number("host_features"));
        Assert.Equal(32UL << 20, r.Number("net_ring"));
        Assert.Contains("\nmft_e1 name=[service0] type=0x2 ", r.Stdout);
        Assert.Contains(" attached=1\n", r.Stdout.Split('\n').Single(l => l.StartsWith("mft_e1 ", StringComparison.Ordinal)) + "\n");
    }

    [GuestFact(HostNeeds.Root | HostNeeds.Tun)]
    public void A_network_device_with_4_GiB_of_memory_leaves_no_room_for_the_ring()
    {
        using var ns = new TestNamespace("s5n");
        ns.AddTap("s5tap0");
        var r = ns.Run(() => Solo5Run.Run(["--mem=4096", "--net:service0=s5tap0"], Solo5Guests.ProbeWithNet, "state"));
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("--mem=4094", r.Stderr);
    }

    private static string NewDisk(int size, byte firstByte)
    {
        string path = Path.Combine(Path.GetTempPath(), $"tender-solo5-disk-{Guid.NewGuid():N}.img");
        var bytes = new byte[size];
        bytes[0] = firstByte;
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
