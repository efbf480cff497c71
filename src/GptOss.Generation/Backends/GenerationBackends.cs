using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace GptOss.Generation;

/// <summary>Picks the backend <c>GptOss:Backend:Kind</c> names: a registered one, else one a referenced assembly declares.</summary>
internal sealed class GenerationBackends(IConfiguration? configuration)
{
    // Where each kind lives when it was not registered; loading by name keeps this assembly free of their dependencies.
    private static readonly Dictionary<string, string> Assemblies = new()
    {
        [BackendKinds.Local] = "GptOss.Engine",
        [BackendKinds.Vllm] = "GptOss.Remote",
        [BackendKinds.Sglang] = "GptOss.Remote",
        [BackendKinds.LlamaCpp] = "GptOss.Remote",
    };

    /// <summary>The configuration the generator was registered with (or the application's).</summary>
    public IConfiguration? Configuration { get; } = configuration;

    public ITokenGenerator Create(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<GenerationBackendOptions>>().Value;
        var kind = BackendKinds.Normalize(options.Kind);
        var backend = services.GetServices<IGenerationBackend>().LastOrDefault(b => b.Kind == kind) ?? Discover(kind);
        return backend.Create(new GenerationBackendContext(services, Configuration, options));
    }

    private static IGenerationBackend Discover(string kind)
    {
        var name = Assemblies[kind];
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(name));
        }
        catch (FileNotFoundException)
        {
            throw new InvalidOperationException(
                $"{GenerationBackendOptions.SectionName}:Kind is {kind}, but {name} is not referenced: add it and call " +
                $"{(kind == BackendKinds.Local ? "services.AddGptOssEngine()" : "services.AddGptOssRemoteBackends()")}, or register an ITokenGenerator");
        }
        return assembly.GetCustomAttributes<GenerationBackendAttribute>()
            .Select(a => (IGenerationBackend)Activator.CreateInstance(a.BackendType)!)
            .FirstOrDefault(b => b.Kind == kind)
            ?? throw new InvalidOperationException($"{name} declares no {kind} backend");
    }
}
