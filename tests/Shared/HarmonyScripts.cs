namespace GptOss.Testing;

/// <summary>Model outputs written the way gpt-oss answers: analysis, then a commentary call with &lt;|constrain|&gt;json, then final.</summary>
internal static class HarmonyScripts
{
    public const string WeatherCall =
        "<|channel|>analysis<|message|>User asks for the weather in Paris. I should call get_weather.<|end|>" +
        "<|start|>assistant<|channel|>commentary to=functions.Weather_get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>";

    public const string WeatherAnswer =
        "<|channel|>analysis<|message|>The tool says 18 degrees. Answer briefly.<|end|>" +
        "<|start|>assistant<|channel|>final<|message|>It is 18°C in Paris.<|return|>";

    public static string Final(string analysis, string answer) =>
        $"<|channel|>analysis<|message|>{analysis}<|end|><|start|>assistant<|channel|>final<|message|>{answer}<|return|>";

    public static string Call(string recipient, string json) =>
        "<|channel|>analysis<|message|>Calling a tool.<|end|>" +
        $"<|start|>assistant<|channel|>commentary to={recipient} <|constrain|>json<|message|>{json}<|call|>";
}
