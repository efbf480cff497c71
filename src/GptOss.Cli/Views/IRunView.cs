using GptOss.Agents;

namespace GptOss.Cli.Views;

/// <summary>How a command shows an agent run as it happens.</summary>
internal interface IRunView
{
    Task ShowAsync(AgentEvent e);
}
