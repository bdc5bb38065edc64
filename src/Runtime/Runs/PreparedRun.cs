using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Backtest.Reports;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Models.Training;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Research;
using FillTiming = StrategyLab.Runtime.Backtest.FillTiming;

namespace StrategyLab.Runtime.Runs;

/// <summary>
/// A strategy bound to its data, the one entry point of every run: the candles aggregated to the
/// plan's bar and checked against what the plan reads, once. Parameters bind to it as a checked
/// <see cref="ParameterSet"/>, many times over (a sweep's or a search's trials share its read-only
/// data, from any number of threads), and each binding answers the backtest, the research run on
/// weights, the signal's evaluation, the latest targets, the report and the manifest.
/// </summary>
/// <example>
/// <code>
/// using var run = PreparedRun.Prepare(plan, panel);
/// var k7 = run.Bind(new Dictionary&lt;string, ScalarValue&gt; { ["k"] = ScalarValue.Of(7) });
/// using var result = run.Backtest(k7, RunSettings.Default);
/// </code>
/// </example>
public sealed class PreparedRun : IDisposable
{
    private static readonly IReadOnlyDictionary<string, double[]> NoModels = new Dictionary<string, double[]>();
    private readonly Panel? _owned;
    private readonly ConcurrentDictionary<(int Count, int Every), Lazy<bool[]?>> _universes = new();

    private PreparedRun(StrategyPlan plan, Panel panel, string dataHash, IReadOnlyList<string> notes, Panel? owned)
    {
        Plan = plan;
        Panel = panel;
        DataHash = dataHash;
        Notes = notes;
        _owned = owned;
        Defaults = ParameterSet.Defaults(plan);
    }

    /// <summary>The plan.</summary>
    public StrategyPlan Plan { get; }

    /// <summary>The data at the plan's bar, whole history.</summary>
    public Panel Panel { get; }

    /// <summary>The content hash of the dataset the run was prepared from.</summary>
    public string DataHash { get; }

    /// <summary>What the reader must know about the preparation (candles aggregated to the plan's bar).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>Every parameter at its default.</summary>
    public ParameterSet Defaults { get; }

    /// <summary>
    /// Binds <paramref name="plan"/> to a dataset's <paramref name="panel"/> (which the caller keeps
    /// and disposes): candles finer than the plan's bar are aggregated to it, and the data is checked.
    /// </summary>
    /// <exception cref="PlanException">The data cannot feed the plan (bar, columns, length); the message says why.</exception>
    public static PreparedRun Prepare(StrategyPlan plan, Panel panel)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(panel);
        var notes = new List<string>();
        var atBar = StrategyBacktest.AtPlanBar(plan, panel, notes);
        var owned = ReferenceEquals(atBar, panel) ? null : atBar;
        try
        {
            StrategyBacktest.CheckData(plan, atBar);
        }
        catch
        {
            owned?.Dispose();
            throw;
        }
        return new PreparedRun(plan, atBar, panel.ContentHash, notes, owned);
    }

    /// <summary>The defaults with typed values in their place, each checked against its range (a trial's parameters).</summary>
    public ParameterSet Bind(IReadOnlyDictionary<string, ScalarValue> values) => ParameterSet.Bind(Plan, values);

    /// <summary>The defaults with values given as text in their place (<c>--param k=7</c>).</summary>
    public ParameterSet Parse(IReadOnlyDictionary<string, string> text) => ParameterSet.Parse(Plan, text);

    /// <summary>
    /// Trains the plan's models walk-forward under <paramref name="parameters"/>, or reads matching
    /// folds back from <paramref name="store"/>; an empty result for a plan without models.
    /// </summary>
    public ModelTrainingResult Models(ParameterSet parameters, ModelStore? store = null, bool retrain = false, IProgress<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return StrategyModels.Train(Plan, Panel, parameters, store, retrain, progress);
    }

    /// <summary>
    /// The ledger backtest over the settings' period; a plan with models needs <paramref name="models"/>.
    /// The result's panel is the traded period: dispose the result.
    /// </summary>
    public StrategyBacktestResult Backtest(ParameterSet parameters, RunSettings settings, ModelTrainingResult? models = null, Action<double>? progress = null)
    {
        var (start, end) = Period(settings, "a backtest");
        var options = StrategyBacktest.Options(Plan, parameters, settings.Fee, settings.MinNotional, settings.Capital);
        return StrategyBacktest.Run(Plan, Panel, parameters, Universe(parameters), options, start, end, [.. Notes], Predictions(models), progress,
            settings.Threads != 1);
    }

    /// <summary>
    /// The research run on weights over the whole history: rebalanced to target at every fill, no
    /// drift, costs of the taker fee plus slippage on Σ|Δw| (the settings' fee replaces the plan's).
    /// </summary>
    public WeightRunResult Weights(ParameterSet parameters, RunSettings? settings = null, ModelTrainingResult? models = null)
    {
        settings ??= RunSettings.Default;
        settings.Validate();
        var options = StrategyBacktest.Options(Plan, parameters, settings.Fee, settings.MinNotional, settings.Capital);
        return StrategyBacktest.RunWeights(Plan, Panel, parameters, Universe(parameters), options, Predictions(models), settings.Threads != 1);
    }

    /// <summary>The target weights the plan sets at the last bar, by asset (NaN or 0 where nothing is held).</summary>
    public double[] LastTargets(ParameterSet parameters, ModelTrainingResult? models = null) =>
        StrategyBacktest.LastTargets(Plan, Panel, parameters, Universe(parameters), Predictions(models));

    /// <summary>True when the plan trades its targets at the last bar of the data (every bar, or its rebalance schedule's bars).</summary>
    public bool RebalancesAtLastBar(ParameterSet parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return StrategyBacktest.RebalanceBars(Plan, Panel, parameters) is not { } marks || marks[^1];
    }

    /// <summary>
    /// The costs, fills, execution policy and risk limits a run under <paramref name="parameters"/> and <paramref name="settings"/>
    /// trades with, sized within a venue's <paramref name="instruments"/> (by symbol) when given.
    /// </summary>
    public LedgerOptions LedgerOptions(ParameterSet parameters, RunSettings settings, IReadOnlyDictionary<string, Execution.Instrument>? instruments = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        return StrategyBacktest.Options(Plan, parameters, settings.Fee, settings.MinNotional, settings.Capital) with { Instruments = instruments };
    }

    /// <summary>The signal's forward return by quantile, spread, IC and directional accuracy over the settings' period.</summary>
    public SignalEvaluation EvaluateSignal(ParameterSet parameters, RunSettings settings, SignalEvaluationOptions options, ModelTrainingResult? models = null)
    {
        SignalResearch.Check(Plan, options);
        var (start, end) = Period(settings, "an evaluation");
        return SignalResearch.Evaluate(Plan, Panel, parameters, Universe(parameters), start, end, options, Predictions(models));
    }

    /// <summary>
    /// The report of a backtest: against BTC bought and held when the dataset has it (else the
    /// equal-weight universe), with the models' out-of-sample scores and notes, and the portfolio
    /// signal's analysis over the traded period.
    /// </summary>
    public BacktestReport Report(StrategyBacktestResult result, RunSettings settings, ModelTrainingResult? models = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        var (benchmark, benchmarkName) = Benchmark(result);
        var notes = ModelNotes(models).Concat(result.Notes).ToList();
        var report = ReportBuilder.FromLedger(result.Panel, result.Ledger, result.Options,
            Manifest(result.Parameters, result.Options.Timing, "ledger"), benchmark, benchmarkName, notes, result.Warnings);
        var (start, end) = Period(settings, "a backtest");
        var analysis = SignalResearch.AnalyzePortfolioSignal(Plan, Panel, result.Parameters, Universe(result.Parameters), start, end, Predictions(models));
        return analysis is null ? report : report.WithSignalAnalysis(analysis);
    }

    /// <summary>What makes a run under <paramref name="parameters"/> reproducible: strategy and data hashes, parameters, version.</summary>
    public RunManifest Manifest(IReadOnlyDictionary<string, ScalarValue> parameters, FillTiming timing, string accounting) =>
        new(Plan.Name, Plan.ContentHash(), Plan.Dataset, DataHash,
            parameters.ToImmutableSortedDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal), 0UL, Version,
            timing == FillTiming.NextOpen ? "next open" : "signal close", accounting);

    /// <summary>The program's version, as manifests record it.</summary>
    public static string Version { get; } = typeof(PreparedRun).Assembly.GetName().Version?.ToString() ?? "0";

    /// <summary>
    /// The plan's universe under <paramref name="parameters"/> as a [time × asset] mask of the
    /// assets that may be held, or null for every asset; computed once per distinct count and period.
    /// </summary>
    public bool[]? Universe(IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var key = Plan.Universe is TopUniverse top
            ? ((int)top.Count.EvaluateNumber(parameters), top.EveryBars is { } bars ? (int)bars.EvaluateNumber(parameters) : (int)Plan.Rebalance.EveryBars.EvaluateNumber(parameters))
            : (0, 0);
        return _universes.GetOrAdd(key, _ => new Lazy<bool[]?>(() => StrategyBacktest.Universe(Plan, Panel, parameters))).Value;
    }

    /// <inheritdoc />
    public void Dispose() => _owned?.Dispose();

    private static IReadOnlyDictionary<string, double[]> Predictions(ModelTrainingResult? models) => models?.Predictions ?? NoModels;

    private static IEnumerable<string> ModelNotes(ModelTrainingResult? models) =>
        models is null
            ? []
            : models.Scores.Select(s =>
                    $"model '{s.Model}': out-of-sample {s.Measure} {s.Value.ToString("0.####", CultureInfo.InvariantCulture)} over {s.Rows} predictions with a known label")
                .Concat(models.Notes);

    // BTC bought and held where the dataset lists it, else the universe held in equal weights
    private static (double[] Returns, string Name) Benchmark(StrategyBacktestResult result)
    {
        var panel = result.Panel;
        var btc = new[] { "BTC", "BTCUSDT", "BTCUSD" }.FirstOrDefault(s => panel.AssetIndex(s) >= 0);
        return btc is not null
            ? (Benchmarks.BuyAndHold(panel, btc), $"buy and hold {btc}")
            : (Benchmarks.EqualWeight(panel, result.Universe), "equal-weight universe");
    }

    // the settings' period as bar indices of the prepared panel, at least 2 bars long
    private (int Start, int End) Period(RunSettings settings, string what)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var start = settings.From is { } f ? Panel.TimeIndexAtOrAfter(f) : 0;
        var end = settings.To is { } t ? Panel.TimeIndexAtOrAfter(t) : Panel.TimeCount;
        if (end - start < 2)
            throw new PlanException($"the period holds {Math.Max(0, end - start)} bar(s) of dataset '{Panel.Name}'; {what} needs at least 2");
        return (start, end);
    }
}
