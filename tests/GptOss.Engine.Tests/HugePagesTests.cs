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
        // A copy in a fresh folder: smaps names the file by its resolved path, which the folder's unique name ends.
        using var dir = new TempDirectory();
        string model = dir["model"];
        TinyFixtures.CopyTo("hf-a", model);
        string name = Path.Combine(Path.GetFileName(dir.Path), "model", "model.safetensors");
        using var file = SafetensorsFile.Open(Path.Combine(model, "model.safetensors"));

        var lines = File.ReadAllLines("/proc/self/smaps");
        int mapping = Array.FindIndex(lines, l => l.EndsWith("/" + name, StringComparison.Ordinal));
        Assert.True(mapping >= 0, $"{name} is not mapped");
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
