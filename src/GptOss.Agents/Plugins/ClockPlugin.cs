using System.ComponentModel;
using System.Globalization;
using Microsoft.SemanticKernel;

namespace GptOss.Agents.Plugins;

/// <summary>Date and time, which the model cannot know by itself.</summary>
public sealed class ClockPlugin(TimeProvider time)
{
    public ClockPlugin() : this(TimeProvider.System) { }

    [KernelFunction("now"), Description("The current date and time in UTC, ISO 8601.")]
    public string Now() => time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    [KernelFunction("days_between"), Description("Whole days from one date to another (negative if the second is earlier).")]
    public int DaysBetween(
        [Description("First date, YYYY-MM-DD")] string start,
        [Description("Second date, YYYY-MM-DD")] string end) =>
        (ParseDate(end) - ParseDate(start)).Days;

    [KernelFunction("add_days"), Description("The date a number of days after (or before, if negative) a date.")]
    public string AddDays(
        [Description("Date, YYYY-MM-DD")] string date,
        [Description("Days to add")] int days) =>
        ParseDate(date).AddDays(days).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateTime ParseDate(string text) =>
        DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw new ArgumentException($"'{text}' is not a date in the form YYYY-MM-DD");
}
