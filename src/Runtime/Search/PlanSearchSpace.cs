using System.Collections.Immutable;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search;

/// <summary>The search space a strategy declares: every parameter with a range or a list of choices.</summary>
public static class PlanSearchSpace
{
    /// <summary>
    /// Whole-number parameters as integers on their declared step (1 by default), real ones as floats
    /// (on their step when declared, on a log scale when marked <c>log</c>), lists and feature flags as
    /// choices; a parameter without a range is a constant and is not searched. A parameter declared
    /// with <c>when</c> is searched only while the parameter it names has one of the listed values.
    /// </summary>
    /// <exception cref="PlanException">The strategy declares nothing to search.</exception>
    public static SearchSpace From(StrategyPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var parameters = plan.Parameters.Select(Searched).OfType<SearchParameter>().ToImmutableArray();
        return parameters.IsEmpty
            ? throw new PlanException($"strategy '{plan.Name}' declares no parameter with a range or choices to search (e.g. param k = 5 in 3..10)")
            : new SearchSpace(parameters);
    }

    private static SearchParameter? Searched(ParameterSpec p) =>
        DistributionOf(p) is { } distribution
            ? new SearchParameter(p.Name, distribution, p.When is { } w ? new ParameterCondition(w.Parameter, w.Values) : null)
            : null;

    private static Distribution? DistributionOf(ParameterSpec p) => p.Kind switch
    {
        ParameterKind.Integer when p.Min is { } low && p.Max is { } high =>
            new IntDistribution((long)low, (long)high, (long)(p.Step ?? 1), p.LogScale),
        ParameterKind.Real when p.Min is { } low && p.Max is { } high => new FloatDistribution(low, high, p.Step, p.LogScale),
        ParameterKind.Choice => new CategoricalDistribution(p.Choices),
        ParameterKind.Boolean => new CategoricalDistribution([ScalarValue.Of(0), ScalarValue.Of(1)]),
        _ => null,
    };
}
