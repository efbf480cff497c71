using GptOss.Constraints;
using GptOss.Generation;
using GptOss.Testing;

namespace GptOss.Remote.Tests;

/// <summary>Remote engines sample on the server, so a constrained call is refused with one clear error and no request.</summary>
public sealed class ConstraintRefusalTests : RemoteTestBase
{
    [Theory]
    [InlineData(Engine.Vllm)]
    [InlineData(Engine.Sglang)]
    [InlineData(Engine.LlamaCpp)]
    public async Task AConstrainedCallIsRefusedBeforeAnythingIsSent(Engine engine)
    {
        await using var server = StartFake(engine, HarmonyScripts.WeatherCall);
        var constrained = new GenerationOptions { Constraint = new AnyToken() };

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => CollectAsync(Client(engine, server.Endpoint), Prompt, constrained));
        Assert.Contains("cannot enforce structured outputs or required tool calls", error.Message);
        Assert.Empty(server.Generations);
    }

    private sealed class AnyToken : ITokenConstraint
    {
        public TokenMask? Allowed(int remainingTokens) => null;

        public void Accept(int token) { }
    }
}
