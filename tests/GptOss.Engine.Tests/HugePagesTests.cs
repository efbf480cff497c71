using GptOss.Engine.Checkpoints;
using GptOss.Testing;

namespace GptOss.Engine.Tests;

public sealed class HugePagesTests
{
    /// <summary>
    /// A mapped checkpoint carries the 2 MB page advice (VmFlags "hg" in /proc/self/smaps), so the page cache hands
    /// its faults 2 MB pages where it can.
    /// </summary>
    [LinuxFact]
    public void A_mapped_checkpoint_asks_linux_for_2_mb_pages()
    {
        string path = Path.GetFullPath(Path.Combine(TestPaths.TinyFixture("hf-a"), "model.safetensors"));
        using var file = SafetensorsFile.Open(path);

        var lines = File.ReadAllLines("/proc/self/smaps");
        int mapping = Array.FindIndex(lines, l => l.EndsWith(" " + path, StringComparison.Ordinal));
        Assert.True(mapping >= 0, $"{path} is not mapped");
        var flags = lines.Skip(mapping + 1).First(l => l.StartsWith("VmFlags:", StringComparison.Ordinal));
        Assert.Contains("hg", flags.Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }
}

/// <summary>A fact that only means something on Linux (madvise, /proc); skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "Linux only";
    }
}
