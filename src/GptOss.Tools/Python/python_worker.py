# The python tool's worker: runs inside the sandbox, one per conversation. It reads one JSON request per
# line ({"id": ..., "code": ..., "cpu_seconds": ..., "max_output": ...}) and answers one JSON line
# ({"id": ..., "output": ..., "dropped": n}) carrying the request's id, so that a line the code writes to the
# protocol pipe is never taken for an answer. Each call's code runs in one persistent namespace; its stdout and
# stderr (and those of any child process) go to a memory file, of which the first max_output bytes are
# returned. Like Jupyter, the value of a trailing expression is shown.
import ast, fcntl, json, os, resource, signal, sys, threading, traceback

# The protocol pipes move to the top of the descriptor table, close-on-exec: the code's own files, and its
# child processes, never get them by accident.
top = min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 1024) - 1
answers = os.fdopen(fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, top - 1), "w", encoding="utf-8")
requests = os.fdopen(fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, top - 1), "r", encoding="utf-8")
null = os.open("/dev/null", os.O_RDONLY)
os.dup2(null, 0)  # user code reading stdin sees end of file, not the next request
os.dup2(null, 1)  # nor writes into the answers before its first call redirects it
os.close(null)
sys.stdin = open(0, "r", closefd=False)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the file-size limit a write fails instead of killing us
# Outside /tmp and /mnt/data: code that fills them must not lose every later call's output.
capture = os.memfd_create("tool_output")
# Python threads get 2 MB stacks, not RLIMIT_STACK's 8 MB: 64 of them reserve 128 MB of the address-space
# limit, not 512.
threading.stack_size(2 << 20)

namespace = {"__name__": "__main__", "__builtins__": __builtins__}


def run(code):
    tree = ast.parse(code, "<cell>", "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, "<cell>", "exec"), namespace)
    if last is not None:
        value = eval(compile(last, "<cell>", "eval"), namespace)
        if value is not None:
            print(repr(value))


def call(request):
    used = sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    limit = int(used) + int(request["cpu_seconds"]) + 1
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))

    # Output the last call could not write (past the file-size limit) must not leak into this one: the old
    # streams are dropped while their descriptors point at /dev/null.
    null = os.open("/dev/null", os.O_WRONLY)
    os.dup2(null, 1); os.dup2(null, 2); os.close(null)
    for stream in (sys.stdout, sys.stderr):
        quiet_flush(stream)
    sys.stdout = sys.stderr = None
    os.ftruncate(capture, 0)
    os.lseek(capture, 0, os.SEEK_SET)
    os.dup2(capture, 1); os.dup2(capture, 2)
    sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)
    try:
        run(request["code"])
    except SystemExit as e:
        print(f"SystemExit: {e.code}", file=sys.stderr)
    except BaseException:
        kind, value, tb = sys.exc_info()
        while tb is not None and tb.tb_frame.f_code.co_filename != "<cell>":
            tb = tb.tb_next  # show the model its own frames, not the worker's
        try:
            traceback.print_exception(kind, value, tb)
        except BaseException:
            print(f"{kind.__name__}: {value}", file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        quiet_flush(stream)
    return read_output(int(request["max_output"]))


def quiet_flush(stream):
    try:
        stream.flush()
    except BaseException:
        pass  # past the file-size limit: that output is lost, the session goes on


def read_output(limit):
    """The output, or its head and tail when too long: a traceback's last lines matter most."""
    with open(capture, "rb", closefd=False) as f:
        size = os.fstat(f.fileno()).st_size
        f.seek(0)
        if size <= limit:
            return {"output": f.read().decode("utf-8", errors="replace"), "dropped": 0}
        tail = limit // 4
        head = f.read(limit - tail).decode("utf-8", errors="ignore")
        f.seek(size - tail)
        end = f.read(tail).decode("utf-8", errors="ignore")
    return {"output": head, "tail": end, "dropped": size - limit}


for line in requests:
    request_id = None
    try:
        request = json.loads(line)
        request_id = request["id"]
        answer = call(request)
    except BaseException as e:  # a broken worker state: report it and keep serving
        answer = {"output": f"worker error: {type(e).__name__}: {e}", "dropped": 0}
    answer["id"] = request_id
    answers.write(json.dumps(answer) + "\n")
    answers.flush()
