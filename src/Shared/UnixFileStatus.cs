using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GptOss.FileSystem;

/// <summary>Which file a status describes: equal identities are the same file, whatever its names (hard links).</summary>
internal readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode);

/// <summary>
/// What Linux says about a file: its type and link count, which .NET does not expose, read with <c>statx</c>, whose
/// structure has one layout on every architecture. Linked into each project that opens untrusted paths (there is
/// no shared low-level assembly), so each holds its own internal copy of this one source.
/// </summary>
internal sealed partial record UnixFileStatus(ushort Mode, FileIdentity Identity, uint Links, long Size)
{
    private const ushort TypeMask = 0xF000;
    private const ushort RegularType = 0x8000;

    public bool IsRegular => (Mode & TypeMask) == RegularType;

    /// <summary>The file type in words, for an error message ("a FIFO").</summary>
    public string Kind => (Mode & TypeMask) switch
    {
        0x1000 => "a FIFO",
        0x2000 => "a character device",
        0x4000 => "a directory",
        0x6000 => "a block device",
        RegularType => "a regular file",
        0xA000 => "a symbolic link",
        0xC000 => "a socket",
        _ => "an unknown kind of file",
    };

    /// <summary>
    /// The status of <paramref name="path"/>, of the link itself or of what it finally leads to, or null (with the
    /// error in <see cref="Marshal.GetLastPInvokeError"/>) when it cannot be read.
    /// </summary>
    public static UnixFileStatus? Of(string path, bool followLinks) =>
        statx(AtCurrentDirectory, path, followLinks ? 0 : AtSymlinkNoFollow, BasicStats, out var status) == 0 ? From(status) : null;

    /// <summary>The status of an open file, or null when it cannot be read.</summary>
    public static UnixFileStatus? Of(SafeFileHandle file)
    {
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return statx((int)file.DangerousGetHandle(), "", AtEmptyPath, BasicStats, out var status) == 0 ? From(status) : null;
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading without blocking (a FIFO swapped in after a status was taken must
    /// not hang the caller); the caller checks the handle's status before reading. Null when it cannot be opened
    /// (the error in <see cref="Marshal.GetLastPInvokeError"/>).
    /// </summary>
    public static SafeFileHandle? OpenNonBlocking(string path)
    {
        var descriptor = open(path, OpenReadOnly | OpenNonBlock | OpenCloseOnExec);
        return descriptor < 0 ? null : new SafeFileHandle(descriptor, ownsHandle: true);
    }

    private static UnixFileStatus From(in Statx status) =>
        new(status.Mode, new FileIdentity(status.DeviceMajor, status.DeviceMinor, status.Inode), status.Links, (long)status.Size);

    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint BasicStats = 0x7FF;
    // The same values on every architecture .NET runs on Linux (x64, arm64, arm, s390x, ppc64le, riscv64, loongarch64).
    private const int OpenReadOnly = 0;
    private const int OpenNonBlock = 0x800;
    private const int OpenCloseOnExec = 0x80000;

    /// <summary>Linux's <c>struct statx</c> (256 bytes); only the fields used here are named.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct Statx
    {
        [FieldOffset(16)] public uint Links;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(136)] public uint DeviceMajor;
        [FieldOffset(140)] public uint DeviceMinor;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int directory, string path, int flags, uint mask, out Statx status);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);
}
