using System.Diagnostics;

namespace GptOss.Testing;

/// <summary>
/// Runs a test assembly's child entry point on hostile input in its own process, killed by <c>timeout</c> after 60 s and
/// capped at 512 MB of heap, so a bomb takes the child down, never the test host or the machine.
/// </summary>
public static class CappedChild
{
    public const string HeapLimit = "0x20000000"; // 512 MB
    public const int Seconds = 60;

    /// <summary>Runs <paramref name="assembly"/> (an executable test assembly) with <paramref name="argument"/>.</summary>
    public static async Task<(int Exit, string Output, string Error)> RunAsync(System.Reflection.Assembly assembly, string argument)
    {
        var start = new ProcessStartInfo("timeout")
        {
            ArgumentList = { "-k", "5", Seconds.ToString(), Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", "exec", assembly.Location, argument },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["DOTNET_GCHeapHardLimit"] = HeapLimit, ["DOTNET_DbgEnableMiniDump"] = "0" },
        };
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEndAsync();
        var error = child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync();
        return (child.ExitCode, await output, await error);
    }
}
