namespace Tender.Manifest.Tests;

public class ManifestJsonTests
{
    private static ManifestFormatException Rejects(string json)
    {
        var e = Assert.Throws<ManifestFormatException>(() => ManifestJson.Parse(json));
        Assert.StartsWith("manifest: ", e.Message);
        return e;
    }

    private static string Pci(string name = "nic1", string extra = "", string vendor = "32902") =>
        $$"""{ "name": "{{name}}", "type": "PCI_BASIC", "class": 2, "subclass": 0, "progif": 0, "vendor": {{vendor}}, "device_id": 4347, "bus_master_enable": true, "map_bar0": true{{extra}} }""";

    private static string Doc(params string[] devices) =>
        $$"""{ "type": "solo5.manifest", "version": 1, "devices": [ {{string.Join(", ", devices)}} ] }""";

    // ---- the examples ----

    [Fact]
    public void HelloHasNoDevices()
    {
        AppManifest m = ManifestSource.FromJsonFile(Examples.PathOf("hello.json"));
        Assert.Equal(1, m.Version);
        Assert.Null(m.DmaSize);
        Assert.Empty(m.Devices);
    }

    [Fact]
    public void NetAndBlockExamples()
    {
        AppManifest net = ManifestSource.FromJsonFile(Examples.PathOf("net.json"));
        Assert.Equal(new Device[] { new NetBasicDevice("service0") }, net.Devices);
        AppManifest block = ManifestSource.FromJsonFile(Examples.PathOf("block.json"));
        Assert.Equal(new Device[] { new BlockBasicDevice("storage") }, block.Devices);
    }

    [Fact]
    public void PciExampleMatchesThesisFigure37()
    {
        AppManifest m = ManifestSource.FromJsonFile(Examples.PathOf("pci-ixgbe.json"));
        Assert.Equal(16UL * 1024 * 1024, m.DmaSize);
        Assert.Equal(3, m.Devices.Count);
        var pci0 = Assert.IsType<PciBasicDevice>(m.Devices[0]);
        Assert.Equal(new PciBasicDevice("pci0", 2, 0, 0, 0x8086, 0x10FB, true, 0b000101), pci0);
        Assert.Equal(new[] { true, false, true, false, false, false }, pci0.MapBar);
        Assert.Equal(new NetBasicDevice("service0"), m.Devices[1]);
        var pci1 = Assert.IsType<PciBasicDevice>(m.Devices[2]);
        Assert.Equal(0b000001, pci1.MapBarMask);
        Assert.Equal(new[] { "pci0", "pci1" }, m.PciDevices.Select(d => d.Name));
    }

    [Fact]
    public void HexStringsAreAcceptedForIntegers()
    {
        AppManifest m = ManifestJson.Parse(Doc(
            """{ "name": "nic", "type": "PCI_BASIC", "class": "0x02", "subclass": "0x0", "progif": "0x00", "vendor": "0x8086", "device_id": "0X10fb" }"""));
        var p = Assert.IsType<PciBasicDevice>(Assert.Single(m.Devices));
        Assert.Equal((ushort)0x8086, p.VendorId);
        Assert.Equal((ushort)0x10FB, p.DeviceId);
        Assert.Equal((byte)2, p.ClassCode);
        Assert.False(p.BusMasterEnable);
        Assert.Equal(0, p.MapBarMask);
    }

    [Fact]
    public void DevicesMayBeOmitted()
    {
        AppManifest m = ManifestJson.Parse("""{ "type": "solo5.manifest", "version": 1 }""");
        Assert.Empty(m.Devices);
    }

    [Fact]
    public void SixtyThreeDevicesAreTheLimit()
    {
        string[] devs = Enumerable.Range(0, 63).Select(i => $$"""{ "name": "n{{i}}", "type": "NET_BASIC" }""").ToArray();
        Assert.Equal(63, ManifestJson.Parse(Doc(devs)).Devices.Count);
        var e = Rejects(Doc(devs.Append("""{ "name": "one", "type": "NET_BASIC" }""").ToArray()));
        Assert.Equal("manifest: field \"devices\": 64 devices; at most 63 are allowed", e.Message);
    }

    [Fact]
    public void SerializeRoundTrips()
    {
        AppManifest m = ManifestSource.FromJsonFile(Examples.PathOf("pci-ixgbe.json"));
        string json = ManifestJson.Serialize(m);
        Assert.Contains("\"device_id\": 4347", json);
        Assert.Contains("\"dma_size\": 16777216", json);
        Assert.Equal(m, ManifestJson.Parse(json));
    }

    // ---- invalid documents: each names the field ----

    [Fact]
    public void VendorOutOfRangeNamesDeviceAndField()
    {
        var e = Rejects(Doc("""{ "name": "a", "type": "NET_BASIC" }""", """{ "name": "b", "type": "BLOCK_BASIC" }""", Pci(vendor: "70000")));
        Assert.Equal("manifest: devices[2] \"nic1\": field \"vendor\": must be 0..0xFFFF, got 70000", e.Message);
    }

    [Theory]
    [InlineData("class", "256", "must be 0..0xFF, got 256")]
    [InlineData("subclass", "-1", "must be 0..0xFF, got -1")]
    [InlineData("progif", "\"0x100\"", "must be 0..0xFF, got 256")]
    [InlineData("device_id", "65536", "must be 0..0xFFFF, got 65536")]
    public void PciFieldRanges(string field, string value, string message)
    {
        string dev = $$"""{ "name": "nic1", "type": "PCI_BASIC", "class": 2, "subclass": 0, "progif": 0, "vendor": 1, "device_id": 2 }""";
        dev = System.Text.RegularExpressions.Regex.Replace(dev, $"\"{field}\": [^,}}]+", $"\"{field}\": {value}");
        var e = Rejects(Doc(dev));
        Assert.Equal($"manifest: devices[0] \"nic1\": field \"{field}\": {message}", e.Message);
    }

    [Theory]
    [InlineData("\"abc\"", "must be an integer or a hex string like \"0x8086\", got \"abc\"")]
    [InlineData("1.5", "must be an integer that fits 64 bits, got 1.5")]
    [InlineData("true", "must be an integer (or a hex string like \"0x8086\"), got a boolean")]
    [InlineData("null", "must be an integer, got null")]
    [InlineData("\"0x\"", "must be an integer or a hex string like \"0x8086\", got \"0x\"")]
    public void PciIdOfWrongKind(string value, string message)
    {
        var e = Rejects(Doc(Pci(vendor: value)));
        Assert.Equal($"manifest: devices[0] \"nic1\": field \"vendor\": {message}", e.Message);
    }

    [Fact]
    public void MissingPciFieldIsNamed()
    {
        var e = Rejects(Doc("""{ "name": "nic1", "type": "PCI_BASIC", "class": 2, "subclass": 0, "progif": 0, "device_id": 2 }"""));
        Assert.Equal("manifest: devices[0] \"nic1\": field \"vendor\": is missing (required for PCI_BASIC)", e.Message);
    }

    [Fact]
    public void BooleanOfWrongKindIsNamed()
    {
        var e = Rejects(Doc(Pci(extra: ", \"map_bar3\": \"yes\"")));
        Assert.Equal("manifest: devices[0] \"nic1\": field \"map_bar3\": must be true or false", e.Message);
    }

    [Fact]
    public void PciFieldOnNetDeviceIsRejected()
    {
        var e = Rejects(Doc("""{ "name": "service0", "type": "NET_BASIC", "vendor": 1 }"""));
        Assert.Equal("manifest: devices[0] \"service0\": field \"vendor\": not allowed for a NET_BASIC device (only PCI_BASIC has it)", e.Message);
        e = Rejects(Doc("""{ "name": "disk", "type": "BLOCK_BASIC", "map_bar0": false }"""));
        Assert.Contains("field \"map_bar0\": not allowed for a BLOCK_BASIC device", e.Message);
    }

    [Fact]
    public void UnknownDeviceFieldIsRejected()
    {
        var e = Rejects(Doc("""{ "name": "a", "type": "NET_BASIC" }""", """{ "name": "b", "type": "NET_BASIC", "mac": "02:00:00:00:00:01" }"""));
        Assert.Equal("manifest: devices[1] \"b\": unknown field \"mac\"", e.Message);
    }

    [Fact]
    public void UnknownTopLevelFieldIsRejected()
    {
        var e = Rejects("""{ "type": "solo5.manifest", "version": 1, "memory": 5 }""");
        Assert.Equal("manifest: unknown field \"memory\"", e.Message);
    }

    [Fact]
    public void UnknownDeviceTypeIsRejected()
    {
        var e = Rejects(Doc("""{ "name": "gpu0", "type": "GPU_BASIC" }"""));
        Assert.Equal("manifest: devices[0] \"gpu0\": field \"type\": unknown device type \"GPU_BASIC\"; expected NET_BASIC, BLOCK_BASIC or PCI_BASIC", e.Message);
    }

    [Fact]
    public void MissingDeviceTypeIsRejected()
    {
        var e = Rejects(Doc("""{ "name": "x" }"""));
        Assert.Contains("devices[0] \"x\": field \"type\": is missing", e.Message);
    }

    [Fact]
    public void DuplicateNamesAreRejected()
    {
        var e = Rejects(Doc("""{ "name": "net0", "type": "NET_BASIC" }""", """{ "name": "disk", "type": "BLOCK_BASIC" }""", """{ "name": "net0", "type": "BLOCK_BASIC" }"""));
        Assert.Equal("manifest: devices[2] \"net0\": field \"name\": duplicate of devices[0]", e.Message);
    }

    [Theory]
    [InlineData("", "must not be empty")]
    [InlineData("net-0", "contains '-'; only ASCII letters and digits are allowed")]
    [InlineData("net 0", "contains ' '")]
    [InlineData("n\u00e9t", "contains '\\u00e9'")]
    public void BadNamesAreRejected(string name, string fragment)
    {
        var e = Rejects(Doc($$"""{ "name": "{{name}}", "type": "NET_BASIC" }"""));
        Assert.Contains("field \"name\": " + fragment, e.Message);
    }

    [Fact]
    public void NameLengthLimitIsSolo5s()
    {
        string ok = new('a', 67);
        Assert.Equal(ok, ManifestJson.Parse(Doc($$"""{ "name": "{{ok}}", "type": "NET_BASIC" }""")).Devices[0].Name);
        var e = Rejects(Doc($$"""{ "name": "{{ok}}b", "type": "NET_BASIC" }"""));
        Assert.Contains("field \"name\": is 68 characters long; at most 67 are allowed", e.Message);
    }

    [Fact]
    public void MissingNameIsRejected()
    {
        var e = Rejects(Doc("""{ "type": "NET_BASIC" }"""));
        Assert.Equal("manifest: devices[0]: field \"name\": is missing", e.Message);
    }

    [Fact]
    public void NullDeviceIsRejected()
    {
        var e = Rejects(Doc("null"));
        Assert.Equal("manifest: devices[0]: is null; expected an object", e.Message);
    }

    [Theory]
    [InlineData("""{ "version": 1 }""", "manifest: field \"type\": is missing; expected \"solo5.manifest\"")]
    [InlineData("""{ "type": "solo5.abi", "version": 1 }""", "manifest: field \"type\": must be \"solo5.manifest\", got \"solo5.abi\"")]
    [InlineData("""{ "type": "solo5.manifest" }""", "manifest: field \"version\": is missing; expected 1")]
    [InlineData("""{ "type": "solo5.manifest", "version": 2 }""", "manifest: field \"version\": must be 1, got 2")]
    [InlineData("""{ "type": "solo5.manifest", "version": "1" }""", "manifest: field \"version\": must be an integer")]
    [InlineData("""{ "type": "solo5.manifest", "version": 1, "devices": {} }""", "manifest: field \"devices\": must be an array of device objects")]
    [InlineData("""{ "type": "solo5.manifest", "version": 1, "dma_size": 1000 }""", "manifest: field \"dma_size\": must be a multiple of 2 MiB (2097152), got 1000")]
    [InlineData("""{ "type": "solo5.manifest", "version": 1, "dma_size": -2097152 }""", "manifest: field \"dma_size\": must not be negative, got -2097152")]
    [InlineData("""{ "type": "solo5.manifest", "version": 1, "dma_size": 1099511627776 }""", "manifest: field \"dma_size\": must be at most 2^39 (549755813888), got 1099511627776")]
    [InlineData("""{ "type": "solo5.manifest", "version": 1, "dma_size": 1e400 }""", "manifest: field \"dma_size\": must be an integer that fits 64 bits, got 1e400")]
    [InlineData("null", "manifest: the JSON document is null; expected an object")]
    [InlineData("[]", "manifest: the JSON document must be an object")]
    [InlineData("""{ "type": "solo5.manifest", "version": 1, "devices": [ 5 ] }""", "manifest: devices[0]: must be an object")]
    [InlineData("""{ "type": 7, "version": 1 }""", "manifest: field \"type\": must be a string")]
    [InlineData("""{ "type": "solo5.manifest", "version": 1, "devices": [ { "name": 5, "type": "NET_BASIC" } ] }""", "manifest: devices[0]: field \"name\": must be a string")]
    public void TopLevelProblems(string json, string message)
    {
        Assert.Equal(message, Rejects(json).Message);
    }

    [Theory]
    [InlineData("""{ "type": "solo5.manifest", "version": 1, }""")]
    [InlineData("""{ "type": "solo5.manifest", "version": 1 """)]
    [InlineData("""{ "type": "solo5.manifest", "version": 1 } trailing""")]
    [InlineData("""{ "type": "solo5.manifest", /* c */ "version": 1 }""")]
    [InlineData("")]
    public void MalformedJsonIsOneClearError(string json)
    {
        var e = Rejects(json);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void DuplicatePropertiesAreRejected()
    {
        var e = Rejects("""{ "type": "solo5.manifest", "version": 1, "version": 1 }""");
        Assert.Equal("manifest: field \"version\": appears more than once", e.Message);
        e = Rejects(Doc("""{ "name": "a", "name": "b", "type": "NET_BASIC" }"""));
        Assert.Equal("manifest: devices[0] \"b\": field \"name\": appears more than once", e.Message);
    }

    [Fact]
    public void DmaSizeAsHex()
    {
        Assert.Equal(0x4000000UL, ManifestJson.Parse("""{ "type": "solo5.manifest", "version": 1, "dma_size": "0x4000000" }""").DmaSize);
    }

    [Fact]
    public void RandomJsonMutationsOnlyEverThrowManifestFormatException()
    {
        string seed = File.ReadAllText(Examples.PathOf("pci-ixgbe.json"));
        const string alphabet = "{}[]\",:0123456789-.exabtrufnl \\x";
        var rng = new Random(4242);
        int ok = 0, bad = 0;
        for (int i = 0; i < 5000; i++)
        {
            char[] c = seed.ToCharArray();
            int edits = rng.Next(1, 4);
            for (int k = 0; k < edits; k++)
                c[rng.Next(c.Length)] = alphabet[rng.Next(alphabet.Length)];
            string text = new(c);
            if (rng.Next(8) == 0)
                text = text[..rng.Next(text.Length)];
            try
            {
                ManifestJson.Parse(text);
                ok++;
            }
            catch (ManifestFormatException e)
            {
                Assert.StartsWith("manifest: ", e.Message);
                bad++;
            }
        }
        Assert.True(ok > 50 && bad > 1000, $"ok {ok}, bad {bad}");
    }
}
