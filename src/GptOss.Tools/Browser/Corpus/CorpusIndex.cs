using System.Collections.Frozen;
using GptOss.FileSystem;

namespace GptOss.Tools.Browser.Corpus;

/// <summary>
/// The local corpus in memory: every document (found once, when the index is built) and an inverted index
/// scored with BM25. Only indexed documents can ever be opened, so no path outside the root is reachable:
/// symbolic links are not followed, every file's resolved path is checked to lie under the root and
/// <see cref="CorpusFile"/> refuses what is not a regular file of the corpus. Each skipped file is kept with the
/// reason, which opening it shows.
/// </summary>
internal sealed class CorpusIndex
{
    private const double K1 = 1.2;
    private const double B = 0.75;
    private const int TitleWeight = 3;

    private readonly CorpusDocument[] _documents;
    /// <summary>Which file each document was read from, so its source is shown only while it is still that file.</summary>
    private readonly FileIdentity[] _identities;
    private readonly FrozenDictionary<string, int> _byPath;
    private readonly FrozenDictionary<string, Posting[]> _postings;
    private readonly int[] _lengths;
    /// <summary>BM25's length normalization of each document, k1 · (1 − b + b · length / average length).</summary>
    private readonly double[] _norms;

    private readonly record struct Posting(int Document, int Frequency);

    public string Root { get; }

    public int Count => _documents.Length;

    /// <summary>Corpus files (relative paths) that were not indexed, and why.</summary>
    public FrozenDictionary<string, string> Skipped { get; }

    private CorpusIndex(string root, CorpusDocument[] documents, FileIdentity[] identities, FrozenDictionary<string, string> skipped)
    {
        Root = root;
        _documents = documents;
        _identities = identities;
        Skipped = skipped;
        _byPath = documents.Select((d, i) => (d.Path, i)).ToFrozenDictionary(p => p.Path, p => p.i, StringComparer.Ordinal);
        var postings = new Dictionary<string, List<Posting>>(StringComparer.Ordinal);
        _lengths = new int[documents.Length];
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < documents.Length; i++)
        {
            counts.Clear();
            var length = 0;
            foreach (var term in Terms.Of(PageText.StripLinks(documents[i].Page.Text)))
            {
                counts[term] = counts.GetValueOrDefault(term) + 1;
                length++;
            }
            foreach (var term in Terms.Of(documents[i].Page.Title))
            {
                counts[term] = counts.GetValueOrDefault(term) + TitleWeight;
                length += TitleWeight;
            }
            _lengths[i] = length;
            foreach (var (term, count) in counts)
            {
                if (!postings.TryGetValue(term, out var list)) postings[term] = list = [];
                list.Add(new Posting(i, count));
            }
        }
        _postings = postings.ToFrozenDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        var averageLength = documents.Length == 0 ? 1 : Math.Max(1, _lengths.Average());
        _norms = [.. _lengths.Select(length => K1 * (1 - B + B * length / averageLength))];
    }

    /// <summary>
    /// Reads every .md/.markdown/.txt/.html/.htm file under <paramref name="root"/>; those <see cref="CorpusFile"/>
    /// refuses (not regular, a hard link from outside, over the size limit, binary) are kept in <see cref="Skipped"/>.
    /// </summary>
    public static CorpusIndex Build(string root, long maxDocumentBytes)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"corpus folder {root} does not exist");
        var enumeration = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden | FileAttributes.System,
            MatchType = MatchType.Simple,
        };
        var files = Directory.EnumerateFiles(root, "*", enumeration)
            .Where(f => CorpusDocument.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Where(f => CorpusPaths.ReachableWithoutLinks(root, f))
            .Order(StringComparer.Ordinal)
            .ToArray();
        var statuses = files.Select(f => UnixFileStatus.Of(f, followLinks: false)).ToArray();
        var namesInCorpus = statuses.OfType<UnixFileStatus>().CountBy(s => s.Identity).ToDictionary();
        var documents = new CorpusDocument?[files.Length];
        var skipped = new string?[files.Length];
        Parallel.For(0, files.Length, i =>
        {
            var relative = CorpusPaths.Relative(root, files[i]);
            var (text, why) = statuses[i] is { } status
                ? CorpusFile.Read(files[i], status, namesInCorpus[status.Identity], maxDocumentBytes)
                : new CorpusFileText(null, "its status cannot be read");
            if (text is not null) documents[i] = CorpusDocument.Read(relative, text);
            else skipped[i] = why;
        });
        var indexed = Enumerable.Range(0, files.Length).Where(i => documents[i] is not null).ToArray();
        return new CorpusIndex(
            root,
            [.. indexed.Select(i => documents[i]!)],
            [.. indexed.Select(i => statuses[i]!.Identity)],
            Enumerable.Range(0, files.Length).Where(i => skipped[i] is not null)
                .ToFrozenDictionary(i => CorpusPaths.Relative(root, files[i]), i => skipped[i]!, StringComparer.Ordinal));
    }

    public CorpusDocument? Find(string relativePath) => _byPath.TryGetValue(relativePath, out var i) ? _documents[i] : null;

    /// <summary>The current text of an indexed document, read under the rules it was indexed by, while it is still the same file.</summary>
    public CorpusFileText ReadSource(string relativePath, long maxDocumentBytes)
    {
        var path = Path.Combine(Root, relativePath);
        if (!_byPath.TryGetValue(relativePath, out var i) || !CorpusPaths.ReachableWithoutLinks(Root, path))
            return new CorpusFileText(null, "it is not an indexed document");
        if (UnixFileStatus.Of(path, followLinks: false) is not { } status || status.Identity != _identities[i])
            return new CorpusFileText(null, "it was replaced after the index was built");
        // The file is the one indexed, whose every name was then in the corpus.
        return CorpusFile.Read(path, status, (int)status.Links, maxDocumentBytes);
    }

    /// <summary>The best <paramref name="topn"/> documents for the query, best first.</summary>
    public IReadOnlyList<(CorpusDocument Document, double Score)> Search(string query, int topn)
    {
        var terms = Terms.Of(query).Distinct(StringComparer.Ordinal).ToArray();
        var scores = new double[_documents.Length];
        var touched = new List<int>();
        foreach (var term in terms)
        {
            if (!_postings.TryGetValue(term, out var postings)) continue;
            var idf = Math.Log(1 + (_documents.Length - postings.Length + 0.5) / (postings.Length + 0.5));
            foreach (var (document, frequency) in postings)
            {
                if (scores[document] == 0) touched.Add(document);
                scores[document] += idf * frequency * (K1 + 1) / (frequency + _norms[document]);
            }
        }
        var best = new PriorityQueue<int, (double Score, int Negated)>(topn + 1);
        foreach (var document in touched)
        {
            best.Enqueue(document, (scores[document], -document));
            if (best.Count > topn) best.Dequeue();
        }
        var results = new List<(CorpusDocument, double)>(best.Count);
        while (best.TryDequeue(out var document, out var key)) results.Add((_documents[document], key.Score));
        results.Reverse();
        return results;
    }
}
