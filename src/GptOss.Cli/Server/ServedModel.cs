using GptOss.Generation;

namespace GptOss.Cli.Server;

/// <summary>What a server has loaded: the id clients name, the backend's model, who runs it and since when (<c>GET /api/ps</c>).</summary>
internal sealed record ServedModel(string Id, ModelDescriptor Model, string Backend, DateTimeOffset LoadedAt)
{
    /// <summary>The names a request's <c>model</c> may give: the configured id and the backend's model name.</summary>
    public IReadOnlySet<string> Names { get; } = new HashSet<string>([Id, Model.Name], StringComparer.Ordinal);
}
