namespace Tender.Oci;

/// <summary>An error in a bundle, a container's state or a runtime command, worded for the user (one line).</summary>
public sealed class OciException(string message) : Exception(message);
