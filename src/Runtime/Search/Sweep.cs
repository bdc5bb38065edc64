using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Models.Training;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Runs;

namespace StrategyLab.Runtime.Search;

/// <summary>One swept parameter and its values, in the order given.</summary>
public sealed record SweepAxis(string Name, ImmutableArray<ScalarValue> Values);

/// <summary>What to optimise: a metric of <see cref="TrialMetrics"/> and whether higher or lower is better.</summary>
public sealed record Objective(string Metric, Direction Direction)
{
    /// <summary>The objective of that metric, better in the metric's own direction (<c>sharpe</c> up, <c>maxdd</c> down).</summary>
    public static Objective Of(string metric)
    {
        var spec = TrialMetrics.Require(metric, "--objective");
        return new Objective(spec.Name, spec.Better);
    }

    /// <summary>Orders values best first; NaN (no trades, no returns) last.</summary>
    public int Compare(double x, double y) =>
        double.IsNaN(x) ? (double.IsNaN(y) ? 0 : 1)
        : double.IsNaN(y) ? -1
        : Direction == Direction.Maximize ? y.CompareTo(x) : x.CompareTo(y);
}

/// <summary>A finished (or failed) combination of a sweep: its number in grid order, swept values, and outcome or error.</summary>
public sealed record SweepTrial(int Number, ImmutableSortedDictionary<string, ScalarValue> Swept, PeriodOutcome? Outcome, string? Error);

/// <summary>A sweep's trials (those that ran, best first by the objective), and whether it was stopped before the end.</summary>
public sealed record SweepResult(IReadOnlyList<SweepAxis> Axes, Objective Objective, Accounting Accounting, IReadOnlyList<SweepTrial> Trials, int Combinations, bool Stopped);

/// <summary>
/// A grid sweep: every combination of the swept parameters' values, each a backtest of one
/// prepared run, run in parallel and ranked by an objective. Every value is checked against its
/// parameter's declared kind and range before any trial runs.
/// </summary>
public static class Sweep
{
    /// <summary>
    /// Parses <c>--grid</c> texts: <c>k=3..10</c> (whole numbers, by the parameter's declared step or 1),
    /// <c>w=0.1..0.5:0.1</c> (a range with its step), <c>lookback=10,20,40</c> or <c>kind=sma,ema</c> (a list).
    /// </summary>
    /// <exception cref="PlanException">An unknown parameter, a value outside its range, a malformed or repeated axis.</exception>
    public static IReadOnlyList<SweepAxis> ParseAxes(StrategyPlan plan, IEnumerable<string> grids)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(grids);
        var axes = new List<SweepAxis>();
        foreach (var text in grids)
        {
            var eq = text.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == text.Length - 1)
                throw new PlanException($"--grid: expected NAME=VALUES (k=3..10, k=3,5,7 or w=0.1..0.5:0.1), found '{text}'");
            var name = text[..eq].Trim();
            var spec = plan.Parameters.FirstOrDefault(p => p.Name == name)
                ?? throw new PlanException($"--grid {name}: strategy '{plan.Name}' has no parameter '{name}'"
                    + (plan.Parameters.IsEmpty ? "" : $"; it has {string.Join(", ", plan.Parameters.Select(p => p.Name))}"));
            if (axes.Any(a => a.Name == name))
                throw new PlanException($"--grid {name}: the parameter is swept twice");
            var values = Values(spec, text[(eq + 1)..].Trim());
            // each value as a binding would check it: kind and range
            foreach (var v in values)
                ParameterSet.Bind(plan, new Dictionary<string, ScalarValue> { [name] = v });
            axes.Add(new SweepAxis(name, values));
        }
        if (axes.Count == 0)
            throw new PlanException("--grid: give at least one parameter to sweep, e.g. --grid k=3..10");
        return axes;
    }

    /// <summary>
    /// Every combination of the axes' values, the first axis slowest, as bindings of <paramref name="run"/>
    /// whose other parameters keep the values of <paramref name="fixedValues"/> (the defaults when null).
    /// A swept parameter declared with <c>when</c> whose condition fails in a combination is left out of it (it
    /// keeps its fixed value, which the strategy does not read there), and the combinations that then repeat an
    /// earlier one are run once, as a study leaves an inactive parameter out of a trial.
    /// </summary>
    public static IReadOnlyList<(ImmutableSortedDictionary<string, ScalarValue> Swept, ParameterSet Parameters)> Combinations(PreparedRun run,
        IReadOnlyList<SweepAxis> axes, ParameterSet? fixedValues = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(axes);
        IEnumerable<ImmutableSortedDictionary<string, ScalarValue>> grid = [ImmutableSortedDictionary.Create<string, ScalarValue>(StringComparer.Ordinal)];
        foreach (var axis in axes)
            grid = grid.SelectMany(g => axis.Values.Select(v => g.Add(axis.Name, v)));
        var baseline = fixedValues ?? run.Defaults;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var combinations = new List<(ImmutableSortedDictionary<string, ScalarValue>, ParameterSet)>();
        foreach (var g in grid)
        {
            var swept = g.RemoveRange(ParameterSet.Inactive(run.Plan, baseline.ToDictionary().SetItems(g)));
            if (seen.Add(string.Join('\n', swept.Select(p => $"{p.Key}={p.Value}"))))
                combinations.Add((swept, run.Bind(baseline.ToDictionary().SetItems(swept))));
        }
        return combinations;
    }

    /// <summary>
    /// Runs every combination over the settings' period, <paramref name="jobs"/> at a time; a cancelled
    /// <paramref name="stop"/> starts no further trial and returns those that finished. A trial that fails
    /// (a refusal of its parameters, a model that cannot train) is kept with its error.
    /// </summary>
    public static SweepResult Run(PreparedRun run, IReadOnlyList<SweepAxis> axes, RunSettings settings, Accounting accounting, Objective objective,
        int jobs, CancellationToken stop = default, Action<SweepTrial>? finished = null, Func<ParameterSet, ModelTrainingResult?>? models = null,
        ParameterSet? fixedValues = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentOutOfRangeException.ThrowIfLessThan(jobs, 1);
        var combinations = Combinations(run, axes, fixedValues);
        var period = TrialEvaluation.WholePeriod(run, settings);
        // trials side by side keep to their own thread each
        if (jobs > 1)
            settings = settings with { Threads = 1 };
        var trials = new ConcurrentBag<SweepTrial>();
        var stopped = false;
        try
        {
            Parallel.For(0, combinations.Count, new ParallelOptions { MaxDegreeOfParallelism = jobs, CancellationToken = stop }, n =>
            {
                var (swept, parameters) = combinations[n];
                SweepTrial trial;
                try
                {
                    var outcome = TrialEvaluation.Run(run, parameters, settings, accounting, [period], models?.Invoke(parameters))[0];
                    trial = new SweepTrial(n, swept, outcome, null);
                }
                catch (PlanException e)
                {
                    trial = new SweepTrial(n, swept, null, e.Message);
                }
                trials.Add(trial);
                finished?.Invoke(trial);
            });
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            stopped = true;
        }
        var ranked = trials
            .OrderBy(t => t.Outcome is null ? 1 : 0)
            .ThenBy(t => t.Outcome?.Metrics.GetValueOrDefault(objective.Metric, double.NaN) ?? double.NaN, Comparer<double>.Create(objective.Compare))
            .ThenBy(t => t.Number)
            .ToList();
        return new SweepResult(axes, objective, accounting, ranked, combinations.Count, stopped);
    }

    // a --grid axis's values: a list, or a range by the declared step (whole numbers) or the given one
    private static ImmutableArray<ScalarValue> Values(ParameterSpec spec, string text)
    {
        var range = text.IndexOf("..", StringComparison.Ordinal);
        if (range < 0)
            return [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(v => Value(spec, v))];
        var upper = text[(range + 2)..];
        var colon = upper.IndexOf(':', StringComparison.Ordinal);
        var low = Number(spec, text[..range]);
        var high = Number(spec, colon < 0 ? upper : upper[..colon]);
        var step = colon >= 0 ? Number(spec, upper[(colon + 1)..])
            : spec.Step ?? (spec.Kind == ParameterKind.Integer ? 1
                : throw new PlanException($"--grid {spec.Name}: a range of a real parameter needs a step, e.g. {spec.Name}={text}:0.1"));
        if (step <= 0 || high < low)
            throw new PlanException($"--grid {spec.Name}: expected LOW..HIGH with LOW ≤ HIGH and a positive step, found '{text}'");
        var count = (long)Math.Floor(((high - low) / step) + 1e-9) + 1;
        if (count > 100_000)
            throw new PlanException($"--grid {spec.Name}: {count:N0} values; a sweep takes at most 100,000 per parameter");
        // each value from the low end, so that steps do not accumulate rounding
        return [.. Enumerable.Range(0, (int)count).Select(i => ScalarValue.Of(Math.Round(low + (i * step), 12)))];
    }

    private static ScalarValue Value(ParameterSpec spec, string text) => spec.Kind switch
    {
        ParameterKind.Choice => spec.Choices.FirstOrDefault(c => c.Text == text || (!c.IsText && double.TryParse(text, CultureInfo.InvariantCulture, out var n) && n == c.Number)) is var c
            && spec.Choices.Contains(c) ? c : throw new PlanException($"--grid {spec.Name}: expected one of {string.Join(", ", spec.Choices)}, found '{text}'"),
        ParameterKind.Boolean when text is "true" or "false" => ScalarValue.Of(text == "true" ? 1 : 0),
        _ => ScalarValue.Of(Number(spec, text)),
    };

    private static double Number(ParameterSpec spec, string text) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n)
            ? n
            : throw new PlanException($"--grid {spec.Name}: expected a number, found '{text.Trim()}'");
}
