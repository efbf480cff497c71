using GptOss.Tools.Execution;
using GptOss.Tools.JavaScript;

namespace GptOss.Tools.Tests;

public sealed class JavaScriptToolTests() : ExecutorTestBase(o => o.Python.Enabled = false)
{
    [Fact]
    public async Task State_survives_between_calls_and_console_output_is_captured()
    {
        Assert.Equal("(no output)", await Executor.RunAsync("javascript", "var total = 40; function add(x) { return total + x; }"));
        Assert.Equal("hello 42 {\"a\":[1,2]}\n42", await Executor.RunAsync("javascript", "console.log('hello', add(2), {a:[1,2]}); add(2)"));
        Assert.Equal("\"text\"", await Executor.RunAsync("javascript", "'te' + 'xt'"));
    }

    [Fact]
    public async Task Thrown_errors_are_reported_and_the_session_goes_on()
    {
        var text = await Executor.RunAsync("javascript", "let k = 5; throw new TypeError('bad thing')");
        Assert.Contains("TypeError: bad thing", text);
        Assert.Equal("5", await Executor.RunAsync("javascript", "k"));
    }

    [Theory]
    [InlineData("System.IO.File.WriteAllText('/tmp/x', 'y')")]
    [InlineData("importNamespace('System.IO')")]
    [InlineData("Function('return this')().System.IO")]
    [InlineData("({}).constructor.constructor('return this')().importNamespace('System')")]
    [InlineData("this.__proto__.constructor.constructor('return process')()")]
    [InlineData("eval('1+1')")]
    [InlineData("new Function('return 1')()")]
    [InlineData("require('fs')")]
    [InlineData("console.log.constructor('return System')()")]
    [InlineData("Object.getPrototypeOf(console.log).constructor('return clr')()")]
    [InlineData("console.log.GetType()")]
    public async Task No_path_leads_to_the_CLR(string escape)
    {
        var text = await Executor.RunAsync("javascript", escape);
        Assert.Matches("ReferenceError|TypeError|EvalError|is not (defined|a function)|String compilation", text);
        Assert.Equal("2", await Executor.RunAsync("javascript", "1 + 1"));
    }

    [Fact]
    public async Task Infinite_loop_is_stopped_and_the_host_carries_on()
    {
        var text = await Executor.RunAsync("javascript", "var spins = 0; while (true) { spins++; }");
        Assert.Matches("timed out|too many statements", text);
        Assert.Equal("3", await Executor.RunAsync("javascript", "1 + 2"));
    }

    [Fact]
    public async Task Deep_recursion_is_a_catchable_error()
    {
        var text = await Executor.RunAsync("javascript", "function down(n) { return down(n + 1) + 1; } down(0)");
        Assert.Contains("recursion", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Deeply_nested_source_is_rejected_before_parsing()
    {
        var code = new string('(', 30_000) + "1" + new string(')', 30_000);
        var text = await Executor.RunAsync("javascript", code);
        Assert.Contains("nests brackets 30000 deep", text);
    }

    [Theory]
    [InlineData("!")]
    [InlineData("- ")]
    [InlineData("a ? 1 : ")]
    [InlineData("(")]
    public async Task Long_operator_chains_under_the_size_limit_cannot_crash_the_host(string link)
    {
        var code = "var a = 1; " + string.Concat(Enumerable.Repeat(link, 90_000 / link.Length)) + "1";
        var text = await Executor.RunAsync("javascript", code);
        Assert.Matches(@"(?i)^(true|false|-?\d+)$|stack|recursion|nest|SyntaxError", text);
        Assert.Equal("2", await Executor.RunAsync("javascript", "1 + 1"));
    }

    [Fact]
    public async Task Code_over_the_size_limit_is_refused()
    {
        var text = await Executor.RunAsync("javascript", "var a = 1; " + string.Concat(Enumerable.Repeat("a ? 1 : ", 200_000)) + "1");
        Assert.Contains("is too long", text);
    }

    [Theory]
    [InlineData("var a = []; while (true) a.push(new Array(100000).fill(1.5));")]
    [InlineData("var s = 'x'; while (true) s = s + s;")]
    [InlineData("'x'.repeat(2 ** 30)")]
    [InlineData("new Array(4294967295).fill(0)")]
    public async Task Memory_bombs_are_stopped(string bomb)
    {
        var text = await Executor.RunAsync("javascript", bomb);
        Assert.Matches("(?i)memory|RangeError|Invalid|length|timed out", text);
        Assert.Equal("ok", await Executor.RunAsync("javascript", "console.log('ok')"));
    }

    [Fact]
    public async Task State_kept_across_calls_is_bounded_by_a_session_allocation_budget()
    {
        using var factory = new ToolExecutorFactory(Calls.FastOptions(o =>
        {
            o.Python.Enabled = false;
            o.Browser.Enabled = false;
            o.JavaScript.MaxSessionAllocatedBytes = 64L << 20;
        }));
        await using var executor = factory.Create();
        var text = "";
        for (var call = 0; call < 20 && !text.Contains("restarted"); call++)
            text = await executor.RunAsync("javascript", "var keep = keep || []; keep.push(new Array(1000000).fill(Math.random())); keep.length");
        Assert.Contains("was restarted; its state was lost", text);
        Assert.Equal("\"undefined\"", await executor.RunAsync("javascript", "typeof keep"));
    }

    [Fact]
    public async Task Huge_output_is_cut_to_the_limit()
    {
        var text = await Executor.RunAsync("javascript", "for (let i = 0; i < 100000; i++) console.log('line ' + i);");
        Assert.True(text.Length < 4200, $"output of {text.Length} characters");
        Assert.Contains("characters of output dropped", text);
    }

    [Theory]
    [InlineData("Atomics.wait(cell, 0, 0)")]
    [InlineData("Atomics.wait(cell, 0, 0, 1e9)")]
    public async Task Atomics_wait_is_refused_instead_of_blocking_the_interpreter(string wait)
    {
        var text = await Executor.RunAsync("javascript", $"var cell = new Int32Array(new SharedArrayBuffer(4)); {wait}");
        Assert.Contains("TypeError: Atomics.wait cannot be used", text);
        Assert.Equal("0", await Executor.RunAsync("javascript", "Atomics.load(cell, 0)")); // the same session goes on
    }

    [Fact]
    public async Task The_memory_limit_error_says_it_counts_every_allocation()
    {
        using var factory = new ToolExecutorFactory(Calls.FastOptions(o =>
        {
            o.Python.Enabled = false;
            o.Browser.Enabled = false;
            o.MemoryLimitBytes = 64L << 20;
            o.TimeLimit = TimeSpan.FromSeconds(60); // the memory limit, not the clock, must stop it on a loaded machine
        }));
        await using var executor = factory.Create();
        // About 3 MB is ever held at once, but the call allocates gigabytes of garbage.
        var text = await executor.RunAsync("javascript", "for (let i = 0; i < 1000; i++) { let garbage = Array(100000).fill(i); } 'done'");
        Assert.Contains("this call allocated more than 64 MB in all (every allocation counts, garbage included", text);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(1_000)]
    [InlineData(1_999)]
    [InlineData(30_000)]
    [InlineData(600_000)]
    public void The_interpreter_is_cut_a_margin_before_the_pipeline_times_out(int timeLimitMilliseconds)
    {
        var options = Calls.FastOptions(o => o.TimeLimit = TimeSpan.FromMilliseconds(timeLimitMilliseconds));
        Assert.True(options.TimeLimit < JavaScriptTool.Deadline(options));
        Assert.True(JavaScriptTool.Deadline(options) + TimeSpan.FromSeconds(1) <= ToolPipeline.Timeout(options),
            $"interpreter cut at {JavaScriptTool.Deadline(options)}, pipeline timeout at {ToolPipeline.Timeout(options)}");
    }
}
