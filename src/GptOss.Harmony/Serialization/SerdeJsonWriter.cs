using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GptOss.Harmony;

/// <summary>
/// Writes JSON the way Rust's <c>serde_json</c> does (compact; only <c>"</c>, <c>\</c> and control characters
/// escaped; integers as integers, other numbers in ryu's shortest form such as <c>1.0</c> or <c>1e21</c>), so that
/// rendered defaults and serialized messages are byte-identical to openai/harmony's.
/// </summary>
internal static class SerdeJsonWriter
{
    public static string ToJson(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return sb.ToString();
    }

    public static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject obj:
                sb.Append('{');
                bool first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteString(sb, key);
                    sb.Append(':');
                    Write(sb, value);
                }
                sb.Append('}');
                break;
            case JsonArray array:
                sb.Append('[');
                for (int i = 0; i < array.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Write(sb, array[i]);
                }
                sb.Append(']');
                break;
            case JsonValue value:
                WriteValue(sb, value);
                break;
        }
    }

    private static void WriteValue(StringBuilder sb, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(sb, value.GetValue<string>());
                break;
            case JsonValueKind.Number:
                sb.Append(FormatNumber(value.ToJsonString()));
                break;
            case JsonValueKind.True:
                sb.Append("true");
                break;
            case JsonValueKind.False:
                sb.Append("false");
                break;
            default:
                sb.Append("null");
                break;
        }
    }

    public static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ': sb.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }

    /// <summary>serde_json keeps integers that fit 64 bits and prints every other number as an f64 with ryu.</summary>
    public static string FormatNumber(string literal)
    {
        bool isInteger = !literal.AsSpan().ContainsAny(".eE");
        if (isInteger && (long.TryParse(literal, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                          || ulong.TryParse(literal, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            return literal;
        }
        double d = double.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture);
        return double.IsFinite(d) ? Ryu(d) : "null";
    }

    /// <summary>ryu's <c>format64</c> layout over .NET's shortest round-trip digits.</summary>
    private static string Ryu(double d)
    {
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        // value = 0.DIGITS × 10^exp, with .NET's shortest round-trip digits.
        string shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        int ePos = shortest.IndexOfAny(['E', 'e']);
        string mantissa = ePos >= 0 ? shortest[..ePos] : shortest;
        int exponent = ePos >= 0 ? int.Parse(shortest[(ePos + 1)..], CultureInfo.InvariantCulture) : 0;
        int dot = mantissa.IndexOf('.');
        string intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        string allDigits = intPart + (dot >= 0 ? mantissa[(dot + 1)..] : "");
        string digits = allDigits.TrimStart('0');
        int exp = intPart.Length - (allDigits.Length - digits.Length) + exponent;
        digits = digits.TrimEnd('0');
        int length = digits.Length;
        var sb = new StringBuilder();
        if (d < 0) sb.Append('-');
        if (0 <= exp - length && exp <= 16)
        {
            sb.Append(digits).Append('0', exp - length).Append(".0");
        }
        else if (0 < exp && exp <= 16)
        {
            sb.Append(digits, 0, exp).Append('.').Append(digits, exp, length - exp);
        }
        else if (-5 < exp && exp <= 0)
        {
            sb.Append("0.").Append('0', -exp).Append(digits);
        }
        else if (length == 1)
        {
            sb.Append(digits).Append('e').Append(exp - 1);
        }
        else
        {
            sb.Append(digits[0]).Append('.').Append(digits, 1, length - 1).Append('e').Append(exp - 1);
        }
        return sb.ToString();
    }
}
