using Tender.Oci.Spec;

namespace Tender.Oci.Lifecycle;

/// <summary>
/// The one place the runtime calls container networking (Tender.Oci.Networking's
/// ContainerNetworking.Attach/Detach, built on branch s3-ocinet). Until that library is merged,
/// <see cref="Attach"/> attaches nothing, so a container with a network namespace runs without a
/// network device, as one without; after the merge these two methods forward to it and map its
/// ContainerNetwork onto <see cref="AttachedNetwork"/>.
/// </summary>
public static class ContainerNetworkSeam
{
    public static bool Available => false;

    /// <summary>null: the namespace has no interface to share, or networking is not built in.</summary>
    public static AttachedNetwork? Attach(string networkNamespace, string containerId) => null;

    public static void Detach(string networkNamespace, AttachedNetwork network)
    {
    }
}
