using GptOss.Generation;
using GptOss.Agents.Plugins;
using GptOss.Tools;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GptOss.Agents;

public static class AgentServiceCollectionExtensions
{
    /// <summary>
    /// Registers the agent catalog from the <c>Agents</c> section of <paramref name="configuration"/> (folder of
    /// agent files + inline <c>Definitions</c>), the plugin catalog (built-in plugins plus every
    /// <see cref="AgentPluginRegistration"/> registered) and the MCP servers of the <c>Mcp</c> section, validated on start: a bad agent stops the host with
    /// every error and its location. Each agent is also a keyed <see cref="AgentDefinition"/> service under its name. <see cref="AgentRunner"/> runs them on the registered
    /// <see cref="ITokenGenerator"/> with the registered <see cref="IToolExecutorFactory"/> (if any, see <c>AddGptOssTools</c>).
    /// </summary>
    public static IServiceCollection AddGptOssAgents(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(AgentDefinitionLoader.SectionName);
        services.AddOptions<AgentsOptions>().Bind(section).ValidateOnStart();
        services.TryAddSingleton(sp => new AgentPluginCatalog(
            AgentPluginCatalog.BuiltIn.Concat(sp.GetServices<AgentPluginRegistration>())));
        services.TryAddSingleton(sp => Load(sp.GetRequiredService<AgentPluginCatalog>(),
            sp.GetRequiredService<IOptions<AgentsOptions>>().Value, configuration).BuildCatalog());
        services.TryAddKeyedSingleton<AgentDefinition>(KeyedService.AnyKey,
            (sp, key) => sp.GetRequiredService<AgentCatalog>().Get(key as string ?? throw new ArgumentException("agents are keyed by name (a string)")));
        services.TryAddSingleton(sp => new AgentRunner(
            sp.GetRequiredService<ITokenGenerator>(),
            sp.GetRequiredService<AgentPluginCatalog>(),
            sp.GetService<IToolExecutorFactory>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IOptions<ToolsOptions>>()?.Value));
        services.AddSingleton<IValidateOptions<AgentsOptions>>(
            sp => new AgentsOptionsValidator(sp.GetRequiredService<AgentPluginCatalog>(), configuration));
        return services;
    }

    /// <summary>Makes a kernel plugin available to agent definitions under <paramref name="name"/>.</summary>
    public static IServiceCollection AddGptOssAgentPlugin(this IServiceCollection services, string name, Func<Microsoft.SemanticKernel.KernelPlugin> create) =>
        services.AddSingleton(new AgentPluginRegistration(name, create));

    internal static AgentDefinitionLoader Load(AgentPluginCatalog plugins, AgentsOptions options, IConfiguration configuration)
    {
        var loader = new AgentDefinitionLoader(plugins).AddMcpConfiguration(configuration.GetSection(McpServerReader.SectionName));
        if (options.ResolveDirectory() is { } directory) loader.AddDirectory(directory);
        return loader.AddConfiguration(configuration.GetSection(AgentDefinitionLoader.SectionName));
    }

    private sealed class AgentsOptionsValidator(AgentPluginCatalog plugins, IConfiguration configuration) : IValidateOptions<AgentsOptions>
    {
        public ValidateOptionsResult Validate(string? name, AgentsOptions options)
        {
            var errors = Load(plugins, options, configuration).Errors;
            return errors.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(errors.Select(e => e.ToString()));
        }
    }
}
