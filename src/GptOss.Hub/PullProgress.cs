namespace GptOss.Hub;

/// <summary>How a file of a pull ended.</summary>
public enum PullOutcome
{
    /// <summary>Already in the snapshot: nothing asked of the hub.</summary>
    Cached,
    /// <summary>Its blob was already in the cache (another revision or path): only linked.</summary>
    Linked,
    Downloaded,
    /// <summary>Downloaded from where an earlier, interrupted pull stopped.</summary>
    Resumed,
}

/// <summary>What a pull reports while it runs; called from several downloads at once.</summary>
public interface IPullProgress
{
    /// <summary>A download of <paramref name="file"/> begins, with <paramref name="resumedFrom"/> bytes already on disk.</summary>
    void Started(RepoFile file, long resumedFrom);
    void Advanced(RepoFile file, long bytes);
    void Finished(RepoFile file, PullOutcome outcome);
    void Failed(RepoFile file, string error);
}
