namespace GptOss.Remote.Testing;

/// <summary>What a fake engine serves, and the misbehaviours it injects.</summary>
public sealed record FakeServerOptions
{
    /// <summary>The port to listen on (127.0.0.1); 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>The served model's name (<c>GET /v1/models</c>).</summary>
    public string ModelName { get; init; } = "openai/gpt-oss-20b";

    /// <summary>The context length the server reports (vLLM <c>max_model_len</c>, llama.cpp <c>meta.n_ctx</c>).</summary>
    public int ContextLength { get; init; } = 131_072;

    /// <summary>llama.cpp's <c>meta.n_vocab</c>.</summary>
    public int VocabularySize { get; init; } = 201_088;

    /// <summary>Ids per streamed event (vLLM, SGLang; llama.cpp always streams one).</summary>
    public int IdsPerChunk { get; init; } = 1;

    /// <summary>Close the connection without finishing the response once this many ids were streamed.</summary>
    public int? DisconnectAfterIds { get; init; }

    /// <summary>Send an error event once this many ids were streamed, then end the stream.</summary>
    public int? ErrorAfterIds { get; init; }

    /// <summary>Stop sending once this many ids were streamed and wait for the client to close the connection.</summary>
    public int? PauseAfterIds { get; init; }

    /// <summary>Answer the first this-many requests (any path) 503, as a server does while it loads.</summary>
    public int TransientFailures { get; init; }

    /// <summary>The <c>Retry-After</c> seconds sent with those 503s, if any.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>Answer every generation request with this status and body (e.g. 400 and llama.cpp's exceed_context_size_error).</summary>
    public (int Status, string Body)? Reject { get; init; }

    /// <summary>Leave the token ids out of the answer (a server that ignores return_token_ids / return_tokens).</summary>
    public bool OmitTokenIds { get; init; }

    /// <summary>Replace the id at this position of the answer with <see cref="VocabularySize"/> (outside the vocabulary).</summary>
    public int? OutOfVocabularyAt { get; init; }

    /// <summary>End the stream without <c>data: [DONE]</c> (vLLM, SGLang).</summary>
    public bool OmitDone { get; init; }

    /// <summary>Do not stop at the requested stop ids (as if the server did not know them): the inner generator runs to its end.</summary>
    public bool IgnoreStopTokens { get; init; }

    /// <summary>Leave the stop id out of the ids and only name it (vLLM <c>stop_reason</c>, SGLang <c>finish_reason.matched</c>).</summary>
    public bool StopIdOnlyInFinishReason { get; init; }

    /// <summary>SGLang with <c>--incremental-streaming-output</c>: each event carries only its new output_ids (default: cumulative).</summary>
    public bool IncrementalOutputIds { get; init; }

    /// <summary>
    /// llama.cpp streaming: a token whose text ends inside a UTF-8 character gets no event (the next event carries the
    /// whole character with only its own id), as llama-server does. On by default, like the real server.
    /// </summary>
    public bool DropIdsInsideUtf8Characters { get; init; } = true;
}
