using System;

namespace Guest.Stack;

/// <summary>Why a configuration argument was rejected.</summary>
public enum ConfigError
{
    None,
    /// <summary>The argument is not one of the stack's (--ipv4…); the caller may handle it.</summary>
    NotStackArgument,
    BadAddress,
    BadPrefix,
    GatewayOutsideSubnet,
    MissingAddress,
}

/// <summary>
/// Addresses and limits of one stack. All capacities are fixed at construction: the stack
/// allocates its tables and buffers once and nothing afterwards.
/// </summary>
public sealed class StackConfig
{
    public Ipv4Address Address;
    public int PrefixLength = 24;
    public Ipv4Address Gateway;          // Any = no gateway (only the local subnet is reachable)

    // Limits (sizes in bytes, times in nanoseconds).
    public int MaxTcpConnections = 32;
    public int MaxTcpListeners = 8;
    public int TcpSendBufferSize = 64 * 1024;
    public int TcpReceiveBufferSize = 64 * 1024;
    public int TcpMaxBacklog = 64;             // accept-queue capacity per listener
    public int TcpHalfOpenPerListener = 16;   // beyond this a listener answers SYNs with SYN cookies
    // Out-of-order ranges held per connection. Each segment that would need one more is dropped and
    // must be sent again: with 4, a 1 MiB window on a wire losing and reordering 5% of its frames had
    // the peer resend a third of the stream (the lossy-wire soak, tests/Guest.Tests/BulkTcpTests).
    public int TcpOutOfOrderRanges = 32;
    public ulong TcpInitialRto = 1_000_000_000;        // RFC 6298 (2.1): 1 s
    public ulong TcpMinRto = 200_000_000;              // Below RFC 6298's 1 s minimum, as Linux does
    public ulong TcpMaxRto = 60_000_000_000;
    public int TcpMaxRetransmits = 12;
    public int TcpMaxSynRetransmits = 5;
    public ulong TcpDelayedAck = 40_000_000;
    public ulong TcpTimeWait = 60_000_000_000;         // 2·MSL with MSL = 30 s
    public int TcpChallengeAcksPerSecond = 100;        // RFC 5961 section 7
    // Keep-alive (RFC 9293 3.8.4): off by default (0). With a fixed connection table a server
    // may want it on, so peers that vanish without FIN or RST do not hold slots for ever.
    public ulong TcpKeepAliveIdle = 0;
    public ulong TcpKeepAliveInterval = 75_000_000_000;
    public int TcpKeepAliveProbes = 9;
    public int MaxUdpSockets = 16;
    public int UdpQueuePerSocket = 32;
    public int ArpCacheSize = 32;
    public ulong ArpEntryLifetime = 60_000_000_000;
    public ulong ArpRetryInterval = 1_000_000_000;
    public int ArpRetries = 3;
    public int ArpQueueSize = 16;                      // packets waiting for resolution, all destinations
    public int IcmpUnreachableBurst = 10;
    public ulong IcmpUnreachableInterval = 100_000_000; // one token per 100 ms
    public int RxBatchSize = 32;
    public int TxQueueSize = 128;
    public ulong Seed = 0x5EED;                        // ISNs, ports, SYN-cookie secret: pass real entropy

    public uint Netmask => PrefixLength == 0 ? 0u : 0xFFFFFFFFu << (32 - PrefixLength);

    public bool IsOnLink(Ipv4Address a) => ((a.Value ^ Address.Value) & Netmask) == 0;

    /// <summary>
    /// Applies one argument: "--ipv4=A.B.C.D/N" or "--ipv4-gateway=A.B.C.D". Any other text gives
    /// <see cref="ConfigError.NotStackArgument"/> so a guest can share its command line.
    /// </summary>
    public ConfigError ApplyArgument(ReadOnlySpan<char> arg)
    {
        if (StartsWith(arg, "--ipv4-gateway="))
        {
            if (!Ipv4Address.TryParse(arg.Slice(15), out var gw)) return ConfigError.BadAddress;
            Gateway = gw;
            return ConfigError.None;
        }
        if (StartsWith(arg, "--ipv4="))
        {
            var v = arg.Slice(7);
            int slash = -1;
            for (int i = 0; i < v.Length; i++) if (v[i] == '/') { slash = i; break; }
            var addrText = slash < 0 ? v : v.Slice(0, slash);
            if (!Ipv4Address.TryParse(addrText, out var a) || a.IsAny || a.IsBroadcast || a.IsMulticast)
                return ConfigError.BadAddress;
            int prefix = 24;
            if (slash >= 0)
            {
                var p = v.Slice(slash + 1);
                if (p.Length == 0 || p.Length > 2) return ConfigError.BadPrefix;
                prefix = 0;
                for (int i = 0; i < p.Length; i++)
                {
                    if (p[i] < '0' || p[i] > '9') return ConfigError.BadPrefix;
                    prefix = prefix * 10 + (p[i] - '0');
                }
                if (prefix < 1 || prefix > 32) return ConfigError.BadPrefix;
            }
            Address = a; PrefixLength = prefix;
            return ConfigError.None;
        }
        return ConfigError.NotStackArgument;
    }

    /// <summary>
    /// Applies every stack argument in a space-separated command line, ignoring others; then checks
    /// that an address was given and the gateway is on-link. Returns the first error.
    /// </summary>
    public ConfigError ApplyCommandLine(ReadOnlySpan<char> cmdline)
    {
        int i = 0;
        while (i < cmdline.Length)
        {
            while (i < cmdline.Length && cmdline[i] == ' ') i++;
            int start = i;
            while (i < cmdline.Length && cmdline[i] != ' ') i++;
            if (i > start)
            {
                var e = ApplyArgument(cmdline.Slice(start, i - start));
                if (e != ConfigError.None && e != ConfigError.NotStackArgument) return e;
            }
        }
        return Validate();
    }

    public ConfigError Validate()
    {
        if (Address.IsAny) return ConfigError.MissingAddress;
        if (!Gateway.IsAny && !IsOnLink(Gateway)) return ConfigError.GatewayOutsideSubnet;
        return ConfigError.None;
    }

    private static bool StartsWith(ReadOnlySpan<char> s, string prefix)
    {
        if (s.Length < prefix.Length) return false;
        for (int i = 0; i < prefix.Length; i++) if (s[i] != prefix[i]) return false;
        return true;
    }
}
