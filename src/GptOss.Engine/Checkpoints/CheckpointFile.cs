using System.Runtime.InteropServices;

namespace GptOss.Engine.Checkpoints;

/// <summary>
/// The one check before a checkpoint file (config, index, shard) is opened. Links are followed to their final
/// target, as the Hugging Face cache lays a snapshot out (<c>snapshots/REV/model.safetensors</c> → <c>blobs/HASH</c>),
/// and the target must be a regular file: a FIFO would block the read and a device (<c>/dev/zero</c>) has no length
/// to map. The type and length come from <c>statx</c>, whose structure has one layout on every architecture.
/// </summary>
internal static partial class CheckpointFile
{
    private const ushort TypeMask = 0xF000;
    private const ushort RegularType = 0x8000;

    /// <summary>
    /// The length of the regular file <paramref name="path"/> names, through any links; a missing file or anything
    /// but a regular file is a <see cref="CheckpointException"/> that names <paramref name="path"/> (and the link's target).
    /// </summary>
    public static long RegularLength(string path, string what)
    {
        // File.Exists follows links: a dangling one is "not found" too.
        if (!File.Exists(path)) throw new CheckpointException($"{path}{LinkNote(path)}: {what} not found");
        // statx is Linux's; elsewhere the file type is left to the open that follows.
        if (!OperatingSystem.IsLinux()) return new FileInfo(File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path).Length;
        if (statx(AtCurrentDirectory, path, 0, BasicStats, out var status) != 0)
            throw new CheckpointException($"{path}{LinkNote(path)}: {what} cannot be read ({Marshal.GetLastPInvokeErrorMessage()})");
        if ((status.Mode & TypeMask) != RegularType)
            throw new CheckpointException($"{path}{LinkNote(path)}: {what} is {Kind(status.Mode)}, not a regular file");
        return (long)status.Size;
    }

    /// <summary>" (a link to TARGET)" when <paramref name="path"/> is a link, so an error shows where it leads.</summary>
    private static string LinkNote(string path)
    {
        if (new FileInfo(path).LinkTarget is null) return "";
        try
        {
            return File.ResolveLinkTarget(path, returnFinalTarget: true) is { } target ? $" (a link to {target.FullName})" : "";
        }
        catch (IOException)
        {
            return " (a link that cannot be followed)";
        }
    }

    private static string Kind(ushort mode) => (mode & TypeMask) switch
    {
        0x1000 => "a FIFO",
        0x2000 => "a character device",
        0x4000 => "a directory",
        0x6000 => "a block device",
        0xC000 => "a socket",
        _ => "an unknown kind of file",
    };

    private const int AtCurrentDirectory = -100;
    private const uint BasicStats = 0x7FF;

    /// <summary>Linux's <c>struct statx</c> (256 bytes); only the fields used here are named.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct Statx
    {
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(40)] public ulong Size;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int directory, string path, int flags, uint mask, out Statx status);
}
