using GptOss.Generation;

[assembly: GenerationBackend(typeof(GptOss.Remote.LlamaCppBackend))]

namespace GptOss.Remote;

/// <summary>The <c>LlamaCpp</c> backend: a <see cref="LlamaCppTokenGenerator"/> for <c>GptOss:Backend</c>.</summary>
public sealed class LlamaCppBackend : IGenerationBackend
{
    public string Kind => BackendKinds.LlamaCpp;

    public ITokenGenerator Create(GenerationBackendContext context) => new LlamaCppTokenGenerator(context.Backend);
}
