namespace GptOss.Tools.Browser.Corpus;

/// <summary>Search terms: maximal runs of letters and digits, lower-cased.</summary>
internal static class Terms
{
    public static IEnumerable<string> Of(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0) start = i;
            else if (!inWord && start >= 0)
            {
                if (i - start <= 64) yield return text[start..i].ToLowerInvariant();
                start = -1;
            }
        }
    }
}
