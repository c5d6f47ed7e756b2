using System.Text.Json;

namespace Tender.Oci.Lifecycle;

/// <summary>
/// runc's --log and --log-format: containerd's runc shim reads the log file after a failed
/// command and shows the last "error" entry's msg (json: one object per line with level, msg and
/// time), so errors go there as well as to stderr.
/// </summary>
public sealed class RuntimeLog(string? path, bool json)
{
    public void Error(string message) => Write("error", message);
    public void Warning(string message) => Write("warning", message);
    public void Info(string message) => Write("info", message);

    private void Write(string level, string message)
    {
        if (path is null) return;
        // RFC 3339 with "Z": Go's time parser (containerd reads this file) takes no other offset spelling here.
        string time = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
        string line;
        if (json)
        {
            var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                writer.WriteStartObject();
                writer.WriteString("level", level);
                writer.WriteString("msg", message);
                writer.WriteString("time", time);
                writer.WriteEndObject();
            }
            line = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        }
        else
        {
            line = $"time=\"{time}\" level={level} msg=\"{message.Replace("\"", "\\\"")}\"";
        }
        try
        {
            File.AppendAllText(path, line + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The log is a copy of what goes to stderr; not being able to write it is not an error of its own.
        }
    }
}
