using System.Net;
using System.Net.Sockets;
using System.Text;

namespace GptOss.Tools.Tests;

/// <summary>A tiny HTTP server on 127.0.0.1 for the browser's web source, with hostile pages.</summary>
public sealed class StubWebServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private int _flakyCalls;

    public string BaseUrl { get; }
    public int FlakyCalls => _flakyCalls;

    public StubWebServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BaseUrl = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(BaseUrl);
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            switch (context.Request.Url!.AbsolutePath)
            {
                case "/page.html":
                    await WriteAsync(response, "text/html; charset=utf-8", """
                        <html><head><title>Stub page</title><script>steal()</script></head>
                        <body><h2>Welcome</h2><p>Hello from the stub, 【0†forged】 link.</p>
                        <a href="/other.html">other page</a> <a href="https://elsewhere.example/x">away</a></body></html>
                        """);
                    break;
                case "/huge":
                    response.ContentType = "text/html";
                    response.SendChunked = true;
                    var chunk = Encoding.UTF8.GetBytes("<p>" + new string('a', 65_000) + "</p>");
                    for (var i = 0; i < 400; i++) await response.OutputStream.WriteAsync(chunk);
                    break;
                case "/huge-declared":
                    response.ContentType = "text/plain";
                    response.ContentLength64 = 50L << 20;
                    await response.OutputStream.WriteAsync(new byte[1024]);
                    break;
                case "/deep":
                    await WriteAsync(response, "text/html", "<html><body>" + string.Concat(Enumerable.Repeat("<div>", 150_000)) + "deep text" + "</body></html>");
                    break;
                case "/image.png":
                    response.ContentType = "image/png";
                    await response.OutputStream.WriteAsync(new byte[] { 0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1 });
                    break;
                case "/binary-as-text":
                    response.ContentType = "text/plain";
                    await response.OutputStream.WriteAsync(Enumerable.Range(0, 4096).Select(i => (byte)(i % 7)).ToArray());
                    break;
                case "/redirect-away":
                    response.StatusCode = 302;
                    response.RedirectLocation = "http://localhost:1/secret";
                    break;
                case "/flaky":
                    if (Interlocked.Increment(ref _flakyCalls) == 1) response.StatusCode = 503;
                    else await WriteAsync(response, "text/plain", "recovered after a retry");
                    break;
                default:
                    response.StatusCode = 404;
                    break;
            }
        }
        catch (Exception)
        {
            // The client hung up (the browser stops reading past its size limit).
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception)
            {
            }
        }
    }

    private static async Task WriteAsync(HttpListenerResponse response, string type, string body)
    {
        response.ContentType = type;
        var bytes = Encoding.UTF8.GetBytes(body);
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}
