using System.ComponentModel;
using System.Globalization;
using Microsoft.SemanticKernel;

namespace GptOss.Agents.Plugins;

/// <summary>Exact arithmetic: + - * / % ^, parentheses and decimals.</summary>
public sealed class CalculatorPlugin
{
    [KernelFunction("evaluate"), Description("Evaluates an arithmetic expression with + - * / % ^ and parentheses, e.g. (2 + 3) * 4 ^ 2.")]
    public string Evaluate([Description("The expression")] string expression) =>
        new ArithmeticParser(expression).Parse().ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Recursive descent over: sum := product (('+'|'-') product)*; product := power (('*'|'/'|'%') power)*;
    /// power := unary ('^' power)?; unary := '-' unary | atom; atom := number | '(' sum ')'.</summary>
    private sealed class ArithmeticParser(string text)
    {
        private int _pos;

        public double Parse()
        {
            var value = Sum();
            Skip();
            return _pos == text.Length ? value : throw Error("unexpected character");
        }

        private double Sum()
        {
            var value = Product();
            while (Accept('+') || Accept('-'))
            {
                var op = text[_pos - 1];
                var right = Product();
                value = op == '+' ? value + right : value - right;
            }
            return value;
        }

        private double Product()
        {
            var value = Power();
            while (Accept('*') || Accept('/') || Accept('%'))
            {
                var op = text[_pos - 1];
                var right = Power();
                if (op != '*' && right == 0) throw Error("division by zero");
                value = op switch { '*' => value * right, '/' => value / right, _ => value % right };
            }
            return value;
        }

        private double Power()
        {
            var value = Unary();
            return Accept('^') ? Math.Pow(value, Power()) : value;
        }

        private double Unary() => Accept('-') ? -Unary() : Accept('+') ? Unary() : Atom();

        private double Atom()
        {
            if (Accept('('))
            {
                var value = Sum();
                return Accept(')') ? value : throw Error("missing ')'");
            }
            Skip();
            var start = _pos;
            while (_pos < text.Length && (char.IsAsciiDigit(text[_pos]) || text[_pos] == '.')) _pos++;
            return double.TryParse(text.AsSpan(start, _pos - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
                ? number
                : throw Error("expected a number");
        }

        private bool Accept(char c)
        {
            Skip();
            if (_pos < text.Length && text[_pos] == c)
            {
                _pos++;
                return true;
            }
            return false;
        }

        private void Skip()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        private ArgumentException Error(string what) => new($"{what} at position {_pos + 1} of '{text}'");
    }
}
