namespace GptOss.Harmony;

/// <summary>A message's author: a role and, for tools (e.g. <c>functions.get_weather</c>) or named users, a name.</summary>
public sealed record Author(Role Role, string? Name = null);
