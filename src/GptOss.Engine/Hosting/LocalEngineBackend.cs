using GptOss.Generation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

[assembly: GenerationBackend(typeof(GptOss.Engine.LocalEngineBackend))]

namespace GptOss.Engine;

/// <summary>The <c>Local</c> backend: <see cref="GptOssEngine"/> loaded in-process from <see cref="LocalModelOptions.ModelDirectory"/>.</summary>
public sealed class LocalEngineBackend : IGenerationBackend
{
    public string Kind => BackendKinds.Local;

    public ITokenGenerator Create(GenerationBackendContext context)
    {
        // The generator's configuration first, then whatever AddGptOssEngine was given.
        var options = new LocalModelOptions();
        context.Configuration?.GetSection(LocalModelOptions.SectionName).Bind(options);
        foreach (var configure in context.Services.GetServices<IConfigureOptions<LocalModelOptions>>()) configure.Configure(options);
        if (string.IsNullOrWhiteSpace(options.ModelDirectory))
            throw new InvalidOperationException(
                $"no gpt-oss model: set {LocalModelOptions.SectionName}:{nameof(LocalModelOptions.ModelDirectory)} (or --model DIR), or choose a remote backend with {GenerationBackendOptions.SectionName}:Kind");
        if (!Directory.Exists(options.ModelDirectory))
            throw new DirectoryNotFoundException($"{options.ModelDirectory}: checkpoint folder not found");
        return GptOssEngine.Load(options.ModelDirectory, options.ToEngineOptions());
    }
}
