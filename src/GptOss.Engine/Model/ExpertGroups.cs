namespace GptOss.Engine.Model;

/// <summary>A router selection regrouped by expert: each selected expert with its tokens and their routing weights.</summary>
internal static class ExpertGroups
{
    public static IEnumerable<(int Expert, long[] Tokens, float[] Weights)> Of(ExpertSelection s)
    {
        var byExpert = new SortedDictionary<int, (List<long> Tokens, List<float> Weights)>();
        for (int i = 0; i < s.Experts.Length; i++)
        {
            if (!byExpert.TryGetValue(s.Experts[i], out var group))
                byExpert[s.Experts[i]] = group = ([], []);
            group.Tokens.Add(i / s.TopK);
            group.Weights.Add(s.Weights[i]);
        }
        return byExpert.Select(kv => (kv.Key, kv.Value.Tokens.ToArray(), kv.Value.Weights.ToArray()));
    }
}
