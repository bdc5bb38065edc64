using System.Collections.Immutable;
using System.Globalization;
using StrategyLab.Runtime.Backtest;

namespace StrategyLab.Runtime.Search;

/// <summary>A metric a trial reports: its name, which way is better, and what it means.</summary>
public sealed record MetricSpec(string Name, Direction Better, string Meaning);

/// <summary>
/// The metrics every trial reports, by name: what objectives and constraints may name. Annualised
/// figures use the bar's periods per year, as backtests report them. A study's trial keeps them as
/// attributes <c>metric:NAME</c> holding the value as round-trip invariant text; constraints and the
/// best-trial choice read them from there.
/// </summary>
public static class TrialMetrics
{
    /// <summary>Every metric, in the order tables show them.</summary>
    public static ImmutableArray<MetricSpec> Known { get; } =
    [
        new("sharpe", Direction.Maximize, "annualised Sharpe ratio of the bar returns"),
        new("sortino", Direction.Maximize, "annualised Sortino ratio"),
        new("return", Direction.Maximize, "total return over the period"),
        new("cagr", Direction.Maximize, "annualised (compound) return"),
        new("calmar", Direction.Maximize, "annualised return over maximum drawdown"),
        new("mar", Direction.Maximize, "MAR ratio: annualised return over maximum drawdown, over the whole period (as calmar)"),
        new("maxdd", Direction.Minimize, "maximum drawdown, a fraction of the peak"),
        new("volatility", Direction.Minimize, "annualised volatility of the bar returns"),
        new("trades", Direction.Maximize, "closed round trips"),
        new("win_rate", Direction.Maximize, "share of closed round trips that made money"),
        new("profit_factor", Direction.Maximize, "gross profit over gross loss of closed round trips"),
        new("turnover", Direction.Minimize, "mean traded notional per bar, a fraction of equity"),
    ];

    /// <summary>The metric of that name, or null.</summary>
    public static MetricSpec? Find(string name) => Known.FirstOrDefault(m => m.Name == name);

    /// <summary>The metric of that name, or a one-line error naming the ones there are.</summary>
    public static MetricSpec Require(string name, string what) =>
        Find(name) ?? throw new Evaluation.PlanException($"{what}: no metric '{name}'; the metrics are {string.Join(", ", Known.Select(m => m.Name))}");

    /// <summary>The attribute prefix of a metric.</summary>
    public const string Prefix = "metric:";

    /// <summary>The attributes that store <paramref name="metrics"/>.</summary>
    public static ImmutableSortedDictionary<string, string> Attributes(IReadOnlyDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return metrics.ToImmutableSortedDictionary(m => Prefix + m.Key, m => m.Value.ToString("R", CultureInfo.InvariantCulture), StringComparer.Ordinal);
    }

    /// <summary>The metrics stored in <paramref name="trial"/>'s attributes; an attribute that is not a number is left out.</summary>
    public static IReadOnlyDictionary<string, double> Read(FrozenTrial trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, value) in trial.Attributes)
            if (key.StartsWith(Prefix, StringComparison.Ordinal)
                && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x))
                metrics[key[Prefix.Length..]] = x;
        return metrics;
    }

    /// <summary>Every metric of a run from its statistics; trade figures are NaN for a run without round trips (research accounting).</summary>
    public static ImmutableSortedDictionary<string, double> Of(PerformanceMetrics metrics, TradeStatistics? trades, double turnover)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var values = ImmutableSortedDictionary.CreateBuilder<string, double>(StringComparer.Ordinal);
        values["sharpe"] = metrics.Sharpe;
        values["sortino"] = metrics.Sortino;
        values["return"] = metrics.TotalReturn;
        values["cagr"] = metrics.AnnualizedReturn;
        values["calmar"] = metrics.Calmar;
        values["mar"] = metrics.Calmar;
        values["maxdd"] = metrics.MaxDrawdown;
        values["volatility"] = metrics.AnnualizedVolatility;
        values["trades"] = trades?.Closed ?? double.NaN;
        values["win_rate"] = trades?.WinRate ?? double.NaN;
        values["profit_factor"] = trades?.ProfitFactor ?? double.NaN;
        values["turnover"] = turnover;
        return values.ToImmutable();
    }
}
