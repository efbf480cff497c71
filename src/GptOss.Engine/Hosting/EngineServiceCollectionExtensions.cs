using GptOss.Engine;
using GptOss.Generation;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the in-process engine as a generation backend.</summary>
public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Makes the in-process engine the <c>Local</c> backend (<c>GptOss:Backend:Kind</c>, the default): the checkpoint in
    /// <c>GptOss:ModelDirectory</c> loads on first use. Its settings bind from the generator's configuration, then from
    /// <paramref name="configuration"/> when given, then <paramref name="configure"/> runs.
    /// </summary>
    public static IServiceCollection AddGptOssEngine(this IServiceCollection services, IConfiguration? configuration = null,
        Action<LocalModelOptions>? configure = null)
    {
        if (configuration is not null)
            services.Configure<LocalModelOptions>(o => configuration.GetSection(LocalModelOptions.SectionName).Bind(o));
        if (configure is not null) services.Configure(configure);
        services.AddSingleton<IGenerationBackend, LocalEngineBackend>();
        return services;
    }
}
