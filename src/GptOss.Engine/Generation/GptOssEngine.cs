using GptOss.Generation;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using GptOss.Engine.Checkpoints;
using GptOss.Engine.Forward;
using GptOss.Engine.Generation;
using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine;

/// <summary>
/// A gpt-oss checkpoint loaded for inference: streams sampled tokens (<see cref="ITokenGenerator"/>) and exposes
/// logits. Keeps one KV cache; a prompt that extends (or shares a prefix with) the cached sequence only computes the
/// new tokens. Calls are serialized, so one instance can be shared.
/// </summary>
public sealed class GptOssEngine : ITokenGenerator, IDisposable
{
    private readonly Checkpoint _checkpoint;
    private readonly IForwardPass _pass;
    private readonly KvCache _cache;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly int _prefillChunk;
    private float[]? _decodeLogits;

    public ModelDescriptor Model { get; }
    public ModelConfig Config => _checkpoint.Config;
    public CheckpointLayout Layout => _checkpoint.Layout;
    public ActivationDType DType { get; }
    public string Device { get; }
    /// <summary>Time <see cref="Load"/> took.</summary>
    public TimeSpan LoadTime { get; private init; }

    private GptOssEngine(Checkpoint checkpoint, IForwardPass pass, KvCache cache, ModelDescriptor descriptor, ActivationDType dtype, string device, int prefillChunk)
    {
        _prefillChunk = prefillChunk;
        _checkpoint = checkpoint;
        _pass = pass;
        _cache = cache;
        Model = descriptor;
        DType = dtype;
        Device = device;
    }

    /// <summary>Opens the checkpoint in <paramref name="modelDir"/> (HF folder, sharded or not, or OpenAI <c>original/</c>).</summary>
    public static GptOssEngine Load(string modelDir, EngineOptions? options = null) => Load(modelDir, options, pass: null);

    /// <param name="pass">The forward pass to run; null = the device's own (<see cref="ForwardPasses.DefaultFor"/>).</param>
    internal static GptOssEngine Load(string modelDir, EngineOptions? options, ForwardPassKind? pass)
    {
        options ??= new EngineOptions();
        var clock = Stopwatch.StartNew();
        if (options.Threads > 0)
            torch.set_num_threads(options.Threads);
        var device = options.Device is { } name ? new Device(name) : torch.cuda.is_available() ? CUDA : CPU;
        var checkpoint = Checkpoint.Open(modelDir);
        try
        {
            var config = checkpoint.Config;
            int context = options.MaxContext > 0 ? Math.Min(options.MaxContext, config.MaxPositionEmbeddings) : Math.Min(config.MaxPositionEmbeddings, 4096);
            var type = options.DType == ActivationDType.Float32 ? ScalarType.Float32 : ScalarType.BFloat16;
            if (options.PrefillChunkTokens < 1)
                throw new ArgumentException($"EngineOptions.PrefillChunkTokens must be at least 1 (got {options.PrefillChunkTokens})", nameof(options));
            ModelWeights weights;
            IForwardPass forward;
            using (torch.inference_mode())
            {
                weights = ModelWeights.Load(checkpoint, type, device);
                forward = ForwardPasses.Create(pass ?? ForwardPasses.DefaultFor(device), weights, new RotaryEmbedding(config, context, device), options.Threads);
            }
            var descriptor = new ModelDescriptor(options.Name ?? Path.GetFileName(checkpoint.Directory.TrimEnd('/')), config.VocabSize, context);
            return new GptOssEngine(checkpoint, forward, weights.NewCache(context, options.SlidingRollback), descriptor, options.DType, device.ToString(),
                options.PrefillChunkTokens) { LoadTime = clock.Elapsed };
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Float32 logits [T][V] at every position of <paramref name="tokens"/>, computed from an empty cache.</summary>
    public async Task<float[][]> ComputeLogitsAsync(IReadOnlyList<int> tokens, CancellationToken cancellationToken = default)
    {
        ValidatePrompt(tokens);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() =>
            {
                _cache.Truncate(0);
                var flat = Run(tokens, 0, allPositions: true);
                int v = Config.VocabSize;
                return Enumerable.Range(0, tokens.Count).Select(t => flat.AsSpan(t * v, v).ToArray()).ToArray();
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <remarks>
    /// Generation runs on a thread of its own and does not wait for the caller between tokens: prefill, then sample →
    /// hand over → decode, with one token waiting in hand, so the caller's work on a token overlaps the next decodes and
    /// no token waits for a thread-pool hop (costly in a busy process). It stops two tokens ahead of the caller at most. Cancellation marks the next token the caller
    /// receives, as before; tokens computed ahead may already be in the cache, which the next prompt does not reuse.
    /// </remarks>
    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> prompt, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ValidatePrompt(prompt);
        ArgumentNullException.ThrowIfNull(options);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        var steps = Channel.CreateBounded<Step>(new BoundedChannelOptions(1) { SingleReader = true, SingleWriter = true });
        using var stop = new CancellationTokenSource();
        Task producer;
        try
        {
            producer = Task.Factory.StartNew(() => Produce(prompt, options, steps.Writer, cancellationToken, stop.Token),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch
        {
            _gate.Release();
            throw;
        }
        try
        {
            while (true)
            {
                var step = await steps.Reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                step.Error?.Throw();
                var token = step.Token;
                if (token.Stats.FinishReason is null && cancellationToken.IsCancellationRequested)
                    token = token with { Stats = token.Stats with { FinishReason = FinishReason.Cancelled } };
                yield return token;
                if (token.Stats.FinishReason is not null)
                    yield break;
            }
        }
        finally
        {
            stop.Cancel();
            await producer.ConfigureAwait(false);
            _gate.Release();
        }
    }

    /// <summary>A generated token, or why generation failed.</summary>
    private readonly record struct Step(GeneratedToken Token, ExceptionDispatchInfo? Error);

    /// <summary>The generation loop (on its own thread): every token goes to <paramref name="steps"/> until one finishes, or the reader leaves.</summary>
    private void Produce(IReadOnlyList<int> prompt, GenerationOptions options, ChannelWriter<Step> steps, CancellationToken cancellationToken,
        CancellationToken readerLeft)
    {
        try
        {
            var clock = Stopwatch.StartNew();
            var (logits, cached) = Prefill(prompt);
            var prefillTime = clock.Elapsed;
            var sampler = new TokenSampler(options);
            int generated = 0;
            while (true)
            {
                // Tokens this call may still produce, this one included: the new-token limit or the context, whichever comes first.
                int remaining = Math.Min(options.MaxNewTokens - generated, Model.ContextLength - _cache.Tokens.Count + 1);
                int token = sampler.Sample(logits, Math.Max(1, remaining));
                generated++;
                FinishReason? finish =
                    options.StopTokens.Contains(token) ? FinishReason.Stop
                    : generated >= options.MaxNewTokens || _cache.Tokens.Count >= Model.ContextLength ? FinishReason.Length
                    : cancellationToken.IsCancellationRequested ? FinishReason.Cancelled
                    : null;
                var stats = new GenerationStats(prompt.Count, cached, generated, prefillTime, clock.Elapsed - prefillTime, finish);
                if (!Offer(steps, new Step(new GeneratedToken(token, stats), null), readerLeft) || finish is not null || readerLeft.IsCancellationRequested)
                    return;
                logits = Decode(token);
            }
        }
        catch (Exception e)
        {
            Offer(steps, new Step(default, ExceptionDispatchInfo.Capture(e)), readerLeft);
        }
    }

    /// <summary>Waits for room and writes; false once the reader has left.</summary>
    private static bool Offer(ChannelWriter<Step> steps, Step step, CancellationToken readerLeft)
    {
        try
        {
            steps.WriteAsync(step, readerLeft).AsTask().GetAwaiter().GetResult();
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Tokens the KV cache holds (a generation runs up to two tokens ahead of its caller).</summary>
    internal int CachedTokenCount => _cache.Tokens.Count;

    /// <summary>Brings the cache to <paramref name="prompt"/>, computing only what it lacks; returns the last logits and the reused length.</summary>
    internal (float[] Logits, int CachedTokens) Prefill(IReadOnlyList<int> prompt)
    {
        int reused = _cache.ReusablePrefix(prompt);
        _cache.Truncate(reused);
        var rest = prompt.Skip(reused).ToArray();
        return (Run(rest, reused, allPositions: false), reused);
    }

    /// <summary>
    /// Feeds one token after the cached sequence; returns its logits in a buffer the engine reuses for every decoded
    /// token (valid until the next call), so decoding allocates no vocabulary-sized arrays.
    /// </summary>
    internal float[] Decode(int token)
    {
        ValidatePrompt([token]);
        int position = _cache.Tokens.Count;
        EnsureFits(position, 1);
        var logits = _decodeLogits ??= new float[Config.VocabSize];
        using var inference = torch.inference_mode();
        try
        {
            _pass.DecodeOne(token, position, _cache, logits);
            _cache.Appended([token]);
            return logits;
        }
        catch
        {
            _cache.Truncate(0);   // a half-written cache must not be reused
            throw;
        }
    }

    private void EnsureFits(int start, int count)
    {
        if (start + count > Model.ContextLength)
            throw new ArgumentException($"{start + count} positions exceed the context length {Model.ContextLength} (EngineOptions.MaxContext)");
    }

    /// <summary>
    /// Runs a prompt's <paramref name="tokens"/> from position <paramref name="start"/> in chunks of at most
    /// <see cref="EngineOptions.PrefillChunkTokens"/> (bounding the attention score memory of long prompts); returns
    /// float32 logits of every position (flattened) or of the last one.
    /// </summary>
    private float[] Run(IReadOnlyList<int> tokens, int start, bool allPositions)
    {
        EnsureFits(start, tokens.Count);
        var result = new float[(allPositions ? tokens.Count : 1) * (long)Config.VocabSize];
        using var inference = torch.inference_mode();
        try
        {
            for (int done = 0; done < tokens.Count; done += _prefillChunk)
            {
                var chunk = tokens.Skip(done).Take(_prefillChunk).ToArray();
                bool last = done + chunk.Length == tokens.Count;
                using var scope = torch.NewDisposeScope();
                var logits = _pass.Prefill(chunk, start + done, _cache, allPositions);
                _cache.Appended(chunk);
                if (allPositions || last)
                    CopyLogits(logits, result, allPositions ? checked(done * Config.VocabSize) : 0);
            }
            return result;
        }
        catch
        {
            _cache.Truncate(0);   // a half-written cache must not be reused
            throw;
        }
    }

    /// <summary>One memory copy of float32 logits into <paramref name="result"/> (TorchSharp's accessor walks indices).</summary>
    private static unsafe void CopyLogits(torch.Tensor logits, float[] result, int offset)
    {
        using var values = logits.cpu().contiguous();
        new ReadOnlySpan<float>(MappedTensor.Data(values), checked((int)values.numel())).CopyTo(result.AsSpan(offset));
    }

    private void ValidatePrompt(IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.Count == 0)
            throw new ArgumentException("the prompt is empty", nameof(tokens));
        if (tokens.Count > Model.ContextLength)
            throw new ArgumentException($"the prompt has {tokens.Count} tokens; the context length is {Model.ContextLength}", nameof(tokens));
        for (int i = 0; i < tokens.Count; i++)
            if ((uint)tokens[i] >= (uint)Config.VocabSize)
                throw new ArgumentOutOfRangeException($"token id {tokens[i]} at position {i} is outside the vocabulary [0, {Config.VocabSize})", (Exception?)null);
    }

    public void Dispose()
    {
        _cache.Dispose();
        _pass.Dispose();
        _checkpoint.Dispose();
        _gate.Dispose();
    }
}
