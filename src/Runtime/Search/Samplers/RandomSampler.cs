using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search.Samplers;

/// <summary>
/// Draws every active parameter independently: each choice or grid point of a linear int or stepped float
/// equally likely, uniform on a continuous range, log-uniform on a log scale. The baseline every other
/// sampler must beat, and the start of TPE before it has enough trials.
/// </summary>
public sealed class RandomSampler : ISampler
{
    /// <inheritdoc />
    public IReadOnlyDictionary<string, ScalarValue> Propose(SearchSpace space, IReadOnlyList<Direction> directions, IReadOnlyList<FrozenTrial> trials, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var scales = ParameterScale.Of(space);
        var chosen = new Dictionary<string, ScalarValue>(StringComparer.Ordinal);
        DrawActive(scales, chosen, random);
        return chosen;
    }

    /// <summary>Draws, in the space's order, each parameter not chosen yet that is active given those chosen.</summary>
    internal static void DrawActive(ParameterScale[] scales, Dictionary<string, ScalarValue> chosen, Random random)
    {
        foreach (var scale in scales)
            if (!chosen.ContainsKey(scale.Parameter.Name) && SearchSpace.IsActive(scale.Parameter, chosen))
                chosen[scale.Parameter.Name] = scale.DrawUniform(random);
    }
}
