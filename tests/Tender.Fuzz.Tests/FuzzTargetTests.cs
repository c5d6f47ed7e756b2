using System.Text;
using Tender.Fuzz;
using Tender.Loader;

namespace Tender.Fuzz.Tests;

/// <summary>What a target counts as a clean rejection, and that everything else escapes as a finding.</summary>
public class FuzzTargetTests
{
    [Fact]
    public void Only_the_listed_exception_with_a_message_is_a_clean_rejection()
    {
        var rejecting = new FuzzTarget("t", "", [], _ => throw new ElfFormatException("ELF: bad"), typeof(ElfFormatException));
        Assert.Equal(FuzzOutcome.Rejected, rejecting.Run([1]));

        var silent = new FuzzTarget("t", "", [], _ => throw new ElfFormatException(" "), typeof(ElfFormatException));
        Assert.Throws<ElfFormatException>(() => silent.Run([1]));

        var crashing = new FuzzTarget("t", "", [], input => _ = input[5], typeof(ElfFormatException));
        Assert.Throws<IndexOutOfRangeException>(() => crashing.Run([1]));

        var taking = new FuzzTarget("t", "", [], _ => { });
        Assert.Equal(FuzzOutcome.Accepted, taking.Run([]));
    }

    [Theory]
    [InlineData("elf", "")]
    [InlineData("elf", "\u007fELF")]
    [InlineData("manifest-json", "{")]
    [InlineData("manifest-json", "{\"type\":\"solo5.manifest\",\"version\":1,\"devices\":[{\"name\":\"x\",\"type\":\"NOPE\"}]}")]
    [InlineData("manifest-note", "MFT1")]
    public void Bad_images_and_manifests_are_rejected_cleanly(string target, string input)
    {
        Assert.Equal(FuzzOutcome.Rejected, Targets.Find(target)!.Run(Encoding.UTF8.GetBytes(input)));
    }

    [Fact]
    public void A_hypercall_with_a_bad_number_or_argument_ends_the_guest_cleanly()
    {
        var hypercalls = Targets.Find("hypercalls")!;
        Assert.Equal(FuzzOutcome.Rejected, hypercalls.Run([0, 0, 0x00, 0x10, 0, 0]));    // number 0
        Assert.Equal(FuzzOutcome.Rejected, hypercalls.Run([0, 1, 0x00, 0x00, 0, 0]));    // WALLTIME struct at the null page
        Assert.Equal(FuzzOutcome.Rejected, hypercalls.Run([0, 1, 0x00, 0x00, 1, 0]));    // WALLTIME into read-only memory
        Assert.Equal(FuzzOutcome.Accepted, hypercalls.Run([0, 1, 0x00, 0x10, 0, 0]));    // WALLTIME at 0x1000
    }

    [Theory]
    [InlineData(6)] // NETWRITE
    [InlineData(7)] // NETREAD
    [InlineData(4)] // BLKWRITE
    [InlineData(5)] // BLKREAD
    [InlineData(2)] // PUTS
    public void A_zero_length_buffer_at_an_address_outside_RAM_is_no_tender_crash(byte hypercall)
    {
        // One call, argument struct at 0x1000: handle 2 (the NIC) or 1 (the block device), data far
        // outside guest RAM, len 0. Found by fuzzing (fuzz/regressions/hypercalls).
        var input = new byte[1 + 5 + 64];
        input[1] = hypercall;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(input.AsSpan(2), 0x1000);
        var args = input.AsSpan(6);
        if (hypercall == 2)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(args, 0xdd00_0000_0000);
        }
        else
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(args, hypercall >= 6 ? 2UL : 1UL);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(args[(hypercall >= 6 ? 8 : 16)..], 0xdd00_0000_0000);
        }
        Assert.Equal(FuzzOutcome.Accepted, Targets.Find("hypercalls")!.Run(input));
    }

    [Theory]
    [InlineData("ring")]
    [InlineData("ixgbe")]
    [InlineData("ethernet")]
    [InlineData("arp")]
    [InlineData("ipv4")]
    [InlineData("icmp")]
    [InlineData("udp")]
    [InlineData("tcp")]
    [InlineData("gdb")]
    public void Targets_that_never_throw_on_input_take_random_bytes(string target)
    {
        var t = Targets.Find(target)!;
        Assert.Empty(t.Rejections);
        var random = new Random(16);
        for (int i = 0; i < 200; i++)
        {
            var input = new byte[random.Next(0, 600)];
            random.NextBytes(input);
            Assert.Equal(FuzzOutcome.Accepted, t.Run(input));
        }
    }
}
