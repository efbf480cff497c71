namespace GptOss.Hub;

/// <summary>A hub or cache problem, worded as one line for the user (names the repository, file or setting at fault).</summary>
public sealed class HubException(string message, Exception? inner = null) : Exception(message, inner);
