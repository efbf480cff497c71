using static GptOss.Harmony.Tests.H;

namespace GptOss.Harmony.Tests;

public class TokenizerTests
{
    [Fact]
    public void EncodeDecodeRoundtrip()
    {
        Assert.Equal([24912, 2375], Tok.EncodeOrdinary("hello world"));
        Assert.Equal("hello world", Tok.DecodeUtf8(Tok.EncodeOrdinary("hello world")));
        Assert.Equal("hello world", Tok.Decode(Tok.EncodeOrdinary("hello world")));
    }

    [Fact]
    public void SpecialTokensOnlyWhereAllowed()
    {
        Assert.Equal([200006], Tok.Encode("<|start|>", allowSpecial: true));
        Assert.Equal([27, 91, 5236, 91, 29], Tok.Encode("<|start|>", allowSpecial: false));
        Assert.Equal([27, 91, 5236, 91, 29], Tok.EncodeOrdinary("<|start|>"));
        Assert.DoesNotContain(HarmonyTokens.EndOfText, Tok.EncodeOrdinary("<|endoftext|>"));
        Assert.Equal([HarmonyTokens.EndOfText], Tok.Encode("<|endoftext|>", allowSpecial: true));
        // <|endofprompt|> is not a harmony special token (200018 is <|reserved_200018|>).
        Assert.DoesNotContain(200018, Tok.Encode("<|endofprompt|>", allowSpecial: true));
        Assert.Equal([200018], Tok.Encode("<|reserved_200018|>", allowSpecial: true));
        Assert.Equal(Tok.EncodeOrdinary("a<|").Concat([HarmonyTokens.Start]).Concat(Tok.EncodeOrdinary("b")), Tok.Encode("a<|<|start|>b", allowSpecial: true));
    }

    [Fact]
    public void SpecialTokenTable()
    {
        Assert.True(Tok.IsSpecial(200006));
        Assert.False(Tok.IsSpecial(24912));
        Assert.Equal(201088, Tok.VocabularySize);
        Assert.Equal("<|reserved_200014|>", Tok.DecodeUtf8([200014]));
        Assert.Equal("<|reserved_201088|>", Tok.DecodeUtf8([201088]));
        Assert.Equal(1091, Enumerable.Range(0, 202000).Count(Tok.IsSpecial));
        var named = new Dictionary<string, int>
        {
            ["<|startoftext|>"] = 199998, ["<|endoftext|>"] = 199999, ["<|return|>"] = 200002, ["<|constrain|>"] = 200003,
            ["<|channel|>"] = 200005, ["<|start|>"] = 200006, ["<|end|>"] = 200007, ["<|message|>"] = 200008, ["<|call|>"] = 200012,
            ["<|reserved_200000|>"] = 200000, ["<|reserved_200013|>"] = 200013,
        };
        foreach (var (name, id) in named)
        {
            Assert.Equal(id, Tok.TryGetSpecialTokenId(name));
            Assert.Equal(name, Tok.DecodeUtf8([id]));
        }
        Assert.Null(Tok.TryGetSpecialTokenId("<|endofprompt|>"));
        Assert.Equal(new HashSet<int> { 200002, 200012 }, HarmonyTokens.StopTokensForAssistantActions);
        Assert.Equal(new HashSet<int> { 200002, 200007, 200012 }, HarmonyTokens.StopTokens);
    }

    [Fact]
    public void KnownIds()
    {
        Assert.Equal([17360], Tok.EncodeOrdinary("system"));
        Assert.Equal([77944], Tok.EncodeOrdinary("developer"));
        Assert.Equal([1428], Tok.EncodeOrdinary("user"));
        Assert.Equal([173781], Tok.EncodeOrdinary("assistant"));
        Assert.Equal([35644], Tok.EncodeOrdinary("analysis"));
        Assert.Equal([12606, 815], Tok.EncodeOrdinary("commentary"));
        Assert.Equal([17196], Tok.EncodeOrdinary("final"));
        Assert.Equal([5701], Tok.EncodeOrdinary(" json"));
        Assert.Equal(new byte[] { 0x20, 0xF0, 0x9F }, Tok.DecodeBytes([9552]));
    }

    [Fact]
    public void UnknownIdsDecode()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.DecodeBytes([99999999]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.DecodeUtf8([99999999]));
        Assert.Equal("a\uFFFD", Tok.Decode([64, -5]));
    }

    [Theory]
    [InlineData("𝐀'S")]
    [InlineData("𝐀bc 𝐁'll 𝒜𝒷𝒸's")]
    [InlineData("x\u0301'RE y'Ve")]
    public void AstralLettersAreLetters(string text)
    {
        // A letter outside the BMP belongs to the word it starts, as in tiktoken: the word pieces decode back whole.
        Assert.Equal(text, Tok.DecodeUtf8(Tok.EncodeOrdinary(text)));
    }
}

public class TokenizerConcurrencyTests
{
    [Fact]
    public void SharedInstanceEncodesConcurrently()
    {
        string[] texts = Enumerable.Range(0, 64).Select(i => $"Thread-safe {i}: naïve 𝐀'S 東京 {new string(' ', i % 7)}x{i * 7919}\r\n").ToArray();
        var sequential = texts.Select(t => HarmonyTokenizer.Shared.EncodeOrdinary(t).ToArray()).ToArray();
        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length * 8, i => parallel[i % texts.Length] = HarmonyTokenizer.Shared.EncodeOrdinary(texts[i % texts.Length]).ToArray());
        for (int i = 0; i < texts.Length; i++) Assert.Equal(sequential[i], parallel[i]);
    }
}
