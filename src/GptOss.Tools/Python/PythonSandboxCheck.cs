namespace GptOss.Tools.Python;

/// <summary>Whether the python sandbox works here: its programs exist and a worker really starts and answers.</summary>
internal static class PythonSandboxCheck
{
    public static string? WhyUnavailable(PythonSandbox sandbox, ToolsOptions options)
    {
        if (sandbox.MissingPrerequisite() is { } missing) return missing;
        try
        {
            using var session = PythonSession.Start(sandbox);
            var outcome = session.RunAsync("print(6 * 7)", TimeSpan.FromSeconds(20), 1024, CancellationToken.None).GetAwaiter().GetResult();
            return outcome switch
            {
                PythonOutcome.Completed { Output: var output } when output.Trim() == "42" => null,
                PythonOutcome.Completed { Output: var output } => $"the sandboxed python answered a test with '{output.Trim()}'",
                PythonOutcome.Died { Detail: var detail } => $"the python sandbox failed to start: {detail}",
                _ => "the python sandbox did not answer a test within 20 seconds",
            };
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return $"the python sandbox failed to start: {e.Message}";
        }
    }
}
