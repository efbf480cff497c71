using GptOss.Generation;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using GptOss.Engine.Checkpoints;
using GptOss.Engine.Forward;
using GptOss.Engine.Generation;
using GptOss.Engine.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GptOss.Engine;

/// <summary>
/// A gpt-oss checkpoint loaded for inference: streams sampled tokens (<see cref="ITokenGenerator"/>) and exposes
/// logits. Runs up to <see cref="EngineOptions.ParallelSequences"/> calls at once, decoded together, each in a slot with
/// its own KV cache; a prompt that extends (or shares a prefix with) an idle slot's cached sequence only computes the new
/// tokens. Safe to share between concurrent callers; calls beyond the slots wait in a bounded FIFO queue.
/// </summary>
public sealed class GptOssEngine : ITokenGenerator, IDisposable
{
    private readonly Checkpoint _checkpoint;
    private readonly IForwardPass _pass;
    private readonly EngineScheduler _scheduler;
    private readonly int _prefillChunk;
    private float[]? _decodeLogits;

    public ModelDescriptor Model { get; }
    public ModelConfig Config => _checkpoint.Config;
    public CheckpointLayout Layout => _checkpoint.Layout;
    public ActivationDType DType { get; }
    public string Device { get; }
    /// <summary>Time <see cref="Load"/> took.</summary>
    public TimeSpan LoadTime { get; private init; }
    /// <summary>Sequences decoded at once (<see cref="EngineOptions.ParallelSequences"/>).</summary>
    public int ParallelSequences { get; }
    /// <summary>Bytes of KV cache one sequence takes at the full context length (its blocks are taken as it grows).</summary>
    public long KvCacheBytesPerSequence { get; }

    private GptOssEngine(Checkpoint checkpoint, IForwardPass pass, IReadOnlyList<KvCache> caches, ModelDescriptor descriptor, EngineOptions options,
        string device, long kvBytesPerSequence)
    {
        _prefillChunk = options.PrefillChunkTokens;
        _checkpoint = checkpoint;
        _pass = pass;
        Model = descriptor;
        DType = options.DType;
        Device = device;
        ParallelSequences = caches.Count;
        KvCacheBytesPerSequence = kvBytesPerSequence;
        _scheduler = new EngineScheduler(pass, caches, descriptor.ContextLength, checkpoint.Config.VocabSize, options.PrefillChunkTokens,
            options.MaxQueuedRequests);
    }

    /// <summary>Opens the checkpoint in <paramref name="modelDir"/> (HF folder, sharded or not, or OpenAI <c>original/</c>).</summary>
    /// <exception cref="ArgumentException">Bad options, or <see cref="EngineOptions.ParallelSequences"/> × the context do not fit in memory.</exception>
    public static GptOssEngine Load(string modelDir, EngineOptions? options = null) => Load(modelDir, options, pass: null);

    /// <param name="pass">The forward pass to run; null = the device's own (<see cref="ForwardPasses.DefaultFor"/>).</param>
    /// <param name="wrapPass">Wraps the pass the engine runs (tests inject failures).</param>
    internal static GptOssEngine Load(string modelDir, EngineOptions? options, ForwardPassKind? pass, Func<IForwardPass, IForwardPass>? wrapPass = null)
    {
        options ??= new EngineOptions();
        var clock = Stopwatch.StartNew();
        if (options.PrefillChunkTokens < 1)
            throw new ArgumentException($"EngineOptions.PrefillChunkTokens must be at least 1 (got {options.PrefillChunkTokens})", nameof(options));
        if (options.ParallelSequences < 1)
            throw new ArgumentException($"ParallelSequences must be at least 1 (got {options.ParallelSequences})", nameof(options));
        if (options.MaxQueuedRequests < 0)
            throw new ArgumentException($"MaxQueuedRequests must be 0 or more (got {options.MaxQueuedRequests})", nameof(options));
        if (options.Threads > 0)
            torch.set_num_threads(options.Threads);
        var device = options.Device is { } name ? new Device(name) : torch.cuda.is_available() ? CUDA : CPU;
        var checkpoint = Checkpoint.Open(modelDir);
        var caches = new List<KvCache>();
        try
        {
            var config = checkpoint.Config;
            int context = options.ContextLength(config);
            long kvBytes = KvCacheSize.BytesPerSequence(config, context, options.DType, options.SlidingRollback);
            if (device.type == DeviceType.CPU)   // elsewhere the cache lives in the device's memory, which libtorch reports itself
                KvCacheSize.EnsureFits(options.ParallelSequences, context, kvBytes, checkpoint.Files.Sum(f => f.Length), KvCacheSize.PhysicalMemoryBytes());
            var type = options.DType == ActivationDType.Float32 ? ScalarType.Float32 : ScalarType.BFloat16;
            ModelWeights weights;
            IForwardPass forward;
            using (torch.inference_mode())
            {
                weights = ModelWeights.Load(checkpoint, type, device);
                forward = ForwardPasses.Create(pass ?? ForwardPasses.DefaultFor(device), weights, new RotaryEmbedding(config, context, device), options.Threads);
                for (int i = 0; i < options.ParallelSequences; i++) caches.Add(weights.NewCache(context, options.SlidingRollback));
            }
            if (wrapPass is not null) forward = wrapPass(forward);
            var descriptor = new ModelDescriptor(options.Name ?? Path.GetFileName(checkpoint.Directory.TrimEnd('/')), config.VocabSize, context);
            return new GptOssEngine(checkpoint, forward, caches, descriptor, options, device.ToString(), kvBytes) { LoadTime = clock.Elapsed };
        }
        catch
        {
            foreach (var cache in caches) cache.Dispose();
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Float32 logits [T][V] at every position of <paramref name="tokens"/>, computed from an empty cache.</summary>
    /// <exception cref="GenerationQueueFullException">Every slot is busy and the queue is full.</exception>
    public async Task<float[][]> ComputeLogitsAsync(IReadOnlyList<int> tokens, CancellationToken cancellationToken = default)
    {
        ValidatePrompt(tokens);
        var sequence = new EngineSequence(tokens.ToArray(), options: null, cancellationToken);
        _scheduler.Submit(sequence);
        using var wake = cancellationToken.Register(_scheduler.Wake);
        try
        {
            return await sequence.AllLogits.Task.ConfigureAwait(false);
        }
        finally
        {
            sequence.Leave();
            _scheduler.Wake();
            await sequence.Released.Task.ConfigureAwait(false);
        }
    }

    /// <remarks>
    /// Generation runs on the engine thread and does not wait for the caller between tokens: prefill, then sample →
    /// hand over → decode, with one token waiting in hand, so the caller's work on a token overlaps the next decodes and
    /// no token waits for a thread-pool hop (costly in a busy process). It stops two tokens ahead of the caller at most
    /// (without holding up the other sequences). Cancellation marks the next token the caller receives, as before; tokens
    /// computed ahead may already be in the cache, which the next prompt does not reuse.
    /// </remarks>
    /// <exception cref="GenerationQueueFullException">Every slot is busy and the queue is full (thrown by the first MoveNextAsync).</exception>
    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> prompt, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ValidatePrompt(prompt);
        ArgumentNullException.ThrowIfNull(options);
        var sequence = new EngineSequence(prompt.ToArray(), options, cancellationToken);
        _scheduler.Submit(sequence);
        using var wake = cancellationToken.Register(_scheduler.Wake);
        try
        {
            while (true)
            {
                var step = await sequence.Steps.Reader.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                sequence.Read();
                _scheduler.Wake();
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
            // The slot is free (and its cache consistent) before the caller goes on: its next prompt may reuse it.
            sequence.Leave();
            _scheduler.Wake();
            await sequence.Released.Task.ConfigureAwait(false);
        }
    }

    /// <summary>Bytes of KV cache blocks every slot holds now (engine thread: between steps).</summary>
    internal long KvCacheBytesInUse => _scheduler.Invoke(() => _scheduler.BytesInUse);

    /// <summary>Tokens the cache of the slot last taken holds (a generation runs up to two tokens ahead of its caller).</summary>
    internal int CachedTokenCount => _scheduler.LastSlot?.Cache.Tokens.Count ?? 0;

    /// <summary>
    /// Brings the idle slot a new prompt would take to <paramref name="prompt"/>, computing only what it lacks (on the
    /// engine thread, between steps); returns the last logits and the reused length.
    /// </summary>
    internal (float[] Logits, int CachedTokens) Prefill(IReadOnlyList<int> prompt)
    {
        ValidatePrompt(prompt);
        return _scheduler.Invoke(() =>
        {
            var (slot, reused) = _scheduler.Borrow(prompt);
            return (Run(slot.Cache, prompt.Skip(reused).ToArray(), reused), reused);
        });
    }

    /// <summary>
    /// Feeds one token after the sequence of the slot last taken; returns its logits in a buffer the engine reuses for every
    /// decoded token (valid until the next call).
    /// </summary>
    internal float[] Decode(int token)
    {
        ValidatePrompt([token]);
        return _scheduler.Invoke(() =>
        {
            var cache = _scheduler.LastSlot!.Cache;
            int position = cache.Tokens.Count;
            EnsureFits(position, 1);
            var logits = _decodeLogits ??= new float[Config.VocabSize];
            using var inference = torch.inference_mode();
            try
            {
                _pass.DecodeOne(token, position, cache, logits);
                cache.Appended([token]);
                return logits;
            }
            catch
            {
                cache.Truncate(0);   // a half-written cache must not be reused
                throw;
            }
        });
    }

    private void EnsureFits(int start, int count)
    {
        if (start + count > Model.ContextLength)
            throw new ArgumentException($"{start + count} positions exceed the context length {Model.ContextLength} (EngineOptions.MaxContext)");
    }

    /// <summary>Runs a prompt's <paramref name="tokens"/> from position <paramref name="start"/> in chunks; the last position's float32 logits.</summary>
    private float[] Run(KvCache cache, IReadOnlyList<int> tokens, int start)
    {
        EnsureFits(start, tokens.Count);
        var result = new float[Config.VocabSize];
        using var inference = torch.inference_mode();
        try
        {
            for (int done = 0; done < tokens.Count; done += _prefillChunk)
            {
                var chunk = tokens.Skip(done).Take(_prefillChunk).ToArray();
                using var scope = torch.NewDisposeScope();
                var logits = _pass.Prefill(chunk, start + done, cache, allPositions: false);
                cache.Appended(chunk);
                if (done + chunk.Length == tokens.Count) EngineScheduler.CopyLogits(logits, result, 0);
            }
            return result;
        }
        catch
        {
            cache.Truncate(0);   // a half-written cache must not be reused
            throw;
        }
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
        _scheduler.Dispose();
        _pass.Dispose();
        _checkpoint.Dispose();
    }
}
