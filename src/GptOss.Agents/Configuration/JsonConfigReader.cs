using System.Text;
using System.Text.Json;

namespace GptOss.Agents.Configuration;

/// <summary>
/// Reads a JSON file (appsettings.json: comments and trailing commas allowed) into a <see cref="ConfigNode"/>
/// tree with line and column of every value.
/// </summary>
public static class JsonConfigReader
{
    public static ConfigNode? Read(string json, string file, List<AgentConfigError> errors)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n') lineStarts.Add(i + 1);
        }
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        try
        {
            if (!reader.Read())
            {
                errors.Add(new AgentConfigError(new SourceLocation(file, 1, 1), "the file is empty"));
                return null;
            }
            return ReadValue(ref reader, file, lineStarts);
        }
        catch (JsonException e)
        {
            errors.Add(new AgentConfigError(
                new SourceLocation(file, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1),
                $"invalid JSON: {e.Message}"));
            return null;
        }
    }

    private static ConfigNode ReadValue(ref Utf8JsonReader reader, string file, List<int> lineStarts)
    {
        var at = At(reader.TokenStartIndex, file, lineStarts);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var entries = new List<ConfigEntry>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var keyAt = At(reader.TokenStartIndex, file, lineStarts);
                    var key = reader.GetString()!;
                    reader.Read();
                    entries.Add(new ConfigEntry(key, keyAt, ReadValue(ref reader, file, lineStarts)));
                }
                return new ConfigMap(entries, at);
            case JsonTokenType.StartArray:
                var items = new List<ConfigNode>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(ReadValue(ref reader, file, lineStarts));
                }
                return new ConfigList(items, at);
            case JsonTokenType.String:
                return new ConfigScalar(reader.GetString(), at, Quoted: true);
            case JsonTokenType.Null:
                return new ConfigScalar(null, at);
            default: // numbers, true, false: their literal text
                return new ConfigScalar(Encoding.UTF8.GetString(reader.ValueSpan), at);
        }
    }

    private static SourceLocation At(long offset, string file, List<int> lineStarts)
    {
        var line = lineStarts.BinarySearch((int)offset);
        if (line < 0) line = ~line - 1;
        return new SourceLocation(file, line + 1, (int)offset - lineStarts[line] + 1);
    }
}
