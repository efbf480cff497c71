using System.Text;
using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Native.Object;
using Jint.Runtime.Interop;

namespace GptOss.Tools.JavaScript;

/// <summary>A <c>console</c> object whose output goes to a bounded buffer, and the REPL-style rendering of values.</summary>
internal sealed class ConsoleCapture(Engine engine, int maxChars)
{
    private readonly StringBuilder _text = new();
    private long _dropped;

    public void Clear()
    {
        _text.Clear();
        _dropped = 0;
    }

    public ObjectInstance CreateObject()
    {
        var console = new JsObject(engine);
        foreach (var name in new[] { "log", "info", "warn", "error", "debug", "trace" })
            console.Set(name, new ClrFunction(engine, name, Log));
        return console;
    }

    private JsValue Log(JsValue self, JsValue[] args)
    {
        Append(string.Join(' ', args.Select(a => Render(a, quoteStrings: false))) + "\n");
        return JsValue.Undefined;
    }

    private void Append(string text)
    {
        var room = maxChars - _text.Length;
        if (room >= text.Length) _text.Append(text);
        else
        {
            if (room > 0) _text.Append(text, 0, room);
            _dropped += text.Length - Math.Max(room, 0);
        }
    }

    public string Render(JsValue value, bool quoteStrings)
    {
        if (value.IsString()) return quoteStrings ? JsonString(value.AsString()) : value.AsString();
        if (value is ObjectInstance obj && !value.IsRegExp() && obj is not Jint.Native.Function.Function && !value.IsDate())
        {
            try
            {
                var json = new JsonSerializer(engine).Serialize(value);
                if (json.IsString()) return json.AsString();
            }
            catch (Exception)
            {
                // Cyclic or hostile (throwing toJSON) objects fall back to their string form.
            }
        }
        try
        {
            return value.ToString();
        }
        catch (Exception e)
        {
            return $"[unprintable: {e.Message}]";
        }
    }

    private static string JsonString(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    /// <summary>The call's result: console output, then the last expression's value or the error.</summary>
    public string Output(string? value, string? error)
    {
        if (value is not null) Append(value + "\n");
        if (error is not null) Append(error + "\n");
        if (_dropped > 0) _text.Append($"[... {_dropped} characters of output dropped]\n");
        return _text.Length == 0 ? "(no output)" : _text.ToString().TrimEnd('\n');
    }
}
