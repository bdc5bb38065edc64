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
/// <param name="Symbol">The asset.</param>
/// <param name="Side">+1 long, −1 short.</param>
/// <param name="EntryTime">The bar of the fill that opened it (Unix ms).</param>
/// <param name="ExitTime">The bar of the fill that closed it, or the last bar for an open trade.</param>
/// <param name="Pnl">Fills, fees and funding; an open trade marked to the last close.</param>
/// <param name="Open">Still open at the end of the run.</param>
/// <param name="EntryPrice">The price of the asset's fill at the entry bar, NaN when not known.</param>
/// <param name="ExitPrice">The price of the asset's fill at the exit bar; NaN for an open trade or when not known.</param>
public sealed record TradeRow(
    string Symbol, int Side, long EntryTime, long ExitTime, double Pnl, bool Open, double EntryPrice = double.NaN, double ExitPrice = double.NaN);

/// <summary>
/// An asset's closes over the report's bars, for its price chart: <paramref name="Close"/>[i] is the
/// close at bar <paramref name="FirstBar"/> + i, from the asset's first close to its last (NaN inside for
/// bars without one).
/// </summary>
public sealed record AssetPrices(string Symbol, int FirstBar, double[] Close);

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

    /// <summary>
    /// What may make the results wrong or not what the strategy meant (e.g. a top-k leg that held nothing
    /// because fewer than 2k assets were eligible): shown above everything else, apart from the notes.
    /// </summary>
    public ImmutableArray<string> Warnings { get; init; } = [];

    /// <summary>The closes of every traded asset, largest contribution first, for the per-asset price chart.</summary>
    public ImmutableArray<AssetPrices> Prices { get; init; } = [];

    /// <summary>This report with <paramref name="analysis"/> as its signal analysis and its bins as <see cref="Quantiles"/>.</summary>
    public BacktestReport WithSignalAnalysis(SignalAnalysisResult analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        return this with { SignalAnalysis = analysis, Quantiles = analysis.Quantiles };
    }
}
