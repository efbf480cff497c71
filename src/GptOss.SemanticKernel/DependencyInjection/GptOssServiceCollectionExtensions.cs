using GptOss.Generation;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using GptOss.SemanticKernel;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers gpt-oss chat services.</summary>
public static class GptOssServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="GptOssChatCompletionService"/> as <see cref="IChatCompletionService"/> and
    /// <see cref="GptOssChatClient"/> (with SK's function invocation) as <see cref="IChatClient"/>, keyed by
    /// <paramref name="serviceId"/> when given. <see cref="GptOssOptions"/> are bound from the
    /// <c>"GptOss"</c> section of <paramref name="configuration"/> (or of the registered <see cref="IConfiguration"/>),
    /// then <paramref name="configure"/> runs. The model is the <see cref="ITokenGenerator"/> registered in the
    /// container, shared by every caller: unless one is registered (a <see cref="ScriptedTokenGenerator"/> in tests),
    /// it is the backend <c>GptOss:Backend:Kind</c> names (see <see cref="GenerationServiceCollectionExtensions.AddGptOssGenerator"/>),
    /// by default the in-process engine loaded from <c>GptOss:ModelDirectory</c> on first use.
    /// </summary>
    public static IServiceCollection AddGptOssChatCompletion(
        this IServiceCollection services,
        IConfiguration? configuration = null,
        Action<GptOssOptions>? configure = null,
        string? serviceId = null)
    {
        services.AddGptOssOptions<GptOssOptions>(GptOssOptions.SectionName, configuration);
        if (configure is not null) services.Configure(configure);
        services.AddGptOssGenerator(configuration);

        services.AddKeyedSingleton<IChatCompletionService>(serviceId, (sp, _) => new GptOssChatCompletionService(
            sp.GetRequiredService<HarmonyChatPipeline>(),
            sp.GetRequiredService<IOptions<GptOssOptions>>().Value,
            sp.GetService<ILoggerFactory>(),
            sp));
        services.AddKeyedSingleton<IChatClient>(serviceId, (sp, _) =>
            new GptOssChatClient(sp.GetRequiredService<HarmonyChatPipeline>(), sp.GetRequiredService<IOptions<GptOssOptions>>().Value)
                .AsBuilder()
                .UseKernelFunctionInvocation(sp.GetService<ILoggerFactory>())
                .Build(sp));
        return services;
    }

    /// <summary>The same registration on a kernel builder's services.</summary>
    public static IKernelBuilder AddGptOssChatCompletion(
        this IKernelBuilder builder,
        IConfiguration? configuration = null,
        Action<GptOssOptions>? configure = null,
        string? serviceId = null)
    {
        builder.Services.AddGptOssChatCompletion(configuration, configure, serviceId);
        return builder;
    }
}
