namespace Guest.Ixgbe;

/// <summary>How one port is set up.</summary>
public struct IxgbeConfig
{
    /// <summary>Receive descriptors (a power of two, 8..4096). ixy uses 512.</summary>
    public int RxRingSize;
    /// <summary>Transmit descriptors (a power of two, 8..4096).</summary>
    public int TxRingSize;
    /// <summary>Accept every unicast and multicast frame (FCTRL.UPE/MPE), as a forwarder needs.</summary>
    public bool Promiscuous;
    /// <summary>How long <see cref="IxgbeDriver{TRegs,TBuffers}.Initialize"/> waits for link-up (ixy: 10 s).</summary>
    public ulong LinkTimeoutNanoseconds;
    /// <summary>Transmit descriptors reclaimed per DD check (ixy: 32).</summary>
    public int TxCleanBatch;

    public static IxgbeConfig Default => new IxgbeConfig
    {
        RxRingSize = 512,
        TxRingSize = 512,
        Promiscuous = false,
        LinkTimeoutNanoseconds = 10_000_000_000UL,
        TxCleanBatch = 32,
    };
}

/// <summary>Outcome of initialisation; everything but <see cref="Ok"/> and <see cref="LinkDown"/> leaves the port unusable.</summary>
public enum IxgbeInitResult
{
    Ok = 0,
    /// <summary>Initialised, but the link did not come up within the timeout (no cable, no partner). Frames can be queued; none flow.</summary>
    LinkDown,
    /// <summary>CTRL.RST did not clear after the global reset.</summary>
    ResetTimeout,
    /// <summary>EEC.ARD (EEPROM auto-read done) did not come on.</summary>
    EepromTimeout,
    /// <summary>RDRXCTL.DMAIDONE (DMA initialisation done) did not come on.</summary>
    DmaInitTimeout,
    /// <summary>RXDCTL.ENABLE did not read back as set: the device refused the receive ring.</summary>
    RxQueueTimeout,
    /// <summary>TXDCTL.ENABLE did not read back as set: the device refused the transmit ring.</summary>
    TxQueueTimeout,
    /// <summary>The buffer source could not fill the receive ring.</summary>
    OutOfBuffers,
}

/// <summary>Counters accumulated from the device's clear-on-read statistics registers, plus the driver's own.</summary>
public struct IxgbeStats
{
    /// <summary>Good packets received (GPRC).</summary>
    public ulong RxPackets;
    /// <summary>Good packets transmitted (GPTC).</summary>
    public ulong TxPackets;
    /// <summary>Good octets received, FCS included (GORC).</summary>
    public ulong RxBytes;
    /// <summary>Good octets transmitted, FCS included (GOTC).</summary>
    public ulong TxBytes;
    /// <summary>Frames the device missed for lack of receive descriptors (MPC[0]: the only packet buffer in use).</summary>
    public ulong RxMissed;
    /// <summary>Received frames the driver dropped: spanning buffers, or flagged with errors (driver count).</summary>
    public ulong RxDropped;
}
