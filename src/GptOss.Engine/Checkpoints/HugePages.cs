using System.Runtime.InteropServices;

namespace GptOss.Engine.Checkpoints;

/// <summary>
/// Gets a mapped checkpoint into 2 MB pages on Linux. Decoding streams every active weight once per token; from 4 KB
/// pages the same stream reads at about half the speed here (a TLB miss and a hardware prefetcher restart every 4 KB).
/// The page cache hands a mapping 2 MB pages only when it asked for them (<see cref="Advise"/>) and the file was cached
/// in whole 2 MB pieces; pieces cached small (read under memory pressure, or by another tool) stay small until evicted,
/// which <see cref="Refresh"/> does. Best effort: no effect elsewhere, and failures are ignored.
/// </summary>
internal static unsafe partial class HugePages
{
    public const long Size = 2L << 20;

    private const int PageSize = 4096, PagesPerPiece = (int)(Size / PageSize), Batch = 32;
    private const int MadvDontNeed = 4, MadvHugePage = 14, FadvDontNeed = 4;
    private const ulong PagemapPresent = 1UL << 63;

    /// <summary>
    /// madvise(MADV_HUGEPAGE) over a mapping: its faults take 2 MB pages (a file's where the page cache holds them whole;
    /// anonymous memory's where the kernel finds free 2 MB blocks).
    /// </summary>
    public static void Advise(byte* address, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0) return;
        // madvise wants a page-aligned start; the mapping itself is.
        long start = (long)address & ~(long)(Environment.SystemPageSize - 1);
        try
        {
            _ = madvise((void*)start, (nuint)(length + ((long)address - start)), MadvHugePage);
        }
        catch (Exception e) when (Unavailable(e))
        {
        }
    }

    /// <summary>
    /// Finds the cached 2 MB pieces of a file mapped (advised, from offset 0) at <paramref name="mapping"/> that the page
    /// cache holds in small pages, and evicts and re-reads them, so they come back as 2 MB pages where memory allows.
    /// A piece is small when faulting its first byte does not map its last page (a 2 MB page maps whole). Uncached
    /// pieces are left alone (their first fault reads them in 2 MB pages); probed pieces are unmapped again, so the
    /// resident memory stays what the weights' use makes it. Returns how many pieces were re-read.
    /// </summary>
    public static int Refresh(byte* mapping, long length, string path)
    {
        long pieces = length / Size;
        // A 2 MB page maps only at a 2 MB-aligned address (file offsets here are aligned with the mapping).
        if (!OperatingSystem.IsLinux() || pieces == 0 || (long)mapping % Size != 0 || Environment.SystemPageSize != PageSize) return 0;
        int refreshed = 0;
        byte* resident = null;
        ulong* entries = null;
        try
        {
            using var pagemap = File.OpenHandle("/proc/self/pagemap");
            using var file = File.OpenHandle(path);
            resident = (byte*)NativeMemory.Alloc((nuint)(pieces * PagesPerPiece));
            entries = (ulong*)NativeMemory.Alloc((nuint)(Batch * PagesPerPiece), sizeof(ulong));
            if (mincore(mapping, (nuint)(pieces * Size), resident) != 0) return 0;
            bool* cached = stackalloc bool[Batch];
            for (long first = 0; first < pieces; first += Batch)
            {
                // Probe a batch with one pagemap read and one unmap (two system calls per piece cost ~0.5 s on 13 GB).
                int count = (int)Math.Min(Batch, pieces - first);
                byte* start = mapping + first * Size;
                for (int i = 0; i < count; i++)
                {
                    cached[i] = AnyResident(resident + (first + i) * PagesPerPiece);
                    if (cached[i]) _ = Volatile.Read(ref start[i * Size]);
                }
                var span = new Span<byte>(entries, count * PagesPerPiece * sizeof(ulong));
                int read = RandomAccess.Read(pagemap, span, (long)start / PageSize * sizeof(ulong));
                _ = madvise(start, (nuint)(count * Size), MadvDontNeed);
                if (read != span.Length) return refreshed;   // unreadable pagemap: evict nothing on a guess
                for (int i = 0; i < count; i++)
                {
                    bool small = cached[i] && (entries[(i + 1) * PagesPerPiece - 1] & PagemapPresent) == 0;
                    if (!small) continue;
                    if (posix_fadvise((int)file.DangerousGetHandle(), (first + i) * Size, Size, FadvDontNeed) != 0) return refreshed;
                    _ = Volatile.Read(ref start[i * Size]);   // read back in, as one 2 MB page if memory allows
                    _ = madvise(start + i * Size, (nuint)Size, MadvDontNeed);
                    refreshed++;
                }
            }
        }
        catch (Exception e) when (Unavailable(e))
        {
        }
        finally
        {
            NativeMemory.Free(resident);
            NativeMemory.Free(entries);
        }
        return refreshed;
    }

    private static bool AnyResident(byte* pages)
    {
        for (int i = 0; i < PagesPerPiece; i++)
            if ((pages[i] & 1) != 0) return true;
        return false;
    }

    /// <summary>No madvise/mincore/posix_fadvise, or no /proc: the weights stay in whatever pages the kernel picked.</summary>
    private static bool Unavailable(Exception e) =>
        e is DllNotFoundException or EntryPointNotFoundException or IOException or UnauthorizedAccessException;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int madvise(void* address, nuint length, int advice);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mincore(void* address, nuint length, byte* vector);

    [LibraryImport("libc")]
    private static partial int posix_fadvise(int fd, long offset, long length, int advice);
}
