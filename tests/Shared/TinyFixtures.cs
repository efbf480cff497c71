namespace GptOss.Testing;

/// <summary>Writable copies of the read-only tiny fixture checkpoints, for tests that damage or edit them.</summary>
internal static class TinyFixtures
{
    /// <summary>Copies every file of <see cref="TestPaths.TinyFixture"/>(<paramref name="name"/>) into
    /// <paramref name="folder"/> (created) as writable files; returns <paramref name="folder"/>.</summary>
    public static string CopyTo(string name, string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(TestPaths.TinyFixture(name)))
            File.WriteAllBytes(Path.Combine(folder, Path.GetFileName(file)), File.ReadAllBytes(file));
        return folder;
    }
}
