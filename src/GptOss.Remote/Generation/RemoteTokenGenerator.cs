using GptOss.Generation;
using GptOss.Remote.Generation;
using GptOss.Remote.Http;

namespace GptOss.Remote;

/// <summary>
/// What every remote generator shares: its endpoint, the served model (checked once, on first use) and the token-stream
/// rules of <see cref="RemoteTokenStream"/>; each engine writes its own request and reads its own answer.
/// </summary>
public abstract class RemoteTokenGenerator : ITokenGenerator, IDisposable
{
    private readonly ServedModel _model;

    private protected RemoteTokenGenerator(RemoteEngine engine, GenerationBackendOptions options, HttpClient? httpClient, RemoteRetryOptions? retry)
    {
        Endpoint = new RemoteEndpoint(engine, options, httpClient, retry);
        _model = new ServedModel(DescribeAsync);
    }

    private protected RemoteEndpoint Endpoint { get; }

    public ModelDescriptor Model => _model.Get();

    public IAsyncEnumerable<GeneratedToken> GenerateAsync(
        IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken cancellationToken = default) =>
        RemoteTokenStream.RunAsync(Endpoint, _model, AnswerAsync, prompt, options, cancellationToken);

    /// <summary>The served model, checked against the server (default: its <c>GET /v1/models</c> entry).</summary>
    private protected virtual Task<ModelDescriptor> DescribeAsync(CancellationToken cancellationToken) =>
        ServedModels.DescribeAsync(Endpoint, cancellationToken);

    /// <summary>One request for <paramref name="prompt"/>: the ids the server sends, as they arrive, with its finish and cache counters.</summary>
    private protected abstract IAsyncEnumerable<RemoteChunk> AnswerAsync(
        IReadOnlyList<int> prompt, GenerationOptions options, IReadOnlyList<int> stopTokens, ModelDescriptor model, CancellationToken cancellationToken);

    public void Dispose() => Endpoint.Dispose();
}
