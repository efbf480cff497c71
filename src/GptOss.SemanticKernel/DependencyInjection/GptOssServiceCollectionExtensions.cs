using GptOss.Engine;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
    /// container (the engine, or a <see cref="ScriptedTokenGenerator"/> in tests), shared by every caller.
    /// </summary>
    public static IServiceCollection AddGptOssChatCompletion(
        this IServiceCollection services,
        IConfiguration? configuration = null,
        Action<GptOssOptions>? configure = null,
        string? serviceId = null)
    {
        services.AddOptions<GptOssOptions>();
        services.AddSingleton<IConfigureOptions<GptOssOptions>>(sp => new ConfigureOptions<GptOssOptions>(options =>
            (configuration ?? sp.GetService<IConfiguration>())?.GetSection(GptOssOptions.SectionName).Bind(options)));
        if (configure is not null) services.Configure(configure);

        services.TryAddSingleton(sp => new HarmonyChatPipeline(
            sp.GetService<ITokenGenerator>() ?? throw new InvalidOperationException(
                "No ITokenGenerator is registered: register the gpt-oss engine (or a ScriptedTokenGenerator) before resolving gpt-oss chat services.")));

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
