namespace GptOss.Engine;

/// <summary>The spellings of <see cref="ActivationDType"/> that settings and flags accept.</summary>
public static class ActivationDTypeNames
{
    /// <summary><c>bf16</c>/<c>bfloat16</c> or <c>f32</c>/<c>float32</c>; <paramref name="source"/> names the setting in the error.</summary>
    /// <exception cref="ArgumentException">Any other value.</exception>
    public static ActivationDType Parse(string value, string source) => value.Trim().ToLowerInvariant() switch
    {
        "bf16" or "bfloat16" => ActivationDType.BFloat16,
        "f32" or "float32" => ActivationDType.Float32,
        _ => throw new ArgumentException($"{source} must be bf16 (bfloat16) or f32 (float32), not '{value}'"),
    };
}
