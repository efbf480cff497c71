namespace GptOss.Constraints;

/// <summary>
/// The state of one constrained generation: which tokens may come next, advanced by each token sampled. One instance
/// per generation call (it is stateful); the sampler asks <see cref="Allowed"/> before every token and reports the
/// token it took with <see cref="Accept"/>.
/// </summary>
public interface ITokenConstraint
{
    /// <summary>
    /// The tokens allowed next, or null when any token is (free reasoning). <paramref name="remainingTokens"/> is how
    /// many tokens the call may still generate, this one included, so the constraint can steer to an end that fits.
    /// The mask is valid until the next <see cref="Accept"/>.
    /// </summary>
    TokenMask? Allowed(int remainingTokens);

    /// <summary>Advances past <paramref name="token"/>, which must have been allowed.</summary>
    void Accept(int token);
}
