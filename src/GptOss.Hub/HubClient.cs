using System.Net.Http.Headers;
using System.Text.Json;

namespace GptOss.Hub;

/// <summary>The two hub calls a pull needs: a repository's file list at a revision, and one file's bytes from an offset.</summary>
public sealed class HubClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly HubSettings _settings;

    public HubClient(HubSettings settings, HttpMessageHandler? handler = null)
    {
        _settings = settings;
        // Downloads take as long as they take; a stalled read is caught per read instead (BlobDownload).
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = true, MaxAutomaticRedirections = 10 }) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("gptoss", "1.0"));
    }

    /// <summary><c>GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true</c>: the commit and every file with its size and ids.</summary>
    public async Task<RepoSnapshot> GetSnapshotAsync(RepoReference reference, CancellationToken ct)
    {
        var url = $"{_settings.Endpoint}/api/models/{reference.Repo}/revision/{Uri.EscapeDataString(reference.Revision)}?blobs=true";
        using var response = await SendAsync(HttpMethod.Get, url, null, ct);
        ThrowIfFailed(response, reference, null);
        try
        {
            using var json = JsonDocument.Parse(await ReadBoundedAsync(response, url, ct));
            var root = json.RootElement;
            string commit = root.GetProperty("sha").GetString() ?? "";
            if (!RepoReference.IsCommit(commit))
                throw new HubException($"{reference}: the hub gave '{commit}' as the commit; expected 40 hex digits");
            var files = new List<RepoFile>();
            foreach (var sibling in root.GetProperty("siblings").EnumerateArray())
            {
                string path = RepoPaths.CheckFilePath(sibling.GetProperty("rfilename").GetString() ?? "");
                string? sha256 = sibling.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object ? lfs.GetProperty("sha256").GetString() : null;
                long size = sibling.TryGetProperty("size", out var s) ? s.GetInt64()
                    : throw new HubException($"{reference}: the hub listed {path} without a size (is ?blobs=true supported?)");
                string blobId = RepoPaths.CheckBlobName(sibling.TryGetProperty("blobId", out var b) ? b.GetString() ?? "" : "", path);
                if (size < 0) throw new HubException($"{reference}: the hub listed {path} with size {size}");
                files.Add(new RepoFile(path, size, blobId, sha256 is null ? null : RepoPaths.CheckBlobName(sha256, path)));
            }
            return new RepoSnapshot(reference, commit, files);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or JsonException)
        {
            throw new HubException($"{url}: not a model listing the hub would send ({e.Message})", e);
        }
    }

    /// <summary>A listing is kilobytes; more than this is not one, and is not read into memory.</summary>
    private const int MaxListingBytes = 16 << 20;

    private static async Task<ReadOnlyMemory<byte>> ReadBoundedAsync(HttpResponseMessage response, string url, CancellationToken ct)
    {
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxListingBytes)
                throw new HubException($"{url}: the listing is over {MaxListingBytes >> 20} MiB; not a model listing the hub would send");
            buffer.Write(chunk, 0, read);
        }
        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary><c>GET {endpoint}/{repo}/resolve/{commit}/{path}</c> from byte <paramref name="offset"/> (a <c>Range</c> request when above 0), redirects followed; headers read, body not yet.</summary>
    public async Task<HttpResponseMessage> OpenFileAsync(RepoReference reference, string commit, string path, long offset, CancellationToken ct)
    {
        var url = $"{_settings.Endpoint}/{reference.Repo}/resolve/{commit}/{string.Join('/', path.Split('/').Select(Uri.EscapeDataString))}";
        var response = await SendAsync(HttpMethod.Get, url, offset > 0 ? new RangeHeaderValue(offset, null) : null, ct);
        try
        {
            ThrowIfFailed(response, reference, path);
            return response;
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, RangeHeaderValue? range, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url);
        if (_settings.Token is { } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Range = range;
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new HubException($"{url}: {e.Message} (is HF_ENDPOINT={_settings.Endpoint} reachable?)", e);
        }
    }

    /// <summary>The hub's refusals in words, after huggingface_hub's reading of them (status and <c>X-Error-Code</c>).</summary>
    private void ThrowIfFailed(HttpResponseMessage response, RepoReference reference, string? path)
    {
        if (response.IsSuccessStatusCode) return;
        string code = response.Headers.TryGetValues("X-Error-Code", out var codes) ? codes.First() : "";
        string message = response.Headers.TryGetValues("X-Error-Message", out var messages) ? messages.First() : "";
        string what = path is null ? reference.ToString() : $"{reference.Repo}: {path}";
        string repoUrl = $"{_settings.Endpoint}/{reference.Repo}";
        throw new HubException(((int)response.StatusCode, code) switch
        {
            (401, _) when message == "Invalid credentials in Authorization header" =>
                $"{what}: the hub rejected the token in HF_TOKEN (401, invalid credentials); create a new one at {_settings.Endpoint}/settings/tokens",
            (401, _) or (_, "RepoNotFound") when _settings.Token is null =>
                $"{reference.Repo}: repository not found, or it is private or gated and needs a token (the hub answers {(int)response.StatusCode} to an anonymous caller for both); check the name, or set HF_TOKEN to a token that can read it",
            (401, _) or (_, "RepoNotFound") =>
                $"{reference.Repo}: repository not found, or the token in HF_TOKEN cannot read it ({(int)response.StatusCode}); check the name and the token's access",
            (_, "GatedRepo") or (403, _) =>
                $"{reference.Repo}: access is restricted (gated, {(int)response.StatusCode}); accept its conditions at {repoUrl} with the account of HF_TOKEN",
            (_, "RevisionNotFound") or (404, _) when path is null =>
                $"{reference.Repo}: revision '{reference.Revision}' not found ({(int)response.StatusCode})",
            (_, "EntryNotFound") or (404, _) =>
                $"{what}: file not found on the hub ({(int)response.StatusCode})",
            _ => $"{what}: the hub answered {(int)response.StatusCode} {response.ReasonPhrase}{(message.Length > 0 ? $" ({message})" : "")}",
        });
    }

    public void Dispose() => _http.Dispose();
}
