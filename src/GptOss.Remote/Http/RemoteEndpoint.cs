using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GptOss.Generation;
using Polly;

namespace GptOss.Remote.Http;

/// <summary>
/// One remote engine's base URL and the HTTP rules every engine shares: bearer token, retry of transient failures,
/// the overall timeout, and turning every failure into a one-line <see cref="RemoteBackendException"/>.
/// </summary>
internal sealed class RemoteEndpoint : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string? _apiKey;
    private readonly ResiliencePipeline<HttpResponseMessage> _retry;
    private readonly int _attempts;

    public RemoteEndpoint(RemoteEngine engine, GenerationBackendOptions options, HttpClient? httpClient, RemoteRetryOptions? retry)
    {
        Engine = engine;
        BaseAddress = ParseEndpoint(engine, options.Endpoint);
        if (options.TimeoutSeconds <= 0)
            throw new InvalidOperationException(
                $"{GenerationBackendOptions.SectionName}:{nameof(GenerationBackendOptions.TimeoutSeconds)} must be positive, not {options.TimeoutSeconds}");
        Timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        ConfiguredModel = string.IsNullOrWhiteSpace(options.Model) ? null : options.Model.Trim();
        _apiKey = options.ResolveApiKey();
        _ownsHttp = httpClient is null;
        _http = httpClient ?? CreateHttpClient();
        retry ??= RemoteRetryOptions.Default;
        _retry = TransientFailureRetry.Create(retry);
        _attempts = retry.MaxRetryAttempts + 1;
    }

    public RemoteEngine Engine { get; }

    public Uri BaseAddress { get; }

    /// <summary>Longest wait for one request, answer included (<c>GptOss:Backend:TimeoutSeconds</c>).</summary>
    public TimeSpan Timeout { get; }

    /// <summary><c>GptOss:Backend:Model</c>, when set.</summary>
    public string? ConfiguredModel { get; }

    /// <summary>The one-line error for <paramref name="problem"/> at this endpoint.</summary>
    public RemoteBackendException Error(string problem, Exception? inner = null) =>
        new($"{Engine.Name} at {BaseAddress.ToString().TrimEnd('/')}: {problem}", inner);

    public RemoteBackendException MissingTokenIds() =>
        Error($"the response carries no token ids ({Engine.MissingIdsHint})");

    /// <summary>A cancellation source that fires at the caller's cancellation or after <see cref="Timeout"/>.</summary>
    public CancellationTokenSource StartTimeout(CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(Timeout);
        return source;
    }

    public RemoteBackendException TimedOut() =>
        Error($"no complete answer within {Timeout.TotalSeconds:0} s ({GenerationBackendOptions.SectionName}:{nameof(GenerationBackendOptions.TimeoutSeconds)})");

    /// <summary>GETs <paramref name="path"/> and parses its JSON body.</summary>
    public async Task<JsonNode> GetJsonAsync(string path, CancellationToken cancellationToken)
    {
        using var timeout = StartTimeout(cancellationToken);
        try
        {
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, new Uri(BaseAddress, path)), path, timeout.Token)
                .ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            return ParseJson(body, "/" + path);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw TimedOut();
        }
        catch (HttpRequestException e)
        {
            throw Error($"GET /{path} failed: {e.Message}", e);
        }
    }

    /// <summary>
    /// POSTs <paramref name="body"/> to <paramref name="path"/> and returns the response once its headers arrived (the
    /// body may still be streaming). Transient failures are retried; any other non-success status is an error.
    /// </summary>
    public Task<HttpResponseMessage> PostJsonAsync(string path, JsonObject body, CancellationToken cancellationToken)
    {
        var json = body.ToJsonString();
        return SendAsync(() => new HttpRequestMessage(HttpMethod.Post, new Uri(BaseAddress, path))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        }, path, cancellationToken);
    }

    /// <summary>Parses a JSON document the server sent, or says which response was unreadable.</summary>
    public JsonNode ParseJson(string text, string what)
    {
        try
        {
            return JsonNode.Parse(text) ?? throw Error($"{what} answered JSON null");
        }
        catch (JsonException e)
        {
            throw Error($"{what} answered something that is not JSON ({e.Message}): {Excerpt(text)}", e);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> request, string path, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _retry.ExecuteAsync(async ct =>
            {
                using var message = request();
                if (_apiKey is not null) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
                return await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw Error($"cannot connect after {_attempts} attempts ({e.Message}); is the server running?", e);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var retried = TransientFailureRetry.IsTransient(Outcome.FromResult(response)) ? $" after {_attempts} attempts" : "";
            throw Error($"/{path} answered {(int)response.StatusCode} {response.ReasonPhrase ?? response.StatusCode.ToString()}{retried}: {ErrorMessage(text)}");
        }
    }

    /// <summary>
    /// The message of an engine's error body: <c>{"error":{"message","type"}}</c> (llama.cpp, newer vLLM, SGLang),
    /// <c>{"object":"error","message"}</c> (vLLM), <c>{"error":"..."}</c>, else the text itself, on one line.
    /// </summary>
    public static string ErrorMessage(string body)
    {
        JsonNode? node = null;
        try { node = JsonNode.Parse(body); } catch (JsonException) { }
        if (node is JsonObject o)
        {
            var error = o["error"] is JsonObject inner ? inner : o;
            if (error["message"] is JsonValue m && m.TryGetValue<string>(out var message))
                return Excerpt(error["type"] is JsonValue t && t.TryGetValue<string>(out var type) ? $"{message} ({type})" : message);
            if (o["error"] is JsonValue e && e.TryGetValue<string>(out var text)) return Excerpt(text);
        }
        return body.Length == 0 ? "(empty body)" : Excerpt(body);
    }

    private static string Excerpt(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
        return line.Length <= 300 ? line : line[..300] + "…";
    }

    private static Uri ParseEndpoint(RemoteEngine engine, string? endpoint)
    {
        var name = $"{GenerationBackendOptions.SectionName}:{nameof(GenerationBackendOptions.Endpoint)}";
        if (string.IsNullOrWhiteSpace(endpoint))
            throw new InvalidOperationException($"{name} is required for Kind {engine.Kind}: the {engine.Name} server's base URL, e.g. http://gpu-box:8000");
        if (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InvalidOperationException($"{name} must be an absolute http(s) URL, not '{endpoint}'");
        // A trailing slash makes relative paths resolve below any path prefix (a proxy's /llm/).
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    private static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        // An answer abandoned half-way (cancelled, or a stop id the server did not know) closes its connection, so
        // the server stops generating, instead of being drained for reuse.
        MaxResponseDrainSize = 0,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,   // StartTimeout bounds each request, streamed body included
    };

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }
}
