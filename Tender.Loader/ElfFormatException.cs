namespace Tender.Loader;

/// <summary>
/// The guest ELF cannot be run: the message names the one thing that is wrong (and, where it helps,
/// the program header, the values found and the values allowed). The tender prints it and exits 1.
/// </summary>
public sealed class ElfFormatException : Exception
{
    public ElfFormatException(string message) : base(message) { }
}
