using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace GptOss.Remote.Testing;

/// <summary>Writes one response: a JSON body, or a chunked event stream that may end properly, abruptly, or wait for the client to leave.</summary>
internal sealed class FakeExchange(TcpClient client, Stream stream, FakeEngineServer server)
{
    private readonly FakeEngineServer _server = server;

    /// <summary>Part of the response went out.</summary>
    public bool Started { get; private set; }

    /// <summary>The connection was closed; no further request is read from it.</summary>
    public bool Closed { get; private set; }

    public async Task WriteJsonAsync(int status, JsonNode body, CancellationToken cancellationToken, params (string Name, string Value)[] headers)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        var head = new StringBuilder($"HTTP/1.1 {status} {Reason(status)}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\n");
        foreach (var (name, value) in headers) head.Append($"{name}: {value}\r\n");
        await WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), cancellationToken);
        await WriteAsync(bytes, cancellationToken);
    }

    public Task StartStreamAsync(CancellationToken cancellationToken) => WriteAsync(Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"), cancellationToken);

    /// <summary>One <c>data: ...</c> event as its own chunk.</summary>
    public Task WriteEventAsync(string data, CancellationToken cancellationToken)
    {
        var payload = Encoding.UTF8.GetBytes($"data: {data}\n\n");
        return WriteAsync([.. Encoding.ASCII.GetBytes($"{payload.Length:x}\r\n"), .. payload, .. "\r\n"u8], cancellationToken);
    }

    public Task WriteEventAsync(JsonNode data, CancellationToken cancellationToken) => WriteEventAsync(data.ToJsonString(), cancellationToken);

    /// <summary>The terminating chunk: the response is complete.</summary>
    public Task EndStreamAsync(CancellationToken cancellationToken) => WriteAsync("0\r\n\r\n"u8.ToArray(), cancellationToken);

    /// <summary>Closes the connection in the middle of the response.</summary>
    public void Disconnect()
    {
        Closed = true;
        client.Client.Shutdown(SocketShutdown.Both);
        client.Close();
    }

    /// <summary>Sends nothing more and waits until the client closes the connection; counts the stream as abandoned.</summary>
    public async Task WaitForClientToLeaveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[256];
        try
        {
            while (await stream.ReadAsync(buffer, cancellationToken) > 0)
            {
            }
        }
        catch (IOException)
        {
            // A reset is leaving too.
        }
        Closed = true;
        _server.RecordAbandonedStream();
    }

    private async Task WriteAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        Started = true;
        await stream.WriteAsync(bytes, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
}
