using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;

namespace GptOss.Cli.Server.Responses;

/// <summary>
/// The OpenAI Responses API door: <c>POST /v1/responses</c> (streamed as server-sent events or not),
/// <c>GET</c> and <c>DELETE /v1/responses/{id}</c>. It answers through the same <see cref="IChatClient"/> as chat
/// completions, which runs hosted tools (code interpreter, web search) inside the response and returns function
/// calls to the caller. Stored responses (the default) can be continued with <c>previous_response_id</c>.
/// </summary>
internal static class ResponsesEndpoints
{
    public static void Map(IEndpointRouteBuilder app, IChatClient client, ServedModel served, ResponseStore store)
    {
        app.MapPost("/v1/responses", (HttpContext context) => CreateAsync(context, client, served, store));
        app.MapGet("/v1/responses/{id}", async (HttpContext context, string id) =>
        {
            if (store.Get(id) is not { } stored) await NotFound(context, id);
            else await WriteJson(context, Encoding.UTF8.GetBytes(stored.Json));
        });
        app.MapDelete("/v1/responses/{id}", async (HttpContext context, string id) =>
        {
            if (!store.Remove(id)) await NotFound(context, id);
            else await WriteJson(context, Encoding.UTF8.GetBytes(new JsonObject { ["id"] = id, ["object"] = "response", ["deleted"] = true }.ToJsonString()));
        });
    }

    private static async Task CreateAsync(HttpContext context, IChatClient client, ServedModel served, ResponseStore store)
    {
        var ct = context.RequestAborted;
        if (await RequestBody.ReadAsync(context, ResponsesRequest.Read) is not { } request) return;
        if (await RequestBody.UnknownModelAsync(context, served, request.Model)) return;

        IReadOnlyList<JsonElement> earlier = [];
        if (request.PreviousResponseId is { } previousId)
        {
            if (store.Get(previousId) is not { } previous)
            {
                await RequestBody.ErrorAsync(context, 400, $"Previous response with id '{previousId}' not found (it was not stored, was deleted or is too old).",
                    "previous_response_id", "previous_response_not_found");
                return;
            }
            earlier = previous.Conversation;
        }
        List<ChatMessage> messages;
        try
        {
            messages = [.. ResponseItems.ToMessages(earlier, "previous_response_id"), .. ResponseItems.ToMessages(request.Input, "input")];
        }
        catch (OpenAiRequestException e)
        {
            await RequestBody.ErrorAsync(context, 400, e.Message, e.Param);
            return;
        }

        var header = new ResponseHeader($"resp_{Guid.NewGuid():N}", request.Model ?? served.Id, DateTimeOffset.UtcNow,
            request.PreviousResponseId, request.Store, request.Settings);
        await using var updates = client.GetStreamingResponseAsync(messages, request.Options, ct).GetAsyncEnumerator(ct);
        bool more;
        try
        {
            // Bad messages and tools that cannot run here surface on the first step, while a 400 can still be sent.
            more = await updates.MoveNextAsync();
        }
        catch (Exception e) when (RequestBody.IsRefusal(e))
        {
            await RequestBody.ErrorAsync(context, 400, e.Message, e switch
            {
                GptOss.Constraints.JsonSchemaNotSupportedException => "text.format",
                NotSupportedException => "tools",
                _ => "input",
            });
            return;
        }
        catch (GptOss.Generation.GenerationQueueFullException e)
        {
            await RequestBody.OverloadedAsync(context, e);
            return;
        }

        var stream = new ResponseStream(header, request.Stream ? (type, e) => Event(context, type, e, ct) : (_, _) => Task.CompletedTask);
        if (request.Stream)
        {
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
        }
        JsonObject response;
        try
        {
            await stream.StartAsync();
            for (; more; more = await updates.MoveNextAsync()) await stream.AcceptAsync(updates.Current);
            response = await stream.FinishAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (request.Stream) await stream.FailAsync($"Generation failed: {e.Message}");
            else await RequestBody.ErrorAsync(context, 500, $"Generation failed: {e.Message}", type: "server_error");
            return;
        }

        if (request.Store)
        {
            store.Add(header.Id, response, [.. earlier, .. request.Input, .. stream.Output.Select(i => JsonSerializer.SerializeToElement(i))]);
        }
        if (!request.Stream) await WriteJson(context, Encoding.UTF8.GetBytes(response.ToJsonString()));
    }

    private static async Task Event(HttpContext context, string type, JsonObject e, CancellationToken ct)
    {
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes($"event: {type}\ndata: {e.ToJsonString()}\n\n"), ct);
        await context.Response.Body.FlushAsync(ct);
    }

    private static async Task WriteJson(HttpContext context, byte[] json)
    {
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(json, context.RequestAborted);
    }

    private static Task NotFound(HttpContext context, string id) =>
        RequestBody.ErrorAsync(context, 404, $"No response with id '{id}' is stored here.", "id", "not_found");
}
