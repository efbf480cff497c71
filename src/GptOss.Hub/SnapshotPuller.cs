namespace GptOss.Hub;

/// <summary>One file of a finished pull; <paramref name="FetchedBytes"/> is what this pull downloaded of it.</summary>
public sealed record PulledFile(string Path, long Size, PullOutcome Outcome, long FetchedBytes);

/// <summary>What a pull left in the cache.</summary>
public sealed record PullResult(RepoReference Reference, string Commit, string SnapshotFolder, IReadOnlyList<PulledFile> Files)
{
    public long DownloadedBytes => Files.Sum(f => f.FetchedBytes);
}

/// <summary>
/// Pulls a repository revision into the hub cache: lists it, then downloads the selected files that the snapshot lacks,
/// several at once, each verified before it is linked in. <c>refs/{revision}</c> is written only when every file is in,
/// so a model resolves from the cache only when complete.
/// </summary>
public sealed class SnapshotPuller(HubClient client, HubCache cache, IPullProgress? progress = null)
{
    public async Task<PullResult> PullAsync(RepoReference reference, FileSelection selection, int workers, CancellationToken ct)
    {
        if (workers < 1) throw new HubException($"--max-workers {workers}: at least 1 download at a time");
        var snapshot = await client.GetSnapshotAsync(reference, ct);
        var files = snapshot.Files.Where(f => selection.Includes(f.Path)).ToList();
        if (files.Count == 0)
            throw new HubException($"{reference}: none of its {snapshot.Files.Count} files matches --include/--exclude");

        var outcomes = new Dictionary<string, (PullOutcome Outcome, long Fetched)>(StringComparer.Ordinal);
        var missing = new List<RepoFile>();
        foreach (var file in files)
            if (File.Exists(cache.PointerPath(reference, snapshot.Commit, file.Path))) outcomes[file.Path] = (PullOutcome.Cached, 0);
            else missing.Add(file);
        CheckFreeSpace(reference, missing);

        var errors = new List<string>();
        // Paths with the same content share a blob: download it once, link every path.
        await Parallel.ForEachAsync(missing.GroupBy(f => f.CacheBlobName), new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = ct }, async (group, token) =>
        {
            var first = group.First();
            try
            {
                var blobPath = cache.BlobPath(reference, first.CacheBlobName);
                long? resumedFrom = File.Exists(blobPath) ? null : await BlobDownload.RunAsync(client, snapshot, first, blobPath, progress, token);
                var outcome = resumedFrom switch { null => PullOutcome.Linked, 0 => PullOutcome.Downloaded, _ => PullOutcome.Resumed };
                foreach (var file in group)
                {
                    cache.Link(reference, snapshot.Commit, file.Path, file.CacheBlobName);
                    // A blob shared by several paths is fetched once: counted on the first.
                    lock (outcomes) outcomes[file.Path] = (outcome, file == first && resumedFrom is { } from ? file.Size - from : 0);
                    progress?.Finished(file, outcome);
                }
            }
            catch (HubException e)
            {
                lock (errors) errors.Add(e.Message);
                progress?.Failed(first, e.Message);
            }
        });
        if (errors.Count > 0)
            throw new HubException(errors.Count == 1 ? errors[0] : $"{errors.Count} of {missing.Count} downloads failed: {string.Join("; ", errors.Order(StringComparer.Ordinal))}");

        cache.WriteRef(reference, snapshot.Commit);
        return new PullResult(reference, snapshot.Commit, cache.SnapshotFolder(reference, snapshot.Commit),
            files.Select(f => new PulledFile(f.Path, f.Size, outcomes[f.Path].Outcome, outcomes[f.Path].Fetched)).ToList());
    }

    /// <summary>Refuses before downloading when the cache's disk cannot hold what is missing.</summary>
    private void CheckFreeSpace(RepoReference reference, List<RepoFile> missing)
    {
        long needed = missing.Sum(f => f.Size);
        Directory.CreateDirectory(cache.Root);
        long free = new DriveInfo(cache.Root).AvailableFreeSpace;
        if (needed > free)
            throw new HubException($"{reference}: needs {Bytes.Format(needed)} but {cache.Root} has {Bytes.Format(free)} free; free space or set HF_HOME elsewhere");
    }
}
