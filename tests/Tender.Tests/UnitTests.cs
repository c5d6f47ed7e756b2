using Tender.Boot;
using Tender.Cli;

namespace Tender.Tests;

/// <summary>Hypercall argument checking and command-line pieces, without KVM.</summary>
public class GuestAccessMapTests
{
    private static GuestAccessMap Map() => new GuestAccessMap()
        .Add(0x1000, 0x100000, writable: true)
        .Add(0x100000, 0x101000, writable: false)   // text
        .Add(0x101000, 0x200000, writable: true)
        .Add(0x300000, 0x400000, writable: true);   // after a hole

    [Theory]
    [InlineData(0x1000UL, 16UL)]
    [InlineData(0xFFFF0UL, 0x20UL)]          // spans two ranges that touch
    [InlineData(0x100000UL, 0x1000UL)]       // read-only is readable
    [InlineData(0x3FFFF0UL, 0x10UL)]          // ends exactly at the end
    [InlineData(0UL, 0UL)]                    // empty: nothing is accessed
    public void Readable(ulong address, ulong length) => Assert.Null(Map().CheckRead(address, length));

    [Theory]
    [InlineData(0UL, 1UL, "0x0 is unmapped")]
    [InlineData(0xFFFUL, 2UL, "0xfff is unmapped")]
    [InlineData(0x1FFFF0UL, 0x20UL, "from 0x200000 on")]       // runs into the hole
    [InlineData(0x3FFFF0UL, 0x11UL, "from 0x400000 on")]        // one past the end
    [InlineData(0x1000UL, ulong.MaxValue, "wraps around")]       // overflow
    [InlineData(ulong.MaxValue, 2UL, "wraps around")]
    [InlineData(0x400000000UL, 8UL, "unmapped")]
    public void Not_readable(ulong address, ulong length, string reason)
    {
        string? error = Map().CheckRead(address, length);
        Assert.NotNull(error);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Read_only_memory_is_not_writable()
    {
        var error = Map().CheckWrite(0x100800, 8);
        Assert.NotNull(error);
        Assert.Contains("0x100800 is read-only", error);
        Assert.Null(Map().CheckWrite(0x101000, 8));
        Assert.NotNull(Map().CheckWrite(0xFFFF8, 16)); // runs from writable into read-only
    }

    [Fact]
    public void Whole_memory_allows_everything_inside_and_nothing_outside()
    {
        var map = GuestAccessMap.WholeMemory(32 << 20);
        Assert.Null(map.CheckWrite(0, 32 << 20));
        Assert.NotNull(map.CheckRead((32 << 20) - 1, 2));
    }
}

public class DurationParserTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("5s", 5000)]
    [InlineData("2m", 120000)]
    [InlineData("1h", 3600000)]
    [InlineData("1.5s", 1500)]
    [InlineData("3", 3000)]
    public void Parses(string text, double milliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var duration, out var error), error);
        Assert.Equal(milliseconds, duration.TotalMilliseconds, 3);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("-1s")]
    [InlineData("0")]
    [InlineData("5 parsecs")]
    [InlineData("1e9h")]
    public void Rejects(string text)
    {
        Assert.False(DurationParser.TryParse(text, out _, out var error));
        Assert.NotNull(error);
    }
}

public class RunArgumentsTests
{
    [Fact]
    public void Splits_options_kernel_and_guest_arguments()
    {
        var split = RunArguments.Split(["--mem", "64", "--trace", "--net:service=tap0", "k.elf", "--", "--x", "y"]);
        Assert.Equal("k.elf", split.Kernel);
        Assert.Equal(["--x", "y"], split.GuestArguments);
        Assert.True(split.Trace);
        Assert.Null(split.TracePath);
        Assert.Equal(["--mem", "64", "k.elf"], split.Tokens);
        var device = Assert.Single(split.Devices);
        Assert.Equal(("net", "service", "tap0"), (device.Option, device.Name, device.Value));
    }

    [Fact]
    public void Accepts_solo5_hvt_spelling_with_separator_before_the_kernel()
    {
        var split = RunArguments.Split(["--mem=64", "--block-sector-size:disk=4096", "--", "k.elf", "a", "--", "b"]);
        Assert.Equal("k.elf", split.Kernel);
        Assert.Equal(["a", "--", "b"], split.GuestArguments);
        Assert.Equal("block-sector-size", Assert.Single(split.Devices).Option);
    }

    [Fact]
    public void Trace_file_needs_an_equals_sign()
    {
        var split = RunArguments.Split(["--trace=/tmp/t.json", "k.elf"]);
        Assert.Equal("/tmp/t.json", split.TracePath);
        Assert.Throws<TenderException>(() => RunArguments.Split(["--trace=", "k.elf"]));
    }

    [Fact]
    public void Dumpcore_takes_an_optional_directory()
    {
        Assert.Equal(".", RunArguments.Split(["--dumpcore", "k.elf"]).DumpCoreDirectory);
        Assert.Equal("/tmp/cores", RunArguments.Split(["--dumpcore=/tmp/cores", "k.elf"]).DumpCoreDirectory);
        Assert.Null(RunArguments.Split(["k.elf"]).DumpCoreDirectory);
        Assert.Throws<TenderException>(() => RunArguments.Split(["--dumpcore=", "k.elf"]));
        // After the kernel it is the guest's.
        Assert.Null(RunArguments.Split(["k.elf", "--dumpcore"]).DumpCoreDirectory);
    }

    [Theory]
    [InlineData("--gdb", "127.0.0.1:1234")]
    [InlineData("--gdb=4321", "127.0.0.1:4321")]
    [InlineData("--gdb-port=4000", "127.0.0.1:4000")]
    [InlineData("--gdb=0.0.0.0:77", "0.0.0.0:77")]
    [InlineData("--gdb=[::1]:78", "[::1]:78")]
    public void Gdb_listens_on_loopback_unless_an_address_is_given(string flag, string endpoint)
    {
        Assert.Equal(endpoint, RunArguments.Split([flag, "k.elf"]).GdbEndpoint?.ToString());
    }

    [Theory]
    [InlineData("--gdb=0")]
    [InlineData("--gdb=65536")]
    [InlineData("--gdb=port")]
    [InlineData("--gdb=localhost:1234")]
    [InlineData("--gdb-port=x")]
    public void Bad_gdb_endpoints_are_refused(string flag)
    {
        var e = Assert.Throws<TenderException>(() => RunArguments.Split([flag, "k.elf"]));
        Assert.Contains(flag.Split('=')[0], e.Message);
    }
}

public class GuestMemoryTests
{
    private static Tender.Platform.GuestMemory Memory() => new("test memory", 0x10000, 0x4000);

    [Theory]
    [InlineData(0x10000UL, 0x4000UL)]
    [InlineData(0x13FFFUL, 1UL)]
    [InlineData(0x14000UL, 0UL)]
    public void Inside(ulong address, ulong length)
    {
        using var memory = Memory();
        Assert.True(memory.TryGetSpan(address, length, out var span, out var error), error);
        Assert.Equal((int)length, span.Length);
    }

    [Theory]
    [InlineData(0xFFFFUL, 1UL)]                  // below
    [InlineData(0x13FFFUL, 2UL)]                 // one byte past the end
    [InlineData(0x14000UL, 1UL)]
    [InlineData(0x10000UL, ulong.MaxValue)]      // offset + length would overflow
    [InlineData(ulong.MaxValue, 1UL)]
    [InlineData(0x11000UL, 0xFFFF_FFFF_FFFF_F001UL)]
    public void Outside(ulong address, ulong length)
    {
        using var memory = Memory();
        Assert.False(memory.TryGetSpan(address, length, out _, out var error));
        Assert.Contains("is outside test memory [0x10000, 0x14000)", error);
        Assert.Throws<Tender.Platform.GuestMemoryException>(() => memory.GetSpan(address, length).Length);
    }

    [Fact]
    public void Reads_and_writes_land_where_addressed()
    {
        using var memory = Memory();
        memory.WriteUInt64(0x13FF8, 0x1122334455667788);
        Assert.Equal(0x1122334455667788UL, memory.ReadUInt64(0x13FF8));
        Assert.Equal(0x11223344U, memory.ReadUInt32(0x13FFC));
        Assert.Throws<Tender.Platform.GuestMemoryException>(() => memory.ReadUInt64(0x13FF9));
    }

    [Fact]
    public void C_strings_stop_at_the_nul_the_limit_or_the_end_of_memory()
    {
        using var memory = Memory();
        memory.Write(0x10000, "hi\0there"u8);
        Assert.True(memory.TryReadCString(0x10000, 100, out var text));
        Assert.Equal("hi"u8.ToArray(), text.ToArray());
        memory.Write(0x13FFE, "ab"u8);
        Assert.True(memory.TryReadCString(0x13FFE, 100, out text));
        Assert.Equal("ab"u8.ToArray(), text.ToArray()); // unterminated: cut at the end of memory
        Assert.True(memory.TryReadCString(0x10003, 3, out text));
        Assert.Equal("the"u8.ToArray(), text.ToArray()); // cut at the limit
        Assert.False(memory.TryReadCString(0x14000, 100, out _));
    }
}
