using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using GptOss.Generation;
using GptOss.Harmony;

namespace GptOss.Remote.Testing;

/// <summary>
/// An in-process HTTP/1.1 server on a real socket (127.0.0.1) that answers in one engine's wire format with the ids
/// of an inner <see cref="ITokenGenerator"/>, recording every request. Keep-alive, Content-Length request bodies,
/// chunked streamed responses.
/// </summary>
public abstract class FakeEngineServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<Task> _connections = [];
    private readonly TaskCompletionSource _abandoned = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _accepting;
    private int _received;
    private int _abandonedCount;

    private protected FakeEngineServer(ITokenGenerator inner, FakeServerOptions? options)
    {
        Inner = inner;
        Options = options ?? new FakeServerOptions();
        _listener = new TcpListener(IPAddress.Loopback, Options.Port);
        _listener.Start();
        Endpoint = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _accepting = AcceptAsync();
    }

    /// <summary>The base URL to configure as <c>GptOss:Backend:Endpoint</c>.</summary>
    public string Endpoint { get; }

    public FakeServerOptions Options { get; }

    /// <summary>The generator whose ids are served.</summary>
    public ITokenGenerator Inner { get; }

    /// <summary>Every request so far, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get { lock (_requests) return _requests.ToArray(); }
    }

    /// <summary>The JSON bodies of the generation requests (the engine's generate path) so far.</summary>
    public IReadOnlyList<JsonObject> Generations => Requests.Where(r => r.Path == GeneratePath && r.Body is not null).Select(r => r.Body!).ToArray();

    /// <summary>Streamed answers the client closed before their end.</summary>
    public int AbandonedStreams => Volatile.Read(ref _abandonedCount);

    /// <summary>Completes when a client first closes a streamed answer before its end.</summary>
    public Task StreamAbandoned => _abandoned.Task;

    /// <summary>The path generation requests are posted to (<c>/v1/completions</c>, <c>/generate</c>, <c>/completion</c>).</summary>
    private protected abstract string GeneratePath { get; }

    private protected abstract Task AnswerAsync(RecordedRequest request, FakeExchange exchange, CancellationToken cancellationToken);

    internal void RecordAbandonedStream()
    {
        Interlocked.Increment(ref _abandonedCount);
        _abandoned.TrySetResult();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            lock (_connections) _connections.Add(ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var reader = new RequestReader(stream);
            try
            {
                while (!_stopping.IsCancellationRequested)
                {
                    var request = await reader.ReadAsync(_stopping.Token);
                    if (request is null) return;
                    lock (_requests) _requests.Add(request);
                    var exchange = new FakeExchange(client, stream, this);
                    if (Interlocked.Increment(ref _received) <= Options.TransientFailures)
                    {
                        var headers = Options.RetryAfterSeconds is { } s ? new[] { ("Retry-After", s.ToString()) } : [];
                        await exchange.WriteJsonAsync(503, Error(503, "Loading model", "unavailable_error"), _stopping.Token, headers);
                    }
                    else
                    {
                        try
                        {
                            await AnswerAsync(request, exchange, _stopping.Token);
                        }
                        catch (Exception e) when (!exchange.Started && e is not (IOException or SocketException or OperationCanceledException))
                        {
                            await exchange.WriteJsonAsync(500, Error(500, e.Message, "internal_error"), _stopping.Token);
                        }
                    }
                    if (exchange.Closed) return;
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away, or the server is stopping.
            }
        }
    }

    /// <summary>An error body the way the engines write one.</summary>
    private protected static JsonObject Error(int code, string message, string type) =>
        new() { ["error"] = new JsonObject { ["code"] = code, ["message"] = message, ["type"] = type } };

    /// <summary>Runs the inner generator as the request asks; the answer's ids, finish reason and cached prompt tokens.</summary>
    private protected async Task<InnerAnswer> GenerateAsync(
        IReadOnlyList<int> prompt, int maxNewTokens, float temperature, float topP, long? seed, IEnumerable<int> stopTokens,
        CancellationToken cancellationToken)
    {
        var options = new GenerationOptions
        {
            MaxNewTokens = maxNewTokens,
            Temperature = temperature,
            TopP = topP,
            Seed = seed,
            StopTokens = Options.IgnoreStopTokens ? new HashSet<int>() : new HashSet<int>(stopTokens),
        };
        var ids = new List<int>();
        GenerationStats? stats = null;
        await foreach (var token in Inner.GenerateAsync(prompt, options, cancellationToken))
        {
            ids.Add(token.Id);
            stats = token.Stats;
        }
        if (Options.OutOfVocabularyAt is { } at && at < ids.Count) ids[at] = Options.VocabularySize;
        return new InnerAnswer(ids, stats?.FinishReason ?? FinishReason.Stop, stats?.CachedPromptTokens ?? 0, prompt.Count,
            options.StopTokens.Contains(ids.LastOrDefault(-1)) ? ids[^1] : null);
    }

    /// <summary>
    /// Streams <paramref name="events"/> (each with the number of ids it carries), applying the injected disconnect,
    /// error event and pause once enough ids went out; then <c>data: [DONE]</c> when <paramref name="sendDone"/>.
    /// </summary>
    private protected async Task StreamAsync(
        FakeExchange exchange, IEnumerable<(int Ids, JsonNode Event)> events, bool sendDone, CancellationToken cancellationToken)
    {
        await exchange.StartStreamAsync(cancellationToken);
        var sent = 0;
        foreach (var (ids, e) in events)
        {
            await exchange.WriteEventAsync(e, cancellationToken);
            sent += ids;
            if (ids == 0) continue;
            if (Options.DisconnectAfterIds <= sent)
            {
                exchange.Disconnect();
                return;
            }
            if (Options.ErrorAfterIds <= sent)
            {
                await exchange.WriteEventAsync(Error(500, "the fake engine failed in the middle of the answer", "internal_error"), cancellationToken);
                await exchange.EndStreamAsync(cancellationToken);
                return;
            }
            if (Options.PauseAfterIds <= sent)
            {
                await exchange.WaitForClientToLeaveAsync(cancellationToken);
                return;
            }
        }
        if (sendDone && !Options.OmitDone) await exchange.WriteEventAsync("[DONE]", cancellationToken);
        await exchange.EndStreamAsync(cancellationToken);
    }

    /// <summary>Answers a generation request with <see cref="FakeServerOptions.Reject"/> when set; true when answered.</summary>
    private protected async Task<bool> TryRejectAsync(FakeExchange exchange, CancellationToken cancellationToken)
    {
        if (Options.Reject is not { } reject) return false;
        await exchange.WriteJsonAsync(reject.Status, JsonNode.Parse(reject.Body)!, cancellationToken);
        return true;
    }

    /// <summary>The ids of <paramref name="ids"/> in groups of <see cref="FakeServerOptions.IdsPerChunk"/>.</summary>
    private protected IEnumerable<int[]> Chunks(IReadOnlyList<int> ids) => ids.Chunk(Math.Max(1, Options.IdsPerChunk));

    /// <summary>The text of <paramref name="ids"/>, as the engines send beside them (ids outside the vocabulary read as nothing).</summary>
    private protected static string Text(IEnumerable<int> ids) =>
        HarmonyTokenizer.Shared.Decode(ids.Where(id => id < HarmonyTokenizer.ModelVocabularySize));

    private protected static int[] IntArray(JsonNode? node) => node is JsonArray a ? a.Select(n => (int)n!).ToArray() : [];

    private protected static JsonArray JsonIds(IEnumerable<int> ids) => new([.. ids.Select(id => (JsonNode)id)]);

    public async ValueTask DisposeAsync()
    {
        _stopping.Cancel();
        _listener.Stop();
        await _accepting;
        Task[] connections;
        lock (_connections) connections = _connections.ToArray();
        await Task.WhenAll(connections);
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Reads HTTP/1.1 requests (request line, headers, Content-Length body) off one connection.</summary>
    private sealed class RequestReader(Stream stream)
    {
        private byte[] _buffer = new byte[64 * 1024];
        private int _start, _end;

        public async Task<RecordedRequest?> ReadAsync(CancellationToken cancellationToken)
        {
            int headerEnd;
            while ((headerEnd = IndexOfBlankLine()) < 0)
            {
                if (!await FillAsync(cancellationToken)) return null;
            }
            var head = Encoding.ASCII.GetString(_buffer, _start, headerEnd - _start).Split("\r\n");
            _start = headerEnd + 4;
            var requestLine = head[0].Split(' ');
            var headers = head.Skip(1).Select(h => h.Split(':', 2)).Where(p => p.Length == 2)
                .ToDictionary(p => p[0].Trim().ToLowerInvariant(), p => p[1].Trim());
            var length = headers.TryGetValue("content-length", out var l) ? int.Parse(l) : 0;
            while (_end - _start < length)
            {
                if (!await FillAsync(cancellationToken)) return null;
            }
            var body = Encoding.UTF8.GetString(_buffer, _start, length);
            _start += length;
            return new RecordedRequest(requestLine[0], requestLine[1], headers,
                body.Length > 0 ? JsonNode.Parse(body) as JsonObject : null);
        }

        private int IndexOfBlankLine()
        {
            var index = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            return index < 0 ? -1 : _start + index;
        }

        private async Task<bool> FillAsync(CancellationToken cancellationToken)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            _end += read;
            return read > 0;
        }
    }
}

/// <summary>The inner generator's answer to one request.</summary>
/// <param name="Ids">The generated ids, stop id included.</param>
/// <param name="Finish">Why the inner generator ended.</param>
/// <param name="CachedPromptTokens">The prompt prefix the inner generator reused.</param>
/// <param name="PromptTokens">The prompt's length.</param>
/// <param name="MatchedStop">The stop id that ended the answer, if one did.</param>
internal sealed record InnerAnswer(List<int> Ids, FinishReason Finish, int CachedPromptTokens, int PromptTokens, int? MatchedStop);
