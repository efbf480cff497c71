namespace GptOss.Hub;

/// <summary>One file of a repository at a commit, as the hub lists it with <c>?blobs=true</c>.</summary>
/// <param name="Path">Relative path in the repository ('/'-separated).</param>
/// <param name="Size">Bytes.</param>
/// <param name="BlobId">The git blob id (sha1 of the git object); for an LFS file, of its pointer.</param>
/// <param name="Sha256">The LFS oid (sha256 of the content); null for a file stored in git itself.</param>
public sealed record RepoFile(string Path, long Size, string BlobId, string? Sha256)
{
    /// <summary>The blob's name in the cache, as huggingface_hub names it: the LFS sha256, else the git blob id.</summary>
    public string CacheBlobName => Sha256 ?? BlobId;
}

/// <summary>A repository at a resolved commit and the files it holds.</summary>
public sealed record RepoSnapshot(RepoReference Reference, string Commit, IReadOnlyList<RepoFile> Files);
