using System.Collections.Immutable;
using StrategyLab.Runtime.Research;

namespace StrategyLab.Runtime.Backtest.Reports;

/// <summary>
/// What makes a run reproducible: the strategy and data by content hash, every parameter, the
/// seed and the program version. Two runs with equal manifests give identical outputs.
/// </summary>
public sealed record RunManifest(
    string Strategy,
    string StrategyHash,
    string Dataset,
    string DataHash,
    ImmutableSortedDictionary<string, string> Parameters,
    ulong Seed,
    string Version,
    string FillTiming,
    string Accounting);

/// <summary>A trade as the report lists it.</summary>
public sealed record TradeRow(string Symbol, int Side, long EntryTime, long ExitTime, double Pnl, bool Open);

/// <summary>One bin of a quantile analysis: mean forward return, count and hit rate.</summary>
public sealed record QuantileRow(int Bin, double MeanForwardReturn, long Count, double HitRate);

/// <summary>Everything a run's folder and report show.</summary>
public sealed record BacktestReport
{
    /// <summary>What produced the run.</summary>
    public required RunManifest Manifest { get; init; }

    /// <summary>Bar times (Unix ms) of the measured bars.</summary>
    public required long[] Times { get; init; }

    /// <summary>Equity at each bar, starting from 1 or the initial capital.</summary>
    public required double[] Equity { get; init; }

    /// <summary>Return of each bar.</summary>
    public required double[] Returns { get; init; }

    /// <summary>Gross exposure at each bar.</summary>
    public required double[] GrossExposure { get; init; }

    /// <summary>Net exposure at each bar.</summary>
    public required double[] NetExposure { get; init; }

    /// <summary>Turnover at each bar.</summary>
    public required double[] Turnover { get; init; }

    /// <summary>The benchmark's returns on the same bars, or null.</summary>
    public double[]? BenchmarkReturns { get; init; }

    /// <summary>What the benchmark is, e.g. "buy and hold BTC".</summary>
    public string? BenchmarkName { get; init; }

    /// <summary>Statistics of <see cref="Returns"/>.</summary>
    public required PerformanceMetrics Metrics { get; init; }

    /// <summary>Statistics of the benchmark.</summary>
    public PerformanceMetrics? BenchmarkMetrics { get; init; }

    /// <summary>Round-trip statistics.</summary>
    public required TradeStatistics TradeStatistics { get; init; }

    /// <summary>Each asset's share of the P&amp;L, largest first.</summary>
    public required ImmutableArray<(string Symbol, double Contribution)> Contributions { get; init; }

    /// <summary>Every trade.</summary>
    public required ImmutableArray<TradeRow> Trades { get; init; }

    /// <summary>The signal's quantile analysis, when one was made.</summary>
    public ImmutableArray<QuantileRow> Quantiles { get; init; } = [];

    /// <summary>The analysis of the signal the portfolio trades on (quantiles, IC, directional accuracy), or null.</summary>
    public SignalAnalysisResult? SignalAnalysis { get; init; }

    /// <summary>Facts the reader must know (fills at the signal close, repairs made to the data, ...).</summary>
    public ImmutableArray<string> Notes { get; init; } = [];

    /// <summary>This report with <paramref name="analysis"/> as its signal analysis and its bins as <see cref="Quantiles"/>.</summary>
    public BacktestReport WithSignalAnalysis(SignalAnalysisResult analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        return this with { SignalAnalysis = analysis, Quantiles = analysis.Quantiles };
    }
}
