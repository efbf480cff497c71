using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace GptOss.Harmony;

/// <summary>
/// The o200k_harmony tokenizer: o200k_base (ids 0..199997, from Microsoft.ML.Tokenizers.Data.O200kBase) plus the
/// 1,091 harmony special tokens 199998..201088 at openai/harmony's ids.
/// </summary>
/// <remarks>
/// Ordinary text is encoded by a Microsoft.ML.Tokenizers instance that knows no special tokens at all, so text such
/// as <c>&lt;|end|&gt;</c> inside a message stays ordinary. Special tokens are recognized only by
/// <see cref="Encode(string, bool)"/> with <c>allowSpecial</c>, and decoding uses this class's own tables (ML.NET's
/// special-token decoding leaks between instances). Known divergence from tiktoken: see <see cref="O200kPreTokenizer"/>.
/// </remarks>
public sealed class HarmonyTokenizer
{
    /// <summary>Rows of the model's embedding table (ids 0..201087).</summary>
    public const int ModelVocabularySize = 201088;

    private const int OrdinaryCount = HarmonyTokens.FirstSpecial;
    private static readonly Lazy<HarmonyTokenizer> SharedInstance = new(() => new HarmonyTokenizer(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly TiktokenTokenizer _ordinary;
    private readonly byte[][] _tokenBytes;
    private readonly string[] _specialNames;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _specialIds;

    /// <summary>The process-wide instance (loading the vocabulary takes a moment; it is immutable and thread-safe).</summary>
    public static HarmonyTokenizer Shared => SharedInstance.Value;

    public int VocabularySize => ModelVocabularySize;

    private HarmonyTokenizer()
    {
        byte[] vocabulary = ReadO200kBaseVocabulary();
        // ML.NET's BPE tables take most of the load time: build them while this class reads its decode table.
        var ordinary = Task.Run(() => TiktokenTokenizer.Create(new MemoryStream(vocabulary), new O200kPreTokenizer(), normalizer: null, specialTokens: null));
        _tokenBytes = new byte[HarmonyTokens.LastSpecial + 1][];
        ParseRanks(vocabulary, _tokenBytes);
        _ordinary = ordinary.GetAwaiter().GetResult();

        _specialNames = new string[HarmonyTokens.LastSpecial + 1 - HarmonyTokens.FirstSpecial];
        var ids = new Dictionary<string, int>(_specialNames.Length, StringComparer.Ordinal);
        for (int id = HarmonyTokens.FirstSpecial; id <= HarmonyTokens.LastSpecial; id++)
        {
            string name = SpecialTokenName(id);
            _specialNames[id - HarmonyTokens.FirstSpecial] = name;
            ids.Add(name, id);
            _tokenBytes[id] = Encoding.UTF8.GetBytes(name);
        }
        _specialIds = ids.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private static string SpecialTokenName(int id) => id switch
    {
        HarmonyTokens.StartOfText => "<|startoftext|>",
        HarmonyTokens.EndOfText => "<|endoftext|>",
        HarmonyTokens.Return => "<|return|>",
        HarmonyTokens.Constrain => "<|constrain|>",
        HarmonyTokens.Channel => "<|channel|>",
        HarmonyTokens.Start => "<|start|>",
        HarmonyTokens.End => "<|end|>",
        HarmonyTokens.Message => "<|message|>",
        HarmonyTokens.Call => "<|call|>",
        _ => $"<|reserved_{id}|>",
    };

    private static byte[] ReadO200kBaseVocabulary()
    {
        var assembly = Assembly.Load("Microsoft.ML.Tokenizers.Data.O200kBase");
        using var resource = assembly.GetManifestResourceStream("o200k_base.tiktoken.deflate")
            ?? throw new InvalidOperationException("Microsoft.ML.Tokenizers.Data.O200kBase does not contain o200k_base.tiktoken.deflate.");
        using var inflated = new DeflateStream(resource, CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        inflated.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>
    /// Reads ML.NET's tiktoken vocabulary: an optional <c>Capacity: N</c> line, then one token per line as
    /// <c>base64</c> (rank = line index) or <c>base64 rank</c>.
    /// </summary>
    private static void ParseRanks(byte[] vocabulary, byte[][] table)
    {
        int count = 0;
        int index = 0;
        foreach (var line in Encoding.ASCII.GetString(vocabulary).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith("Capacity:", StringComparison.Ordinal)) continue;
            int space = line.IndexOf(' ');
            int rank = space < 0 ? index : int.Parse(line.AsSpan(space + 1), CultureInfo.InvariantCulture);
            index++;
            if (rank is < 0 or >= OrdinaryCount || table[rank] is not null)
            {
                throw new InvalidOperationException($"o200k_base vocabulary has an unexpected rank {rank}.");
            }
            table[rank] = Convert.FromBase64String(space < 0 ? line : line[..space]);
            count++;
        }
        if (count != OrdinaryCount)
        {
            throw new InvalidOperationException($"o200k_base vocabulary must have exactly {OrdinaryCount} ranks, found {count}.");
        }
    }

    /// <summary>Encodes text as ordinary text: special-token text such as <c>&lt;|start|&gt;</c> gives ordinary ids.</summary>
    public IReadOnlyList<int> EncodeOrdinary(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length == 0 ? [] : _ordinary.EncodeToIds(text);
    }

    /// <summary>Encodes text; with <paramref name="allowSpecial"/> every harmony special token's text becomes its id.</summary>
    public IReadOnlyList<int> Encode(string text, bool allowSpecial)
    {
        if (!allowSpecial)
        {
            return EncodeOrdinary(text);
        }

        var ids = new List<int>();
        int segmentStart = 0;
        int search = 0;
        while (true)
        {
            int open = text.IndexOf("<|", search, StringComparison.Ordinal);
            if (open < 0) break;
            int close = text.IndexOf("|>", open + 2, StringComparison.Ordinal);
            if (close < 0) break;
            if (_specialIds.TryGetValue(text.AsSpan(open, close + 2 - open), out int special))
            {
                if (open > segmentStart) ids.AddRange(_ordinary.EncodeToIds(text.AsSpan(segmentStart, open - segmentStart)));
                ids.Add(special);
                segmentStart = search = close + 2;
            }
            else
            {
                search = open + 1;
            }
        }
        if (segmentStart < text.Length) ids.AddRange(_ordinary.EncodeToIds(text.AsSpan(segmentStart)));
        return ids;
    }

    /// <summary>Whether <paramref name="id"/> is a known token (ordinary or special).</summary>
    public bool IsKnown(int id) => (uint)id <= HarmonyTokens.LastSpecial;

    public bool IsSpecial(int id) => id is >= HarmonyTokens.FirstSpecial and <= HarmonyTokens.LastSpecial;

    public int? TryGetSpecialTokenId(string token) =>
        token is not null && _specialIds.TryGetValue(token.AsSpan(), out int id) ? id : null;

    /// <summary>The bytes of one token (special tokens decode to their text). Throws for an unknown id.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) =>
        IsKnown(id) ? _tokenBytes[id] : throw new ArgumentOutOfRangeException(nameof(id), id, $"Invalid token for decoding: {id}");

    /// <summary>Concatenated bytes of the tokens; throws <see cref="ArgumentOutOfRangeException"/> for an unknown id.</summary>
    public byte[] DecodeBytes(IEnumerable<int> ids)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (int id in ids)
        {
            buffer.Write(TokenBytes(id));
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Lossy decode: invalid UTF-8 and unknown ids become U+FFFD (tiktoken's <c>decode</c>).</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (int id in ids)
        {
            buffer.Write(IsKnown(id) ? _tokenBytes[id] : "\uFFFD"u8);
        }
        return Utf8Validation.DecodeLossy(buffer.WrittenSpan);
    }

    /// <summary>Strict decode (harmony's <c>decode_utf8</c>): throws <see cref="ArgumentException"/> for an unknown id or invalid UTF-8.</summary>
    public string DecodeUtf8(IEnumerable<int> ids)
    {
        byte[] bytes = DecodeBytes(ids);
        int valid = Utf8Validation.ValidPrefix(bytes, out int error);
        return error == 0
            ? Encoding.UTF8.GetString(bytes)
            : throw new ArgumentException($"Invalid utf-8 sequence at byte {valid} of the decoded tokens.", nameof(ids));
    }
}
