using System.Collections.Immutable;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Models.Training;
using StrategyLab.Runtime.Runs;

namespace StrategyLab.Runtime.Search;

/// <summary>How a trial's returns are counted.</summary>
public enum Accounting
{
    /// <summary>The ledger that trades units with fills, fees, funding and risk limits: what <c>backtest</c> reports.</summary>
    Ledger,
    /// <summary>Research accounting on weights (no drift, costs on Σ|Δw|): the vectorised backtest, several times faster.</summary>
    Weights,
}

/// <summary>A trial's result over one period: every metric by name, the bar returns and their bar times, and warnings.</summary>
public sealed record PeriodOutcome(ImmutableSortedDictionary<string, double> Metrics, double[] Returns, long[] Times, IReadOnlyList<string> Warnings);

/// <summary>
/// Runs one parameter binding of a prepared run over one or more periods (the whole history, or
/// walk-forward test folds) and measures each: the unit of work of sweeps and searches. With the
/// ledger, each period is a backtest that starts flat at the period's first bar (indicators warm
/// from the bars before it); on weights, one run over the history is cut into the periods.
/// </summary>
public static class TrialEvaluation
{
    /// <summary>
    /// The outcome of each period of <paramref name="periods"/> (bar indices [start, end) of the prepared panel), in order;
    /// <paramref name="onPeriod"/> sees each as it is measured and may stop the rest (a pruned trial) by returning false.
    /// </summary>
    public static IReadOnlyList<PeriodOutcome> Run(PreparedRun run, ParameterSet parameters, RunSettings settings, Accounting accounting,
        IReadOnlyList<(int Start, int End)> periods, ModelTrainingResult? models = null, Func<int, PeriodOutcome, bool>? onPeriod = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(periods);
        var outcomes = new List<PeriodOutcome>(periods.Count);
        var weights = accounting == Accounting.Weights ? run.Weights(parameters, settings, models) : null;
        for (var k = 0; k < periods.Count; k++)
        {
            var outcome = weights is null ? Ledger(run, parameters, settings, periods[k], models) : Cut(run, weights, periods[k]);
            outcomes.Add(outcome);
            if (onPeriod is not null && !onPeriod(k, outcome))
                break;
        }
        return outcomes;
    }

    /// <summary>The whole history (or the settings' period) as one period of bar indices.</summary>
    public static (int Start, int End) WholePeriod(PreparedRun run, RunSettings settings)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(settings);
        var panel = run.Panel;
        return (settings.From is { } f ? panel.TimeIndexAtOrAfter(f) : 0, settings.To is { } t ? panel.TimeIndexAtOrAfter(t) : panel.TimeCount);
    }

    private static PeriodOutcome Ledger(PreparedRun run, ParameterSet parameters, RunSettings settings, (int Start, int End) period, ModelTrainingResult? models)
    {
        var times = run.Panel.Times;
        var bounded = settings with
        {
            From = times[period.Start],
            To = period.End < run.Panel.TimeCount ? times[period.End] : null,
        };
        using var result = run.Backtest(parameters, bounded, models);
        var ledger = result.Ledger;
        var metrics = PerformanceMetrics.FromReturns(ledger.Returns, result.Panel.Interval.BarsPerYear);
        var turnover = ledger.Turnover.Length > 0 ? ledger.Turnover.Average() : double.NaN;
        return new PeriodOutcome(TrialMetrics.Of(metrics, TradeStatistics.From(ledger.Trades), turnover), ledger.Returns,
            result.Panel.Times.ToArray(), result.Warnings);
    }

    // the research run's returns inside the period: bar FirstBar + i holds Returns[i]
    private static PeriodOutcome Cut(PreparedRun run, WeightRunResult weights, (int Start, int End) period)
    {
        var w = weights.Result;
        var from = Math.Clamp(period.Start - w.FirstBar, 0, w.Returns.Length);
        var to = Math.Clamp(period.End - w.FirstBar, from, w.Returns.Length);
        var returns = w.Returns[from..to];
        var times = run.Panel.Times[(w.FirstBar + from)..(w.FirstBar + to)].ToArray();
        var metrics = PerformanceMetrics.FromReturns(returns, run.Panel.Interval.BarsPerYear);
        var turnover = w.Returns.Length > 0 ? w.TurnoverTotal / w.Returns.Length : double.NaN;
        return new PeriodOutcome(TrialMetrics.Of(metrics, null, turnover), returns, times, []);
    }
}
