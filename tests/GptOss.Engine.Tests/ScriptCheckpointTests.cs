using GptOss.Engine.Checkpoints;
using GptOss.Generation;
using GptOss.Harmony;

namespace GptOss.Engine.Tests;

/// <summary>A script model decodes its chosen harmony sequence greedily through the real engine.</summary>
public sealed class ScriptCheckpointTests
{
    private const string ToolCall = "<|channel|>commentary to=functions.lookup <|constrain|>json<|message|>{\"q\":\"x\"}<|call|>";

    private static readonly IReadOnlyList<int> Prompt =
        HarmonyChatPipeline.RenderPrompt([Message.FromRole(Role.User, "Look up x.")]);

    [Theory]
    [InlineData(ActivationDType.BFloat16, 0f)]
    [InlineData(ActivationDType.Float32, 0f)]
    [InlineData(ActivationDType.BFloat16, 1f)]
    public async Task DecodingEmitsTheScriptedToolCall(ActivationDType dtype, float temperature)
    {
        using var dir = new TempDirectory();
        var script = HarmonyTokenizer.Shared.Encode(ToolCall, allowSpecial: true);
        ScriptCheckpoint.Write(dir.Path, Prompt[^1], script);
        using var engine = GptOssEngine.Load(dir.Path, new EngineOptions { DType = dtype });

        var tokens = new List<GeneratedToken>();
        var options = new GenerationOptions { Temperature = temperature, Seed = 7, StopTokens = HarmonyTokens.StopTokensForAssistantActions };
        await foreach (var token in engine.GenerateAsync(Prompt, options)) tokens.Add(token);

        Assert.Equal(script, tokens.Select(t => t.Id));
        Assert.Equal(FinishReason.Stop, tokens[^1].Stats.FinishReason);
        Assert.Equal(HarmonyTokens.Call, tokens[^1].Id);
    }

    [Fact]
    public void AScriptThatRepeatsATokenIsRefused()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<ArgumentException>(() => ScriptCheckpoint.Write(dir.Path, 200006, [1, 2, 1]));
        Assert.StartsWith("the script repeats a token (a bigram model cannot)", error.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
