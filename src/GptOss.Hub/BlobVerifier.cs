using System.Security.Cryptography;
using System.Text;

namespace GptOss.Hub;

/// <summary>
/// The hash a blob must have: sha256 of the content for an LFS file (its oid), the git blob id
/// (sha1 of "blob {size}\0" + content) for a file stored in git.
/// </summary>
internal sealed class BlobVerifier : IDisposable
{
    private readonly IncrementalHash _hash;
    private readonly RepoFile _file;

    public BlobVerifier(RepoFile file)
    {
        _file = file;
        _hash = IncrementalHash.CreateHash(file.Sha256 is null ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256);
        Reset();
    }

    /// <summary>Forgets the bytes seen so far.</summary>
    public void Reset()
    {
        _hash.GetHashAndReset();
        if (_file.Sha256 is null) _hash.AppendData(Encoding.ASCII.GetBytes($"blob {_file.Size}\0"));
    }

    public void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);

    /// <summary>Throws <see cref="InvalidDataException"/> naming the file when the bytes seen do not hash to the id the hub lists.</summary>
    public void Check()
    {
        string actual = Convert.ToHexStringLower(_hash.GetHashAndReset());
        if (actual != _file.CacheBlobName)
            throw new InvalidDataException($"{_file.Path}: {(_file.Sha256 is null ? "git blob id" : "sha256")} {actual} does not match the hub's {_file.CacheBlobName}");
    }

    public void Dispose() => _hash.Dispose();
}
