namespace Tender.Devices.Tests;

public sealed class OptionSyntaxTests
{
    [Theory]
    [InlineData("02:00:00:00:00:01", "02:00:00:00:00:01")]
    [InlineData("AA:bb:0C:dd:EE:0f", "aa:bb:0c:dd:ee:0f")]
    [InlineData("00:16:3e:01:02:03", "00:16:3e:01:02:03")]
    public void Valid_mac_addresses_parse(string text, string canonical)
    {
        Assert.True(MacAddress.TryParse(text, out var mac, out var error), error);
        Assert.Equal(canonical, mac.ToString());
        Assert.Equal(Convert.ToByte(canonical[..2], 16), mac[0]);
        Assert.Equal(Convert.ToByte(canonical[^2..], 16), mac[5]);
    }

    [Theory]
    [InlineData("", "six hex pairs")]
    [InlineData("02:00:00:00:00", "six hex pairs")]
    [InlineData("02:00:00:00:00:01:02", "six hex pairs")]
    [InlineData("02-00-00-00-00-01", "six hex pairs")]
    [InlineData("2:00:00:00:00:01", "'2' is not two hex digits")]
    [InlineData("02:00:00:00:00:g1", "'g1' is not two hex digits")]
    [InlineData("02:00:00:00:00:+1", "'+1' is not two hex digits")]
    [InlineData("01:00:5e:00:00:01", "multicast")]
    [InlineData("ff:ff:ff:ff:ff:ff", "multicast")]
    [InlineData("00:00:00:00:00:00", "not a usable address")]
    public void Bad_mac_addresses_are_refused_with_the_reason(string text, string reason)
    {
        Assert.False(MacAddress.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Generated_addresses_are_locally_administered_unicast_and_random()
    {
        var seen = new HashSet<MacAddress>();
        for (int i = 0; i < 64; i++)
        {
            var mac = MacAddress.GenerateLocal();
            Assert.True(mac.IsLocallyAdministered, mac.ToString());
            Assert.False(mac.IsMulticast, mac.ToString());
            seen.Add(mac);
        }
        Assert.True(seen.Count > 60, $"only {seen.Count} distinct addresses in 64");
    }

    [Theory]
    [InlineData("--block:storage=/tmp/disk.img", "storage", "/tmp/disk.img")]
    [InlineData("--net-mac:service0=02:00:00:00:00:01", "service0", "02:00:00:00:00:01")]
    [InlineData("--block:a=b=c", "a", "b=c")]
    public void Name_value_splits_at_the_first_equals(string full, string name, string value)
    {
        int colon = full.IndexOf(':');
        Assert.True(DeviceOptionSyntax.TrySplit(full[..colon], full[(colon + 1)..], out var n, out var v, out var error), error);
        Assert.Equal(name, n);
        Assert.Equal(value, v);
    }

    [Theory]
    [InlineData("storage", "not NAME=VALUE")]
    [InlineData("=x", "empty")]
    [InlineData("stor-age=x", "only letters and digits")]
    [InlineData("storage=", "no value")]
    public void Bad_name_value_is_refused_naming_the_option(string text, string reason)
    {
        Assert.False(DeviceOptionSyntax.TrySplit("--block", text, out _, out _, out var error));
        Assert.StartsWith("--block: ", error);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Names_longer_than_solo5_allows_are_refused()
    {
        Assert.Null(DeviceOptionSyntax.CheckName(new string('a', 67)));
        Assert.Contains("longer than 67", DeviceOptionSyntax.CheckName(new string('a', 68)));
    }

    [Theory]
    [InlineData("512", 512u)]
    [InlineData("4096", 4096u)]
    [InlineData("1048576", 1048576u)]
    public void Sector_sizes_parse(string text, uint expected)
    {
        Assert.True(DeviceOptionSyntax.TryParseSectorSize(text, out var size, out var error), error);
        Assert.Equal(expected, size);
    }

    [Theory]
    [InlineData("", "not a decimal number")]
    [InlineData("0x200", "not a decimal number")]
    [InlineData("-512", "not a decimal number")]
    [InlineData("256", "not a power of two")]
    [InlineData("1000", "not a power of two")]
    [InlineData("0", "not a power of two")]
    [InlineData("99999999999999999999999", "not a decimal number")]
    [InlineData("4294967296", "not a power of two between")]
    public void Bad_sector_sizes_are_refused(string text, string reason)
    {
        Assert.False(DeviceOptionSyntax.TryParseSectorSize(text, out _, out var error));
        Assert.Contains(reason, error);
    }
}
