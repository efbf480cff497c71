using GptOss.Generation;
using System.ComponentModel;
using GptOss.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

namespace GptOss.SemanticKernel.Tests;

/// <summary>A kernel over a scripted generator (the scripts: <see cref="GptOss.Testing.HarmonyScripts"/>).</summary>
internal static class Scripts
{
    public static Kernel Kernel(ITokenGenerator generator, WeatherPlugin? plugin = null)
    {
        var builder = Microsoft.SemanticKernel.Kernel.CreateBuilder();
        builder.Services.AddSingleton<ITokenGenerator>(generator);
        builder.AddGptOssChatCompletion(configure: o => o.IncludeCurrentDate = false);
        if (plugin is not null) builder.Plugins.AddFromObject(plugin, "Weather");
        return builder.Build();
    }
}

public sealed class WeatherPlugin
{
    public List<(string City, string Unit)> Calls { get; } = [];

    [KernelFunction("get_weather"), Description("Current weather in a city.")]
    public string GetWeather([Description("City name")] string city, [Description("celsius or fahrenheit")] string unit = "celsius")
    {
        Calls.Add((city, unit));
        return $"{{\"city\":\"{city}\",\"temperature\":18,\"unit\":\"{unit}\"}}";
    }
}
