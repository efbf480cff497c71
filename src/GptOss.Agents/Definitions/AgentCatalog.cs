namespace GptOss.Agents;

/// <summary>The configured agents by name.</summary>
public sealed class AgentCatalog
{
    private readonly Dictionary<string, AgentDefinition> _agents;

    public AgentCatalog(IEnumerable<AgentDefinition> agents)
    {
        _agents = agents.ToDictionary(a => a.Name, StringComparer.Ordinal);
    }

    /// <summary>Every agent, ordered by name.</summary>
    public IReadOnlyList<AgentDefinition> Agents => _agents.Values.OrderBy(a => a.Name, StringComparer.Ordinal).ToList();

    public bool TryGet(string name, out AgentDefinition definition) => _agents.TryGetValue(name, out definition!);

    /// <summary>The agent named <paramref name="name"/>, or an error listing the known agents.</summary>
    public AgentDefinition Get(string name) =>
        _agents.TryGetValue(name, out var agent)
            ? agent
            : throw new KeyNotFoundException(_agents.Count == 0
                ? $"unknown agent '{name}': no agents are configured"
                : $"unknown agent '{name}': known agents are {string.Join(", ", Agents.Select(a => a.Name))}");
}
