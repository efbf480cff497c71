using System.Runtime.InteropServices;

namespace GptOss.Engine.Kernels.Native;

/// <summary>
/// Machine code copied into a page of its own that is then made executable and never written again (W^X). Linux x64
/// only: the kernels follow the System V calling convention. <c>GPTOSS_NATIVE_KERNELS=0</c> in the environment turns
/// them off (the managed kernels run instead).
/// </summary>
internal static unsafe partial class ExecutableCode
{
    /// <summary>The code's entry point, or null where this OS or process cannot run it.</summary>
    public static void* Load(ReadOnlySpan<byte> code)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64
            || Environment.GetEnvironmentVariable("GPTOSS_NATIVE_KERNELS") == "0")
            return null;
        try
        {
            const int Read = 1, Write = 2, Execute = 4, Private = 0x02, Anonymous = 0x20;
            nuint size = (nuint)((code.Length + Environment.SystemPageSize - 1) / Environment.SystemPageSize * Environment.SystemPageSize);
            nint page = mmap(0, size, Read | Write, Private | Anonymous, -1, 0);
            if (page == -1) return null;
            code.CopyTo(new Span<byte>((void*)page, code.Length));
            return mprotect(page, size, Read | Execute) == 0 ? (void*)page : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int mprotect(nint address, nuint length, int protection);
}
