using System.Collections.Immutable;
using System.Globalization;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Search;
using StrategyLab.Runtime.Search.Storage;

namespace StrategyLab.Runtime.Tests.Search.Reports;

/// <summary>Studies and trials built by hand for the export, statistics and page tests.</summary>
internal static class StudyFixtures
{
    public static readonly DateTimeOffset Start = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>k (whole 3..10), kind (ema or sma), w (real 0.1..0.9); the objectives given, maximised unless named maxdd.</summary>
    public static StudyRecord Study(string constraints = "", params string[] objectives)
    {
        objectives = objectives.Length == 0 ? ["sharpe"] : objectives;
        var space = new SearchSpace([
            new SearchParameter("k", new IntDistribution(3, 10)),
            new SearchParameter("kind", new CategoricalDistribution([ScalarValue.Of("ema"), ScalarValue.Of("sma")])),
            new SearchParameter("w", new FloatDistribution(0.1, 0.9)),
        ]);
        var definition = new StudyDefinition("tiny", "momentum", "0123456789abcdef0123", "strategy momentum \"m\"\n", "daily_top100", "data-hash",
            space, [.. objectives.Select(o => o == "maxdd" ? Direction.Minimize : Direction.Maximize)], [.. objectives], constraints, "random", 7,
            Start.AddDays(-1), "1.2.3");
        return new StudyRecord(1, definition);
    }

    public static ImmutableSortedDictionary<string, ScalarValue> Params(double k, string kind, double? w = null)
    {
        var p = ImmutableSortedDictionary.CreateBuilder<string, ScalarValue>(StringComparer.Ordinal);
        p["k"] = ScalarValue.Of(k);
        p["kind"] = ScalarValue.Of(kind);
        if (w is { } x)
            p["w"] = ScalarValue.Of(x);
        return p.ToImmutable();
    }

    public static FrozenTrial Trial(int number, TrialState state, ImmutableSortedDictionary<string, ScalarValue> parameters, double[] values,
        IReadOnlyDictionary<string, double>? metrics = null, IReadOnlyDictionary<int, double>? intermediate = null,
        IReadOnlyDictionary<string, string>? attributes = null, double seconds = 1)
    {
        var attrs = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metrics ?? new Dictionary<string, double>())
            attrs[TrialMetrics.Prefix + key] = value.ToString("R", CultureInfo.InvariantCulture);
        foreach (var (key, value) in attributes ?? new Dictionary<string, string>())
            attrs[key] = value;
        var started = Start.AddMinutes(number);
        return new FrozenTrial(number + 100, number, state, parameters, [.. values],
            (intermediate ?? new Dictionary<int, double>()).ToImmutableSortedDictionary(),
            started, state is TrialState.Running or TrialState.Waiting ? null : started.AddSeconds(seconds), attrs.ToImmutable());
    }
}
