using GptOss.Generation;
using GptOss.Harmony;
using Microsoft.SemanticKernel;

namespace GptOss.SemanticKernel.Tests;

public sealed class KernelFunctionToolsTests
{
    private static (Kernel Kernel, WeatherPlugin Plugin) Kernel()
    {
        var plugin = new WeatherPlugin();
        var kernel = new Kernel();
        kernel.Plugins.AddFromObject(plugin, "Weather");
        kernel.Plugins.AddFromFunctions("My_Tools", [KernelFunctionFactory.CreateFromMethod(new Func<string>(() => throw new InvalidOperationException("disk on fire")), "explode")]);
        return (kernel, plugin);
    }

    private static HarmonyToolCall Call(string recipient, string arguments) =>
        new(recipient, "commentary", "<|constrain|>json", arguments,
            Message.FromRole(Role.Assistant, arguments) with { Recipient = recipient, Channel = "commentary" });

    [Fact]
    public void Kernel_functions_become_the_functions_namespace_with_their_json_schemas()
    {
        var ns = KernelFunctionTools.ToNamespace(Kernel().Kernel);

        Assert.Equal("functions", ns.Name);
        var weather = Assert.Single(ns.Tools, t => t.Name == "Weather_get_weather");
        Assert.Equal("Current weather in a city.", weather.Description);
        Assert.Equal("string", (string?)weather.Parameters!["properties"]!["city"]!["type"]);
        Assert.Equal("City name", (string?)weather.Parameters["properties"]!["city"]!["description"]);
        Assert.Equal(["city"], weather.Parameters["required"]!.AsArray().Select(n => (string?)n));
        Assert.Contains(ns.Tools, t => t.Name == "My_Tools_explode");
    }

    [Fact]
    public void The_name_maps_back_by_lookup_even_when_the_plugin_name_has_underscores()
    {
        var kernel = Kernel().Kernel;

        Assert.Equal("explode", KernelFunctionTools.Find(kernel, "functions.My_Tools_explode")!.Name);
        Assert.Equal("My_Tools", KernelFunctionTools.Find(kernel, "My_Tools_explode")!.PluginName);
        Assert.Null(KernelFunctionTools.Find(kernel, "My_explode"));
    }

    [Fact]
    public async Task A_call_runs_the_function_with_the_parsed_arguments_and_replies_on_the_calls_channel()
    {
        var (kernel, plugin) = Kernel();

        var outcome = await KernelFunctionTools.InvokeAsync(kernel, Call("functions.Weather_get_weather", "{\"city\":\"Oslo\",\"unit\":\"fahrenheit\"}"));

        Assert.False(outcome.Failed);
        Assert.Equal([("Oslo", "fahrenheit")], plugin.Calls);
        Assert.Equal("{\"city\":\"Oslo\",\"temperature\":18,\"unit\":\"fahrenheit\"}", outcome.Content);
        Assert.Equal(new Author(Role.Tool, "functions.Weather_get_weather"), outcome.Reply.Author);
        Assert.Equal("assistant", outcome.Reply.Recipient);
        Assert.Equal("commentary", outcome.Reply.Channel);
    }

    [Theory]
    [InlineData("functions.Weather_get_forecast", "{}", "no tool named functions.Weather_get_forecast")]
    [InlineData("functions.Weather_get_weather", "{\"city\":", "not valid JSON")]
    [InlineData("functions.Weather_get_weather", "\"Paris\"", "must be a JSON object")]
    [InlineData("functions.Weather_get_weather", "{\"town\":\"Paris\"}", "missing required argument(s): city")]
    [InlineData("functions.My_Tools_explode", "{}", "disk on fire")]
    public async Task Bad_calls_become_error_replies_the_model_can_read(string recipient, string arguments, string expected)
    {
        var (kernel, plugin) = Kernel();

        var outcome = await KernelFunctionTools.InvokeAsync(kernel, Call(recipient, arguments));

        Assert.True(outcome.Failed);
        Assert.StartsWith("Error: ", outcome.Content);
        Assert.Contains(expected, outcome.Content);
        Assert.Equal(outcome.Content, outcome.Reply.Text);
        Assert.Empty(plugin.Calls);
    }
}
