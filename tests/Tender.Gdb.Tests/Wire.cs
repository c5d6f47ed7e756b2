using System.Net;
using System.Net.Sockets;
using System.Text;
using Tender.Gdb;

namespace Tender.Gdb.Tests;

/// <summary>A connected loopback TCP pair: the session's end and a raw client end with bounded reads.</summary>
internal sealed class Wire : IDisposable
{
    public readonly Stream Server;
    public readonly NetworkStream Client;
    private readonly Socket clientSocket;

    public Wire()
    {
        using var listener = GdbServer.Listen(new IPEndPoint(IPAddress.Loopback, 0));
        clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        clientSocket.Connect((IPEndPoint)listener.LocalEndPoint!);
        Server = GdbServer.Accept(listener, out _);
        Client = new NetworkStream(clientSocket, ownsSocket: true) { ReadTimeout = 10_000 };
    }

    public void SendRaw(string text) => SendRaw(Encoding.Latin1.GetBytes(text));

    public void SendRaw(byte[] bytes)
    {
        Client.Write(bytes);
        Client.Flush();
    }

    public static string Frame(string payload)
    {
        byte sum = 0;
        foreach (char c in payload) sum += (byte)c;
        return $"${payload}#{sum:x2}";
    }

    public void Send(string payload) => SendRaw(Frame(payload));

    public int ReadByte()
    {
        int b = Client.ReadByte();
        if (b < 0) throw new EndOfStreamException("the session closed the connection");
        return b;
    }

    /// <summary>The next packet's payload, checksum verified; acks (and anything else) before the '$' are returned in <paramref name="before"/>.</summary>
    public string Receive(out string before, bool ack = true)
    {
        var skipped = new StringBuilder();
        int b;
        while ((b = ReadByte()) != '$') skipped.Append((char)b);
        before = skipped.ToString();
        var payload = new StringBuilder();
        byte sum = 0;
        while ((b = ReadByte()) != '#')
        {
            payload.Append((char)b);
            sum += (byte)b;
        }
        string checksum = $"{(char)ReadByte()}{(char)ReadByte()}";
        Assert.Equal($"{sum:x2}", checksum);
        if (ack) SendRaw("+");
        return payload.ToString();
    }

    public string Receive() => Receive(out _);

    /// <summary>Sends a packet and returns the reply, checking that the packet was acked.</summary>
    public string Ask(string payload)
    {
        Send(payload);
        string reply = Receive(out string before);
        Assert.Equal("+", before);
        return reply;
    }

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}
