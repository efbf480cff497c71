namespace GptOss.Hub;

/// <summary>A repository found in the hub cache: its revisions, snapshots and the bytes its blobs take.</summary>
/// <param name="Refs">Revision name → commit.</param>
/// <param name="SizeOnDisk">Bytes of complete blobs.</param>
/// <param name="IncompleteBytes">Bytes of partial downloads (<c>*.incomplete</c>) a pull would resume.</param>
public sealed record CachedRepo(string Repo, string Folder, IReadOnlyDictionary<string, string> Refs, IReadOnlyList<string> Snapshots,
    long SizeOnDisk, long IncompleteBytes, DateTime LastModifiedUtc)
{
    /// <summary>Reads a <c>models--org--name</c> folder; null when the name does not decode to a repository.</summary>
    internal static CachedRepo? Read(string folder)
    {
        var parts = Path.GetFileName(folder)["models--".Length..].Split("--");
        if (parts.Length != 2 || RepoReference.TryParse($"{parts[0]}/{parts[1]}") is not { } reference) return null;
        var refsFolder = Path.Combine(folder, "refs");
        var refs = Directory.Exists(refsFolder)
            ? Directory.EnumerateFiles(refsFolder, "*", SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(refsFolder, f).Replace('\\', '/'), f => File.ReadAllText(f).Trim())
            : [];
        var snapshotsFolder = Path.Combine(folder, "snapshots");
        var snapshots = Directory.Exists(snapshotsFolder) ? Directory.EnumerateDirectories(snapshotsFolder).Select(Path.GetFileName).OfType<string>().Order().ToList() : [];
        var blobsFolder = Path.Combine(folder, "blobs");
        var blobs = Directory.Exists(blobsFolder) ? new DirectoryInfo(blobsFolder).EnumerateFiles().ToList() : [];
        bool Partial(FileInfo f) => f.Name.EndsWith(".incomplete", StringComparison.Ordinal);
        return new CachedRepo(reference.Repo, folder, refs, snapshots,
            blobs.Where(f => !Partial(f)).Sum(f => f.Length), blobs.Where(Partial).Sum(f => f.Length),
            blobs.Select(f => f.LastWriteTimeUtc).DefaultIfEmpty(Directory.GetLastWriteTimeUtc(folder)).Max());
    }
}
