using System.Text;
using GptOss.Constraints.Automata;
using GptOss.Constraints.Schema;

namespace GptOss.Constraints.Harmony;

/// <summary>
/// The whole completion a constrained request allows, from right after the prompt's <c>&lt;|start|&gt;assistant</c>:
/// an optional free analysis message (any ordinary tokens, closed by <c>&lt;|end|&gt;</c>, then
/// <c>&lt;|start|&gt;assistant</c>), then the forced answer:
/// <list type="bullet">
/// <item>a format: <c>&lt;|channel|&gt;final&lt;|message|&gt;</c> + the JSON + <c>&lt;|return|&gt;</c>;</item>
/// <item>a required call: <c>&lt;|channel|&gt;commentary to=functions.NAME &lt;|constrain|&gt;json&lt;|message|&gt;</c>
/// + the arguments + <c>&lt;|call|&gt;</c>, NAME one of the required functions;</item>
/// <item>strict functions only: a free final answer, a call of a strict function in the form above with its
/// arguments constrained, or a call of any other recipient with free arguments.</item>
/// </list>
/// With a format and strict functions (or <see cref="AnswerConstraint.CallsAllowed"/>), the answer is the JSON or a call;
/// a required call takes precedence over a format.
/// </summary>
internal static class HarmonyFrame
{
    public static Nfa Build(AnswerConstraint constraint)
    {
        var nfa = new Nfa();
        nfa.Accept = nfa.AddState();
        var answers = new List<Fragment>();
        if (constraint.RequiredCall is { } required)
        {
            if (required.Count == 0) throw new ArgumentException("RequiredCall must name at least one function.", nameof(constraint));
            answers.Add(nfa.Sequence(nfa.Literal("commentary to=functions."), nfa.Choice(required.Select(f => ConstrainedCall(nfa, f)).ToList())));
        }
        else
        {
            answers.Add(nfa.Sequence(nfa.Literal("final"), nfa.Symbol(Symbols.Message), AnswerBody(nfa, constraint.Format), nfa.Symbol(Symbols.Return)));
            if (constraint.StrictFunctions.Count > 0 || constraint.Format is null || constraint.CallsAllowed)
                answers.Add(nfa.Sequence(nfa.Literal("commentary to="), Recipients(nfa, constraint.StrictFunctions)));
        }
        var answer = nfa.Choice(answers);
        nfa.AddEpsilon(answer.End, nfa.Accept);

        int reasoning = nfa.AddState();
        nfa.AddEdge(reasoning, 0, 255, reasoning);
        nfa.Reasoning = reasoning;
        var analysis = nfa.Sequence(
            nfa.Literal("analysis"), nfa.Symbol(Symbols.Message), new Fragment(reasoning, reasoning), nfa.Symbol(Symbols.End),
            nfa.Symbol(Symbols.Start), nfa.Literal("assistant"), nfa.Symbol(Symbols.Channel));
        nfa.AddEpsilon(analysis.End, answer.Start);

        var channel = nfa.Symbol(Symbols.Channel);
        nfa.AddEpsilon(channel.End, analysis.Start);
        nfa.AddEpsilon(channel.End, answer.Start);
        nfa.Start = channel.Start;
        return nfa;
    }

    private static Fragment AnswerBody(Nfa nfa, AnswerFormat? format) => format switch
    {
        null => FreeText(nfa),
        { Schema: { } schema } => JsonSchemaCompiler.Compile(nfa, schema),
        _ => JsonSchemaCompiler.AnyObject(nfa),
    };

    private static Fragment FreeText(Nfa nfa)
    {
        int text = nfa.AddState();
        nfa.AddEdge(text, 0, 255, text);
        return new Fragment(text, text);
    }

    /// <summary><c>NAME &lt;|constrain|&gt;json&lt;|message|&gt;</c> + arguments + <c>&lt;|call|&gt;</c>.</summary>
    private static Fragment ConstrainedCall(Nfa nfa, FunctionSignature function) =>
        nfa.Sequence(nfa.Literal(function.Name), ConstrainedArguments(nfa, function));

    private static Fragment ConstrainedArguments(Nfa nfa, FunctionSignature function) => nfa.Sequence(
        nfa.Literal(" "), nfa.Symbol(Symbols.Constrain), nfa.Literal("json"), nfa.Symbol(Symbols.Message),
        JsonSchemaCompiler.Compile(nfa, function.Parameters), nfa.Symbol(Symbols.Call));

    /// <summary>
    /// Any recipient after <c>to=</c>, built deterministically over the strict names (<c>functions.NAME</c>) so a call
    /// of a strict function can only take the constrained form and every other recipient keeps free arguments.
    /// </summary>
    private static Fragment Recipients(Nfa nfa, IReadOnlyList<FunctionSignature> strict)
    {
        int end = nfa.AddState();
        // Anything else: the rest of the header free, then free arguments.
        int freeHeader = nfa.AddState(), freeArguments = nfa.AddState();
        nfa.AddEdge(freeHeader, 0, 255, freeHeader);
        nfa.AddEdge(freeHeader, Symbols.Constrain, freeHeader);
        nfa.AddEdge(freeHeader, Symbols.Message, freeArguments);
        nfa.AddEdge(freeArguments, 0, 255, freeArguments);
        nfa.AddEdge(freeArguments, Symbols.Call, end);

        var root = new TrieNode(nfa.AddState());
        foreach (var function in strict)
        {
            var node = root;
            foreach (byte b in Encoding.UTF8.GetBytes("functions." + function.Name))
            {
                if (!node.Children.TryGetValue(b, out var child)) node.Children.Add(b, child = new TrieNode(nfa.AddState()));
                node = child;
            }
            node.Function ??= function;
        }
        AddTransitions(nfa, root, freeHeader, freeArguments, end);
        return new Fragment(root.State, end);
    }

    private static void AddTransitions(Nfa nfa, TrieNode node, int freeHeader, int freeArguments, int end)
    {
        for (int b = 0; b < 256; b++)
        {
            if (node.Children.TryGetValue((byte)b, out var child)) nfa.AddEdge(node.State, b, child.State);
            else if (node.Function is not null && b == ' ') continue;
            else nfa.AddEdge(node.State, b, freeHeader);
        }
        if (node.Function is { } function)
        {
            var arguments = ConstrainedArguments(nfa, function);
            nfa.AddEpsilon(node.State, arguments.Start);
            nfa.AddEpsilon(arguments.End, end);
        }
        else
        {
            nfa.AddEdge(node.State, Symbols.Constrain, freeHeader);
            nfa.AddEdge(node.State, Symbols.Message, freeArguments);
        }
        foreach (var child in node.Children.Values) AddTransitions(nfa, child, freeHeader, freeArguments, end);
    }

    private sealed class TrieNode(int state)
    {
        public int State { get; } = state;
        public Dictionary<byte, TrieNode> Children { get; } = [];
        public FunctionSignature? Function { get; set; }
    }
}
