using System.Net;

namespace GptOss.Hub;

/// <summary>
/// Downloads one blob into <c>blobs/{id}.incomplete</c>, resuming from what an interrupted pull left there with a
/// <c>Range</c> request, checks its size and hash over the whole file, and renames it to <c>blobs/{id}</c> when it is right.
/// Wrong bytes (<see cref="InvalidDataException"/> inside) are deleted, since a resume could not repair them.
/// </summary>
internal static class BlobDownload
{
    /// <summary>How long a read may wait for the next bytes before the download counts as stalled.</summary>
    public static TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Returns the bytes an earlier pull had already left (0 = a fresh download).</summary>
    public static async Task<long> RunAsync(HubClient client, RepoSnapshot snapshot, RepoFile file, string blobPath, IPullProgress? progress, CancellationToken ct)
    {
        var partialPath = blobPath + ".incomplete";
        Directory.CreateDirectory(Path.GetDirectoryName(blobPath)!);
        long resumedFrom;
        try
        {
            using var verifier = new BlobVerifier(file);
            await using (var partial = OpenPartial(partialPath, file))
            {
                if (partial.Length > file.Size) partial.SetLength(0);   // more than the file holds: not a prefix of it
                resumedFrom = partial.Length;
                await HashPrefixAsync(partial, verifier, ct);
                progress?.Started(file, resumedFrom);
                if (partial.Length < file.Size)
                    await DownloadRestAsync(client, snapshot, file, partial, verifier, progress, ct);
                if (partial.Length != file.Size)
                    throw new InvalidDataException($"{file.Path}: the hub sent {partial.Length} bytes but lists {file.Size}");
            }
            verifier.Check();
        }
        catch (InvalidDataException e)
        {
            File.Delete(partialPath);
            throw new HubException($"{e.Message}; refused: the download was deleted and nothing was added to the snapshot", e);
        }
        File.Move(partialPath, blobPath, overwrite: true);
        return resumedFrom;
    }

    private static async Task DownloadRestAsync(HubClient client, RepoSnapshot snapshot, RepoFile file, FileStream partial, BlobVerifier verifier,
        IPullProgress? progress, CancellationToken ct)
    {
        long have = partial.Length;
        using var response = await client.OpenFileAsync(snapshot.Reference, snapshot.Commit, file.Path, have, ct);
        if (have > 0 && response.StatusCode != HttpStatusCode.PartialContent)
        {
            // The server ignored the range and sends the whole file: start over.
            partial.SetLength(0);
            verifier.Reset();
            have = 0;
        }
        else if (have > 0 && response.Content.Headers.ContentRange?.From != have)
            throw new HubException($"{file.Path}: asked for bytes {have}- and the hub sent range {response.Content.Headers.ContentRange}");
        if (response.Content.Headers.ContentLength is { } length && length != file.Size - have)
            throw new InvalidDataException($"{file.Path}: the hub sends {length + have} bytes but lists {file.Size}");

        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[1 << 18];
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            while (true)
            {
                stall.CancelAfter(StallTimeout);
                int read = await body.ReadAsync(buffer, stall.Token);
                if (read == 0) break;
                if (partial.Length + read > file.Size)
                    throw new InvalidDataException($"{file.Path}: the hub sends more than the {file.Size} bytes it lists");
                await partial.WriteAsync(buffer.AsMemory(0, read), ct);
                verifier.Append(buffer.AsSpan(0, read));
                progress?.Advanced(file, read);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            await partial.FlushAsync(CancellationToken.None);
            string why = e is OperationCanceledException ? $"no data for {StallTimeout.TotalSeconds:0} s" : e.Message;
            throw new HubException($"{file.Path}: download interrupted at {partial.Length} of {file.Size} bytes ({why}); run the same pull again to resume", e);
        }
    }

    private static FileStream OpenPartial(string partialPath, RepoFile file)
    {
        try
        {
            return new FileStream(partialPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true);
        }
        catch (IOException e) when (File.Exists(partialPath))
        {
            throw new HubException($"{file.Path}: {partialPath} is in use, by another pull of the same model? ({e.Message})", e);
        }
    }

    /// <summary>Hashes what an earlier pull left, and leaves the stream at its end to append.</summary>
    private static async Task HashPrefixAsync(FileStream partial, BlobVerifier verifier, CancellationToken ct)
    {
        partial.Position = 0;
        var buffer = new byte[1 << 20];
        int read;
        while ((read = await partial.ReadAsync(buffer, ct)) > 0)
            verifier.Append(buffer.AsSpan(0, read));
    }
}
