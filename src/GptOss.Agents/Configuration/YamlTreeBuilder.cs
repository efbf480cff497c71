using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace GptOss.Agents.Configuration;

/// <summary>
/// Assembles one YAML document's parse events into a <see cref="ConfigNode"/> tree on an explicit stack, so deep
/// nesting cannot overflow the call stack. An alias reuses its anchor's node but counts as every node it repeats,
/// so the tree any later walk sees stays within <see cref="YamlConfigReader.MaxNodes"/> and <see cref="YamlConfigReader.MaxDepth"/>.
/// </summary>
internal sealed class YamlTreeBuilder(string file)
{
    /// <summary>A list or mapping whose end event has not come yet; a mapping's items alternate key, value.</summary>
    private sealed class OpenCollection(NodeEvent start, long nodesBefore)
    {
        public NodeEvent Start { get; } = start;
        public long NodesBefore { get; } = nodesBefore;
        public List<ConfigNode> Items { get; } = [];
        public int TallestItem { get; set; }
    }

    /// <summary>An anchored node with its size (nodes) and height (levels of nesting), which each alias to it repeats.</summary>
    private sealed record Anchored(ConfigNode Node, long Nodes, int Height);

    private readonly Stack<OpenCollection> _open = new();
    // Null while the anchored collection is still open: an alias to it would make the tree infinite.
    private readonly Dictionary<string, Anchored?> _anchors = new(StringComparer.Ordinal);
    private long _nodes;
    private ConfigNode? _root;

    /// <summary>Reads the events of one node (the document's root) from <paramref name="parser"/>.</summary>
    public ConfigNode Build(IParser parser)
    {
        while (_root is null)
        {
            var next = parser.Current ?? throw new YamlException("unexpected end of the YAML stream");
            parser.MoveNext();
            switch (next)
            {
                case Scalar scalar:
                    Count(1, scalar);
                    var value = scalar.Style == ScalarStyle.Plain && scalar.Value is "" or "~" or "null" or "Null" or "NULL" ? null : scalar.Value;
                    Complete(scalar, new ConfigScalar(value, At(scalar), scalar.Style is not ScalarStyle.Plain), 1, 0);
                    break;
                case SequenceStart or MappingStart:
                    Open((NodeEvent)next);
                    break;
                case SequenceEnd or MappingEnd:
                    Close();
                    break;
                case AnchorAlias alias:
                    Repeat(alias);
                    break;
                default:
                    throw new YamlException(next.Start, next.End, $"unexpected {next.GetType().Name} in a YAML node");
            }
        }
        return _root;
    }

    private void Open(NodeEvent start)
    {
        if (_open.Count >= YamlConfigReader.MaxDepth)
            throw new YamlException(start.Start, start.End, $"lists and mappings nest deeper than {YamlConfigReader.MaxDepth} levels");
        Count(1, start);
        if (!start.Anchor.IsEmpty) _anchors[start.Anchor.Value] = null;
        _open.Push(new OpenCollection(start, _nodes - 1));
    }

    private void Close()
    {
        var collection = _open.Pop();
        var at = At(collection.Start);
        ConfigNode node = collection.Start is MappingStart
            ? new ConfigMap(
                [.. collection.Items.Chunk(2).Select(kv => new ConfigEntry((kv[0] as ConfigScalar)?.Value ?? "", kv[0].Location, kv[1]))],
                at)
            : new ConfigList(collection.Items, at);
        Complete(collection.Start, node, _nodes - collection.NodesBefore, collection.TallestItem + 1);
    }

    private void Repeat(AnchorAlias alias)
    {
        var name = alias.Value.Value;
        if (!_anchors.TryGetValue(name, out var anchored))
            throw new YamlException(alias.Start, alias.End, $"alias '*{name}' has no anchor '&{name}' before it");
        if (anchored is null)
            throw new YamlException(alias.Start, alias.End, $"alias '*{name}' refers to a node that contains it");
        if (_open.Count + anchored.Height > YamlConfigReader.MaxDepth)
            throw new YamlException(alias.Start, alias.End, $"alias '*{name}' nests lists and mappings deeper than {YamlConfigReader.MaxDepth} levels");
        Count(anchored.Nodes, alias);
        Deliver(anchored.Node, anchored.Height);
    }

    private void Complete(NodeEvent start, ConfigNode node, long nodes, int height)
    {
        if (!start.Anchor.IsEmpty) _anchors[start.Anchor.Value] = new Anchored(node, nodes, height);
        Deliver(node, height);
    }

    private void Deliver(ConfigNode node, int height)
    {
        if (_open.Count == 0)
        {
            _root = node;
            return;
        }
        var parent = _open.Peek();
        parent.Items.Add(node);
        parent.TallestItem = Math.Max(parent.TallestItem, height);
    }

    private void Count(long nodes, ParsingEvent at)
    {
        _nodes += nodes;
        if (_nodes > YamlConfigReader.MaxNodes)
            throw new YamlException(at.Start, at.End, $"more than {YamlConfigReader.MaxNodes} nodes, counting each alias as the nodes it repeats");
    }

    private SourceLocation At(ParsingEvent e) => YamlConfigReader.At(file, e.Start);
}
