using System;
using Guest.Stack;
using GuestBindings;

// An HTTP service on Guest.Stack: every request gets the same small page, then the connection
// closes. Arguments: --ipv4=A.B.C.D/N [--ipv4-gateway=A.B.C.D] [--port=N] (default 80).
static class Program
{
    static int Main()
    {
        ulong port = GuestArguments.NumberOption("port", 80);
        NetApp? app = NetApp.Open("TenderApp");
        if (app is null) return 2;
        NetStack<HvtNic> stack = app.Stack;
        if (port is 0 or > 65535 || stack.Listen((ushort)port, 16, out ListenerHandle listener) != NetError.Ok)
        {
            GuestConsole.WriteLine("TenderApp: cannot listen on port " + port.ToString());
            return 2;
        }
        GuestConsole.WriteLine("TenderApp: listening on port " + port.ToString());

        const string Body = "hello from a C# unikernel\n";
        byte[] response = Ascii("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
            + Body.Length.ToString() + "\r\nConnection: close\r\n\r\n" + Body);
        byte[] buffer = new byte[4096];
        var connections = new TcpHandle[16];
        var received = new int[16];
        var open = new bool[16];
        while (true)
        {
            app.Poll();
            for (int i = 0; i < open.Length; i++)
                if (!open[i] && stack.TryAccept(listener, out connections[i])) { open[i] = true; received[i] = 0; }
            for (int i = 0; i < open.Length; i++)
            {
                if (!open[i]) continue;
                int n = stack.Read(connections[i], buffer);
                if (n > 0 && EndsRequest(buffer, n, ref received[i]))
                {
                    stack.Write(connections[i], response);
                    stack.Close(connections[i]);
                    open[i] = false;
                }
                else if (n < 0)
                {
                    stack.Close(connections[i]);
                    open[i] = false;
                }
            }
            app.Wait();
        }
    }

    private static byte[] Ascii(string text)
    {
        var bytes = new byte[text.Length];
        for (int i = 0; i < text.Length; i++) bytes[i] = (byte)text[i];
        return bytes;
    }

    /// <summary>Follows the bytes of a request's head; true once its blank line ("\r\n\r\n") arrived.</summary>
    private static bool EndsRequest(byte[] bytes, int count, ref int state)
    {
        for (int i = 0; i < count; i++)
        {
            byte b = bytes[i];
            if (b == (byte)'\r') state = state == 2 ? 3 : 1;
            else if (b == (byte)'\n' && (state == 1 || state == 3)) state++;
            else state = 0;
            if (state == 4) return true;
        }
        return false;
    }
}
