using System.Text.Json.Nodes;

namespace GptOss.Testing;

/// <summary>
/// Random JSON Schemas within what the constraint engine supports, from a seeded <see cref="Random"/>: objects
/// (required subsets, additionalProperties false), arrays with bounds, bounded strings, enums, consts, patterns,
/// integer ranges, numbers, booleans, nulls, nullable type arrays, anyOf, oneOf over disjoint types, and
/// <c>$ref</c>s into <c>$defs</c>, nested a few levels. Sizes stay small so each schema's answer is short.
/// </summary>
public sealed class RandomJsonSchemas(int seed)
{
    private static readonly string[] Patterns = [@"^[a-z]{2,5}$", @"^\d{3}-\d{4}$", @"^(yes|no|maybe)$", @"^[A-Z][a-z_]*$", "ab+c", @"^\w+@\w+\.(com|org)$"];
    private static readonly string[] Words = ["alpha", "beta", "gamma", "delta", "x", "Ünïcødé", "with \"quote\"", "line\nbreak"];
    private readonly Random _random = new(seed);
    private JsonObject? _definitions;

    /// <summary>The next schema (a root object, as response formats and function parameters are).</summary>
    public JsonObject Next()
    {
        _definitions = [];
        var root = Object(depth: 0);
        if (_definitions.Count > 0) root["$defs"] = _definitions;
        _definitions = null;
        return root;
    }

    private JsonObject Any(int depth) => (depth >= 3 ? _random.Next(9) : _random.Next(13)) switch
    {
        0 => String(),
        1 => Integer(),
        2 => new JsonObject { ["type"] = "number" },
        3 => new JsonObject { ["type"] = "boolean" },
        4 => new JsonObject { ["type"] = "null" },
        5 => new JsonObject { ["enum"] = new JsonArray([.. Enumerable.Range(0, _random.Next(1, 4)).Select(_ => Literal()).DistinctBy(v => v?.ToJsonString())]) },
        6 => new JsonObject { ["const"] = Literal() },
        7 => new JsonObject { ["type"] = new JsonArray("string", "null"), ["maxLength"] = _random.Next(1, 6) },
        8 => new JsonObject { ["type"] = "string", ["pattern"] = Patterns[_random.Next(Patterns.Length)] },
        9 => Array(depth + 1),
        10 => Object(depth + 1),
        11 => Branches(depth + 1),
        _ => Reference(depth + 1),
    };

    private JsonObject String()
    {
        var schema = new JsonObject { ["type"] = "string" };
        int min = _random.Next(3);
        if (min > 0) schema["minLength"] = min;
        if (_random.Next(2) == 0) schema["maxLength"] = min + _random.Next(8);
        return schema;
    }

    private JsonObject Integer()
    {
        var schema = new JsonObject { ["type"] = "integer" };
        int low = _random.Next(-2000, 2000);
        if (_random.Next(2) == 0) schema["minimum"] = low;
        if (_random.Next(2) == 0) schema["maximum"] = low + _random.Next(0, 5000);
        return schema;
    }

    private JsonNode? Literal() => _random.Next(5) switch
    {
        0 => Words[_random.Next(Words.Length)],
        1 => _random.Next(-100, 100),
        2 => _random.Next(2) == 0,
        3 => null,
        _ => new JsonObject { ["k"] = _random.Next(10) },
    };

    private JsonObject Array(int depth)
    {
        var schema = new JsonObject { ["type"] = "array", ["items"] = Any(depth) };
        int min = _random.Next(3);
        if (min > 0) schema["minItems"] = min;
        if (_random.Next(2) == 0) schema["maxItems"] = min + _random.Next(3);
        return schema;
    }

    private JsonObject Object(int depth)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        int count = _random.Next(1, 5);
        for (int i = 0; i < count; i++)
        {
            string name = $"p{i}_{(char)('a' + _random.Next(26))}";
            properties[name] = Any(depth);
            if (_random.Next(3) > 0) required.Add(name);
        }
        var schema = new JsonObject { ["type"] = "object", ["properties"] = properties, ["required"] = required };
        if (_random.Next(2) == 0) schema["additionalProperties"] = false;
        return schema;
    }

    /// <summary>anyOf over any schemas, or oneOf over schemas of different types (so exactly one matches).</summary>
    private JsonObject Branches(int depth)
    {
        if (_random.Next(2) == 0)
            return new JsonObject { ["anyOf"] = new JsonArray(Any(depth), Any(depth)) };
        JsonObject[] disjoint = [String(), Integer(), new() { ["type"] = "boolean" }, new() { ["type"] = "null" }, Array(depth), Object(depth)];
        int first = _random.Next(disjoint.Length), second = (first + 1 + _random.Next(disjoint.Length - 1)) % disjoint.Length;
        return new JsonObject { ["oneOf"] = new JsonArray(disjoint[first], disjoint[second]) };
    }

    private JsonObject Reference(int depth)
    {
        string name = $"d{_definitions!.Count}";
        _definitions[name] = null;   // reserves the name while the definition itself takes others
        _definitions[name] = Any(depth);
        return new JsonObject { ["$ref"] = $"#/$defs/{name}" };
    }
}
