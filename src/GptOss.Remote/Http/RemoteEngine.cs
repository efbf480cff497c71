namespace GptOss.Remote.Http;

/// <summary>What differs between engines in how their errors read: the name users know and the hint when ids are missing.</summary>
/// <param name="Name">The engine as users call it (<c>vLLM</c>).</param>
/// <param name="Kind">The <see cref="GptOss.Generation.BackendKinds"/> value that selects it.</param>
/// <param name="MissingIdsHint">Why a response may lack token ids on this engine.</param>
internal sealed record RemoteEngine(string Name, string Kind, string MissingIdsHint);
