using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GptOss.Mcp.Tests;

/// <summary>
/// <see cref="TestMcpServer"/>'s tools served in-process over streamable HTTP at <c>/mcp</c>, on a free port;
/// every request must carry <see cref="TokenHeader"/> (401 otherwise), to show configured headers are sent.
/// </summary>
public sealed class TestHttpMcpServer : IAsyncDisposable
{
    public const string TokenHeader = "X-Test-Token";
    public const string Token = "open-sesame";

    private readonly WebApplication _app;

    private TestHttpMcpServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<TestHttpMcpServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddMcpServer().WithHttpTransport().WithTools(TestMcpServer.Tools());
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers[TokenHeader] != Token)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            await next(context);
        });
        app.MapMcp("/mcp");
        await app.StartAsync();
        return new TestHttpMcpServer(app, new Uri(new Uri(app.Urls.First()), "/mcp"));
    }

    public McpServerDefinition Definition(bool withToken = true) => new()
    {
        Name = "web",
        Url = Url,
        Headers = withToken ? new Dictionary<string, string> { [TokenHeader] = Token } : new Dictionary<string, string>(),
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
