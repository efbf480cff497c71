using System.Net;
using System.Text;

namespace GptOss.Hub.Tests;

/// <summary>What a hub (or something posing as one) may send back that is not a listing to trust.</summary>
public sealed class HubClientTests
{
    /// <summary>Answers every request with one canned response.</summary>
    private sealed class CannedHandler(Func<HttpContent> content) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content() });
    }

    private static async Task<RepoSnapshot> List(Func<HttpContent> content)
    {
        using var client = new HubClient(new HubSettings { Endpoint = "http://hub.invalid", CacheRoot = "/nonexistent" }, new CannedHandler(content));
        return await client.GetSnapshotAsync(RepoReference.Parse("openai/gpt-oss-20b"), CancellationToken.None);
    }

    private static string Listing(string rfilename) =>
        $$"""{"sha":"{{new string('a', 40)}}","siblings":[{"rfilename":"{{rfilename}}","size":3,"blobId":"{{new string('b', 40)}}"}]}""";

    [Fact]
    public async Task A_page_that_is_not_json_is_named_as_not_a_listing() =>
        Assert.Contains("not a model listing the hub would send", (await Assert.ThrowsAsync<HubException>(() =>
            List(() => new StringContent("<html>proxy login</html>")))).Message);

    [Fact]
    public async Task An_endless_listing_is_cut_at_the_bound_not_read_into_memory() =>
        Assert.Contains("the listing is over 16 MiB", (await Assert.ThrowsAsync<HubException>(() =>
            List(() => new StreamContent(new EndlessStream())))).Message);

    [Theory]
    [InlineData("../../../../tmp/evil")]
    [InlineData("/etc/cron.d/evil")]
    public async Task A_listed_path_outside_the_snapshot_is_refused(string path) =>
        Assert.Contains($"unsafe path '{path}'", (await Assert.ThrowsAsync<HubException>(() =>
            List(() => new StringContent(Listing(path), Encoding.UTF8, "application/json")))).Message);

    [Fact]
    public async Task A_blob_id_that_is_not_hex_is_refused() =>
        Assert.Contains("expected 40 or 64 hex digits", (await Assert.ThrowsAsync<HubException>(() =>
            List(() => new StringContent(Listing("config.json").Replace(new string('b', 40), "../../x"), Encoding.UTF8, "application/json")))).Message);

    [Fact(Timeout = 10_000)]   // a backtracking matcher would take longer than the universe's age: bounded here
    public async Task A_glob_of_many_stars_matches_without_backtracking()
    {
        var selection = new FileSelection([string.Concat(Enumerable.Repeat("*a", 40)) + "b"], []);
        Assert.False(await Task.Run(() => selection.Includes(new string('a', 1000))));
    }

    /// <summary>Zeros for four times the bound: endless to the reader, and a bounded buffer should the bound ever go.</summary>
    private sealed class EndlessStream : Stream
    {
        private long _left = 64 << 20;

        public override int Read(byte[] buffer, int offset, int count)
        {
            count = (int)Math.Min(count, _left);
            _left -= count;
            Array.Clear(buffer, offset, count);
            return count;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
