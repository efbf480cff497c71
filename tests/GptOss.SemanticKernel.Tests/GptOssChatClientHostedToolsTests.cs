using GptOss.Generation;
using GptOss.Tools;
using Microsoft.Extensions.AI;

namespace GptOss.SemanticKernel.Tests;

/// <summary>M.E.AI hosted tools run inside <see cref="GptOssChatClient"/> on gpt-oss's own tools (here the browser over a corpus folder).</summary>
public sealed class GptOssChatClientHostedToolsTests : IDisposable
{
    private const string SearchCall =
        "<|channel|>analysis<|message|>Search the corpus.<|end|>" +
        "<|start|>assistant<|channel|>analysis to=browser.search code<|message|>{\"query\": \"harmony format\"}<|call|>";

    private const string SearchAnswer =
        "<|channel|>analysis<|message|>Found it.<|end|>" +
        "<|start|>assistant<|channel|>final<|message|>Harmony is gpt-oss's chat format.<|return|>";

    private readonly string _corpus = Directory.CreateTempSubdirectory("gptoss-corpus-").FullName;
    private readonly ToolExecutorFactory _tools;

    public GptOssChatClientHostedToolsTests()
    {
        File.WriteAllText(Path.Combine(_corpus, "harmony.md"), "# Harmony\n\nThe harmony format is gpt-oss's chat format, with channels.\n");
        _tools = new ToolExecutorFactory(new ToolsOptions { Browser = new BrowserOptions { CorpusDirectory = _corpus } });
    }

    private GptOssChatClient Client(ScriptedTokenGenerator generator, IToolExecutorFactory? tools) =>
        new(new HarmonyChatPipeline(generator), new GptOssOptions { IncludeCurrentDate = false }, hostedTools: tools);

    private static ChatOptions WebSearch => new() { Tools = [new HostedWebSearchTool()] };

    [Fact]
    public async Task A_hosted_web_search_runs_the_browser_inside_the_call_and_is_reported()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(SearchCall, SearchAnswer);

        var response = await Client(generator, _tools).GetResponseAsync([new ChatMessage(ChatRole.User, "What is harmony?")], WebSearch);

        var contents = Assert.Single(response.Messages).Contents;
        Assert.Equal(
            [typeof(TextReasoningContent), typeof(WebSearchToolCallContent), typeof(WebSearchToolResultContent), typeof(TextReasoningContent), typeof(TextContent)],
            contents.Select(c => c.GetType()));
        var call = (WebSearchToolCallContent)contents[1];
        Assert.Equal(["harmony format"], call.Queries!);
        var result = (WebSearchToolResultContent)contents[2];
        Assert.Equal(call.CallId, result.CallId);
        Assert.Contains("gpt-oss's chat format", Assert.IsType<TextContent>(Assert.Single(result.Outputs!)).Text);
        Assert.Equal("Harmony is gpt-oss's chat format.", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Contains("namespace browser", generator.PromptTexts[0], StringComparison.Ordinal);
        Assert.Contains("<|start|>browser.search to=assistant<|channel|>analysis<|message|>", generator.PromptTexts[1]);
        Assert.Equal(generator.Prompts[0].Count + generator.Prompts[1].Count, response.Usage!.InputTokenCount);
    }

    [Fact]
    public async Task Streaming_reports_the_hosted_call_and_gives_each_harmony_message_its_own_id()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(SearchCall, SearchAnswer);

        var updates = await Client(generator, _tools)
            .GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "What is harmony?")], WebSearch).ToListAsync();

        var kinds = updates.SelectMany(u => u.Contents).Select(c => c.GetType()).Distinct().ToList();
        Assert.Equal(
            [typeof(TextReasoningContent), typeof(WebSearchToolCallContent), typeof(WebSearchToolResultContent), typeof(TextContent), typeof(UsageContent)],
            kinds);
        var reasoningIds = updates.Where(u => u.Contents.Any(c => c is TextReasoningContent)).Select(u => u.MessageId).Distinct();
        Assert.Equal(2, reasoningIds.Count());
        var answer = updates.Where(u => u.Contents.Any(c => c is TextContent)).ToList();
        Assert.Single(answer.Select(u => u.MessageId).Distinct());
        Assert.Equal("Harmony is gpt-oss's chat format.", string.Concat(answer.Select(u => u.Text)));
    }

    [Fact]
    public async Task A_conversation_holding_hosted_calls_continues()
    {
        var generator = ScriptedTokenGenerator.FromHarmony(SearchCall, SearchAnswer, "<|channel|>final<|message|>Yes.<|return|>");
        var client = Client(generator, _tools);
        List<ChatMessage> history = [new(ChatRole.User, "What is harmony?")];

        var first = await client.GetResponseAsync(history, WebSearch);
        history.AddRange(first.Messages);
        history.Add(new ChatMessage(ChatRole.User, "Sure?"));
        var second = await client.GetResponseAsync(history, WebSearch);

        Assert.Equal("Yes.", second.Text);
        // The finished turn's analysis (the search and its result included) is dropped, as harmony does.
        Assert.Contains("<|start|>assistant<|channel|>final<|message|>Harmony is gpt-oss's chat format.<|end|><|start|>user<|message|>Sure?", generator.PromptTexts[2]);
        Assert.DoesNotContain("browser.search to=assistant", generator.PromptTexts[2]);
    }

    [Fact]
    public async Task A_model_that_keeps_calling_a_hosted_tool_is_stopped_as_incomplete()
    {
        var generator = ScriptedTokenGenerator.FromHarmony((_, _) => SearchCall);

        var response = await Client(generator, _tools).GetResponseAsync([new ChatMessage(ChatRole.User, "Loop")], WebSearch);

        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(HostedTools.MaxCallsPerResponse, response.Messages[0].Contents.OfType<WebSearchToolResultContent>().Count());
    }

    [Fact]
    public async Task A_hosted_tool_without_tools_to_run_it_is_refused_with_the_reason()
    {
        var client = Client(ScriptedTokenGenerator.FromHarmony(SearchAnswer), tools: null);
        var error = await Assert.ThrowsAsync<NotSupportedException>(
            () => client.GetResponseAsync([new ChatMessage(ChatRole.User, "x")], new ChatOptions { Tools = [new HostedCodeInterpreterTool()] }));
        Assert.Contains("IToolExecutorFactory", error.Message);

        using var noCorpus = new ToolExecutorFactory(new ToolsOptions());
        var unavailable = await Assert.ThrowsAsync<NotSupportedException>(
            () => Client(ScriptedTokenGenerator.FromHarmony(SearchAnswer), noCorpus).GetResponseAsync([new ChatMessage(ChatRole.User, "x")], WebSearch));
        Assert.Contains("browser: no corpus folder is configured", unavailable.Message);
    }

    public void Dispose()
    {
        _tools.Dispose();
        Directory.Delete(_corpus, recursive: true);
    }
}
