namespace GptOss.Engine.Tests;

/// <summary>Float results compared bit for bit (NaN payloads and signed zeros included): what batching must not move.</summary>
internal static class SameBits
{
    public static void Assert(ReadOnlySpan<float> alone, ReadOnlySpan<float> batched, string what)
    {
        Xunit.Assert.Equal(alone.Length, batched.Length);
        for (int i = 0; i < alone.Length; i++)
            if (BitConverter.SingleToUInt32Bits(alone[i]) != BitConverter.SingleToUInt32Bits(batched[i]))
                Xunit.Assert.Fail($"{what}: value {i} is {batched[i]:R} batched, {alone[i]:R} alone");
    }
}
