using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace GptOss.Cli.Server;

/// <summary>Reads a JSON request body into a request, answering every way it can be bad with a 400 (or Kestrel's own status) in OpenAI's error shape.</summary>
internal static class RequestBody
{
    /// <summary>The request read by <paramref name="read"/>, or null once the error has been answered.</summary>
    public static async Task<T?> ReadAsync<T>(HttpContext context, Func<JsonElement, T> read) where T : class
    {
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            return read(body.RootElement);
        }
        catch (JsonException e)
        {
            await ErrorAsync(context, 400, $"The request body is not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException e) when (e.InnerException is DecoderFallbackException or null)
        {
            // JsonElement.GetString refuses invalid UTF-8 and lone surrogates ("\ud800") only when a string is read.
            await ErrorAsync(context, 400, $"The request body holds a JSON string that is not valid Unicode (invalid UTF-8 or a lone surrogate): {e.Message}");
        }
        catch (BadHttpRequestException e)
        {
            await ErrorAsync(context, e.StatusCode, $"The request was refused: {e.Message}");
        }
        catch (OpenAiRequestException e)
        {
            await ErrorAsync(context, 400, e.Message, e.Param);
        }
        return null;
    }

    public static async Task ErrorAsync(HttpContext context, int status, string message, string? param = null, string? code = null,
        string type = "invalid_request_error")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(ChatCompletionJson.Error(message, type, param, code));
    }

    /// <summary>
    /// Answers 404 <c>model_not_found</c> and returns true where the request names a model this server does not serve;
    /// false (nothing written) where it names none or one of <see cref="ServedModel.Names"/>.
    /// </summary>
    public static async Task<bool> UnknownModelAsync(HttpContext context, ServedModel served, string? requested)
    {
        if (requested is null || served.Names.Contains(requested)) return false;
        await ErrorAsync(context, 404, $"The model '{requested}' does not exist; this server serves '{served.Id}'.", "model", "model_not_found");
        return true;
    }

    /// <summary>503 with <c>Retry-After</c> (whole seconds): the request was not started, the client may send it again.</summary>
    public static Task OverloadedAsync(HttpContext context, GptOss.Generation.GenerationQueueFullException e)
    {
        context.Response.Headers.RetryAfter = ((int)Math.Ceiling(Math.Max(1, e.RetryAfter.TotalSeconds))).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ErrorAsync(context, 503, e.Message, code: "server_overloaded", type: "server_error");
    }

    /// <summary>
    /// A request the model cannot serve as asked, found before any token (a 400): bad messages, a schema the constraint
    /// cannot enforce, a constrained request to a backend that samples on its own server, a tool that cannot run here.
    /// </summary>
    public static bool IsRefusal(Exception e) => e is ArgumentException or GptOss.Constraints.JsonSchemaNotSupportedException or NotSupportedException;
}
