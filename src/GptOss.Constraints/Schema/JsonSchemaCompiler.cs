using System.Text.Json;
using GptOss.Constraints.Automata;

namespace GptOss.Constraints.Schema;

/// <summary>
/// Compiles a JSON Schema into the byte automaton of compact JSON documents valid against it. The grammar may build
/// fewer documents than the schema allows, never others: properties come in the order the schema declares them
/// (optional ones may be left out) and no undeclared ones are added; <c>number</c> with bounds builds integers in
/// range; free-form values nest at most <see cref="FreeFormDepth"/> levels. <c>oneOf</c> builds one of its branches,
/// so its branches should not overlap. Any keyword it cannot enforce throws
/// <see cref="JsonSchemaNotSupportedException"/> at compile time.
/// </summary>
internal sealed class JsonSchemaCompiler
{
    /// <summary>How deeply values that a schema leaves free (<c>{}</c>, a json_object's members) may nest.</summary>
    public const int FreeFormDepth = 3;

    /// <summary>How deeply schemas may nest (as JsonDocument's default): deeper ones are refused, not recursed into.</summary>
    public const int MaxDepth = 64;

    /// <summary>Bounded arrays repeat their item automaton; beyond this many optional items the grammar stops offering more.</summary>
    private const int MaxOptionalItems = 64;

    private static readonly HashSet<string> Annotations =
        ["title", "description", "$schema", "$id", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly", "$defs", "definitions"];

    private static readonly HashSet<string> Supported =
    [
        "type", "properties", "required", "additionalProperties", "enum", "const", "items", "minItems", "maxItems",
        "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern", "format",
        "anyOf", "oneOf", "$ref", "uniqueItems",
    ];

    private static readonly Dictionary<string, string> FormatPatterns = new()
    {
        ["date"] = @"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])$",
        ["time"] = @"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$",
        ["date-time"] = @"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$",
        ["uuid"] = @"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    };

    private readonly Nfa _nfa;
    private readonly JsonElement _root;
    private readonly Stack<string> _references = new();
    private int _depth;

    private JsonSchemaCompiler(Nfa nfa, JsonElement root)
    {
        _nfa = nfa;
        _root = root;
    }

    /// <summary>The documents valid against <paramref name="schema"/>, as a fragment of <paramref name="nfa"/>.</summary>
    public static Fragment Compile(Nfa nfa, JsonElement schema) => new JsonSchemaCompiler(nfa, schema).Value(schema, "");

    /// <summary>Any JSON object (response_format json_object), members free-form.</summary>
    public static Fragment AnyObject(Nfa nfa) => new JsonSchemaCompiler(nfa, default).FreeObject(FreeFormDepth);

    private Fragment Value(JsonElement schema, string pointer)
    {
        if (_depth >= MaxDepth) throw new JsonSchemaNotSupportedException("(depth)", pointer, $"schemas nest deeper than {MaxDepth} levels");
        _depth++;
        try
        {
            return Unnested(schema, pointer);
        }
        finally
        {
            _depth--;
        }
    }

    private Fragment Unnested(JsonElement schema, string pointer)
    {
        if (schema.ValueKind == JsonValueKind.True) return FreeValue(FreeFormDepth);
        if (schema.ValueKind == JsonValueKind.False) throw new JsonSchemaNotSupportedException("false", pointer, "the schema false admits no value");
        if (schema.ValueKind != JsonValueKind.Object) throw new JsonSchemaNotSupportedException("(schema)", pointer, "a schema must be an object or a boolean");

        var keywords = new List<string>();
        foreach (var property in schema.EnumerateObject())
        {
            if (Annotations.Contains(property.Name)) continue;
            if (!Supported.Contains(property.Name))
                throw new JsonSchemaNotSupportedException(property.Name, pointer, "the constraint engine cannot enforce it");
            keywords.Add(property.Name);
        }
        if (schema.TryGetProperty("uniqueItems", out var unique) && unique.ValueKind != JsonValueKind.False)
            throw new JsonSchemaNotSupportedException("uniqueItems", pointer, "only uniqueItems: false can be enforced");

        foreach (string combinator in new[] { "$ref", "anyOf", "oneOf" })
            if (keywords.Contains(combinator) && keywords.Count > 1)
                throw new JsonSchemaNotSupportedException(combinator, pointer,
                    $"it cannot be combined with sibling keywords ({string.Join(", ", keywords.Where(k => k != combinator))}); move them into the branches");

        if (schema.TryGetProperty("$ref", out var reference)) return Reference(reference, pointer);
        if (schema.TryGetProperty("anyOf", out var anyOf)) return Branches(anyOf, pointer + "/anyOf");
        if (schema.TryGetProperty("oneOf", out var oneOf)) return Branches(oneOf, pointer + "/oneOf");

        var types = TypesOf(schema, pointer);
        if (schema.TryGetProperty("const", out var constant)) return Literals([constant], types, pointer + "/const");
        if (schema.TryGetProperty("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array) throw new JsonSchemaNotSupportedException("enum", pointer, "enum must be an array");
            return Literals([.. values.EnumerateArray()], types, pointer + "/enum");
        }
        if (types is null) return FreeValue(FreeFormDepth);
        return _nfa.Choice(types.Select(type => Typed(type, schema, pointer)).ToList());
    }

    private Fragment Branches(JsonElement branches, string pointer)
    {
        if (branches.ValueKind != JsonValueKind.Array || branches.GetArrayLength() == 0)
            throw new JsonSchemaNotSupportedException(pointer[(pointer.LastIndexOf('/') + 1)..], pointer, "it must be a non-empty array of schemas");
        return _nfa.Choice(branches.EnumerateArray().Select((branch, i) => Value(branch, $"{pointer}/{i}")).ToList());
    }

    private Fragment Reference(JsonElement reference, string pointer)
    {
        string target = reference.ValueKind == JsonValueKind.String ? reference.GetString()! : throw new JsonSchemaNotSupportedException("$ref", pointer, "it must be a string");
        if (!target.StartsWith('#'))
            throw new JsonSchemaNotSupportedException("$ref", pointer, $"only references within the schema ('#/...') are supported, not '{target}'");
        if (_references.Contains(target))
            throw new JsonSchemaNotSupportedException("$ref", pointer, $"'{target}' is recursive; only non-recursive references are supported");
        var resolved = _root;
        foreach (string segment in target[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            string name = Uri.UnescapeDataString(segment).Replace("~1", "/").Replace("~0", "~");
            if (resolved.ValueKind != JsonValueKind.Object || !resolved.TryGetProperty(name, out resolved))
                throw new JsonSchemaNotSupportedException("$ref", pointer, $"'{target}' does not resolve");
        }
        _references.Push(target);
        var fragment = Value(resolved, target[1..]);
        _references.Pop();
        return fragment;
    }

    private static IReadOnlyList<string>? TypesOf(JsonElement schema, string pointer)
    {
        if (schema.TryGetProperty("type", out var type))
        {
            string[] names = type.ValueKind switch
            {
                JsonValueKind.String => [type.GetString()!],
                JsonValueKind.Array => [.. type.EnumerateArray().Select(t => t.GetString() ?? "")],
                _ => [],
            };
            foreach (string name in names)
                if (name is not ("object" or "array" or "string" or "number" or "integer" or "boolean" or "null"))
                    throw new JsonSchemaNotSupportedException("type", pointer, $"unknown type '{name}'");
            if (names.Length == 0) throw new JsonSchemaNotSupportedException("type", pointer, "type must be a name or an array of names");
            return names;
        }
        // No type: the keywords present say which kinds of value they constrain.
        var implied = new List<string>();
        if (Has(schema, "properties", "required", "additionalProperties")) implied.Add("object");
        if (Has(schema, "items", "minItems", "maxItems")) implied.Add("array");
        if (Has(schema, "minLength", "maxLength", "pattern", "format")) implied.Add("string");
        if (Has(schema, "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")) implied.Add("number");
        return implied.Count == 0 ? null : implied;
    }

    private static bool Has(JsonElement schema, params string[] keywords) => keywords.Any(k => schema.TryGetProperty(k, out _));

    private Fragment Typed(string type, JsonElement schema, string pointer) => type switch
    {
        "null" => _nfa.Literal("null"),
        "boolean" => _nfa.Choice([_nfa.Literal("true"), _nfa.Literal("false")]),
        "integer" => Integer(schema, pointer),
        "number" => Has(schema, "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") ? Integer(schema, pointer) : FreeNumber(),
        "string" => String(schema, pointer),
        "array" => Array(schema, pointer),
        _ => Object(schema, pointer),
    };

    private Fragment Integer(JsonElement schema, string pointer)
    {
        long min = -IntegerRange.Limit, max = IntegerRange.Limit;
        if (Bound(schema, "minimum", pointer) is { } minimum) min = Math.Max(min, Clamp(Math.Ceiling(minimum)));
        if (Bound(schema, "exclusiveMinimum", pointer) is { } exclusiveMin) min = Math.Max(min, Clamp(Math.Floor(exclusiveMin) + 1));
        if (Bound(schema, "maximum", pointer) is { } maximum) max = Math.Min(max, Clamp(Math.Floor(maximum)));
        if (Bound(schema, "exclusiveMaximum", pointer) is { } exclusiveMax) max = Math.Min(max, Clamp(Math.Ceiling(exclusiveMax) - 1));
        if (min > max) throw new JsonSchemaNotSupportedException("minimum", pointer, "no integer lies within the bounds");
        return IntegerRange.Build(_nfa, min, max);
    }

    private static long Clamp(double value) => (long)Math.Clamp(value, -IntegerRange.Limit, IntegerRange.Limit);

    private static double? Bound(JsonElement schema, string keyword, string pointer) =>
        !schema.TryGetProperty(keyword, out var value) ? null
        : value.ValueKind == JsonValueKind.Number ? value.GetDouble()
        : throw new JsonSchemaNotSupportedException(keyword, pointer, "it must be a number");

    private static int? Count(JsonElement schema, string keyword, string pointer) =>
        !schema.TryGetProperty(keyword, out var value) ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int count) && count >= 0 ? count
        : throw new JsonSchemaNotSupportedException(keyword, pointer, "it must be a non-negative integer");

    private Fragment String(JsonElement schema, string pointer)
    {
        int minLength = Count(schema, "minLength", pointer) ?? 0;
        int? maxLength = Count(schema, "maxLength", pointer);
        if (minLength > JsonStringBuilder.MaxCountedLength)
            throw new JsonSchemaNotSupportedException("minLength", pointer, $"at most {JsonStringBuilder.MaxCountedLength} is supported");
        if (maxLength < minLength) throw new JsonSchemaNotSupportedException("maxLength", pointer, "it is below minLength");
        string? pattern = null;
        if (schema.TryGetProperty("format", out var format))
        {
            string name = format.ValueKind == JsonValueKind.String ? format.GetString()! : throw new JsonSchemaNotSupportedException("format", pointer, "it must be a string");
            pattern = FormatPatterns.GetValueOrDefault(name)
                ?? throw new JsonSchemaNotSupportedException("format", pointer, $"format '{name}' (supported: {string.Join(", ", FormatPatterns.Keys)})");
        }
        if (schema.TryGetProperty("pattern", out var patternValue))
        {
            if (pattern is not null) throw new JsonSchemaNotSupportedException("pattern", pointer, "it cannot be combined with format");
            pattern = patternValue.ValueKind == JsonValueKind.String ? patternValue.GetString()! : throw new JsonSchemaNotSupportedException("pattern", pointer, "it must be a string");
        }
        if (pattern is null) return JsonStringBuilder.String(_nfa, minLength, maxLength is { } m ? Math.Min(m, JsonStringBuilder.MaxCountedLength) : null);
        if (minLength > 0 || maxLength is not null)
            throw new JsonSchemaNotSupportedException("pattern", pointer, "it cannot be combined with minLength or maxLength; express the length in the pattern");
        return PatternCompiler.Compile(_nfa, pattern, pointer + "/pattern");
    }

    private Fragment Array(JsonElement schema, string pointer)
    {
        int minItems = Count(schema, "minItems", pointer) ?? 0;
        int? maxItems = Count(schema, "maxItems", pointer);
        if (maxItems < minItems) throw new JsonSchemaNotSupportedException("maxItems", pointer, "it is below minItems");
        if (maxItems - minItems > MaxOptionalItems) maxItems = minItems + MaxOptionalItems;
        Func<Fragment> item = schema.TryGetProperty("items", out var items)
            ? items.ValueKind == JsonValueKind.Array
                ? throw new JsonSchemaNotSupportedException("items", pointer, "tuple items (an array) are not supported")
                : () => Value(items, pointer + "/items")
            : () => FreeValue(FreeFormDepth - 1);
        return _nfa.Sequence(_nfa.Literal("["), _nfa.Repeat(item, minItems, maxItems, () => _nfa.Literal(",")), _nfa.Literal("]"));
    }

    private Fragment Object(JsonElement schema, string pointer)
    {
        var members = new List<(string Name, Func<Fragment> Value, bool Required)>();
        var required = !schema.TryGetProperty("required", out var requiredList) ? []
            : requiredList.ValueKind == JsonValueKind.Array && requiredList.EnumerateArray().All(r => r.ValueKind == JsonValueKind.String)
                ? requiredList.EnumerateArray().Select(r => r.GetString()!).ToList()
                : throw new JsonSchemaNotSupportedException("required", pointer, "it must be an array of strings");
        if (schema.TryGetProperty("properties", out var properties) && properties.ValueKind != JsonValueKind.Object)
            throw new JsonSchemaNotSupportedException("properties", pointer, "it must be an object");
        if (properties.ValueKind == JsonValueKind.Object)
            foreach (var property in properties.EnumerateObject())
            {
                var value = property.Value;
                string at = $"{pointer}/properties/{property.Name.Replace("~", "~0").Replace("/", "~1")}";
                members.Add((property.Name, () => Value(value, at), required.Contains(property.Name)));
            }
        schema.TryGetProperty("additionalProperties", out var additional);
        foreach (string name in required.Where(r => members.All(m => m.Name != r)))
        {
            if (additional.ValueKind == JsonValueKind.False)
                throw new JsonSchemaNotSupportedException("required", pointer, $"'{name}' is required but not in properties, and additionalProperties is false");
            members.Add((name, additional.ValueKind == JsonValueKind.Object
                ? () => Value(additional, pointer + "/additionalProperties")
                : () => FreeValue(FreeFormDepth - 1), true));
        }
        // Boundaries between members: 'none yet' needs no comma before the next member, 'some' needs one.
        int open = _nfa.AddState(), noneYet = open, some = _nfa.AddState();
        var start = _nfa.Literal("{");
        _nfa.AddEpsilon(start.End, open);
        foreach (var member in members)
        {
            var entry = _nfa.Sequence(_nfa.Literal(JsonSerializer.Serialize(member.Name) + ":"), member.Value());
            int memberStart = _nfa.AddState();
            _nfa.AddEpsilon(noneYet, memberStart);
            var comma = _nfa.Literal(",");
            _nfa.AddEpsilon(some, comma.Start);
            _nfa.AddEpsilon(comma.End, memberStart);
            _nfa.AddEpsilon(memberStart, entry.Start);
            int nextNone = _nfa.AddState(), nextSome = _nfa.AddState();
            _nfa.AddEpsilon(entry.End, nextSome);
            if (!member.Required)
            {
                _nfa.AddEpsilon(noneYet, nextNone);
                _nfa.AddEpsilon(some, nextSome);
            }
            noneYet = nextNone;
            some = nextSome;
        }
        var close = _nfa.Literal("}");
        _nfa.AddEpsilon(noneYet, close.Start);
        _nfa.AddEpsilon(some, close.Start);
        return new Fragment(start.Start, close.End);
    }

    private Fragment Literals(IReadOnlyList<JsonElement> values, IReadOnlyList<string>? types, string pointer)
    {
        var allowed = values.Where(v => types is null || types.Any(t => Matches(v, t))).ToList();
        if (allowed.Count == 0) throw new JsonSchemaNotSupportedException(pointer[(pointer.LastIndexOf('/') + 1)..], pointer, "no value is of the schema's type");
        return _nfa.Choice(allowed.Select(v => _nfa.Literal(JsonSerializer.SerializeToUtf8Bytes(v))).ToList());
    }

    private static bool Matches(JsonElement value, string type) => (value.ValueKind, type) switch
    {
        (JsonValueKind.Null, "null") or (JsonValueKind.True or JsonValueKind.False, "boolean") or (JsonValueKind.String, "string")
            or (JsonValueKind.Array, "array") or (JsonValueKind.Object, "object") or (JsonValueKind.Number, "number") => true,
        (JsonValueKind.Number, "integer") => value.TryGetDouble(out double d) && Math.Floor(d) == d,
        _ => false,
    };

    private Fragment FreeNumber() =>
        _nfa.Sequence(IntegerRange.Build(_nfa, -IntegerRange.Limit, IntegerRange.Limit),
            _nfa.Optional(_nfa.Sequence(_nfa.Literal("."), _nfa.Repeat(() => Digit(), 1, 6))));

    private Fragment Digit()
    {
        int start = _nfa.AddState(), end = _nfa.AddState();
        _nfa.AddEdge(start, '0', '9', end);
        return new Fragment(start, end);
    }

    /// <summary>Any JSON value nesting at most <paramref name="depth"/> more levels of arrays and objects.</summary>
    private Fragment FreeValue(int depth)
    {
        var kinds = new List<Fragment>
        {
            JsonStringBuilder.String(_nfa, 0, null), FreeNumber(), _nfa.Literal("true"), _nfa.Literal("false"), _nfa.Literal("null"),
        };
        if (depth > 0)
        {
            kinds.Add(_nfa.Sequence(_nfa.Literal("["), _nfa.Repeat(() => FreeValue(depth - 1), 0, null, () => _nfa.Literal(",")), _nfa.Literal("]")));
            kinds.Add(FreeObject(depth));
        }
        return _nfa.Choice(kinds);
    }

    private Fragment FreeObject(int depth)
    {
        Fragment Member() => _nfa.Sequence(JsonStringBuilder.String(_nfa, 0, null), _nfa.Literal(":"), FreeValue(depth - 1));
        return _nfa.Sequence(_nfa.Literal("{"), _nfa.Repeat(Member, 0, null, () => _nfa.Literal(",")), _nfa.Literal("}"));
    }
}
