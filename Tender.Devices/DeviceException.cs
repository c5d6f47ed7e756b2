namespace Tender.Devices;

/// <summary>
/// A device cannot be set up as asked (bad path, size, option, interface): the message names
/// the device, the value and what is wrong, ready to show to the user.
/// </summary>
public sealed class DeviceException : Exception
{
    public DeviceException(string message) : base(message) { }
    public DeviceException(string message, Exception inner) : base(message, inner) { }
}
