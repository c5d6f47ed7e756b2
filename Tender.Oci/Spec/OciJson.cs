using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tender.Oci.Spec;

/// <summary>Source-generated (de)serialization of the OCI documents: no reflection in the NativeAOT tender.</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(RuntimeConfig))]
[JsonSerializable(typeof(ContainerState))]
[JsonSerializable(typeof(ContainerRecord))]
[JsonSerializable(typeof(RuntimeFeatures))]
internal sealed partial class OciJsonContext : JsonSerializerContext;

public static class OciJson
{
    /// <summary>Reads a bundle's config.json; a malformed one is an <see cref="OciException"/> naming the file.</summary>
    public static RuntimeConfig ReadConfig(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OciException($"{path}: cannot read the bundle's config: {e.Message}");
        }
        try
        {
            return JsonSerializer.Deserialize(bytes, OciJsonContext.Default.RuntimeConfig)
                ?? throw new OciException($"{path}: the config is null");
        }
        catch (JsonException e)
        {
            throw new OciException($"{path}: not a valid OCI config: {e.Message}");
        }
    }

    public static string Write(ContainerState state) => JsonSerializer.Serialize(state, OciJsonContext.Default.ContainerState);
    public static string Write(RuntimeFeatures features) =>
        JsonSerializer.Serialize(features, new OciJsonContext(new JsonSerializerOptions { WriteIndented = true }).RuntimeFeatures);
    public static string Write(ContainerRecord record) => JsonSerializer.Serialize(record, OciJsonContext.Default.ContainerRecord);
    public static ContainerRecord ReadRecord(string json) =>
        JsonSerializer.Deserialize(json, OciJsonContext.Default.ContainerRecord) ?? throw new OciException("the container's record is null");
}
