using GptOss.Agents;
using GptOss.Cli.Views;

namespace GptOss.Cli.Tests;

public sealed class TerminalViewTests
{
    [Fact]
    public async Task On_a_terminal_reasoning_is_dim_and_what_the_model_wrote_stays_escaped()
    {
        var (output, progress) = (new StringWriter(), new StringWriter());
        var view = new TerminalView(output, progress, new TerminalViewOptions { Dim = true });

        await view.ShowAsync(new AgentEvent.ReasoningDelta(1, "think \u001b[31mred"));
        await view.ShowAsync(new AgentEvent.AnswerDelta(1, "Done."));

        Assert.Equal("(thinking) \u001b[2mthink \\x1B[31mred\u001b[0m" + Environment.NewLine, progress.ToString());
        Assert.Equal("Done.", output.ToString());
    }
}
