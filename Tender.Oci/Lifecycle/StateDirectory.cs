using Tender.Oci.Spec;

namespace Tender.Oci.Lifecycle;

/// <summary>
/// A container's directory under the runtime's root (--root): its record (state.json) and the
/// start gate's socket. The id names a directory, so it is checked first as runc checks it:
/// letters, digits and <c>_ + - .</c>, not "." or "..", so no id reaches outside the root.
/// </summary>
public sealed class StateDirectory
{
    public const string DefaultRoot = "/run/tender-oci";
    private const string RecordFile = "state.json";
    private const string GateFile = "start.sock";

    public string Id { get; }
    public string Path { get; }
    public string RecordPath => System.IO.Path.Combine(Path, RecordFile);
    /// <summary>The socket the init listens on until `start` (runc's exec.fifo plays this part).</summary>
    public string GatePath => System.IO.Path.Combine(Path, GateFile);

    public StateDirectory(string root, string id)
    {
        CheckId(id);
        Id = id;
        Path = System.IO.Path.Combine(System.IO.Path.GetFullPath(root), id);
    }

    public static void CheckId(string id)
    {
        if (id.Length is 0 or > 1024 || id is "." or ".." || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '-' or '.'))
            throw new OciException($"container id \"{id}\": expected letters, digits, '_', '+', '-' or '.' (1 to 1024 characters)");
    }

    public bool Exists => File.Exists(RecordPath);

    /// <summary>Makes the directory for a new container; an existing one is an error (ids are unique).</summary>
    public void CreateNew()
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        if (Directory.Exists(Path)) throw new OciException($"container {Id} already exists");
        Directory.CreateDirectory(Path);
    }

    public ContainerRecord Read()
    {
        string json;
        try
        {
            json = File.ReadAllText(RecordPath);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new OciException($"container {Id} does not exist");
        }
        try
        {
            return OciJson.ReadRecord(json);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new OciException($"container {Id}: its state file {RecordPath} is damaged: {e.Message}");
        }
    }

    /// <summary>Writes the record whole or not at all (a reader never sees half of it).</summary>
    public void Write(ContainerRecord record)
    {
        string temporary = RecordPath + ".new";
        File.WriteAllText(temporary, OciJson.Write(record));
        File.Move(temporary, RecordPath, overwrite: true);
    }

    public void Remove()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
