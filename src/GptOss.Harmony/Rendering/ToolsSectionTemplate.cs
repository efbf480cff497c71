using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GptOss.Harmony;

/// <summary>
/// The <c># Tools</c> section of system and developer messages, with openai/harmony's JSON schema →
/// TypeScript-like rendering (<c>namespace functions { type f = (_: {...}) => any; }</c>), quirks included.
/// </summary>
internal static class ToolsSectionTemplate
{
    public static string Render(IReadOnlyDictionary<string, ToolNamespaceConfig> tools)
    {
        var sections = new List<string> { "# Tools" };
        foreach (var (_, ns) in ToolNamespaces.Sorted(tools))
        {
            var lines = new List<string> { $"## {ns.Name}\n" };
            bool hasTools = ns.Tools.Count > 0;
            if (ns.Description is not null)
            {
                lines.AddRange(Lines(ns.Description).Select(line => hasTools ? $"// {line}" : line));
            }
            if (hasTools)
            {
                lines.Add($"namespace {ns.Name} {{\n");
                foreach (var tool in ns.Tools)
                {
                    lines.AddRange(Lines(tool.Description).Select(line => $"// {line}"));
                    lines.Add(tool.Parameters is null
                        ? $"type {tool.Name} = () => any;\n"
                        : $"type {tool.Name} = (_: {SchemaToTypeScript(tool.Parameters, "")}) => any;\n");
                }
                lines.Add($"}} // namespace {ns.Name}");
            }
            sections.Add(string.Join("\n", lines));
        }
        return string.Join("\n\n", sections);
    }

    /// <summary>Rust's <c>str::lines</c>: split on <c>\n</c>, drop one trailing <c>\r</c> per line, no final empty line.</summary>
    private static IEnumerable<string> Lines(string text)
    {
        if (text.Length == 0) yield break;
        var parts = text.Split('\n');
        int count = text.EndsWith('\n') ? parts.Length - 1 : parts.Length;
        for (int i = 0; i < count; i++)
        {
            yield return parts[i].EndsWith('\r') ? parts[i][..^1] : parts[i];
        }
    }

    /// <summary>serde_json's <c>value.get(key)</c>: present (possibly JSON null) only on objects.</summary>
    private static bool Has(JsonNode? node, string key, out JsonNode? value)
    {
        value = null;
        return node is JsonObject obj && obj.TryGetPropertyValue(key, out value);
    }

    private static string? GetString(JsonNode? node, string key) =>
        Has(node, key, out var value) && value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static JsonArray? GetArray(JsonNode? node, string key) => Has(node, key, out var value) ? value as JsonArray : null;

    private static bool IsTrue(JsonNode? node, string key) =>
        Has(node, key, out var value) && value is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    private static bool IsEnum(JsonNode? schema) => GetArray(schema, "enum") is { Count: > 0 };

    private static bool IsString(JsonNode? node, out string text)
    {
        text = "";
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            text = v.GetValue<string>();
            return true;
        }
        return false;
    }

    private static string WithNullable(JsonNode? schema, string type) =>
        IsTrue(schema, "nullable") && !type.Contains("null", StringComparison.Ordinal) ? $"{type} | null" : type;

    /// <summary>A default as a trailing comment: <c>default: "s"</c> for strings outside enums, raw for enum strings, JSON otherwise.</summary>
    private static string DefaultComment(JsonNode? schema, JsonNode? value) =>
        IsString(value, out string s) ? (IsEnum(schema) ? $"default: {s}" : $"default: \"{s}\"") : $"default: {SerdeJsonWriter.ToJson(value)}";

    public static string SchemaToTypeScript(JsonNode? schema, string indent)
    {
        if (Has(schema, "oneOf", out var oneOf) && oneOf is JsonArray variants)
        {
            var sb = new StringBuilder();
            foreach (var variant in variants)
            {
                sb.Append('\n').Append(indent).Append(" | ");
                sb.Append(WithNullable(variant, SchemaToTypeScript(variant, indent + "   ")));
                var comments = new List<string>();
                if (GetString(variant, "description") is { } description) comments.Add(description);
                if (Has(variant, "default", out var variantDefault)) comments.Add(DefaultComment(variant, variantDefault));
                if (comments.Count > 0) sb.Append(" // ").Append(string.Join(" ", comments));
            }
            return sb.ToString();
        }

        if (GetArray(schema, "type") is { } types)
        {
            var names = types.Where(t => IsString(t, out _)).Select(t => t!.GetValue<string>() == "integer" ? "number" : t!.GetValue<string>()).ToList();
            if (names.Count > 0) return string.Join(" | ", names);
        }

        switch (GetString(schema, "type"))
        {
            case "object":
                return ObjectToTypeScript(schema!, indent);
            case "string":
                var members = GetArray(schema, "enum")?.Where(v => IsString(v, out _)).Select(v => $"\"{v!.GetValue<string>()}\"").ToList();
                return members is { Count: > 0 } ? string.Join(" | ", members) : "string";
            case "number" or "integer":
                return "number";
            case "boolean":
                return "boolean";
            case "array":
                return Has(schema, "items", out var items) ? $"{SchemaToTypeScript(items, indent)}[]" : "Array<any>";
            default:
                return "any";
        }
    }

    private static string ObjectToTypeScript(JsonNode schema, string indent)
    {
        var sb = new StringBuilder();
        if (GetString(schema, "description") is { } objectDescription)
        {
            sb.Append(indent).Append("// ").Append(objectDescription).Append('\n');
        }
        sb.Append("{\n");

        if (Has(schema, "properties", out var propertiesNode) && propertiesNode is JsonObject properties)
        {
            var required = new HashSet<string>(
                GetArray(schema, "required")?.Where(r => IsString(r, out _)).Select(r => r!.GetValue<string>()) ?? [],
                StringComparer.Ordinal);
            foreach (var (key, property) in properties)
            {
                string optional = required.Contains(key) ? "" : "?";
                if (GetString(property, "title") is { } title)
                {
                    sb.Append(indent).Append("// ").Append(title).Append('\n').Append(indent).Append("//\n");
                }
                bool hasOneOf = Has(property, "oneOf", out var oneOfNode);
                string? propertyDescription = GetString(property, "description");
                if (!hasOneOf && propertyDescription is not null)
                {
                    sb.Append(indent).Append("// ").Append(propertyDescription).Append('\n');
                }
                if (GetArray(property, "examples") is { Count: > 0 } examples)
                {
                    sb.Append(indent).Append("// Examples:\n");
                    foreach (var example in examples)
                    {
                        if (IsString(example, out string text)) sb.Append(indent).Append("// - \"").Append(text).Append("\"\n");
                    }
                }

                if (oneOfNode is JsonArray variants)
                {
                    AppendOneOfProperty(sb, indent, key + optional, property, propertyDescription, variants);
                    continue;
                }

                sb.Append(indent).Append(key).Append(optional).Append(": ");
                sb.Append(WithNullable(property, SchemaToTypeScript(property, indent + "    ")));
                sb.Append(',');
                if (!hasOneOf && Has(property, "default", out var defaultValue))
                {
                    sb.Append(" // ").Append(DefaultComment(property, defaultValue));
                }
                sb.Append('\n');
            }
        }
        sb.Append(indent).Append('}');
        return sb.ToString();
    }

    private static void AppendOneOfProperty(StringBuilder sb, string indent, string name, JsonNode? property, string? propertyDescription, JsonArray variants)
    {
        bool skipDescription = propertyDescription is not null && variants.Count > 0 && GetString(variants[0], "description") == propertyDescription;
        bool descriptionAbove = false;
        if (!skipDescription && propertyDescription is not null)
        {
            sb.Append(indent).Append("// ").Append(propertyDescription).Append('\n');
            descriptionAbove = true;
        }
        if (Has(property, "default", out var defaultValue))
        {
            sb.Append(indent).Append("// ").Append(DefaultComment(property, defaultValue)).Append('\n');
        }
        sb.Append(indent).Append(name).Append(":\n");
        for (int i = 0; i < variants.Count; i++)
        {
            var variant = variants[i];
            sb.Append(indent).Append(" | ");
            sb.Append(WithNullable(variant, SchemaToTypeScript(variant, indent + "   ")));
            var comments = new List<string>();
            if (!(i == 0 && descriptionAbove) && GetString(variant, "description") is { } description && description != propertyDescription)
            {
                comments.Add(description);
            }
            if (Has(variant, "default", out var variantDefault)) comments.Add(DefaultComment(variant, variantDefault));
            if (comments.Count > 0) sb.Append(" // ").Append(string.Join(" ", comments));
            sb.Append('\n');
        }
        sb.Append(indent).Append(",\n");
    }
}
