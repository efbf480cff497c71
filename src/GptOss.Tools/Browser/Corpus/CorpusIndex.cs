using System.Collections.Frozen;

namespace GptOss.Tools.Browser.Corpus;

/// <summary>
/// The local corpus in memory: every document (found once, when the index is built) and an inverted index
/// scored with BM25. Only indexed documents can ever be opened, so no path outside the root is reachable:
/// symbolic links are not followed and every file's resolved path is checked to lie under the root.
/// </summary>
internal sealed class CorpusIndex
{
    private const double K1 = 1.2;
    private const double B = 0.75;
    private const int TitleWeight = 3;

    private readonly CorpusDocument[] _documents;
    private readonly FrozenDictionary<string, int> _byPath;
    private readonly FrozenDictionary<string, Posting[]> _postings;
    private readonly int[] _lengths;
    /// <summary>BM25's length normalization of each document, k1 · (1 − b + b · length / average length).</summary>
    private readonly double[] _norms;

    private readonly record struct Posting(int Document, int Frequency);

    public string Root { get; }

    public int Count => _documents.Length;

    private CorpusIndex(string root, CorpusDocument[] documents)
    {
        Root = root;
        _documents = documents;
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

    /// <summary>Reads every .md/.markdown/.txt/.html/.htm file under <paramref name="root"/> (files over the size limit are skipped).</summary>
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
            .Order(StringComparer.Ordinal)
            .ToArray();
        var documents = new CorpusDocument?[files.Length];
        Parallel.For(0, files.Length, i =>
        {
            if (CorpusPaths.ReadInside(root, files[i], maxDocumentBytes) is { } source)
                documents[i] = CorpusDocument.Read(CorpusPaths.Relative(root, files[i]), source);
        });
        return new CorpusIndex(root, [.. documents.OfType<CorpusDocument>()]);
    }

    public CorpusDocument? Find(string relativePath) => _byPath.TryGetValue(relativePath, out var i) ? _documents[i] : null;

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
