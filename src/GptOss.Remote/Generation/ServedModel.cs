using GptOss.Generation;

namespace GptOss.Remote.Generation;

/// <summary>
/// The model a server runs, checked once on first use (the first generation, or the first read of
/// <see cref="ITokenGenerator.Model"/>); a failed check is tried again next time, so a server that was still starting
/// does not poison the generator.
/// </summary>
internal sealed class ServedModel(Func<CancellationToken, Task<ModelDescriptor>> describe)
{
    private readonly Lock _lock = new();
    private Task<ModelDescriptor>? _check;

    public Task<ModelDescriptor> GetAsync(CancellationToken cancellationToken)
    {
        Task<ModelDescriptor> check;
        lock (_lock)
        {
            if (_check is null || _check.IsFaulted || _check.IsCanceled) _check = describe(CancellationToken.None);
            check = _check;
        }
        return check.WaitAsync(cancellationToken);
    }

    /// <summary>The descriptor, waiting for the check when it has not run yet.</summary>
    public ModelDescriptor Get() => GetAsync(CancellationToken.None).GetAwaiter().GetResult();
}
