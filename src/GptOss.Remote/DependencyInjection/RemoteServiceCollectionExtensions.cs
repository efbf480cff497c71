using GptOss.Generation;
using GptOss.Remote;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the remote engines as generation backends.</summary>
public static class RemoteServiceCollectionExtensions
{
    /// <summary>
    /// Makes <c>Vllm</c>, <c>Sglang</c> and <c>LlamaCpp</c> available to <c>GptOss:Backend:Kind</c>; the server is
    /// <c>GptOss:Backend:Endpoint</c> (with <c>Model</c>, <c>ApiKey</c> or <c>GPTOSS_BACKEND_API_KEY</c>, <c>TimeoutSeconds</c>).
    /// </summary>
    public static IServiceCollection AddGptOssRemoteBackends(this IServiceCollection services)
    {
        services.AddSingleton<IGenerationBackend, VllmBackend>();
        services.AddSingleton<IGenerationBackend, SglangBackend>();
        services.AddSingleton<IGenerationBackend, LlamaCppBackend>();
        return services;
    }
}
