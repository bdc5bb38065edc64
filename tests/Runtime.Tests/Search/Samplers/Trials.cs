using System.Collections.Immutable;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;

namespace StrategyLab.Runtime.Tests.Search.Samplers;

/// <summary>Frozen trials for sampler, pruner and Pareto tests, built the way storage would hand them out.</summary>
internal static class Trials
{
    public static FrozenTrial Make(
        int number,
        TrialState state,
        IReadOnlyDictionary<string, ScalarValue>? parameters = null,
        double[]? values = null,
        IReadOnlyDictionary<int, double>? intermediate = null,
        IReadOnlyDictionary<string, string>? attributes = null) =>
        new(number, number, state,
            (parameters ?? new Dictionary<string, ScalarValue>()).ToImmutableSortedDictionary(StringComparer.Ordinal),
            [.. values ?? []],
            (intermediate ?? new Dictionary<int, double>()).ToImmutableSortedDictionary(),
            null, null,
            (attributes ?? new Dictionary<string, string>()).ToImmutableSortedDictionary(StringComparer.Ordinal));

    public static FrozenTrial Complete(int number, IReadOnlyDictionary<string, ScalarValue> parameters, params double[] values) =>
        Make(number, TrialState.Complete, parameters, values);

    public static Dictionary<string, ScalarValue> Params(params (string Name, double Value)[] values) =>
        values.ToDictionary(v => v.Name, v => ScalarValue.Of(v.Value));

    public static SearchSpace Floats(params (string Name, double Low, double High)[] parameters) =>
        new([.. parameters.Select(p => new SearchParameter(p.Name, new FloatDistribution(p.Low, p.High)))]);

    /// <summary>
    /// Runs a study of <paramref name="count"/> sequential trials: proposes, evaluates, stores as complete.
    /// Returns the trials in order.
    /// </summary>
    public static List<FrozenTrial> Run(ISampler sampler, SearchSpace space, Func<IReadOnlyDictionary<string, ScalarValue>, double[]> objective, int count, int seed, IReadOnlyList<Direction>? directions = null)
    {
        directions ??= [Direction.Minimize];
        var random = new Random(seed);
        var trials = new List<FrozenTrial>();
        for (var n = 0; n < count; n++)
        {
            var p = sampler.Propose(space, directions, trials, random);
            trials.Add(Make(n, TrialState.Complete, p, objective(p)));
        }
        return trials;
    }

    public static double Branin(IReadOnlyDictionary<string, ScalarValue> p)
    {
        double x1 = p["x1"].Number, x2 = p["x2"].Number;
        double b = 5.1 / (4 * Math.PI * Math.PI), c = 5 / Math.PI, t = 1 / (8 * Math.PI);
        var a = x2 - (b * x1 * x1) + (c * x1) - 6;
        return (a * a) + (10 * (1 - t) * Math.Cos(x1)) + 10;
    }

    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : 0.5 * (v[(v.Length / 2) - 1] + v[v.Length / 2]);
    }
}
