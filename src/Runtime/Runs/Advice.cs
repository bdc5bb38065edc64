using System.Globalization;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Runs;

/// <summary>A recommended holding: its side, target weight (fraction of NAV, signed) and the score its side trades on (NaN without one).</summary>
public sealed record AdvisedPosition(string Symbol, Side Side, double Weight, double Score);

/// <summary>A change from the current book to the targets, with what it does (<c>open long</c>, <c>reduce</c>, <c>reverse to short</c>…).</summary>
public sealed record BookChange(string Symbol, double Current, double Target, string Action)
{
    /// <summary>The weight to trade.</summary>
    public double Change => Target - Current;
}

/// <summary>
/// The last bar's recommended book: positions longs first, each side from its strongest score; the
/// changes against the current book in asset order; and how many assets had a score at the bar.
/// </summary>
public sealed record Advice(long BarTime, IReadOnlyList<AdvisedPosition> Positions, IReadOnlyList<BookChange> Changes, int ScoredAssets);

/// <summary>Today's book from a prepared run: which bar to advise at, and the advice there.</summary>
public static class Advisor
{
    /// <summary>
    /// How many bars of <paramref name="panel"/> advice may read: up to the last bar on or before
    /// <paramref name="at"/> (Unix ms) when given; otherwise all of them, unless the last bar lacks
    /// a top-N universe's ranking column for every asset (a gap at the end of the data would leave
    /// nothing to hold), in which case up to the last bar that has it, with a note saying so.
    /// </summary>
    /// <exception cref="PlanException">Fewer than 2 bars by <paramref name="at"/>.</exception>
    public static (int Bars, string? Note) Bars(StrategyPlan plan, Panel panel, long? at)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(panel);
        if (at is { } ms)
        {
            var next = panel.TimeIndexAtOrAfter(ms + 1);
            return next < 2 ? throw new PlanException($"--at: dataset '{plan.Dataset}' has fewer than 2 bars by then") : (next, null);
        }
        if (plan.Universe is not TopUniverse top || !panel.HasColumn(top.Column))
            return (panel.TimeCount, null);
        var ranked = LastRankedBar(panel, top.Column);
        var last = panel.TimeCount - 1;
        if (ranked < 1 || ranked >= last)
            return (panel.TimeCount, null);
        return (ranked + 1,
            $"the last bar ({Minutes(panel.Times[last])} UTC) has no {top.Column} for any asset, so the universe would be empty there; "
            + $"advising at {Minutes(panel.Times[ranked])} UTC, the last bar that has it (--at picks another)");
    }

    /// <summary>
    /// The targets of the prepared run's last bar under <paramref name="parameters"/>, and the changes
    /// from <paramref name="book"/> (weights by symbol; absent symbols are flat).
    /// </summary>
    /// <exception cref="PlanException">A symbol of the book is not an asset of the dataset.</exception>
    public static Advice Advise(PreparedRun run, ParameterSet parameters, IReadOnlyDictionary<string, double> book,
        Models.Training.ModelTrainingResult? models = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(book);
        var panel = run.Panel;
        foreach (var symbol in book.Keys)
        {
            if (panel.AssetIndex(symbol) < 0)
                throw new PlanException($"--book: '{symbol}' is not an asset of dataset '{run.Plan.Dataset}'");
        }
        var targets = run.LastTargets(parameters, models);
        var scores = SideScores(run, parameters, models);
        var a = panel.AssetCount;
        var held = Enumerable.Range(0, a)
            .Where(i => targets[i] != 0 && !double.IsNaN(targets[i]))
            .Select(i => targets[i] > 0
                ? new AdvisedPosition(panel.Symbols[i], Side.Long, targets[i], scores.Long[i])
                : new AdvisedPosition(panel.Symbols[i], Side.Short, targets[i], scores.Short[i]))
            .OrderBy(p => p.Side == Side.Long ? 0 : 1)
            .ThenBy(p => p.Side == Side.Long ? -p.Score : p.Score)
            .ToList();
        var changes = new List<BookChange>();
        for (var i = 0; i < a; i++)
        {
            var current = book.GetValueOrDefault(panel.Symbols[i]);
            var target = double.IsNaN(targets[i]) ? 0 : targets[i];
            if (Math.Abs(target - current) > 1e-12)
                changes.Add(new BookChange(panel.Symbols[i], current, target, Action(current, target)));
        }
        return new Advice(panel.Times[^1], held, changes, scores.Scored);
    }

    // each side's score at the last bar: the signal of its first leg (NaN without one), and how many finite scores the signals have
    private static (double[] Long, double[] Short, int Scored) SideScores(PreparedRun run, ParameterSet parameters, Models.Training.ModelTrainingResult? models)
    {
        var plan = run.Plan;
        var a = run.Panel.AssetCount;
        int? Signal(Side side) => plan.Portfolio.Legs.FirstOrDefault(l => l.Side == side) switch
        {
            RankLeg r => r.Signal,
            QuantileLeg q => q.Signal,
            ThresholdLeg t => t.Entry,
            null => null,
            var l => throw new PlanException($"portfolio leg {l.GetType().Name} is not supported"),
        };
        var signals = new[] { Signal(Side.Long), Signal(Side.Short) }.OfType<int>().Distinct().ToList();
        var evaluated = BatchEvaluator.Evaluate(plan, run.Panel, parameters, signals, models?.Predictions);
        var last = run.Panel.TimeCount - 1;
        double[] Row(int? node) =>
            node is { } n && evaluated[n] is { } column ? column.AsSpan(last * a, a).ToArray() : Enumerable.Repeat(double.NaN, a).ToArray();
        var scored = signals.Sum(n => evaluated[n] is { } column ? column.AsSpan(last * a, a).ToArray().Count(double.IsFinite) : 0);
        return (Row(Signal(Side.Long)), Row(Signal(Side.Short)), scored);
    }

    private static string Action(double current, double target) =>
        current == 0 ? (target > 0 ? "open long" : "open short")
        : target == 0 ? "close"
        : Math.Sign(current) != Math.Sign(target) ? (target > 0 ? "reverse to long" : "reverse to short")
        : Math.Abs(target) > Math.Abs(current) ? "add"
        : "reduce";

    private static int LastRankedBar(Panel panel, string column)
    {
        var values = panel.Column(column);
        var a = panel.AssetCount;
        for (var t = panel.TimeCount - 1; t >= 0; t--)
        {
            foreach (var x in values.Slice(t * a, a))
            {
                if (!double.IsNaN(x))
                    return t;
            }
        }
        return -1;
    }

    private static string Minutes(long ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);
}
