using System.Text.Json.Nodes;

namespace GptOss.Remote.Testing;

/// <summary>A request a fake server received: method, path, headers (names lower-case) and the parsed JSON body, if any.</summary>
public sealed record RecordedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, JsonObject? Body);
