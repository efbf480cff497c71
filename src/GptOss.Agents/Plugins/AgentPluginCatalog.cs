using Microsoft.SemanticKernel;

namespace GptOss.Agents.Plugins;

/// <summary>A kernel plugin agents can name in <c>tools:</c>; <see cref="Create"/> makes a fresh instance per run.</summary>
public sealed record AgentPluginRegistration(string Name, Func<KernelPlugin> Create);

/// <summary>
/// The kernel plugins agent definitions may reference by name: the built-in ones (Clock, Calculator, Todo)
/// and any the host registers. Each run gets fresh plugin instances, so stateful plugins (Todo) start empty.
/// </summary>
public sealed class AgentPluginCatalog
{
    private readonly Dictionary<string, AgentPluginRegistration> _registrations;
    private readonly Dictionary<string, KernelPlugin> _metadata = new(StringComparer.Ordinal);

    public AgentPluginCatalog(IEnumerable<AgentPluginRegistration> registrations)
    {
        _registrations = new(StringComparer.Ordinal);
        foreach (var registration in registrations)
        {
            _registrations[registration.Name] = registration;
        }
    }

    /// <summary>The plugins shipped with GptOss.Agents.</summary>
    public static IReadOnlyList<AgentPluginRegistration> BuiltIn { get; } =
    [
        new("Clock", () => KernelPluginFactory.CreateFromObject(new ClockPlugin(), "Clock")),
        new("Calculator", () => KernelPluginFactory.CreateFromObject(new CalculatorPlugin(), "Calculator")),
        new("Todo", () => KernelPluginFactory.CreateFromObject(new TodoPlugin(), "Todo")),
    ];

    public static AgentPluginCatalog Default { get; } = new(BuiltIn);

    public IEnumerable<string> Names => _registrations.Keys.Order(StringComparer.Ordinal);

    /// <summary>A plugin instance for reading names and schemas (validation, listings); never invoked.</summary>
    public KernelPlugin? Describe(string name)
    {
        lock (_metadata)
        {
            if (_metadata.TryGetValue(name, out var plugin)) return plugin;
            if (!_registrations.TryGetValue(name, out var registration)) return null;
            return _metadata[name] = registration.Create();
        }
    }

    /// <summary>A fresh instance of the plugin, for one run.</summary>
    public KernelPlugin Create(string name) =>
        _registrations.TryGetValue(name, out var registration)
            ? registration.Create()
            : throw new KeyNotFoundException($"no kernel plugin named '{name}' (known: {string.Join(", ", Names)})");
}
