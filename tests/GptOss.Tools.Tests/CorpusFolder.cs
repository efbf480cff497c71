namespace GptOss.Tools.Tests;

/// <summary>A temporary corpus folder with a few documents, and a secret file beside it that must stay unreachable.</summary>
public sealed class CorpusFolder : IDisposable
{
    public string Parent { get; } = Directory.CreateTempSubdirectory("gptoss-corpus-").FullName;
    public string Root => Path.Combine(Parent, "corpus");
    public string SecretPath => Path.Combine(Parent, "secret.md");

    public CorpusFolder()
    {
        Directory.CreateDirectory(Path.Combine(Root, "guides"));
        File.WriteAllText(SecretPath, "# Secret\nThe launch code is swordfish.\n");
        File.WriteAllText(Path.Combine(Root, "guides", "bubblewrap.md"), """
            # Bubblewrap sandboxing

            Bubblewrap builds an empty mount namespace and binds only what you ask for.
            See the [prlimit notes](../prlimit.txt) and the [upstream project](https://github.com/containers/bubblewrap).

            ## Network

            With --unshare-net the sandbox has only a loopback interface.
            """);
        File.WriteAllText(Path.Combine(Root, "prlimit.txt"), "prlimit notes\n\nprlimit sets resource limits such as the address space and the number of processes.\n");
        File.WriteAllText(Path.Combine(Root, "jint.html"), """
            <html><head><title>Jint interpreter</title><style>body { color: red }</style></head>
            <body><h1>Jint</h1><script>alert('no')</script>
            <p>Jint is a JavaScript interpreter for .NET with constraints on statements and memory.</p>
            <ul><li>Timeout interval</li><li>Recursion limit</li></ul>
            <p>Read the <a href="guides/bubblewrap.md">sandbox guide</a>.</p></body></html>
            """);
        for (var i = 0; i < 30; i++)
            File.WriteAllText(Path.Combine(Root, $"filler{i:00}.txt"), $"Filler document {i}\n\n" + string.Join('\n', Enumerable.Range(0, 200).Select(n => $"filler line {n} of document {i} about gardening and tomatoes")));
        File.CreateSymbolicLink(Path.Combine(Root, "escape.md"), SecretPath);
        Directory.CreateSymbolicLink(Path.Combine(Root, "up"), Parent);
    }

    public void Dispose() => Directory.Delete(Parent, recursive: true);
}
