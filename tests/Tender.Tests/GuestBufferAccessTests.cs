using Tender.Boot;
using Tender.Devices;
using Tender.Run;

namespace Tender.Tests;

/// <summary>
/// The ring engine's guest buffers (GuestBufferAccess): the same rules as the hypercalls' buffers,
/// so a ring entry and a NETWRITE/NETREAD with the same pointer and length are answered alike.
/// </summary>
public class GuestBufferAccessTests
{
    private static (GuestMemory Ram, GuestBufferAccess Buffers) Guest()
    {
        var ram = new GuestMemory("RAM", 0, 0x10000);
        var map = new GuestAccessMap().Add(0x1000, 0x8000, writable: true).Add(0x8000, 0x10000, writable: false);
        return (ram, new GuestBufferAccess(ram, map));
    }

    [Theory]
    [InlineData(0xdead_0000_0000UL)]   // far outside RAM
    [InlineData(0UL)]                  // the null page
    [InlineData(ulong.MaxValue)]       // the last address
    public void A_zero_length_buffer_is_empty_wherever_it_points(ulong address)
    {
        var (ram, buffers) = Guest();
        using (ram)
        {
            Assert.True(buffers.TryGetSpan(address, 0, GuestAccess.Read, out var span, out var error));
            Assert.True(span.IsEmpty);
            Assert.Null(error);
            Assert.True(buffers.TryGetSpan(address, 0, GuestAccess.Write, out span, out error));
            Assert.True(span.IsEmpty);
        }
    }

    [Fact]
    public void A_buffer_is_refused_where_the_guest_itself_could_not_access_it_and_is_guest_memory_where_it_could()
    {
        var (ram, buffers) = Guest();
        using (ram)
        {
            Assert.False(buffers.TryGetSpan(0xdead_0000_0000, 1, GuestAccess.Read, out _, out var error));
            Assert.Contains("unmapped", error);
            Assert.False(buffers.TryGetSpan(0x8000, 16, GuestAccess.Write, out _, out error));   // read-only to the guest
            Assert.NotNull(error);
            Assert.True(buffers.TryGetSpan(0x8000, 16, GuestAccess.Read, out var text, out _));
            Assert.Equal(16, text.Length);
            Assert.True(buffers.TryGetSpan(0x2000, 4, GuestAccess.Write, out var span, out _));
            span.Fill(0xA5);
            Assert.Equal(0xA5, ram.GetSpan(0x2003, 1)[0]);
        }
    }
}
