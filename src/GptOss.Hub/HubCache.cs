namespace GptOss.Hub;

/// <summary>
/// The Hugging Face hub cache, laid out as huggingface_hub lays it out so either tool finds what the other pulled:
/// <c>models--org--name/blobs/{sha256 or git blob id}</c>, <c>snapshots/{commit}/{path}</c> (relative symlinks into
/// blobs) and <c>refs/{revision}</c> holding the commit.
/// </summary>
public sealed class HubCache(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public static HubCache FromEnvironment() => new(HubSettings.FromEnvironment().CacheRoot);

    /// <summary>
    /// What a <c>--model</c> argument names: an existing folder as is; <c>org/name[@revision]</c> or an alias
    /// (<c>gpt-oss-20b</c>) as its snapshot folder in the cache of the environment (<see cref="HubSettings.FromEnvironment"/>).
    /// </summary>
    public static string Resolve(string modelOrRepo) => FromEnvironment().ResolveModel(modelOrRepo);

    /// <summary><see cref="Resolve"/> against this cache.</summary>
    public string ResolveModel(string modelOrRepo)
    {
        if (Directory.Exists(modelOrRepo)) return modelOrRepo;
        if (RepoReference.TryParse(modelOrRepo) is not { } reference) return modelOrRepo;   // a path; its opener says it is missing
        return SnapshotFolder(reference)
            ?? throw new HubException($"'{modelOrRepo}' is neither a folder nor a model in the hub cache {Root}; run 'gptoss pull {reference}' first");
    }

    public string RepoFolder(RepoReference reference) => Path.Combine(Root, reference.CacheFolderName);
    public string BlobPath(RepoReference reference, string blobName) => Path.Combine(RepoFolder(reference), "blobs", blobName);
    public string SnapshotFolder(RepoReference reference, string commit) => Path.Combine(RepoFolder(reference), "snapshots", commit);
    public string PointerPath(RepoReference reference, string commit, string path) => Path.Combine(SnapshotFolder(reference, commit), path);
    private string RefPath(RepoReference reference) => Path.Combine(RepoFolder(reference), "refs", reference.Revision);

    /// <summary>The commit the revision names in the cache (a commit names itself), or null when the cache does not know it.</summary>
    public string? CachedCommit(RepoReference reference)
    {
        if (RepoReference.IsCommit(reference.Revision)) return reference.Revision;
        var refPath = RefPath(reference);
        return File.Exists(refPath) && File.ReadAllText(refPath).Trim() is var commit && RepoReference.IsCommit(commit) ? commit : null;
    }

    /// <summary>The snapshot folder of the revision, or null when it is not cached.</summary>
    public string? SnapshotFolder(RepoReference reference) =>
        CachedCommit(reference) is { } commit && Directory.Exists(SnapshotFolder(reference, commit)) ? SnapshotFolder(reference, commit) : null;

    /// <summary>Records that <paramref name="reference"/>'s revision is <paramref name="commit"/> (a branch or tag; a commit needs no ref).</summary>
    public void WriteRef(RepoReference reference, string commit)
    {
        if (RepoReference.IsCommit(reference.Revision)) return;
        var refPath = RefPath(reference);
        Directory.CreateDirectory(Path.GetDirectoryName(refPath)!);
        var temporary = refPath + ".tmp";
        File.WriteAllText(temporary, commit);
        File.Move(temporary, refPath, overwrite: true);
    }

    /// <summary>Links <c>snapshots/{commit}/{path}</c> to its blob with a relative symlink (a copy where links are not allowed).</summary>
    public void Link(RepoReference reference, string commit, string path, string blobName)
    {
        var pointer = PointerPath(reference, commit, path);
        var blob = BlobPath(reference, blobName);
        Directory.CreateDirectory(Path.GetDirectoryName(pointer)!);
        if (File.Exists(pointer) || new FileInfo(pointer).LinkTarget is not null) File.Delete(pointer);
        try
        {
            File.CreateSymbolicLink(pointer, Path.GetRelativePath(Path.GetDirectoryName(pointer)!, blob));
        }
        catch (UnauthorizedAccessException)
        {
            File.Copy(blob, pointer);   // Windows without developer mode, as huggingface_hub does
        }
    }

    /// <summary>Every model repository in the cache.</summary>
    public IReadOnlyList<CachedRepo> List()
    {
        if (!Directory.Exists(Root)) return [];
        return Directory.EnumerateDirectories(Root, "models--*")
            .Select(folder => CachedRepo.Read(folder))
            .OfType<CachedRepo>()
            .OrderBy(r => r.Repo, StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    /// <summary>Deletes the repository's folder (every revision, blob and partial download); returns the bytes freed.</summary>
    public long Remove(RepoReference reference)
    {
        if (reference.Revision != RepoReference.DefaultRevision)
            throw new HubException($"{reference}: rm removes a whole repository; give {reference.Repo} without @revision");
        var folder = RepoFolder(reference);
        if (!Directory.Exists(folder))
            throw new HubException($"{reference.Repo}: not in the hub cache {Root}");
        long bytes = CachedRepo.Read(folder)?.SizeOnDisk ?? 0;
        Directory.Delete(folder, recursive: true);
        return bytes;
    }
}
