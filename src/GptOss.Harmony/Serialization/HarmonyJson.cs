using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace GptOss.Harmony;

/// <summary>
/// openai/harmony's serde JSON form of messages and conversations (<c>src/chat.rs</c>), byte for byte:
/// a message is flat (<c>role</c>, <c>name</c>?, <c>recipient</c>?, <c>content</c>, <c>channel</c>?, <c>content_type</c>?),
/// content is a plain string when it is a single text, else a list of <c>{"type": ...}</c> objects; inside
/// system/developer content unset fields are <c>null</c>; reasoning effort is <c>"Low"|"Medium"|"High"</c>.
/// Reading is as lenient as serde: unknown fields are ignored, absent optional fields are null.
/// Malformed input throws <see cref="JsonException"/> naming the field.
/// </summary>
public static class HarmonyJson
{
    /// <summary>Options whose converters read and write <see cref="Message"/>, <see cref="Conversation"/> and
    /// <see cref="Content"/> in the harmony shape (compact output is byte-identical to serde's).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        options.Converters.Add(new Converter<Message>(Write, ReadMessage));
        options.Converters.Add(new Converter<Conversation>(Write, ReadConversation));
        options.Converters.Add(new Converter<Content>(Write, ReadContent));
        options.MakeReadOnly();
        return options;
    }

    public static string Serialize(Message message) => Build(sb => Write(sb, message));

    public static string Serialize(Conversation conversation) => Build(sb => Write(sb, conversation));

    /// <summary>A JSON array of messages (what <c>gptoss harmony parse</c> prints).</summary>
    public static string Serialize(IEnumerable<Message> messages) => Build(sb =>
    {
        sb.Append('[');
        bool first = true;
        foreach (var message in messages)
        {
            if (!first) sb.Append(',');
            first = false;
            Write(sb, message);
        }
        sb.Append(']');
    });

    public static Message DeserializeMessage(string json) => ReadMessage(ParseRoot(json), "$");

    public static Conversation DeserializeConversation(string json) => ReadConversation(ParseRoot(json), "$");

    public static IReadOnlyList<Message> DeserializeMessages(string json) => ReadMessages(ParseRoot(json), "$");

    private static string Build(Action<StringBuilder> write)
    {
        var sb = new StringBuilder();
        write(sb);
        return sb.ToString();
    }

    private static JsonNode ParseRoot(string json) =>
        JsonNode.Parse(json ?? throw new ArgumentNullException(nameof(json))) ?? throw new JsonException("$: expected a JSON value, found null");

    // ---- writing ----

    private static void Write(StringBuilder sb, Conversation conversation)
    {
        sb.Append("{\"messages\":");
        sb.Append(Serialize(conversation.Messages));
        sb.Append('}');
    }

    private static void Write(StringBuilder sb, Message message)
    {
        sb.Append("{\"role\":");
        SerdeJsonWriter.WriteString(sb, HarmonyRenderer.RoleWord(message.Author.Role));
        OptionalField(sb, "name", message.Author.Name);
        OptionalField(sb, "recipient", message.Recipient);
        sb.Append(",\"content\":");
        if (message.Content is [TextContent single])
        {
            SerdeJsonWriter.WriteString(sb, single.Text);
        }
        else
        {
            sb.Append('[');
            for (int i = 0; i < message.Content.Count; i++)
            {
                if (i > 0) sb.Append(',');
                Write(sb, message.Content[i]);
            }
            sb.Append(']');
        }
        OptionalField(sb, "channel", message.Channel);
        OptionalField(sb, "content_type", message.ContentType);
        sb.Append('}');
    }

    private static void OptionalField(StringBuilder sb, string name, string? value)
    {
        if (value is null) return;
        sb.Append(",\"").Append(name).Append("\":");
        SerdeJsonWriter.WriteString(sb, value);
    }

    private static void Field(StringBuilder sb, string name, string? value, bool first = false)
    {
        if (!first) sb.Append(',');
        sb.Append('"').Append(name).Append("\":");
        if (value is null) sb.Append("null");
        else SerdeJsonWriter.WriteString(sb, value);
    }

    private static void Write(StringBuilder sb, Content content)
    {
        switch (content)
        {
            case TextContent text:
                sb.Append("{\"type\":\"text\"");
                Field(sb, "text", text.Text);
                break;
            case SystemContent system:
                sb.Append("{\"type\":\"system_content\"");
                Field(sb, "model_identity", system.ModelIdentity);
                Field(sb, "reasoning_effort", system.ReasoningEffort?.ToString());
                sb.Append(",\"tools\":");
                WriteTools(sb, system.Tools);
                Field(sb, "conversation_start_date", system.ConversationStartDate);
                Field(sb, "knowledge_cutoff", system.KnowledgeCutoff);
                sb.Append(",\"channel_config\":");
                if (system.ChannelConfig is null)
                {
                    sb.Append("null");
                }
                else
                {
                    sb.Append("{\"valid_channels\":[");
                    for (int i = 0; i < system.ChannelConfig.ValidChannels.Count; i++)
                    {
                        if (i > 0) sb.Append(',');
                        SerdeJsonWriter.WriteString(sb, system.ChannelConfig.ValidChannels[i]);
                    }
                    sb.Append("],\"channel_required\":").Append(system.ChannelConfig.ChannelRequired ? "true" : "false").Append('}');
                }
                break;
            case DeveloperContent developer:
                sb.Append("{\"type\":\"developer_content\"");
                Field(sb, "instructions", developer.Instructions);
                sb.Append(",\"tools\":");
                WriteTools(sb, developer.Tools);
                break;
            default:
                throw new JsonException($"Unsupported content type {content?.GetType().Name ?? "null"}.");
        }
        sb.Append('}');
    }

    private static void WriteTools(StringBuilder sb, IReadOnlyDictionary<string, ToolNamespaceConfig>? tools)
    {
        if (tools is null)
        {
            sb.Append("null");
            return;
        }
        sb.Append('{');
        bool first = true;
        foreach (var (key, ns) in ToolNamespaces.Sorted(tools))
        {
            if (!first) sb.Append(',');
            first = false;
            SerdeJsonWriter.WriteString(sb, key);
            sb.Append(':');
            Field(sb.Append('{'), "name", ns.Name, first: true);
            Field(sb, "description", ns.Description);
            sb.Append(",\"tools\":[");
            for (int i = 0; i < ns.Tools.Count; i++)
            {
                var tool = ns.Tools[i];
                if (i > 0) sb.Append(',');
                Field(sb.Append('{'), "name", tool.Name, first: true);
                Field(sb, "description", tool.Description);
                sb.Append(",\"parameters\":");
                SerdeJsonWriter.Write(sb, tool.Parameters);
                sb.Append('}');
            }
            sb.Append("]}");
        }
        sb.Append('}');
    }

    // ---- reading ----

    private static Conversation ReadConversation(JsonNode? node, string path)
    {
        var obj = AsObject(node, path);
        return new Conversation(ReadMessages(Required(obj, "messages", path), path + ".messages"));
    }

    private static IReadOnlyList<Message> ReadMessages(JsonNode? node, string path) =>
        node is JsonArray array
            ? array.Select((m, i) => ReadMessage(m, $"{path}[{i}]")).ToList()
            : throw new JsonException($"{path}: expected an array of messages, found {Kind(node)}");

    private static Message ReadMessage(JsonNode? node, string path)
    {
        var obj = AsObject(node, path);
        string roleWord = RequiredString(obj, "role", path);
        var role = MessageHeader.TryParseRole(roleWord)
            ?? throw new JsonException($"{path}.role: unknown role \"{roleWord}\" (expected system, developer, user, assistant or tool)");
        var contentNode = Required(obj, "content", path);
        IReadOnlyList<Content> content = contentNode switch
        {
            JsonValue v when v.GetValueKind() == JsonValueKind.String => [new TextContent(v.GetValue<string>())],
            JsonArray array => array.Select((c, i) => ReadContent(c, $"{path}.content[{i}]")).ToList(),
            _ => throw new JsonException($"{path}.content: expected a string or a list of content, found {Kind(contentNode)}"),
        };
        return new Message(new Author(role, OptionalString(obj, "name", path)), content)
        {
            Recipient = OptionalString(obj, "recipient", path),
            Channel = OptionalString(obj, "channel", path),
            ContentType = OptionalString(obj, "content_type", path),
        };
    }

    private static Content ReadContent(JsonNode? node, string path)
    {
        var obj = AsObject(node, path);
        string type = RequiredString(obj, "type", path);
        switch (type)
        {
            case "text":
                return new TextContent(RequiredString(obj, "text", path));
            case "system_content":
                return new SystemContent
                {
                    ModelIdentity = OptionalString(obj, "model_identity", path),
                    ReasoningEffort = OptionalString(obj, "reasoning_effort", path) switch
                    {
                        null => null,
                        "Low" => ReasoningEffort.Low,
                        "Medium" => ReasoningEffort.Medium,
                        "High" => ReasoningEffort.High,
                        var other => throw new JsonException($"{path}.reasoning_effort: unknown value \"{other}\" (expected Low, Medium or High)"),
                    },
                    Tools = ReadTools(obj, path),
                    ConversationStartDate = OptionalString(obj, "conversation_start_date", path),
                    KnowledgeCutoff = OptionalString(obj, "knowledge_cutoff", path),
                    ChannelConfig = ReadChannelConfig(obj, path),
                };
            case "developer_content":
                return new DeveloperContent
                {
                    Instructions = OptionalString(obj, "instructions", path),
                    Tools = ReadTools(obj, path),
                };
            default:
                throw new JsonException($"{path}.type: unknown content type \"{type}\" (expected text, system_content or developer_content)");
        }
    }

    private static ChannelConfig? ReadChannelConfig(JsonObject parent, string path)
    {
        if (!parent.TryGetPropertyValue("channel_config", out var node) || node is null) return null;
        path += ".channel_config";
        var obj = AsObject(node, path);
        var channels = Required(obj, "valid_channels", path) is JsonArray array
            ? array.Select((c, i) => AsString(c, $"{path}.valid_channels[{i}]")).ToList()
            : throw new JsonException($"{path}.valid_channels: expected an array of strings");
        var required = Required(obj, "channel_required", path);
        bool channelRequired = required is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? v.GetValue<bool>()
            : throw new JsonException($"{path}.channel_required: expected true or false, found {Kind(required)}");
        return new ChannelConfig(channels, channelRequired);
    }

    private static IReadOnlyDictionary<string, ToolNamespaceConfig>? ReadTools(JsonObject parent, string path)
    {
        if (!parent.TryGetPropertyValue("tools", out var node) || node is null) return null;
        path += ".tools";
        var map = new Dictionary<string, ToolNamespaceConfig>(StringComparer.Ordinal);
        foreach (var (key, value) in AsObject(node, path))
        {
            string nsPath = $"{path}.{key}";
            var ns = AsObject(value, nsPath);
            var toolsNode = Required(ns, "tools", nsPath);
            var tools = toolsNode is JsonArray array
                ? array.Select((t, i) => ReadTool(t, $"{nsPath}.tools[{i}]")).ToList()
                : throw new JsonException($"{nsPath}.tools: expected an array, found {Kind(toolsNode)}");
            map[key] = new ToolNamespaceConfig(RequiredString(ns, "name", nsPath), OptionalString(ns, "description", nsPath), tools);
        }
        return map;
    }

    private static ToolDescription ReadTool(JsonNode? node, string path)
    {
        var obj = AsObject(node, path);
        JsonObject? parameters = null;
        if (obj.TryGetPropertyValue("parameters", out var p) && p is not null)
        {
            parameters = p is JsonObject schema
                ? (JsonObject)schema.DeepClone()
                : throw new JsonException($"{path}.parameters: expected a JSON schema object, found {Kind(p)}");
        }
        return new ToolDescription(RequiredString(obj, "name", path), RequiredString(obj, "description", path), parameters);
    }

    private static JsonObject AsObject(JsonNode? node, string path) =>
        node as JsonObject ?? throw new JsonException($"{path}: expected an object, found {Kind(node)}");

    private static JsonNode Required(JsonObject obj, string name, string path) =>
        obj.TryGetPropertyValue(name, out var value) && value is not null
            ? value
            : throw new JsonException($"{path}: missing field \"{name}\"");

    private static string RequiredString(JsonObject obj, string name, string path) => AsString(Required(obj, name, path), $"{path}.{name}");

    private static string? OptionalString(JsonObject obj, string name, string path) =>
        obj.TryGetPropertyValue(name, out var value) && value is not null ? AsString(value, $"{path}.{name}") : null;

    private static string AsString(JsonNode? node, string path) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String
            ? v.GetValue<string>()
            : throw new JsonException($"{path}: expected a string, found {Kind(node)}");

    private static string Kind(JsonNode? node) => node?.GetValueKind().ToString().ToLowerInvariant() ?? "null";

    /// <summary>Bridges the hand-written reader/writer into System.Text.Json (writes the exact serde bytes).</summary>
    private sealed class Converter<T>(Action<StringBuilder, T> write, Func<JsonNode?, string, T> read) : JsonConverter<T>
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            read(JsonNode.Parse(ref reader), "$");

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            writer.WriteRawValue(Build(sb => write(sb, value)), skipInputValidation: true);
    }
}
