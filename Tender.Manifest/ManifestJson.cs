using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tender.Manifest;

/// <summary>
/// The JSON form of a manifest (thesis figure 3.7):
/// <code>
/// { "type": "solo5.manifest", "version": 1, "dma_size": 16777216,
///   "devices": [ { "name": "pci0", "type": "PCI_BASIC", "class": 2, "subclass": 0, "progif": 0,
///                  "vendor": 32902, "device_id": 4347, "bus_master_enable": true,
///                  "map_bar0": true, …, "map_bar5": false },
///                { "name": "service0", "type": "NET_BASIC" } ] }
/// </code>
/// Integer fields also accept a hex string ("0x8086"). Unknown fields, fields that do not belong to
/// the device's type, unknown types, duplicate names and out-of-range values are rejected with the
/// device and the field named.
/// </summary>
public static class ManifestJson
{
    /// <summary>Parses and validates JSON text.</summary>
    public static AppManifest Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        ManifestDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize(json, ManifestJsonContext.Default.ManifestDto);
        }
        catch (JsonException e)
        {
            throw new ManifestFormatException(Describe(e, json), e);
        }
        if (dto is null)
            throw new ManifestFormatException("manifest: the JSON document is null; expected an object");
        return FromDto(dto);
    }

    /// <summary>Writes <paramref name="manifest"/> as JSON in the thesis' form (decimal numbers).</summary>
    public static string Serialize(AppManifest manifest)
    {
        ManifestLimits.Validate(manifest);
        var dto = new ManifestDto
        {
            Type = ManifestLimits.JsonType,
            Version = manifest.Version,
            DmaSize = manifest.DmaSize is { } d ? (long)d : null,
            Devices = manifest.Devices.Select(ToDto).ToList<DeviceDto?>(),
        };
        return JsonSerializer.Serialize(dto, ManifestJsonContext.Default.ManifestDto);
    }

    private static DeviceDto ToDto(Device d)
    {
        var dto = new DeviceDto { Name = d.Name, Type = d.TypeName };
        if (d is PciBasicDevice p)
        {
            dto.Class = p.ClassCode;
            dto.Subclass = p.Subclass;
            dto.ProgIf = p.ProgIf;
            dto.Vendor = p.VendorId;
            dto.DeviceId = p.DeviceId;
            dto.BusMasterEnable = p.BusMasterEnable;
            dto.MapBar0 = p.MapsBar(0);
            dto.MapBar1 = p.MapsBar(1);
            dto.MapBar2 = p.MapsBar(2);
            dto.MapBar3 = p.MapsBar(3);
            dto.MapBar4 = p.MapsBar(4);
            dto.MapBar5 = p.MapsBar(5);
        }
        return dto;
    }

    private static AppManifest FromDto(ManifestDto dto)
    {
        if (dto.Type is null)
            throw new ManifestFormatException("manifest: field \"type\": is missing; expected \"solo5.manifest\"");
        if (dto.Type != ManifestLimits.JsonType)
            throw new ManifestFormatException($"manifest: field \"type\": must be \"{ManifestLimits.JsonType}\", got \"{ManifestLimits.Printable(dto.Type)}\"");
        if (dto.Version is null)
            throw new ManifestFormatException($"manifest: field \"version\": is missing; expected {ManifestLimits.Version}");
        if (dto.Version != ManifestLimits.Version)
            throw new ManifestFormatException($"manifest: field \"version\": must be {ManifestLimits.Version}, got {dto.Version}");
        ulong? dma = null;
        if (dto.DmaSize is { } rawDma)
        {
            if (rawDma < 0)
                throw new ManifestFormatException($"manifest: field \"dma_size\": must not be negative, got {rawDma}");
            if (ManifestLimits.CheckDmaSize((ulong)rawDma) is { } dmaError)
                throw new ManifestFormatException($"manifest: field \"dma_size\": {dmaError}");
            dma = (ulong)rawDma;
        }
        List<DeviceDto?> list = dto.Devices ?? new List<DeviceDto?>();
        if (list.Count > ManifestLimits.MaxDevices)
            throw new ManifestFormatException($"manifest: field \"devices\": {list.Count} devices; at most {ManifestLimits.MaxDevices} are allowed");

        var devices = new Device[list.Count];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < list.Count; i++)
        {
            DeviceDto d = list[i] ?? throw new ManifestFormatException($"manifest: devices[{i}]: is null; expected an object");
            string label = ManifestLimits.DeviceLabel(i, d.Name);
            if (d.Name is null)
                throw new ManifestFormatException($"manifest: {label}: field \"name\": is missing");
            if (ManifestLimits.CheckName(d.Name) is { } nameError)
                throw new ManifestFormatException($"manifest: {label}: field \"name\": {nameError}");
            if (seen.TryGetValue(d.Name, out int first))
                throw new ManifestFormatException($"manifest: {label}: field \"name\": duplicate of devices[{first}]");
            seen.Add(d.Name, i);
            if (d.Type is null)
                throw new ManifestFormatException($"manifest: {label}: field \"type\": is missing; expected NET_BASIC, BLOCK_BASIC or PCI_BASIC");
            devices[i] = d.Type switch
            {
                "NET_BASIC" => NoPciFields(d, label, "NET_BASIC", new NetBasicDevice(d.Name)),
                "BLOCK_BASIC" => NoPciFields(d, label, "BLOCK_BASIC", new BlockBasicDevice(d.Name)),
                "PCI_BASIC" => Pci(d, label),
                _ => throw new ManifestFormatException(
                    $"manifest: {label}: field \"type\": unknown device type \"{ManifestLimits.Printable(d.Type)}\"; expected NET_BASIC, BLOCK_BASIC or PCI_BASIC"),
            };
        }
        return new AppManifest(ManifestLimits.Version, dma, devices);
    }

    private static Device NoPciFields(DeviceDto d, string label, string type, Device device)
    {
        foreach ((string field, bool present) in PciFieldPresence(d))
        {
            if (present)
                throw new ManifestFormatException($"manifest: {label}: field \"{field}\": not allowed for a {type} device (only PCI_BASIC has it)");
        }
        return device;
    }

    private static IEnumerable<(string, bool)> PciFieldPresence(DeviceDto d)
    {
        yield return ("class", d.Class is not null);
        yield return ("subclass", d.Subclass is not null);
        yield return ("progif", d.ProgIf is not null);
        yield return ("vendor", d.Vendor is not null);
        yield return ("device_id", d.DeviceId is not null);
        yield return ("bus_master_enable", d.BusMasterEnable is not null);
        yield return ("map_bar0", d.MapBar0 is not null);
        yield return ("map_bar1", d.MapBar1 is not null);
        yield return ("map_bar2", d.MapBar2 is not null);
        yield return ("map_bar3", d.MapBar3 is not null);
        yield return ("map_bar4", d.MapBar4 is not null);
        yield return ("map_bar5", d.MapBar5 is not null);
    }

    private static PciBasicDevice Pci(DeviceDto d, string label)
    {
        byte cls = (byte)Required(d.Class, label, "class", 0xFF);
        byte sub = (byte)Required(d.Subclass, label, "subclass", 0xFF);
        byte progif = (byte)Required(d.ProgIf, label, "progif", 0xFF);
        ushort vendor = (ushort)Required(d.Vendor, label, "vendor", 0xFFFF);
        ushort device = (ushort)Required(d.DeviceId, label, "device_id", 0xFFFF);
        // The booleans default to false: a device that masters no bus and maps no BAR is still a
        // valid (if useless) request, and the thesis' examples spell all of them out anyway.
        byte mask = PciBasicDevice.MaskOf(
            d.MapBar0 ?? false, d.MapBar1 ?? false, d.MapBar2 ?? false,
            d.MapBar3 ?? false, d.MapBar4 ?? false, d.MapBar5 ?? false);
        return new PciBasicDevice(d.Name!, cls, sub, progif, vendor, device, d.BusMasterEnable ?? false, mask);
    }

    private static long Required(long? value, string label, string field, long max)
    {
        if (value is null)
            throw new ManifestFormatException($"manifest: {label}: field \"{field}\": is missing (required for PCI_BASIC)");
        if (value < 0 || value > max)
            throw new ManifestFormatException($"manifest: {label}: field \"{field}\": must be 0..0x{max:X}, got {value}");
        return value.Value;
    }

    /// <summary>Turns a System.Text.Json error into one line naming the device and the field.</summary>
    private static string Describe(JsonException e, string json)
    {
        string? path = e.Path;
        string detail = e.InnerException is ManifestValueException v ? v.Message : e.Message;
        // An unmapped property: the serializer names it in the message ("The JSON property 'x' could not be mapped…").
        string? unknown = null;
        const string marker = "The JSON property '";
        int at = e.Message.IndexOf(marker, StringComparison.Ordinal);
        if (at >= 0)
        {
            int end = e.Message.IndexOf('\'', at + marker.Length);
            if (end > at)
                unknown = e.Message.Substring(at + marker.Length, end - at - marker.Length);
        }
        string where = DescribePath(path, json, out string? field);
        if (e.Message.StartsWith("Duplicate propert", StringComparison.Ordinal))
            return $"manifest: {where}{(field is null ? "" : $"field \"{field}\": ")}appears more than once";
        bool wrongKind = e.Message.Contains("could not be converted", StringComparison.Ordinal);
        if (wrongKind && (path is null || path == "$"))
            return "manifest: the JSON document must be an object";
        if (wrongKind && field is null && where.Length > 0)
            return $"manifest: {where}must be an object";
        if (unknown is not null)
            return $"manifest: {where}unknown field \"{ManifestLimits.Printable(unknown)}\"";
        if (e.InnerException is ManifestValueException)
            return $"manifest: {where}{(field is null ? "" : $"field \"{field}\": ")}{detail}";
        if (field is not null && ExpectedKind(field) is { } kind)
            return $"manifest: {where}field \"{field}\": must be {kind}";
        string line = e.LineNumber is { } l ? $" (line {l + 1})" : "";
        string reason = e.Message;
        int pathAt = reason.IndexOf(" Path:", StringComparison.Ordinal);
        if (pathAt > 0)
            reason = reason[..pathAt];
        // The reader's advice is for programmers, not for someone writing a manifest.
        reason = reason.Replace(" Change the reader options.", "", StringComparison.Ordinal);
        return $"manifest: {where}{(field is null ? "" : $"field \"{field}\": ")}invalid JSON{line}: {reason}";
    }

    private static string? ExpectedKind(string field) => field switch
    {
        "type" or "name" => "a string",
        "version" => "an integer",
        "devices" => "an array of device objects",
        "bus_master_enable" or "map_bar0" or "map_bar1" or "map_bar2" or "map_bar3" or "map_bar4" or "map_bar5" => "true or false",
        "dma_size" or "class" or "subclass" or "progif" or "vendor" or "device_id" => "an integer (or a hex string like \"0x8086\")",
        _ => null,
    };

    /// <summary>"$.devices[2].vendor" → "devices[2] \"nic1\": " and field "vendor".</summary>
    private static string DescribePath(string? path, string json, out string? field)
    {
        field = null;
        if (string.IsNullOrEmpty(path) || path == "$")
            return "";
        string p = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        if (p.StartsWith("devices[", StringComparison.Ordinal))
        {
            int close = p.IndexOf(']');
            if (close > 0 && int.TryParse(p.AsSpan(8, close - 8), NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                string rest = p[(close + 1)..].TrimStart('.');
                field = rest.Length == 0 ? null : rest;
                return ManifestLimits.DeviceLabel(index, TryFindName(json, index)) + ": ";
            }
        }
        field = p;
        return "";
    }

    /// <summary>Best effort: the name of devices[index] in a document that failed to deserialize.</summary>
    private static string? TryFindName(string json, int index)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("devices", out JsonElement devs)
                && devs.ValueKind == JsonValueKind.Array
                && index < devs.GetArrayLength()
                && devs[index].ValueKind == JsonValueKind.Object
                && devs[index].TryGetProperty("name", out JsonElement name)
                && name.ValueKind == JsonValueKind.String)
                return name.GetString();
        }
        catch (JsonException)
        {
        }
        return null;
    }
}

/// <summary>A value of the right JSON kind but unusable (e.g. a bad hex string); carries the reason.</summary>
internal sealed class ManifestValueException : Exception
{
    public ManifestValueException(string message) : base(message) { }
}

/// <summary>
/// Reads an integer field given as a JSON number or as a hex string "0x…" (PCI ids are usually
/// written in hex). Range checks happen later, where the field's limits are known.
/// </summary>
internal sealed class IntegerOrHexConverter : JsonConverter<long?>
{
    public override bool HandleNull => true;

    public override long? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out long v))
                    return v;
                throw new JsonException(null, new ManifestValueException(
                    $"must be an integer that fits 64 bits, got {System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray())}"));
            case JsonTokenType.String:
                string s = reader.GetString() ?? "";
                if ((s.StartsWith("0x", StringComparison.Ordinal) || s.StartsWith("0X", StringComparison.Ordinal))
                    && s.Length > 2 && s.Length <= 18
                    && ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong h))
                {
                    if (h > long.MaxValue)
                        throw new JsonException(null, new ManifestValueException($"must fit 63 bits, got \"{ManifestLimits.Printable(s)}\""));
                    return (long)h;
                }
                throw new JsonException(null, new ManifestValueException(
                    $"must be an integer or a hex string like \"0x8086\", got \"{ManifestLimits.Printable(s)}\""));
            case JsonTokenType.Null:
                throw new JsonException(null, new ManifestValueException("must be an integer, got null"));
            default:
                throw new JsonException(null, new ManifestValueException($"must be an integer (or a hex string like \"0x8086\"), got {Describe(reader.TokenType)}"));
        }
    }

    private static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        _ => t.ToString(),
    };

    public override void Write(Utf8JsonWriter writer, long? value, JsonSerializerOptions options)
    {
        if (value is { } v)
            writer.WriteNumberValue(v);
        else
            writer.WriteNullValue();
    }
}

internal sealed class ManifestDto
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("version")] public int? Version { get; set; }
    [JsonPropertyName("dma_size"), JsonConverter(typeof(IntegerOrHexConverter))] public long? DmaSize { get; set; }
    [JsonPropertyName("devices")] public List<DeviceDto?>? Devices { get; set; }
}

internal sealed class DeviceDto
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("class"), JsonConverter(typeof(IntegerOrHexConverter))] public long? Class { get; set; }
    [JsonPropertyName("subclass"), JsonConverter(typeof(IntegerOrHexConverter))] public long? Subclass { get; set; }
    [JsonPropertyName("progif"), JsonConverter(typeof(IntegerOrHexConverter))] public long? ProgIf { get; set; }
    [JsonPropertyName("vendor"), JsonConverter(typeof(IntegerOrHexConverter))] public long? Vendor { get; set; }
    [JsonPropertyName("device_id"), JsonConverter(typeof(IntegerOrHexConverter))] public long? DeviceId { get; set; }
    [JsonPropertyName("bus_master_enable")] public bool? BusMasterEnable { get; set; }
    [JsonPropertyName("map_bar0")] public bool? MapBar0 { get; set; }
    [JsonPropertyName("map_bar1")] public bool? MapBar1 { get; set; }
    [JsonPropertyName("map_bar2")] public bool? MapBar2 { get; set; }
    [JsonPropertyName("map_bar3")] public bool? MapBar3 { get; set; }
    [JsonPropertyName("map_bar4")] public bool? MapBar4 { get; set; }
    [JsonPropertyName("map_bar5")] public bool? MapBar5 { get; set; }
}

[JsonSourceGenerationOptions(
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true,
    PropertyNameCaseInsensitive = false,
    ReadCommentHandling = JsonCommentHandling.Disallow,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(ManifestDto))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext
{
}
