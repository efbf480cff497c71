using GptOss.Harmony;

namespace GptOss.Tools.Tests;

/// <summary>Builds the assistant's tool-call messages the way the model writes them.</summary>
internal static class Calls
{
    public static Message To(string recipient, string text, string channel = "analysis") =>
        new Message(new Author(Role.Assistant), [new TextContent(text)]) { Recipient = recipient, Channel = channel };

    public static ToolsOptions FastOptions(Action<ToolsOptions>? configure = null)
    {
        var options = new ToolsOptions
        {
            TimeLimit = TimeSpan.FromSeconds(3),
            MaxOutputChars = 4000,
            MemoryLimitBytes = 512L << 20,
        };
        options.Resilience.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        configure?.Invoke(options);
        return options;
    }

    public static async Task<string> RunAsync(this ToolExecutor executor, string recipient, string text)
    {
        var results = await executor.ExecuteAsync(To(recipient, text));
        return Assert.Single(results).Text;
    }
}
