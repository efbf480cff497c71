using GptOss.Harmony;
using GptOss.Tools.Execution;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace GptOss.Tools;

/// <summary>
/// The one way tool calls run: one executor per conversation, owning its tools' sessions (python worker,
/// JavaScript engine, browser page stack). Every call goes through a concurrency limit and the tool's Polly
/// pipeline; every failure (timeout, crash, unknown tool, bad arguments, circuit open) becomes a result message
/// that tells the model what happened. Results are cut to the output limit and addressed as harmony expects.
/// </summary>
public sealed class ToolExecutor : IAsyncDisposable
{
    private readonly Dictionary<string, (IHarmonyTool Tool, ResiliencePipeline<IReadOnlyList<Message>> Pipeline)> _tools = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, string> _unavailable;
    private readonly ToolsOptions _options;
    private readonly SemaphoreSlim _concurrency;
    private readonly bool _ownsConcurrency;
    private int _disposed;

    /// <summary>An executor over the given tools, with its own concurrency limit.</summary>
    public ToolExecutor(IEnumerable<IHarmonyTool> tools, ToolsOptions? options = null)
        : this(tools, new Dictionary<string, string>(), options ?? new ToolsOptions(), null)
    {
    }

    internal ToolExecutor(IEnumerable<IHarmonyTool> tools, IReadOnlyDictionary<string, string> unavailable, ToolsOptions options, SemaphoreSlim? sharedConcurrency)
    {
        _options = options;
        _unavailable = unavailable;
        _ownsConcurrency = sharedConcurrency is null;
        _concurrency = sharedConcurrency ?? new SemaphoreSlim(Math.Max(1, options.MaxConcurrentCalls));
        foreach (var tool in tools)
        {
            if (!_tools.TryAdd(tool.Name, (tool, ToolPipeline.Create(tool, options))))
                throw new ArgumentException($"two tools are named '{tool.Name}'", nameof(tools));
        }
    }

    /// <summary>The namespaces of the tools available here, for the system (or developer) message.</summary>
    public IReadOnlyList<ToolNamespaceConfig> Namespaces => [.. _tools.Values.Select(t => t.Tool.Namespace).OrderBy(n => n.Name, StringComparer.Ordinal)];

    /// <summary>Enabled tools that cannot run on this machine, with the reason (e.g. python without bubblewrap).</summary>
    public IReadOnlyDictionary<string, string> Unavailable => _unavailable;

    /// <summary>Whether a call to <paramref name="recipient"/> goes to a tool of this executor.</summary>
    public bool CanHandle(string recipient) =>
        ToolRouting.Resolve(recipient) is { } route && _tools.ContainsKey(route.Tool);

    /// <summary>
    /// Runs one call. Never throws, except <see cref="OperationCanceledException"/> when
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public async Task<IReadOnlyList<Message>> ExecuteAsync(Message call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (call.Recipient is not { } recipient || ToolRouting.Resolve(recipient) is not { } route)
            return [Reply(call, "The message has no recipient, so no tool was called.")];
        if (!_tools.TryGetValue(route.Tool, out var entry))
        {
            var why = _unavailable.TryGetValue(route.Tool, out var reason)
                ? $"The tool `{route.Tool}` is not available here: {reason}."
                : $"Unknown tool `{recipient}`. Available tools: {string.Join(", ", _tools.Keys.Order(StringComparer.Ordinal))}.";
            return [Reply(call, why)];
        }

        var routed = call with { Recipient = route.Recipient };
        await _concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var results = await entry.Pipeline.ExecuteAsync(
                // On the pool and awaited with the pipeline's token: a tool stuck in synchronous work (a parser)
                // cannot hold the conversation past the timeout, whatever it does with the token.
                static async (state, token) => await Task.Run(() => state.Tool.ProcessAsync(state.Call, token), token).WaitAsync(token).ConfigureAwait(false),
                (entry.Tool, Call: routed),
                cancellationToken).ConfigureAwait(false);
            return results.Count == 0
                ? [Reply(call, "(no output)")]
                : [.. results.Select(m => Address(call, m))];
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (ToolUsageException e)
        {
            return [Reply(call, e.Message)];
        }
        catch (TimeoutRejectedException)
        {
            return [Reply(call, $"The call to `{recipient}` timed out after {_options.TimeLimit.TotalSeconds:0.#} seconds.")];
        }
        catch (BrokenCircuitException)
        {
            return [Reply(call, $"The `{route.Tool}` tool is temporarily disabled after repeated failures; try again later or do without it.")];
        }
        catch (Exception e)
        {
            return [Reply(call, $"The `{route.Tool}` tool failed: {e.GetType().Name}: {e.Message}")];
        }
        finally
        {
            _concurrency.Release();
        }
    }

    /// <summary>A result as the reference writes it: from the called recipient, to the assistant, on the call's channel.</summary>
    private Message Address(Message call, Message result) => result with
    {
        Author = new Author(Role.Tool, call.Recipient),
        Recipient = "assistant",
        Channel = call.Channel,
        Content = [.. result.Content.Select(Limit)],
    };

    private Content Limit(Content content)
    {
        if (content is not TextContent { Text: var text } || text.Length <= _options.MaxOutputChars) return content;
        var keep = _options.MaxOutputChars;
        return new TextContent($"{text[..keep]}\n[... output truncated: {text.Length - keep} characters omitted]");
    }

    private Message Reply(Message call, string text) => Address(call, ToolMessages.Reply(call, text));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var (tool, _) in _tools.Values)
        {
            if (tool is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            else if (tool is IDisposable disposable) disposable.Dispose();
        }
        if (_ownsConcurrency) _concurrency.Dispose();
    }
}
