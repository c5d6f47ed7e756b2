namespace Tender.Pci.Vfio;

/// <summary>
/// A host PCI device cannot be given to the guest: it is missing, bound to the wrong driver,
/// shares its IOMMU group with a device in use, does not match the manifest, or a VFIO call
/// failed. The message says which device and what is wrong, for the tender to print as is.
/// </summary>
public sealed class VfioException : Exception
{
    public VfioException(string message) : base(message) { }
    public VfioException(string message, Exception inner) : base(message, inner) { }
}
