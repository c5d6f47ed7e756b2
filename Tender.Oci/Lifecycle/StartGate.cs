using System.Net.Sockets;

namespace Tender.Oci.Lifecycle;

/// <summary>
/// How `create` leaves the container's process waiting and `start` lets it go (runc does this
/// with exec.fifo): the process listens on a Unix socket in the state directory and blocks in
/// accept; `start` connects, and the process goes on to boot the guest. A socket rather than a
/// FIFO because `start` on a process that has died gets "connection refused" at once instead of
/// blocking forever in open(2).
/// </summary>
public sealed class StartGate : IDisposable
{
    private readonly Socket _listener;
    private readonly string _path;

    private StartGate(Socket listener, string path)
    {
        _listener = listener;
        _path = path;
    }

    /// <summary>The container's side: binds the socket (its existence tells `create` the process is ready).</summary>
    public static StartGate Open(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            string temporary = path + ".binding";
            File.Delete(temporary);
            socket.Bind(new UnixDomainSocketEndPoint(temporary));
            socket.Listen(1);
            // Renamed into place only once listening: `create` waits for the name, `start` may connect at once.
            File.Move(temporary, path, overwrite: true);
            return new StartGate(socket, path);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Blocks until `start` connects.</summary>
    public void WaitForStart()
    {
        using var connection = _listener.Accept();
        connection.Send([1]);
        // `start` removes the socket's name once it has heard back, so `state` says running.
    }

    /// <summary>`start`'s side: opens the gate and waits for the container's process to answer.</summary>
    public static void Release(string path, string id)
    {
        if (!File.Exists(path)) throw new OciException($"container {id} is not in the created state (already started)");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            var answer = new byte[1];
            socket.ReceiveTimeout = 10_000;
            if (socket.Receive(answer) != 1) throw new OciException($"container {id}: its process closed the start gate without starting");
        }
        catch (SocketException e)
        {
            throw new OciException($"container {id}: its process is not waiting to start ({e.SocketErrorCode})");
        }
        finally
        {
            File.Delete(path);
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
    }
}
