using System.Globalization;

namespace GptOss.Hub;

/// <summary>Byte counts for people: 1.5 GB, 640 kB (decimal units, as the hub shows sizes).</summary>
public static class Bytes
{
    public static string Format(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1000 && unit < units.Length - 1) { value /= 1000; unit++; }
        return unit == 0 ? $"{bytes} B" : string.Create(CultureInfo.InvariantCulture, $"{value:0.##} {units[unit]}");
    }
}
