namespace GptOss.Remote;

/// <summary>
/// A remote engine could not give an answer: unreachable, refused the request, served another model, or sent
/// something that is not a valid token stream. The message is one line naming the engine, its endpoint and the
/// problem, e.g. <c>vLLM at http://gpu-box:8000: the response carries no token ids (...)</c>.
/// </summary>
/// <remarks>An <see cref="InvalidOperationException"/>, so front doors that report configuration problems as one line report these too.</remarks>
public sealed class RemoteBackendException(string message, Exception? innerException = null)
    : InvalidOperationException(message, innerException);
