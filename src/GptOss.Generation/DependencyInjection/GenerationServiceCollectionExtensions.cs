using GptOss.Generation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the model every front door shares.</summary>
public static class GenerationServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="ITokenGenerator"/> (unless one is registered, e.g. a <see cref="ScriptedTokenGenerator"/>)
    /// as the backend <c>GptOss:Backend:Kind</c> names, created on first use, and the <see cref="HarmonyChatPipeline"/>
    /// over it. Settings come from <paramref name="configuration"/>, else the registered <see cref="IConfiguration"/>.
    /// </summary>
    public static IServiceCollection AddGptOssGenerator(this IServiceCollection services, IConfiguration? configuration = null)
    {
        services.AddGptOssOptions<GenerationBackendOptions>(GenerationBackendOptions.SectionName, configuration);
        services.TryAddSingleton(sp => new GenerationBackends(configuration ?? sp.GetService<IConfiguration>()));
        services.TryAddSingleton<ITokenGenerator>(sp => sp.GetRequiredService<GenerationBackends>().Create(sp));
        services.TryAddSingleton(sp => new HarmonyChatPipeline(sp.GetRequiredService<ITokenGenerator>()));
        return services;
    }

    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to <paramref name="sectionPath"/> of <paramref name="configuration"/>, or of
    /// the registered <see cref="IConfiguration"/> when none is given (read when the options are first used).
    /// </summary>
    public static IServiceCollection AddGptOssOptions<TOptions>(this IServiceCollection services, string sectionPath, IConfiguration? configuration = null)
        where TOptions : class
    {
        services.AddOptions<TOptions>();
        services.AddSingleton<IConfigureOptions<TOptions>>(sp => new ConfigureOptions<TOptions>(options =>
            (configuration ?? sp.GetService<IConfiguration>())?.GetSection(sectionPath).Bind(options)));
        return services;
    }
}
