using GptOss.Constraints.Automata;
using GptOss.Constraints.Vocabulary;

namespace GptOss.Constraints;

/// <summary>
/// One generation under a <see cref="CompiledAnswerConstraint"/>. Termination: no token is allowed after which the
/// answer could not end within the tokens left (every byte is a token, so the automaton's shortest completion in
/// symbols bounds it in tokens); the analysis stops at its reasoning budget, when only <c>&lt;|end|&gt;</c> is allowed.
/// </summary>
internal sealed class AnswerConstraintSession(CompiledAnswerConstraint compiled, int reasoningCap) : ITokenConstraint
{
    private int _state = compiled.Automaton.Start;
    private int _reasoningTokens;
    private int? _reasoningLimit;

    public TokenMask? Allowed(int remainingTokens)
    {
        lock (compiled.Gate)
        {
            var dfa = compiled.Automaton;
            if (_reasoningLimit is null)
            {
                int shortest = dfa.Need(_state);
                if (shortest > remainingTokens)
                    throw new InvalidOperationException(
                        $"max_tokens {remainingTokens} is too small for the constrained answer: it may need up to {shortest} tokens.");
                _reasoningLimit = ReasoningBudget.ForCall(reasoningCap, remainingTokens, shortest);
            }
            int budget = remainingTokens - 1;
            return dfa.IsReasoning(_state) && _reasoningTokens >= _reasoningLimit
                ? MaskWalker.SpecialsOnly(dfa, _state, budget)
                : compiled.MaskFor(_state, budget);
        }
    }

    public void Accept(int token)
    {
        lock (compiled.Gate)
        {
            int next = compiled.Advance(_state, token);
            if (next == LazyDfa.Dead)
                throw new InvalidOperationException($"Token {token} is not allowed by the constraint here; sample only from the mask.");
            if (compiled.Automaton.IsReasoning(_state) && compiled.Automaton.IsReasoning(next)) _reasoningTokens++;
            _state = next;
        }
    }
}
