namespace Tender.Devices;

/// <summary>
/// The result of one device operation, with Solo5's numbering (solo5_result_t) so the tender
/// can store it in a hypercall's <c>ret</c> field unchanged.
/// </summary>
public enum DeviceResult
{
    /// <summary>SOLO5_R_OK.</summary>
    Ok = 0,
    /// <summary>SOLO5_R_AGAIN: nothing to read now (or the host cannot take the frame now).</summary>
    Again = 1,
    /// <summary>SOLO5_R_EINVAL: the request itself is wrong (range, alignment, size).</summary>
    InvalidArgument = 2,
    /// <summary>SOLO5_R_EUNSPEC: the host failed (I/O error, backing file shrank, …).</summary>
    Unspecified = 3,
}
