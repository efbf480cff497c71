using Microsoft.Extensions.Configuration;
using GptOss.Engine;
using GptOss.Engine.Checkpoints;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace GptOss.SemanticKernel.Tests;

/// <summary>
/// The whole stack on the real engine: a tiny random checkpoint with the full harmony vocabulary, loaded by the
/// service registration from <c>GptOss:ModelDirectory</c>. Its output is random tokens, i.e. the
/// most malformed harmony there is: the service must still answer, count tokens and reuse the KV cache.
/// </summary>
public sealed class RealEngineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gptoss-sk-tests-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_random_tiny_checkpoint_answers_through_the_service_and_reuses_the_prompt_prefix()
    {
        RandomCheckpoint.Write(_dir, new RandomCheckpointOptions { Seed = 7, Vocab = HarmonyVocabulary });
        var kernel = Kernel.CreateBuilder()
            .AddGptOssChatCompletion(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                // Only AddGptOssChatCompletion: the engine is found because this test project references it.
                ["GptOss:ModelDirectory"] = _dir, ["GptOss:DType"] = "f32", ["GptOss:IncludeCurrentDate"] = "false",
            }).Build())
            .Build();
        var service = kernel.GetRequiredService<IChatCompletionService>();
        var history = new ChatHistory("Answer briefly.");
        history.AddUserMessage("Hello?");
        var settings = new GptOssPromptExecutionSettings { MaxTokens = 12, Temperature = 0, Seed = 1 };

        var first = await service.GetChatMessageContentAsync(history, settings);
        var streamed = new List<StreamingChatMessageContent>();
        await foreach (var update in service.GetStreamingChatMessageContentsAsync(history, settings)) streamed.Add(update);

        var usage = Assert.IsType<UsageDetails>(first.Metadata!["Usage"]);
        Assert.True(usage.InputTokenCount > 20);
        Assert.InRange(usage.OutputTokenCount!.Value, 1, 12);
        var again = Assert.IsType<UsageDetails>(streamed.Last(s => s.Metadata?.ContainsKey("Usage") == true).Metadata!["Usage"]);
        Assert.Equal(usage.InputTokenCount, again.InputTokenCount);
        Assert.Equal(usage.InputTokenCount - 1, again.CachedInputTokenCount); // all but the last token, whose logits are needed
        Assert.Equal(usage.OutputTokenCount, again.OutputTokenCount); // greedy: the same tokens again
    }

    private const int HarmonyVocabulary = 201_088;
}
