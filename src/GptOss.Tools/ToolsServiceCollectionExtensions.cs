using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GptOss.Tools;

public static class ToolsServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IToolExecutorFactory"/> with <see cref="ToolsOptions"/> bound from the section <c>Tools</c>.</summary>
    public static IServiceCollection AddGptOssTools(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ToolsOptions>().Bind(configuration.GetSection(ToolsOptions.SectionName));
        return services.AddFactory();
    }

    /// <summary>Registers <see cref="IToolExecutorFactory"/> with options set in code.</summary>
    public static IServiceCollection AddGptOssTools(this IServiceCollection services, Action<ToolsOptions>? configure = null)
    {
        var options = services.AddOptions<ToolsOptions>();
        if (configure is not null) options.Configure(configure);
        return services.AddFactory();
    }

    private static IServiceCollection AddFactory(this IServiceCollection services)
    {
        services.AddSingleton<ToolExecutorFactory>(sp => new ToolExecutorFactory(sp.GetRequiredService<IOptions<ToolsOptions>>().Value));
        services.AddSingleton<IToolExecutorFactory>(sp => sp.GetRequiredService<ToolExecutorFactory>());
        return services;
    }
}
