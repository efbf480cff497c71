using System.Runtime.InteropServices;
using GptOss.FileSystem;

namespace GptOss.Engine.Checkpoints;

/// <summary>
/// The one check before a checkpoint file (config, index, shard) is opened. Links are followed to their final
/// target, as the Hugging Face cache lays a snapshot out (<c>snapshots/REV/model.safetensors</c> → <c>blobs/HASH</c>),
/// and the target must be a regular file: a FIFO would block the read and a device (<c>/dev/zero</c>) has no length
/// to map.
/// </summary>
internal static class CheckpointFile
{
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
        var status = UnixFileStatus.Of(path, followLinks: true)
            ?? throw new CheckpointException($"{path}{LinkNote(path)}: {what} cannot be read ({Marshal.GetLastPInvokeErrorMessage()})");
        if (!status.IsRegular)
            throw new CheckpointException($"{path}{LinkNote(path)}: {what} is {status.Kind}, not a regular file");
        return status.Size;
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
}
