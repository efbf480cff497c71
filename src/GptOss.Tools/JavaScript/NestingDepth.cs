namespace GptOss.Tools.JavaScript;

/// <summary>
/// The deepest bracket nesting of source code, counted before parsing: a parser recursing on a hostile
/// nesting can overflow the stack, which no exception handler catches. Brackets in strings and comments
/// count too, which only errs on the safe side.
/// </summary>
internal static class NestingDepth
{
    public static int Of(string code)
    {
        int depth = 0, max = 0;
        foreach (var c in code)
        {
            if (c is '(' or '[' or '{') max = Math.Max(max, ++depth);
            else if (c is ')' or ']' or '}' && depth > 0) depth--;
        }
        return max;
    }
}
