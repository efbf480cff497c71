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
    /// container, shared by every caller: unless one is registered (a <see cref="ScriptedTokenGenerator"/> in tests),
    /// the <see cref="GptOssEngine"/> is loaded from <see cref="GptOssOptions.ModelDirectory"/> on first use.
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

        // The engine loads on first use; registering another ITokenGenerator (a ScriptedTokenGenerator) replaces it.
        services.TryAddSingleton<ITokenGenerator>(sp => LoadEngine(sp.GetRequiredService<IOptions<GptOssOptions>>().Value));
        services.TryAddSingleton(sp => new HarmonyChatPipeline(sp.GetRequiredService<ITokenGenerator>()));

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

    private static GptOssEngine LoadEngine(GptOssOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ModelDirectory))
        {
            throw new InvalidOperationException(
                $"No gpt-oss model: set {GptOssOptions.SectionName}:{nameof(GptOssOptions.ModelDirectory)} in appsettings.json, or register an ITokenGenerator.");
        }
        return GptOssEngine.Load(options.ModelDirectory, options.ToEngineOptions());
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
