using System.Net;
using System.Net.Sockets;

namespace Tender.Gdb;

/// <summary>
/// The listening side: one TCP client on the given endpoint. The tender passes 127.0.0.1 unless the
/// user named another address: a gdb stub reads and writes the guest, so it is never exposed by default.
/// </summary>
public static class GdbServer
{
    /// <summary>The default port, as solo5-hvt's --gdb-port.</summary>
    public const int DefaultPort = 1234;

    /// <summary>Listens on <paramref name="endpoint"/>, accepts one client, stops listening.</summary>
    public static Stream AcceptOne(IPEndPoint endpoint, out Socket socket)
    {
        using var listener = Listen(endpoint);
        return Accept(listener, out socket);
    }

    /// <summary>A listening socket (port 0: the system picks one, see LocalEndPoint), for a caller that must know the port before it blocks.</summary>
    public static Socket Listen(IPEndPoint endpoint)
    {
        var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // No ReuseAddress: .NET turns it into SO_REUSEPORT as well on Linux, which would let another
            // process of the same user bind the port too and take the debugger's connection.
            listener.Bind(endpoint);
            listener.Listen(1);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Accepts one client on <paramref name="listener"/>: a stream that owns the connected socket.</summary>
    public static Stream Accept(Socket listener, out Socket socket)
    {
        socket = listener.Accept();
        // Packets are small and each waits for an answer: no Nagle delay.
        socket.NoDelay = true;
        return new NetworkStream(socket, ownsSocket: true);
    }
}
