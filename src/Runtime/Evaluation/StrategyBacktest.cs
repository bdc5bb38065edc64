using System.Globalization;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Data.Csv;
using StrategyLab.Runtime.Execution;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Portfolio;
using FillTiming = StrategyLab.Runtime.Backtest.FillTiming;
using FixedUniverse = StrategyLab.Runtime.Data.FixedUniverse;

namespace StrategyLab.Runtime.Evaluation;

/// <summary>
/// A plan's backtest: the simulation, what it was given, and what the reader must know. The panel
/// is the traded period; dispose the result to release it when it is a copy of part of the data.
/// </summary>
public sealed record StrategyBacktestResult(
    Panel Panel,
    LedgerResult Ledger,
    LedgerOptions Options,
    IReadOnlyDictionary<string, ScalarValue> Parameters,
    bool[]? Universe,
    IReadOnlyList<string> Notes) : IDisposable
{
    /// <summary>True when <see cref="Panel"/> is a copy of the traded period that this result disposes.</summary>
    internal bool OwnsPanel { get; init; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (OwnsPanel)
            Panel.Dispose();
    }

    /// <summary>The turnover rank hysteresis saved in this run, when the plan keeps holdings within a rank buffer.</summary>
    public HysteresisSavings? Hysteresis { get; init; }

    /// <summary>The target weights decided at each bar of the traded period, [time × asset] (fractions of NAV; 0 or NaN flat).</summary>
    public ReadOnlyMemory<double> TargetWeights { get; init; }

    /// <summary>What went against the strategy's own rules in this run, for the terminal and the report to show loudly.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// Target turnover (Σ|Δw| over the rebalances of the traded period, in NAV) with the plan's rank
/// hysteresis and with full rebalancing of the same signals, computed side by side in one run.
/// </summary>
public sealed record HysteresisSavings(double Kept, double Full)
{
    /// <summary>The share of the full-rebalancing turnover the buffer saved.</summary>
    public double Saved => Full > 0 ? 1 - (Kept / Full) : 0;
}

/// <summary>A plan's run in research accounting on weights (no drift, costs on |Δw|).</summary>
/// <param name="Result">Net returns from the bar after the first bar whose signals are all warm (gross returns are not kept).</param>
/// <param name="Metrics">Statistics of the net returns.</param>
public sealed record WeightRunResult(WeightBacktest Result, PerformanceMetrics Metrics);

/// <summary>
/// The backtest machinery behind a prepared run (<c>Runs.PreparedRun</c>, which resolves the
/// parameters, the plan's bar and the universe once): evaluates the signals with the batch kernels
/// on the whole history (so that indicators are warm at the first traded bar), turns them into
/// target weights and simulates the ledger over the requested period.
/// </summary>
public static class StrategyBacktest
{
    /// <summary>
    /// Runs the backtest over bars [<paramref name="start"/>, <paramref name="end"/>) of a panel at the
    /// plan's bar; the returned panel is the traded period and must be disposed with the result. A plan
    /// with models needs their out-of-sample predictions in <paramref name="modelOutputs"/>.
    /// <paramref name="progress"/> hears the fraction done (0 to 1) as the run streams through the bars.
    /// </summary>
    internal static StrategyBacktestResult Run(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters, bool[]? universe,
        LedgerOptions options, int start, int end, List<string> notes, IReadOnlyDictionary<string, double[]>? modelOutputs = null, Action<double>? progress = null,
        bool pipelined = true)
    {
        var rebalance = RebalanceBars(plan, panel, parameters);
        var a = panel.AssetCount;
        var weights = new double[panel.TimeCount * a];
        var stream = StreamTargets(plan, panel, parameters, universe, (first, rows, w) =>
        {
            w.CopyTo(weights.AsSpan(first * a, rows * a));
            progress?.Invoke(0.9 * (first + rows) / panel.TimeCount);
        }, new TurnoverWindow(start, end, rebalance), modelOutputs, pipelined);
        if (stream.Hysteresis is { } h)
            notes.Add($"Rank hysteresis: targets turned over {h.Kept:0.##} × NAV against {h.Full:0.##} with full rebalancing, {h.Saved * 100:0.0}% saved.");
        var warnings = stream.Missing.Concat(CrossedLegWarnings(plan, parameters, panel, stream.Crossings, start, end)).ToList();

        if (options.Timing == FillTiming.SignalClose)
            notes.Add("The strategy asks for fills at the signal bar's close.");
        var traded = start == 0 && end == panel.TimeCount ? panel : panel.Slice(start, end);
        var ledger = LedgerBacktest.Run(traded, weights.AsSpan(start * panel.AssetCount, (end - start) * panel.AssetCount), options,
            rebalance?[start..end]);
        if (ledger.Exits.Count > 0)
            notes.Add("Positions closed by their exits: " + string.Join(", ", ledger.Exits.GroupBy(e => e.Rule).Select(g => $"{g.Count()} by {g.Key}")) + ".");
        progress?.Invoke(1);
        return new StrategyBacktestResult(traded, ledger, options, parameters, universe?[(start * panel.AssetCount)..(end * panel.AssetCount)], notes)
        {
            Hysteresis = stream.Hysteresis,
            Warnings = warnings,
            TargetWeights = weights.AsMemory(start * a, (end - start) * a),
            OwnsPanel = !ReferenceEquals(traded, panel),
        };
    }

    /// <summary>
    /// Runs the plan with research accounting on weights: rebalanced to target at every fill, no
    /// drift, costs of the taker fee plus slippage on Σ|Δw| (the vectorised backtest of numpy or
    /// vectorbt-style code). Returns start at the bar after the signals' warm-up. Models as in <see cref="Run"/>.
    /// </summary>
    internal static WeightRunResult RunWeights(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters, bool[]? universe,
        LedgerOptions options, IReadOnlyDictionary<string, double[]>? modelOutputs = null, bool pipelined = true)
    {
        var warm = plan.WarmUpBars(parameters);
        Legs(plan, parameters, out var inputs);
        var firstBar = inputs.Select(i => warm[i]).DefaultIfEmpty(0).Max();
        var a = panel.AssetCount;
        var accountant = new WeightAccountant(panel.TimeCount, a, options.TakerFee + options.Slippage, Math.Min(firstBar, panel.TimeCount - 2),
            keepGrossReturns: false);
        var close = options.Timing == FillTiming.SignalClose;
        var prices = close ? "close" : "open";
        var missing = new double[a];
        missing.AsSpan().Fill(double.NaN);
        var statistics = new ReturnStatistics();
        StreamTargets(plan, panel, parameters, universe, (start, rows, w) =>
        {
            // a decision at bar t's close fills at that close, or at the next bar's open (none after the last bar)
            var first = close ? start : start + 1;
            var priced = Math.Min(rows, panel.TimeCount - first);
            accountant.StepRows(w[..(priced * a)], panel.Column(prices).Slice(first * a, priced * a));
            for (var t = priced; t < rows; t++)
                accountant.Step(w.Slice(t * a, a), missing);
            // the block's returns are read again while they are still in cache
            statistics.Take(accountant.ReturnsSoFar);
        }, modelOutputs: modelOutputs, pipelined: pipelined);
        var result = accountant.Result();
        return new WeightRunResult(result, statistics.Finish(result.Returns, panel.Interval.BarsPerYear));
    }

    /// <summary>
    /// The target weights the plan sets at the last bar of <paramref name="panel"/> (today's book for
    /// advice), by asset; models as in <see cref="Run"/>.
    /// </summary>
    internal static double[] LastTargets(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters, bool[]? universe,
        IReadOnlyDictionary<string, double[]>? modelOutputs = null)
    {
        var a = panel.AssetCount;
        var last = new double[a];
        StreamTargets(plan, panel, parameters, universe, (start, rows, w) => w.Slice((rows - 1) * a, a).CopyTo(last), modelOutputs: modelOutputs);
        return last;
    }

    /// <summary>
    /// The plan's targets stepped one bar at a time over <paramref name="panel"/>, a panel that grows by a bar between steps
    /// (the block evaluation with blocks of one bar, so each bar's targets are those a run over the same bars decides there,
    /// bit for bit); null when the plan cannot be stepped over it: a universe chosen by rank (its choice is made over the
    /// whole data), models, a bar other than the panel's, or a window longer than the bars held so far.
    /// </summary>
    internal static TargetStepper? Stepper(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        if (plan.Models.Length > 0 || plan.Universe is TopUniverse || new Interval(plan.Bar.Seconds * 1000L) != panel.Interval || panel.TimeCount == 0)
            return null;
        var legs = Legs(plan, parameters, out var inputs);
        var portfolio = Portfolio(plan, parameters, panel.AssetCount, legs);
        var evaluator = new PlanEvaluator(plan, panel, parameters, inputs, 1);
        if (evaluator.Warnings.Count > 0)
            return null;
        // every bar's row of a fixed universe is the same
        var universe = Universe(plan, panel, parameters);
        var eligible = universe is null ? null : universe[^panel.AssetCount..];
        return new TargetStepper(evaluator, inputs, portfolio, eligible, panel.AssetCount);
    }

    // a long and a short leg that chose the same assets cancelled there: the legs asked for more assets than
    // were eligible, and the book was smaller than the rule says, or one-sided, or empty
    private static List<string> CrossedLegWarnings(StrategyPlan plan, IReadOnlyDictionary<string, ScalarValue> parameters, Panel panel,
        IReadOnlyList<(int Bar, bool OneSided)> crossings, int start, int end)
    {
        var traded = crossings.Where(c => c.Bar >= start && c.Bar < end).OrderBy(c => c.Bar).ToList();
        if (traded.Count == 0)
            return [];
        var asked = string.Join(" + ", plan.Portfolio.Legs.OfType<RankLeg>().Select(l => (int)l.Count.EvaluateNumber(parameters)))
            + (plan.Rebalance.KeepWithinRank is { } keep ? $", holdings kept while ranked within {keep.EvaluateNumber(parameters)}" : "");
        var oneSided = traded.Where(c => c.OneSided).ToList();
        var first = TimeParser.Format(panel.Times[traded[0].Bar]);
        var warning = $"On {traded.Count} of {end - start} traded bars (first {first}) the long and short legs chose the same assets, "
            + $"which cancel: fewer assets were eligible than the legs ask for together ({asked}), so the book was smaller than the rule says";
        return [oneSided.Count == 0
            ? warning + "."
            : warning + $"; on {oneSided.Count} of them a side held nothing (first {TimeParser.Format(panel.Times[oneSided[0].Bar])})."];
    }

    /// <summary>Values per block of the streaming evaluation: about 256 KiB per node, so that a block stays in cache.</summary>
    private const int BlockValues = 32_768;

    private delegate void TargetSink(int start, int rows, ReadOnlySpan<double> weights);

    // evaluates the portfolio's inputs block by block and runs the legs bar by bar, handing each block of targets on;
    // with rank hysteresis and a turnover window, also runs the legs without it and returns both turnovers
    private static TargetStream StreamTargets(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters, bool[]? universe,
        TargetSink sink, TurnoverWindow? window = null, IReadOnlyDictionary<string, double[]>? modelOutputs = null, bool pipelined = true)
    {
        var legs = Legs(plan, parameters, out var inputs);
        var portfolio = Portfolio(plan, parameters, panel.AssetCount, legs);
        var compare = window is not null && legs.Any(l => l is RankRule { KeepWithin: > 0 });
        var full = compare ? Portfolio(plan, parameters, panel.AssetCount, [.. legs.Select(l => l is RankRule r ? r with { KeepWithin = 0 } : l)]) : null;
        var kept = new TargetTurnover(panel.AssetCount);
        var fullTurnover = new TargetTurnover(panel.AssetCount);
        var fullWeights = new double[panel.AssetCount];
        var a = panel.AssetCount;
        var evaluator = new PlanEvaluator(plan, panel, parameters, inputs, Math.Max(1, BlockValues / a), modelOutputs);
        // Legs without state between bars decide each bar on its own: the later half of a block's bars is
        // left to the consumer thread, handed copies of their inputs, so that both cores share the legs. A
        // single asset's threshold legs (a comparison a bar, next to indicators evaluated bar by bar) go to the
        // consumer whole: the evaluation is then the larger part of the work, and the producer's alone.
        var stateless = legs.All(l => l is RankRule { KeepWithin: 0 } or QuantileRule or ThresholdRule { Exit: null });
        var second = full is null && stateless ? Portfolio(plan, parameters, a, legs) : null;
        var consumerDecides = a == 1 && legs.All(l => l is ThresholdRule);
        var inputBuffers = second is null ? 0 : inputs.Count;
        int Shared(int rows) => second is null ? rows : consumerDecides ? 0 : rows / 2;

        // evaluates the next block and decides its first `decided` bars, in bar order; returns the block. The inputs of
        // the later bars reach `copies`: the evaluator writes them there where it can, else they are copied
        (int Start, int Rows) Decide(double[] weights, double[][] copies, Func<int, int> decided, int maxRows)
        {
            var written = new bool[copies.Length];
            for (var k = 0; k < copies.Length; k++)
                written[k] = evaluator.WriteInto(inputs[k], copies[k]);
            var rows = evaluator.Advance(maxRows);
            var start = evaluator.NextBar - rows;
            if (rows == 0)
                return (start, 0);
            var columns = inputs.Select(evaluator.Block).ToArray();
            var block = universe is null ? default : universe.AsSpan(start * a, rows * a);
            var own = decided(rows);
            for (var k = 0; k < copies.Length; k++)
            {
                if (!written[k])
                    columns[k].AsSpan(own * a, (rows - own) * a).CopyTo(copies[k].AsSpan(own * a));
            }
            if (full is null)
            {
                portfolio.UpdateBlock(columns, block, 0, own, weights, start);
                return (start, rows);
            }
            for (var t = 0; t < rows; t++)
            {
                portfolio.UpdateBlock(columns, block, t, t + 1, weights, start);
                var eligible = block.IsEmpty ? default : block.Slice(t * a, a);
                full.Update(portfolio.Row(columns, t), eligible, fullWeights);
                if (window!.Counts(start + t))
                {
                    kept.Add(weights.AsSpan(t * a, a));
                    fullTurnover.Add(fullWeights);
                }
            }
            return (start, rows);
        }

        // the next block's targets are worked out while the sink takes the block before
        if (pipelined && Environment.ProcessorCount > 1 && panel.TimeCount > 2 * evaluator.BlockBars)
        {
            // the consumer waits for the first block, so it is a quarter of the others
            var produced = 0;
            BlockPipeline.Run(1 + inputBuffers, evaluator.BlockBars * a, buffers =>
                    Decide(buffers[0], buffers[1..], Shared, produced++ == 0 ? Math.Max(1, evaluator.BlockBars / 4) : evaluator.BlockBars),
                (start, rows, buffers) =>
                {
                    second?.UpdateBlock(buffers[1..], universe is null ? default : universe.AsSpan(start * a, rows * a), Shared(rows), rows, buffers[0], start);
                    sink(start, rows, buffers[0].AsSpan(0, rows * a));
                });
        }
        else
        {
            var weights = new double[evaluator.BlockBars * a];
            for (var (start, rows) = Decide(weights, [], r => r, evaluator.BlockBars); rows > 0; (start, rows) = Decide(weights, [], r => r, evaluator.BlockBars))
                sink(start, rows, weights.AsSpan(0, rows * a));
        }
        return new TargetStream(full is null ? null : new HysteresisSavings(kept.Total, fullTurnover.Total),
            [.. portfolio.Crossings, .. second?.Crossings ?? []], evaluator.Warnings);
    }

    // what streaming the targets saw besides the targets: the turnover hysteresis saved, and the bars
    // at which long and short legs chose the same assets, and the series missing everywhere
    private sealed record TargetStream(HysteresisSavings? Hysteresis, IReadOnlyList<(int Bar, bool OneSided)> Crossings, IReadOnlyList<string> Missing);

    // the bars whose targets are traded: inside the period, at rebalance marks
    private sealed record TurnoverWindow(int Start, int End, bool[]? Rebalance)
    {
        public bool Counts(int bar) => bar >= Start && bar < End && (Rebalance is null || Rebalance[bar]);
    }

    // Σ|w − w_previous| over the targets added, starting flat
    private sealed class TargetTurnover(int assets)
    {
        private readonly double[] _previous = new double[assets];

        public double Total { get; private set; }

        public void Add(ReadOnlySpan<double> weights)
        {
            for (var i = 0; i < weights.Length; i++)
            {
                var w = double.IsNaN(weights[i]) ? 0 : weights[i];
                Total += Math.Abs(w - _previous[i]);
                _previous[i] = w;
            }
        }
    }

    /// <summary>
    /// The panel at the plan's bar: candles finer than the bar are aggregated to it (the bar may be
    /// coarser than the data, never finer), with a note saying so in <paramref name="notes"/>.
    /// </summary>
    public static Panel AtPlanBar(StrategyPlan plan, Panel panel, List<string> notes)
    {
        var bar = new Interval(plan.Bar.Seconds * 1000L);
        if (bar == panel.Interval)
            return panel;
        if (Resample.Refusal(panel.Interval, bar) is { } why)
            throw new PlanException($"strategy '{plan.Name}' on dataset '{panel.Name}': {why}");
        try
        {
            var aggregated = Resample.To(panel, bar);
            notes.Add(aggregated.Note);
            return aggregated.Panel;
        }
        catch (ArgumentException e)
        {
            throw new PlanException(e.Message);
        }
    }

    /// <summary>Throws a <see cref="PlanException"/> when <paramref name="panel"/> cannot feed <paramref name="plan"/> (bar, columns, length).</summary>
    public static void CheckData(StrategyPlan plan, Panel panel)
    {
        if (plan.Bar.Seconds * 1000L != panel.Interval.Milliseconds)
            throw new PlanException($"strategy '{plan.Name}' is written for {plan.Bar.Text} bars, but dataset '{panel.Name}' has {panel.Interval} bars");
        var missing = plan.Columns.Where(c => !panel.HasColumn(c)).ToList();
        if (missing.Count > 0)
            throw new PlanException($"strategy '{plan.Name}' reads {string.Join(", ", missing)}, which dataset '{panel.Name}' lacks (it has {string.Join(", ", panel.Columns)})");
        if (panel.TimeCount < 2)
            throw new PlanException($"dataset '{panel.Name}' has {panel.TimeCount} bar(s); a backtest needs at least 2");
    }

    /// <summary>The plan's universe as a [time × asset] mask of the assets that may be held, or null for every asset.</summary>
    public static bool[]? Universe(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        switch (plan.Universe)
        {
            case AllAssetsUniverse:
                return null;
            case Plan.FixedUniverse f:
                try
                {
                    return new FixedUniverse(f.Symbols).Select(panel);
                }
                catch (KeyNotFoundException e)
                {
                    throw new PlanException("universe: " + e.Message);
                }
            case TopUniverse top:
                var count = (int)top.Count.EvaluateNumber(parameters);
                if (count > panel.AssetCount)
                    throw new PlanException($"universe: top {count} is more than the {panel.AssetCount} assets of dataset '{panel.Name}'");
                var marks = top.EveryBars is { } bars
                    ? UniverseRule.EveryNthBar(panel.TimeCount, Math.Max(1, (int)bars.EvaluateNumber(parameters)))
                    : RebalanceBars(plan, panel, parameters) ?? UniverseRule.EveryNthBar(panel.TimeCount, 1);
                return new TopNUniverse(count, top.Column).Select(panel, marks);
            default:
                throw new PlanException($"universe kind {plan.Universe.GetType().Name} is not supported");
        }
    }

    // the bars targets change at: every bar, every n-th bar from the first, or the first bar of each calendar period
    internal static bool[]? RebalanceBars(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        var every = (int)plan.Rebalance.EveryBars.EvaluateNumber(parameters);
        return every <= 1 ? null
            : plan.Rebalance.Calendar ? UniverseRule.PeriodStarts(panel.Times, new Interval(every * panel.Interval.Milliseconds))
            : UniverseRule.EveryNthBar(panel.TimeCount, every);
    }

    // gross, net and leverage from the portfolio; a max_leverage limit caps the gross of every target
    private static LegPortfolio Portfolio(StrategyPlan plan, IReadOnlyDictionary<string, ScalarValue> parameters, int assets, List<LegRule> legs)
    {
        var spec = plan.Portfolio;
        var gross = spec.Gross.EvaluateNumber(parameters);
        var net = spec.Net?.EvaluateNumber(parameters);
        if (net is { } n && Math.Abs(n) > gross)
            throw new PlanException($"portfolio: a net exposure of {n} cannot be reached with a gross exposure of {gross}");
        var maxGross = double.PositiveInfinity;
        foreach (var limit in plan.Risk.Where(r => r.Kind == RiskLimitKind.MaxLeverage))
        {
            if (limit.Action != RiskAction.Clip)
                throw new PlanException($"risk max_leverage: only clipping the targets is supported, not {limit.Action}");
            maxGross = Math.Min(maxGross, limit.Threshold.EvaluateNumber(parameters));
        }
        return new LegPortfolio(assets, legs, gross, spec.Leverage.EvaluateNumber(parameters), spec.Weighting == Weighting.Proportional, net, maxGross);
    }

    private static List<LegRule> Legs(StrategyPlan plan, IReadOnlyDictionary<string, ScalarValue> parameters, out List<int> inputs)
    {
        var nodes = new List<int>();
        int Input(int node)
        {
            var i = nodes.IndexOf(node);
            if (i >= 0)
                return i;
            nodes.Add(node);
            return nodes.Count - 1;
        }
        var keep = plan.Rebalance.KeepWithinRank is { } k ? (int)k.EvaluateNumber(parameters) : 0;
        var legs = new List<LegRule>();
        foreach (var leg in plan.Portfolio.Legs)
        {
            var isLong = leg.Side == Side.Long;
            legs.Add(leg switch
            {
                RankLeg r => new RankRule(isLong, r.Top, (int)r.Count.EvaluateNumber(parameters), Input(r.Signal), keep),
                QuantileLeg q => new QuantileRule(isLong, (int)q.Bucket.EvaluateNumber(parameters), Input(QuantileInput(plan, q))),
                ThresholdLeg t => new ThresholdRule(isLong, Input(t.Entry), t.Exit is { } x ? Input(x) : null),
                _ => throw new PlanException($"portfolio leg {leg.GetType().Name} is not supported"),
            });
        }
        inputs = nodes;
        return legs;
    }

    // a quantile leg reads bucket numbers: the xs_quantile node of its signal, bins and scope
    private static int QuantileInput(StrategyPlan plan, QuantileLeg q) =>
        plan.Nodes.OfType<OperatorNode>().FirstOrDefault(n => IsBuckets(plan, q, n))?.Id
            ?? throw new PlanException($"strategy '{plan.Name}': the quantile leg's bucket series (xs_quantile of its signal) is not in the plan; the compiler adds it");

    private static ScalarText Scope(StrategyPlan plan) => new(plan.Portfolio.Scope == QuantileScope.Date ? "date" : "timestamp");

    private static bool IsBuckets(StrategyPlan plan, QuantileLeg q, OperatorNode n) =>
        n.Operator == "xs_quantile" && n.Inputs[0] == q.Signal && n.Args[0] == q.Bins && n.Args[1] == Scope(plan);

    /// <summary>The ledger's costs, fills and risk limits from the plan, with a replaced fee and the venue's minimum notional when given.</summary>
    internal static LedgerOptions Options(StrategyPlan plan, IReadOnlyDictionary<string, ScalarValue> parameters, double? fee, double? minNotional, double capital)
    {
        var c = plan.Costs;
        var risk = RiskLimits.None;
        foreach (var limit in plan.Risk)
        {
            var x = limit.Threshold.EvaluateNumber(parameters);
            risk = limit.Kind switch
            {
                RiskLimitKind.MaxPosition => risk with { MaxPositionFraction = x },
                RiskLimitKind.DailyLoss => risk with { DailyLossFraction = x },
                RiskLimitKind.MaxDrawdown => risk with { MaxDrawdownFraction = x },
                RiskLimitKind.MaxLeverage => risk, // applied to the targets (see Portfolio)
                _ => throw new PlanException($"risk limit {limit.Kind} is not enforced by the backtester yet"),
            };
        }
        var execution = plan.Execution;
        var options = new LedgerOptions
        {
            Exits = plan.Exits is { } exits ? Exits(exits, parameters) : ExitRules.None,
            InitialCapital = capital,
            TakerFee = fee ?? c.TakerFee.EvaluateNumber(parameters),
            MakerFee = fee ?? c.MakerFee.EvaluateNumber(parameters),
            Slippage = c.Slippage.EvaluateNumber(parameters),
            Timing = execution.Fill == Plan.FillTiming.SignalClose ? FillTiming.SignalClose : FillTiming.NextOpen,
            MinNotional = minNotional ?? 0,
            RoundUpToMinNotional = execution.MinNotional == MinNotionalRule.RoundUp,
            MaxParticipation = execution.Participation?.EvaluateNumber(parameters) ?? double.NaN,
            Risk = risk,
        };
        if (execution.Policy == "market")
            return options;
        if (execution.Policy != "limit_maker")
            throw new PlanException($"execution policy '{execution.Policy}' is not supported");
        // the compiler fills every argument of the policy with its default
        double Argument(string name) => execution.Arguments.FirstOrDefault(a => a.Name == name)?.Value.EvaluateNumber(parameters)
            ?? throw new PlanException($"execution limit_maker: the plan lacks the argument '{name}'; the compiler fills it");
        return options with
        {
            Orders = OrderKind.LimitMaker,
            LimitOffset = Argument("offset"),
            LimitRetries = (int)Argument("retries"),
            LimitShrink = Argument("shrink"),
            LimitTimeoutSeconds = Argument("timeout"),
            LimitFallbackMarket = execution.MarketFallback,
        };
    }

    // the plan's exits under the parameters: fractions as they are, times in whole bars
    private static ExitRules Exits(ExitSpec spec, IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        double Share(ScalarExpr? x) => x?.EvaluateNumber(parameters) ?? double.NaN;
        int Bars(ScalarExpr? x) => x is null ? 0 : (int)Math.Round(x.EvaluateNumber(parameters));
        return new ExitRules
        {
            StopLoss = Share(spec.StopLoss),
            TakeProfit = Share(spec.TakeProfit),
            TrailingStop = Share(spec.TrailingStop),
            MaxHoldBars = Bars(spec.MaxHoldBars),
            Roi = [.. spec.Roi.Select(r => new RoiStep(Bars(r.AfterBars), r.Return.EvaluateNumber(parameters)))],
            CooldownBars = Bars(spec.CooldownBars),
        };
    }
}
