using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace GptOss.Testing;

/// <summary>
/// A local stand-in for the Hugging Face hub serving one model repository from a folder, with the hub's URLs and headers:
/// <c>/api/models/{repo}/revision/{rev}</c> (with <c>?blobs=true</c> sizes and LFS oids), <c>/{repo}/resolve/{rev}/{path}</c>
/// (X-Repo-Commit, ETag, X-Linked-Etag, X-Linked-Size; LFS files 302 to <c>/cdn/{sha256}</c>), <c>Range</c> answered with 206,
/// and 401 + <c>X-Error-Code: RepoNotFound</c> for an unknown repository or a missing token. Switches make it misbehave.
/// </summary>
internal sealed class StandInHub : IDisposable
{
    public sealed record HubFile(string Path, byte[] Content, bool Lfs)
    {
        public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Content));
        public string GitBlobId => Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {Content.Length}\0"), .. Content]));
        /// <summary>What git stores for an LFS file: its pointer, whose blob id the hub lists.</summary>
        public string PointerBlobId
        {
            get
            {
                var pointer = Encoding.ASCII.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{Sha256}\nsize {Content.Length}\n");
                return Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {pointer.Length}\0"), .. pointer]));
            }
        }
    }

    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public string Endpoint { get; }
    public string Repo { get; }
    public string Commit { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
    public IReadOnlyList<HubFile> Files { get; }

    /// <summary>When set, requests without <c>Authorization: Bearer {token}</c> get 401 (a private repository).</summary>
    public string? RequiredToken { get; set; }
    /// <summary>The file whose next download is cut after <see cref="DropAfterBytes"/> bytes (once).</summary>
    public string? DropFile { get; set; }
    public int DropAfterBytes { get; set; }
    /// <summary>The file served with one byte flipped.</summary>
    public string? CorruptFile { get; set; }
    /// <summary>The file listed with a size one byte larger than it is.</summary>
    public string? MisSizedFile { get; set; }

    /// <summary>"METHOD path-and-query [range]" of every request, in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();
    /// <summary>Requests for file content (resolve and CDN GETs).</summary>
    public int ContentRequests => Requests.Count(r => r.StartsWith("GET /cdn/", StringComparison.Ordinal) || r.StartsWith($"GET /{Repo}/resolve/", StringComparison.Ordinal));

    public StandInHub(string repo, string folder)
    {
        Repo = repo;
        Files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .Select(p => new HubFile(p, System.IO.File.ReadAllBytes(Path.Combine(folder, p)), p.EndsWith(".safetensors", StringComparison.Ordinal) || p.EndsWith(".bin", StringComparison.Ordinal)))
            .ToList();
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Endpoint = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public HubFile File(string path) => Files.Single(f => f.Path == path);

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
            _ = Task.Run(() => Serve(context));
        }
    }

    private void Serve(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        string path = Uri.UnescapeDataString(request.Url!.AbsolutePath);
        Requests.Enqueue($"{request.HttpMethod} {request.Url.PathAndQuery} {request.Headers["Range"]}".TrimEnd());
        try
        {
            if (path.StartsWith("/cdn/", StringComparison.Ordinal))
            {
                var sha = path["/cdn/".Length..];
                SendContent(request, response, Files.First(f => f.Lfs && f.Sha256 == sha));
                return;
            }
            string apiPrefix = "/api/models/";
            bool api = path.StartsWith(apiPrefix, StringComparison.Ordinal);
            var rest = api ? path[apiPrefix.Length..] : path.TrimStart('/');
            string separator = api ? "/revision/" : "/resolve/";
            int cut = rest.IndexOf(separator, StringComparison.Ordinal);
            if (cut < 0) { Error(response, 404, "", "Not found"); return; }
            string repo = rest[..cut];
            var after = rest[(cut + separator.Length)..];
            if (repo != Repo || (RequiredToken is { } token && request.Headers["Authorization"] != $"Bearer {token}"))
            {
                Error(response, 401, "RepoNotFound", "Repository not found");
                return;
            }
            if (api)
            {
                if (after != "main" && after != Commit) { Error(response, 404, "RevisionNotFound", "Invalid rev id"); return; }
                SendListing(response, request.QueryString["blobs"] == "true");
                return;
            }
            int slash = after.IndexOf('/');
            string revision = after[..slash];
            var file = Files.FirstOrDefault(f => f.Path == after[(slash + 1)..]);
            if (revision != "main" && revision != Commit) { Error(response, 404, "RevisionNotFound", "Invalid rev id"); return; }
            if (file is null) { Error(response, 404, "EntryNotFound", "Entry not found"); return; }
            response.AddHeader("X-Repo-Commit", Commit);
            response.AddHeader("ETag", $"\"{(file.Lfs ? file.Sha256 : file.GitBlobId)}\"");
            if (file.Lfs)
            {
                response.AddHeader("X-Linked-Etag", $"\"{file.Sha256}\"");
                response.AddHeader("X-Linked-Size", file.Content.Length.ToString());
                response.Redirect($"{Endpoint}/cdn/{file.Sha256}");
                response.Close();
                return;
            }
            SendContent(request, response, file);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // the client went away
        }
    }

    private void SendListing(HttpListenerResponse response, bool blobs)
    {
        var siblings = Files.Select(f =>
        {
            var entry = new Dictionary<string, object> { ["rfilename"] = f.Path };
            if (!blobs) return entry;
            long size = f.Content.Length + (f.Path == MisSizedFile ? 1 : 0);
            entry["size"] = size;
            entry["blobId"] = f.Lfs ? f.PointerBlobId : f.GitBlobId;
            if (f.Lfs) entry["lfs"] = new Dictionary<string, object> { ["sha256"] = f.Sha256, ["size"] = size, ["pointerSize"] = 134 };
            return entry;
        });
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["id"] = Repo, ["sha"] = Commit, ["siblings"] = siblings });
        response.ContentType = "application/json";
        response.ContentLength64 = body.Length;
        response.OutputStream.Write(body);
        response.Close();
    }

    private void SendContent(HttpListenerRequest request, HttpListenerResponse response, HubFile file)
    {
        var content = file.Content;
        if (file.Path == CorruptFile)
        {
            content = (byte[])content.Clone();
            content[content.Length / 2] ^= 0x5a;
        }
        long from = 0;
        if (request.Headers["Range"] is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            from = long.Parse(range["bytes=".Length..^1]);
            response.StatusCode = 206;
            response.AddHeader("Content-Range", $"bytes {from}-{content.Length - 1}/{content.Length}");
        }
        response.ContentLength64 = content.Length - from;
        if (request.HttpMethod == "HEAD") { response.Close(); return; }
        if (file.Path == DropFile)
        {
            DropFile = null;
            response.OutputStream.Write(content, (int)from, DropAfterBytes);
            response.OutputStream.Flush();
            response.Abort();   // the connection dropped mid-file
            return;
        }
        response.OutputStream.Write(content, (int)from, content.Length - (int)from);
        response.Close();
    }

    private static void Error(HttpListenerResponse response, int status, string code, string message)
    {
        response.StatusCode = status;
        if (code.Length > 0) response.AddHeader("X-Error-Code", code);
        response.AddHeader("X-Error-Message", message);
        var body = JsonSerializer.SerializeToUtf8Bytes(new { error = message });
        response.ContentType = "application/json";
        response.ContentLength64 = body.Length;
        response.OutputStream.Write(body);
        response.Close();
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
