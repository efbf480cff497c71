using GptOss.Generation;

[assembly: GenerationBackend(typeof(GptOss.Remote.VllmBackend))]

namespace GptOss.Remote;

/// <summary>The <c>Vllm</c> backend: a <see cref="VllmTokenGenerator"/> for <c>GptOss:Backend</c>.</summary>
public sealed class VllmBackend : IGenerationBackend
{
    public string Kind => BackendKinds.Vllm;

    public ITokenGenerator Create(GenerationBackendContext context) => new VllmTokenGenerator(context.Backend);
}
