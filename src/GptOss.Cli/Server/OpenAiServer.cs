using Microsoft.AspNetCore.Hosting;
using System.Text.Json;
using System.Text;
using GptOss.Constraints;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using GptOss.Generation;

namespace GptOss.Cli.Server;

/// <summary>
/// An OpenAI-compatible HTTP API over gpt-oss: <c>GET /v1/models</c>, <c>POST /v1/chat/completions</c>
/// (tools, streaming as server-sent events, reasoning in <c>reasoning_content</c>) and the Responses API
/// (<c>/v1/responses</c>, see <see cref="Responses.ResponsesEndpoints"/>). Every request goes through
/// one <see cref="IChatClient"/> (gpt-oss's, over whichever backend runs the model), which returns tool calls to the caller rather than running them.
/// Bad requests get a 400 with an OpenAI error body; nothing the client sends causes a 500. A backend whose queue is
/// full gets a 503 with <c>Retry-After</c>.
/// </summary>
internal static class OpenAiServer
{
    /// <param name="served">What is loaded; a request naming another model is a 404.</param>
    public static WebApplication Create(IEnumerable<string> urls, IChatClient client, ServedModel served, LogLevel logLevel = LogLevel.Warning)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.SetMinimumLevel(logLevel);
        builder.WebHost.UseUrls(urls.ToArray());
        var app = builder.Build();
        var reasoning = new ToolCallReasoningMemory();

        app.MapGet("/v1/models", () => Results.Bytes(ChatCompletionJson.Models(served.Id), "application/json"));
        app.MapGet("/api/ps", () => Results.Bytes(ChatCompletionJson.Loaded(served), "application/json"));
        app.MapPost("/v1/chat/completions", (HttpContext context) => CompleteAsync(context, client, served, reasoning));
        Responses.ResponsesEndpoints.Map(app, client, served, new Responses.ResponseStore());
        return app;
    }

    private static async Task CompleteAsync(HttpContext context, IChatClient client, ServedModel served, ToolCallReasoningMemory reasoning)
    {
        var ct = context.RequestAborted;
        if (await RequestBody.ReadAsync(context, ChatCompletionRequest.Read) is not { } request) return;

        if (await RequestBody.UnknownModelAsync(context, served, request.Model)) return;
        reasoning.Restore(request.Messages);
        var model = request.Model ?? served.Id;
        if (request.Stream) await StreamAsync(context, client, request, model, reasoning, ct);
        else await RespondAsync(context, client, request, model, reasoning, ct);
    }

    private static async Task RespondAsync(
        HttpContext context, IChatClient client, ChatCompletionRequest request, string model, ToolCallReasoningMemory reasoning, CancellationToken ct)
    {
        ChatResponse response;
        try
        {
            response = await client.GetResponseAsync(request.Messages, request.Options, ct);
        }
        catch (Exception e) when (RequestBody.IsRefusal(e))
        {
            await RequestBody.ErrorAsync(context, 400, e.Message);
            return;
        }
        catch (GenerationQueueFullException e)
        {
            await RequestBody.OverloadedAsync(context, e);
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await RequestBody.ErrorAsync(context, 500, $"Generation failed: {e.Message}", type: "server_error");
            return;
        }
        foreach (var message in response.Messages)
        {
            reasoning.Remember(message.Contents.OfType<FunctionCallContent>(), message.Contents.OfType<TextReasoningContent>().ToList());
        }
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(ChatCompletionJson.Response(response, model), ct);
    }

    private static async Task StreamAsync(
        HttpContext context, IChatClient client, ChatCompletionRequest request, string model, ToolCallReasoningMemory reasoning, CancellationToken ct)
    {
        await using var updates = client.GetStreamingResponseAsync(request.Messages, request.Options, ct).GetAsyncEnumerator(ct);
        bool hasFirst;
        try
        {
            // Bad messages surface on the first step, while a 400 can still be sent.
            hasFirst = await updates.MoveNextAsync();
        }
        catch (Exception e) when (RequestBody.IsRefusal(e))
        {
            await RequestBody.ErrorAsync(context, 400, e.Message);
            return;
        }
        catch (GenerationQueueFullException e)
        {
            await RequestBody.OverloadedAsync(context, e);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var first = true;
        var toolCallIndex = 0;
        UsageDetails? usage = null;
        ChatResponseUpdate? last = null;
        var thought = new StringBuilder();
        var calls = new List<FunctionCallContent>();
        try
        {
            for (var more = hasFirst; more; more = await updates.MoveNextAsync())
            {
                var update = updates.Current;
                last = update;
                usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
                foreach (var r in update.Contents.OfType<TextReasoningContent>()) thought.Append(r.Text);
                calls.AddRange(update.Contents.OfType<FunctionCallContent>());
                if (ChatCompletionJson.Chunk(update, model, first, ref toolCallIndex) is { } chunk)
                {
                    await Event(context, chunk, ct);
                    first = false;
                }
            }
            reasoning.Remember(calls, thought.Length > 0 ? [new TextReasoningContent(thought.ToString())] : []);
            if (request.IncludeUsage && usage is not null)
            {
                await Event(context, ChatCompletionJson.UsageChunk(last?.ResponseId, last?.CreatedAt, model, usage), ct);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Headers are sent: report in-band, as OpenAI does, then end the stream.
            await Event(context, ChatCompletionJson.Error($"Generation failed: {e.Message}", "server_error"), ct);
        }
        await context.Response.Body.WriteAsync("data: [DONE]\n\n"u8.ToArray(), ct);
        await context.Response.Body.FlushAsync(ct);
    }

    private static async Task Event(HttpContext context, byte[] json, CancellationToken ct)
    {
        await context.Response.Body.WriteAsync("data: "u8.ToArray(), ct);
        await context.Response.Body.WriteAsync(json, ct);
        await context.Response.Body.WriteAsync("\n\n"u8.ToArray(), ct);
        await context.Response.Body.FlushAsync(ct);
    }
}
