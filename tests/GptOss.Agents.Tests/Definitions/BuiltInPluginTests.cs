using GptOss.Agents.Plugins;

namespace GptOss.Agents.Tests.Definitions;

public sealed class BuiltInPluginTests
{
    [Theory]
    [InlineData("1 + 2 * 3", "7")]
    [InlineData("(1 + 2) * 3", "9")]
    [InlineData("2 ^ 3 ^ 2", "512")]
    [InlineData("-4 + 10 % 4", "-2")]
    [InlineData("7 / 2", "3.5")]
    public void Calculator_follows_precedence(string expression, string expected) =>
        Assert.Equal(expected, new CalculatorPlugin().Evaluate(expression));

    [Theory]
    [InlineData("1 +", "expected a number")]
    [InlineData("(1 + 2", "missing ')'")]
    [InlineData("4 / 0", "division by zero")]
    [InlineData("2 3", "unexpected character")]
    public void Calculator_rejects_bad_expressions_with_a_reason(string expression, string reason) =>
        Assert.Contains(reason, Assert.Throws<ArgumentException>(() => new CalculatorPlugin().Evaluate(expression)).Message);

    [Fact]
    public void Clock_reads_the_time_provider_and_does_date_arithmetic()
    {
        var clock = new ClockPlugin(new FixedTime(new DateTimeOffset(2026, 3, 1, 12, 30, 0, TimeSpan.Zero)));
        Assert.Equal("2026-03-01T12:30:00Z", clock.Now());
        Assert.Equal(-28, clock.DaysBetween("2026-03-01", "2026-02-01"));
        Assert.Equal("2024-03-01", clock.AddDays("2024-02-28", 2));
        Assert.Throws<ArgumentException>(() => clock.AddDays("tomorrow", 1));
    }

    [Fact]
    public void Todo_keeps_its_items_and_rejects_unknown_ids()
    {
        var todo = new TodoPlugin();
        todo.Add("write plan", "2026-03-02");
        todo.Add("review");
        Assert.True(todo.Complete(2).Done);
        Assert.Equal([false, true], todo.List().Select(i => i.Done));
        Assert.Contains("no task with id 9", Assert.Throws<ArgumentException>(() => todo.Complete(9)).Message);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
