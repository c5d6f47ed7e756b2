namespace Tender.Manifest;

/// <summary>
/// A manifest (JSON or Solo5 binary) is invalid. The message starts with "manifest:" and names the
/// device (index and name) and the field that is wrong, and why.
/// </summary>
public sealed class ManifestFormatException : Exception
{
    public ManifestFormatException(string message) : base(message) { }
    public ManifestFormatException(string message, Exception inner) : base(message, inner) { }
}
