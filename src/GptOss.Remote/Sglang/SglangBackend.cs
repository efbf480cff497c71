using GptOss.Generation;

[assembly: GenerationBackend(typeof(GptOss.Remote.SglangBackend))]

namespace GptOss.Remote;

/// <summary>The <c>Sglang</c> backend: a <see cref="SglangTokenGenerator"/> for <c>GptOss:Backend</c>.</summary>
public sealed class SglangBackend : IGenerationBackend
{
    public string Kind => BackendKinds.Sglang;

    public ITokenGenerator Create(GenerationBackendContext context) => new SglangTokenGenerator(context.Backend);
}
