using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace GptOss.Tools.Python;

/// <summary>
/// The seccomp program bubblewrap installs in the sandbox (<c>--seccomp FD</c>): a classic-BPF deny list of the
/// system calls that reach kernel attack surface python never needs (namespaces, mounts, ptrace, keyrings, bpf,
/// perf, io_uring, modules). Denied calls fail with EPERM; <c>clone3</c> fails with ENOSYS, because its flags sit
/// in memory a filter cannot read and glibc then falls back to <c>clone</c>, whose flags are checked.
/// </summary>
internal static class SeccompFilter
{
    private const uint AuditArchX86_64 = 0xC000003E;
    private const uint AuditArchAarch64 = 0xC00000B7;
    /// <summary>x32 system calls are x86_64 numbers with this bit set: a second table the list would miss.</summary>
    private const uint X32SyscallBit = 0x40000000;
    /// <summary>CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME.</summary>
    private const uint CloneNamespaceFlags = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080;

    private const ushort LoadWord = 0x20;     // BPF_LD | BPF_W | BPF_ABS
    private const ushort JumpIfEqual = 0x15;  // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort JumpIfAbove = 0x35;  // BPF_JMP | BPF_JGE | BPF_K
    private const ushort JumpIfAnyBit = 0x45; // BPF_JMP | BPF_JSET | BPF_K
    private const ushort Return = 0x06;       // BPF_RET | BPF_K
    private const uint Allow = 0x7FFF0000;
    private const uint Eperm = 0x00050000 | 1;
    private const uint Enosys = 0x00050000 | 38;

    // Offsets in struct seccomp_data: nr, arch, instruction pointer, then six 64-bit arguments (little-endian).
    private const uint NumberOffset = 0;
    private const uint ArchOffset = 4;
    private const uint FirstArgumentLowWordOffset = 16;

    /// <summary>Denied system calls: name, x86_64 number, aarch64 (asm-generic) number; null where the call does not exist.</summary>
    private static readonly (string Name, uint? X64, uint? Arm64)[] Denied =
    [
        ("unshare", 272, 97), ("setns", 308, 268),
        ("ptrace", 101, 117), ("process_vm_readv", 310, 270), ("process_vm_writev", 311, 271), ("kcmp", 312, 272),
        ("pidfd_getfd", 438, 438), ("process_madvise", 440, 440),
        ("keyctl", 250, 219), ("add_key", 248, 217), ("request_key", 249, 218),
        ("bpf", 321, 280), ("perf_event_open", 298, 241), ("userfaultfd", 323, 282),
        ("io_uring_setup", 425, 425), ("io_uring_enter", 426, 426), ("io_uring_register", 427, 427),
        ("mount", 165, 40), ("umount2", 166, 39), ("pivot_root", 155, 41), ("chroot", 161, 51),
        ("open_tree", 428, 428), ("move_mount", 429, 429), ("fsopen", 430, 430), ("fsconfig", 431, 431),
        ("fsmount", 432, 432), ("fspick", 433, 433), ("mount_setattr", 442, 442),
        ("name_to_handle_at", 303, 264), ("open_by_handle_at", 304, 265), ("fanotify_init", 300, 262),
        ("kexec_load", 246, 104), ("kexec_file_load", 320, 294),
        ("init_module", 175, 105), ("finit_module", 313, 273), ("delete_module", 176, 106),
        ("reboot", 169, 142), ("swapon", 167, 224), ("swapoff", 168, 225), ("acct", 163, 89),
        ("quotactl", 179, 60), ("quotactl_fd", 443, 443), ("syslog", 103, 116), ("lookup_dcookie", 212, 18),
        ("settimeofday", 164, 170), ("clock_settime", 227, 112), ("clock_adjtime", 305, 266), ("adjtimex", 159, 171),
        ("sethostname", 170, 161), ("setdomainname", 171, 162), ("vhangup", 153, 58), ("personality", 135, 92),
        ("iopl", 172, null), ("ioperm", 173, null), ("modify_ldt", 154, null), ("uselib", 134, null),
    ];

    private static readonly (uint X64, uint Arm64) Clone = (56, 220);
    private static readonly (uint X64, uint Arm64) Clone3 = (435, 435);

    /// <summary>The program for this process's architecture, or null where there is no table for it.</summary>
    public static byte[]? ForCurrentArchitecture() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => Build(isX64: true),
        Architecture.Arm64 => Build(isX64: false),
        _ => null,
    };

    private static byte[] Build(bool isX64)
    {
        var program = new List<(ushort Code, byte IfTrue, byte IfFalse, uint K)>
        {
            // Another ABI (i386 int 0x80 on x86_64) has other numbers: none of its calls is allowed.
            (LoadWord, 0, 0, ArchOffset),
            (JumpIfEqual, 1, 0, isX64 ? AuditArchX86_64 : AuditArchAarch64),
            (Return, 0, 0, Eperm),
            (LoadWord, 0, 0, NumberOffset),
        };
        if (isX64)
        {
            program.Add((JumpIfAbove, 0, 1, X32SyscallBit));
            program.Add((Return, 0, 0, Eperm));
        }
        foreach (var (_, x64, arm64) in Denied)
        {
            if ((isX64 ? x64 : arm64) is not { } number) continue;
            program.Add((JumpIfEqual, 0, 1, number));
            program.Add((Return, 0, 0, Eperm));
        }
        program.Add((JumpIfEqual, 0, 1, isX64 ? Clone3.X64 : Clone3.Arm64));
        program.Add((Return, 0, 0, Enosys));
        // clone: the flags (first argument; every namespace flag is in its low word) decide.
        program.Add((JumpIfEqual, 1, 0, isX64 ? Clone.X64 : Clone.Arm64));
        program.Add((Return, 0, 0, Allow));
        program.Add((LoadWord, 0, 0, FirstArgumentLowWordOffset));
        program.Add((JumpIfAnyBit, 0, 1, CloneNamespaceFlags));
        program.Add((Return, 0, 0, Eperm));
        program.Add((Return, 0, 0, Allow));

        // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; } in host byte order (little-endian on both).
        var bytes = new byte[program.Count * 8];
        for (var i = 0; i < program.Count; i++)
        {
            var (code, ifTrue, ifFalse, k) = program[i];
            var slot = bytes.AsSpan(i * 8, 8);
            BinaryPrimitives.WriteUInt16LittleEndian(slot, code);
            slot[2] = ifTrue;
            slot[3] = ifFalse;
            BinaryPrimitives.WriteUInt32LittleEndian(slot[4..], k);
        }
        return bytes;
    }
}
