namespace GptOss.Tools.Python;

/// <summary>
/// The python program run between prlimit and bubblewrap: outside the sandbox, but already as its user and under
/// its limits. argv: the seccomp program (base64), then bubblewrap's command line. It closes every descriptor but
/// stdin, stdout and stderr, since the host may have inherited some without close-on-exec and bubblewrap passes on
/// whatever it gets; then it hands bubblewrap the seccomp program on a descriptor of its own (a memory file, which
/// bubblewrap closes after reading).
/// </summary>
internal static class PythonLauncher
{
    public const string Source = """
    import base64, os, sys

    for fd in map(int, os.listdir("/proc/self/fd")):  # not closerange: the limit may be 2^30 and close_range missing
        if fd > 2:
            try:
                os.close(fd)
            except OSError:
                pass  # listdir's own descriptor, already closed
    program = os.memfd_create("seccomp", 0)  # no MFD_CLOEXEC: bubblewrap inherits it
    os.write(program, base64.b64decode(sys.argv[1]))
    os.lseek(program, 0, os.SEEK_SET)
    bubblewrap = sys.argv[2]
    os.execv(bubblewrap, [bubblewrap, "--seccomp", str(program)] + sys.argv[3:])
    """;
}
