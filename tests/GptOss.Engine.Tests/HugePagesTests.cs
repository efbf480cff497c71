using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
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
        using var dir = new TempDirectory();
        string model = dir["model"];
        TinyFixtures.CopyTo("hf-a", model);
        string path = Path.Combine(model, "model.safetensors");
        using var file = SafetensorsFile.Open(path);

        Assert.Contains("hg", PageCache.Mapping(path, "VmFlags:").Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// A checkpoint the page cache holds in 4 KB pieces (here: read 4 KB at a time) maps in 4 KB pages even with the
    /// advice; opening it re-reads those pieces, after which the same bytes map as 2 MB pages.
    /// </summary>
    [FileHugePagesFact]
    public unsafe void Opening_a_checkpoint_cached_in_small_pages_brings_it_back_in_2_mb_pages()
    {
        using var dir = new TempDirectory();
        string path = dir["model.safetensors"];
        const long Bytes = 8L << 20;
        SafetensorsWriter.Write(path, [new TensorToWrite("w", "U8", [Bytes], FillWithMegabyteIndex)]);
        PageCache.CacheIn4KbPieces(path);
        Assert.Equal(0L, PageCache.PmdMappedAfterTouching(path, advise: true));

        using var file = SafetensorsFile.Open(path);
        var tensor = file.Tensors["w"];
        byte* data = (byte*)file.AddressOf(tensor);
        long sum = 0;
        for (long i = 0; i < Bytes; i += 4096) sum += data[i];

        Assert.Equal(Enumerable.Range(0, 8).Sum(mb => mb * 256L), sum);   // the same bytes, read back
        // The file starts with its header: the data spans 4 whole 2 MB pieces. Each needs a free 2 MB block of memory,
        // which a fragmented machine may deny one of; most must come back.
        long whole = Bytes / HugePages.Size, huge = PageCache.PmdMappedKilobytes(path) * 1024 / HugePages.Size;
        Assert.True(huge * 2 > whole, $"{huge} of {whole} whole pieces map as 2 MB pages");
    }

    private static void FillWithMegabyteIndex(long offset, Span<byte> span)
    {
        for (int i = 0; i < span.Length; i++) span[i] = (byte)((offset + i) >> 20);
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

/// <summary>
/// A fact that needs a page cache that gives files 2 MB pages (Linux with large folios, e.g. ext4 or XFS on 6.x, for the
/// temp folder): checked once by reading a file cold through an advised mapping. Skipped elsewhere.
/// </summary>
public sealed class FileHugePagesFactAttribute : FactAttribute
{
    private static readonly Lazy<bool> Available = new(PageCache.GivesFilesHugePages);

    public FileHugePagesFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "Linux only";
        else if (!Available.Value) Skip = "this temp folder's page cache gives files no 2 MB pages";
    }
}

/// <summary>Puts files into the page cache in given shapes and reads how a mapping of them is backed.</summary>
internal static unsafe partial class PageCache
{
    private const int FadvRandom = 1, FadvDontNeed = 4;

    /// <summary>Evicts the file, then reads it 4 KB at a time without readahead: the cache holds it in 4 KB pages.</summary>
    public static void CacheIn4KbPieces(string path)
    {
        using var handle = Evict(path);
        Assert.Equal(0, posix_fadvise((int)handle.DangerousGetHandle(), 0, 0, FadvRandom));
        var one = new byte[1];
        for (long offset = 0; offset < RandomAccess.GetLength(handle); offset += 4096) RandomAccess.Read(handle, one, offset);
    }

    /// <summary>FilePmdMapped of a fresh mapping of the file after touching every 4 KB page (optionally advised first).</summary>
    public static long PmdMappedAfterTouching(string path, bool advise)
    {
        using var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        using var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        try
        {
            long length = new FileInfo(path).Length;
            if (advise) HugePages.Advise(pointer, length);
            long sum = 0;
            for (long i = 0; i < length; i += 4096) sum += pointer[i];
            GC.KeepAlive(sum);
            return PmdMappedKilobytes(path);
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    public static bool GivesFilesHugePages()
    {
        var dir = Directory.CreateTempSubdirectory("gptoss-hugepages-probe-");
        try
        {
            string path = Path.Combine(dir.FullName, "probe");
            using (var stream = new FileStream(path, FileMode.Create))
            {
                stream.Write(new byte[4L << 20]);
                stream.Flush(flushToDisk: true);
            }
            Evict(path).Dispose();
            return PmdMappedAfterTouching(path, advise: true) > 0;
        }
        catch (Exception e) when (e is IOException or DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    public static long PmdMappedKilobytes(string path) =>
        long.Parse(Mapping(path, "FilePmdMapped:").Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

    /// <summary>
    /// A line of the file's (only) mapping in /proc/self/smaps, found by its path below the temp folder: smaps names it
    /// by its resolved path, whose end that is (the folder's name is unique).
    /// </summary>
    public static string Mapping(string path, string field)
    {
        string name = "/" + Path.GetRelativePath(Path.GetTempPath(), path);
        var lines = File.ReadAllLines("/proc/self/smaps");
        int mapping = Array.FindIndex(lines, l => l.EndsWith(name, StringComparison.Ordinal));
        Assert.True(mapping >= 0, $"{name} is not mapped");
        return lines.Skip(mapping + 1).First(l => l.StartsWith(field, StringComparison.Ordinal));
    }

    /// <summary>Writes the file's dirty pages back and drops its cached ones; the handle stays open for more advice.</summary>
    private static Microsoft.Win32.SafeHandles.SafeFileHandle Evict(string path)
    {
        var handle = File.OpenHandle(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite)) stream.Flush(flushToDisk: true);
        Assert.Equal(0, posix_fadvise((int)handle.DangerousGetHandle(), 0, 0, FadvDontNeed));
        return handle;
    }

    [LibraryImport("libc")]
    private static partial int posix_fadvise(int fd, long offset, long length, int advice);
}
