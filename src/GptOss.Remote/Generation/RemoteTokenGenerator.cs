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

    /// <summary>Streams the server's tokens; a call with a <see cref="GenerationOptions.Constraint"/> is refused (the server samples, so no mask can be applied).</summary>
    public IAsyncEnumerable<GeneratedToken> GenerateAsync(
        IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken cancellationToken = default) =>
        options.Constraint is null
            ? RemoteTokenStream.RunAsync(Endpoint, _model, AnswerAsync, prompt, options, cancellationToken)
            : throw new NotSupportedException(
                $"The {Endpoint.Engine.Name} backend cannot enforce structured outputs or required tool calls: it samples on the server, where no token mask can be applied. Use the local engine for constrained requests.");

    /// <summary>The served model, checked against the server (default: its <c>GET /v1/models</c> entry).</summary>
    private protected virtual Task<ModelDescriptor> DescribeAsync(CancellationToken cancellationToken) =>
        ServedModels.DescribeAsync(Endpoint, cancellationToken);

    /// <summary>One request for <paramref name="prompt"/>: the ids the server sends, as they arrive, with its finish and cache counters.</summary>
    private protected abstract IAsyncEnumerable<RemoteChunk> AnswerAsync(
        IReadOnlyList<int> prompt, GenerationOptions options, IReadOnlyList<int> stopTokens, ModelDescriptor model, CancellationToken cancellationToken);

    public void Dispose() => Endpoint.Dispose();
}
