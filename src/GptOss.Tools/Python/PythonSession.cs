using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GptOss.Tools.Python;

/// <summary>What became of one call sent to the worker.</summary>
internal abstract record PythonOutcome
{
    /// <summary>The output; when too long, its head and tail with <paramref name="DroppedBytes"/> cut between them.</summary>
    public sealed record Completed(string Output, long DroppedBytes, string Tail = "") : PythonOutcome;
    public sealed record TimedOut : PythonOutcome;
    /// <summary>The worker died (a limit's signal, os._exit, a broken protocol); <see cref="Detail"/> says how.</summary>
    public sealed record Died(string Detail) : PythonOutcome;
}

/// <summary>
/// One sandboxed python worker process and its line protocol: a JSON request per line on stdin, a JSON answer
/// per line on stdout. The code can write to any of its descriptors, so answers are read with a size bound and
/// must carry their request's random id: a line the code forged ends the session instead of shifting every later
/// answer by one.
/// </summary>
internal sealed class PythonSession : IDisposable
{
    private static readonly Lazy<string> WorkerSource = new(() =>
    {
        using var stream = typeof(PythonSession).Assembly.GetManifestResourceStream("GptOss.Tools.python_worker.py")
            ?? throw new InvalidOperationException("embedded python_worker.py is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private readonly Process _process;
    private readonly SandboxUsers.Lease? _user;
    private readonly Stream _answers;
    private readonly StringBuilder _stderr = new();
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _buffered;

    private PythonSession(Process process, SandboxUsers.Lease? user)
    {
        _process = process;
        _user = user;
        _answers = process.StandardOutput.BaseStream;
        process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
                if (e.Data is not null && _stderr.Length < 4096) _stderr.AppendLine(e.Data);
        };
        process.BeginErrorReadLine();
    }

    public static PythonSession Start(PythonSandbox sandbox)
    {
        var user = sandbox.RentUser();
        try
        {
            var process = Process.Start(sandbox.CreateStartInfo(WorkerSource.Value, user))
                ?? throw new InvalidOperationException("the python sandbox process did not start");
            return new PythonSession(process, user);
        }
        catch
        {
            user?.Dispose();
            throw;
        }
    }

    public bool HasExited => _process.HasExited;

    public async Task<PythonOutcome> RunAsync(string code, TimeSpan timeLimit, int maxOutputBytes, CancellationToken cancellationToken)
    {
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var request = new JsonObject
        {
            ["id"] = id,
            ["code"] = code,
            ["cpu_seconds"] = Math.Max(1, (int)Math.Ceiling(timeLimit.TotalSeconds)),
            ["max_output"] = maxOutputBytes,
        }.ToJsonString();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeLimit);
        try
        {
            await _process.StandardInput.WriteLineAsync(request.AsMemory(), deadline.Token).ConfigureAwait(false);
            await _process.StandardInput.FlushAsync(deadline.Token).ConfigureAwait(false);
            // JSON escapes at most 6 bytes per output byte; anything longer is not an answer of ours.
            var line = await ReadLineAsync(maxOutputBytes * 6 + 4096, deadline.Token).ConfigureAwait(false);
            if (line is null) return await DiedAsync("it exited").ConfigureAwait(false);
            var answer = JsonNode.Parse(line);
            if (answer?["id"]?.GetValue<string>() != id) throw new ProtocolViolation("an answer without this request's id");
            return new PythonOutcome.Completed(
                answer?["output"]?.GetValue<string>() ?? "",
                answer?["dropped"]?.GetValue<long>() ?? 0,
                answer?["tail"]?.GetValue<string>() ?? "");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill();
            return new PythonOutcome.TimedOut();
        }
        catch (IOException)
        {
            return await DiedAsync("its pipe broke").ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ProtocolViolation)
        {
            Kill();
            return new PythonOutcome.Died($"it broke the tool protocol ({e.Message})");
        }
    }

    private async Task<PythonOutcome> DiedAsync(string how)
    {
        Kill();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        var detail = how;
        if (_process.HasExited)
        {
            var code = _process.ExitCode;
            // prlimit/bwrap pass on the worker's fate as 128 + signal.
            detail += code > 128 ? $" (killed by signal {SignalName(code - 128)})" : $" (exit code {code})";
        }
        string stderr;
        lock (_stderr) stderr = _stderr.ToString().Trim();
        if (stderr.Length > 0) detail += $"; stderr: {stderr}";
        return new PythonOutcome.Died(detail);
    }

    private static string SignalName(int signal) => signal switch
    {
        9 => "SIGKILL: memory or process limit",
        11 => "SIGSEGV",
        24 => "SIGXCPU: CPU time limit",
        25 => "SIGXFSZ: file size limit",
        6 => "SIGABRT",
        _ => signal.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private async Task<string?> ReadLineAsync(int maxBytes, CancellationToken cancellationToken)
    {
        var line = new MemoryStream();
        while (true)
        {
            if (_buffered > 0)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', 0, _buffered);
                var take = newline >= 0 ? newline : _buffered;
                if (line.Length + take > maxBytes) throw new ProtocolViolation($"an answer longer than {maxBytes} bytes");
                line.Write(_buffer, 0, take);
                var consumed = newline >= 0 ? take + 1 : take;
                Buffer.BlockCopy(_buffer, consumed, _buffer, 0, _buffered - consumed);
                _buffered -= consumed;
                if (newline >= 0) return Encoding.UTF8.GetString(line.GetBuffer(), 0, (int)line.Length);
            }
            var read = await _answers.ReadAsync(_buffer.AsMemory(_buffered), cancellationToken).ConfigureAwait(false);
            if (read == 0) return null;
            _buffered += read;
        }
    }

    public void Kill()
    {
        try
        {
            // bwrap's --die-with-parent takes the whole sandbox (its own pid namespace) down with it.
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        _user?.Dispose();
    }

    private sealed class ProtocolViolation(string message) : Exception(message);
}
