using System.ComponentModel;
using GptOss.Engine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;

namespace GptOss.SemanticKernel.Tests;

/// <summary>Model outputs written the way gpt-oss answers: analysis, then a commentary call with &lt;|constrain|&gt;json, then final.</summary>
internal static class Scripts
{
    public const string WeatherCall =
        "<|channel|>analysis<|message|>User asks for the weather in Paris. I should call get_weather.<|end|>" +
        "<|start|>assistant<|channel|>commentary to=functions.Weather_get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>";

    public const string WeatherAnswer =
        "<|channel|>analysis<|message|>The tool says 18 degrees. Answer briefly.<|end|>" +
        "<|start|>assistant<|channel|>final<|message|>It is 18°C in Paris.<|return|>";

    public static string Final(string analysis, string answer) =>
        $"<|channel|>analysis<|message|>{analysis}<|end|><|start|>assistant<|channel|>final<|message|>{answer}<|return|>";

    public static string Call(string recipient, string json) =>
        "<|channel|>analysis<|message|>Calling a tool.<|end|>" +
        $"<|start|>assistant<|channel|>commentary to={recipient} <|constrain|>json<|message|>{json}<|call|>";

    public static Kernel Kernel(ScriptedTokenGenerator generator, WeatherPlugin? plugin = null)
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
