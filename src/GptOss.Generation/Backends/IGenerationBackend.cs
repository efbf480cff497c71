using Microsoft.Extensions.Configuration;

namespace GptOss.Generation;

/// <summary>
/// One way to run the model — the in-process engine, or a remote engine spoken to in token ids — named by
/// <see cref="Kind"/> (<c>GptOss:Backend:Kind</c>). Registered by the backend's own extension method
/// (<c>AddGptOssEngine</c>, <c>AddGptOssRemoteBackends</c>), or found through <see cref="GenerationBackendAttribute"/>.
/// </summary>
public interface IGenerationBackend
{
    /// <summary>One of <see cref="BackendKinds"/>.</summary>
    string Kind { get; }

    /// <summary>Builds the generator; called once, on first use.</summary>
    ITokenGenerator Create(GenerationBackendContext context);
}

/// <summary>What a backend is built from.</summary>
/// <param name="Services">The application's services.</param>
/// <param name="Configuration">The configuration the generator was registered with (its <c>GptOss</c> section holds the settings), if any.</param>
/// <param name="Backend">The bound <c>GptOss:Backend</c> section.</param>
public sealed record GenerationBackendContext(IServiceProvider Services, IConfiguration? Configuration, GenerationBackendOptions Backend);
