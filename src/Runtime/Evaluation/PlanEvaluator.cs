using StrategyLab.Runtime.Compute;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Evaluation;

/// <summary>
/// Evaluates a plan's series over a panel a block of bars at a time: each needed node once per
/// block, in id order (ids are topological), with every stateful operator carrying its state from
/// block to block. A block of one bar is the incremental evaluation paper and live trading run; a
/// block of the whole history is the batch evaluation; any block size gives the same numbers, bit
/// for bit, because every operator's batch kernel is its incremental form run row by row. Small
/// blocks keep the working set in cache and the memory bounded whatever the history's length.
/// </summary>
public sealed class PlanEvaluator
{
    private readonly StrategyPlan _plan;
    private readonly Panel _panel;
    private readonly IReadOnlyDictionary<string, ScalarValue> _parameters;
    private readonly NodeStep?[] _steps;
    private readonly int _capacity;
    private readonly IReadOnlyDictionary<string, double[]> _models;
    private readonly List<string> _warnings = [];

    /// <summary>
    /// Prepares the evaluation of <paramref name="roots"/> and everything they read, in blocks of
    /// <paramref name="blockBars"/> bars. Every argument is checked here, before any bar is read.
    /// <paramref name="modelOutputs"/> holds each trained model's out-of-sample predictions by model
    /// name, [time × asset] over the panel (NaN where no fold predicts); a plan that reads a model
    /// without them is refused.
    /// </summary>
    public PlanEvaluator(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters, IEnumerable<int> roots, int blockBars,
        IReadOnlyDictionary<string, double[]>? modelOutputs = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(panel);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentOutOfRangeException.ThrowIfLessThan(blockBars, 1);
        _plan = plan;
        _panel = panel;
        _parameters = parameters;
        _models = modelOutputs ?? new Dictionary<string, double[]>();
        BlockBars = Math.Min(blockBars, Math.Max(1, panel.TimeCount));
        _capacity = BlockBars * panel.AssetCount;
        _steps = new NodeStep?[plan.Nodes.Length];
        var needed = Needed(plan, roots, _models);
        for (var id = 0; id < needed.Length; id++)
        {
            if (needed[id])
                _steps[id] = Step(plan.Nodes[id]);
        }
    }

    /// <summary>Why some series are missing everywhere: a window or horizon longer than the data.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Bars per block (the last block may be shorter).</summary>
    public int BlockBars { get; }

    /// <summary>The first bar of the next block.</summary>
    public int NextBar { get; private set; }

    /// <summary>Bars in the block evaluated last.</summary>
    public int Rows { get; private set; }

    /// <summary>
    /// Evaluates every plan node once over the whole panel, each into a full [time × asset] column
    /// (null for nodes <paramref name="roots"/> do not need). Forward-looking label operators are
    /// only available here.
    /// </summary>
    public static double[]?[] EvaluateAll(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters, IEnumerable<int> roots,
        IReadOnlyDictionary<string, double[]>? modelOutputs = null)
    {
        var evaluator = new PlanEvaluator(plan, panel, parameters, roots, Math.Max(1, panel.TimeCount), modelOutputs);
        evaluator.Advance();
        return [.. evaluator._steps.Select(s => s?.Block)];
    }

    /// <summary>Evaluates the next block; returns its number of bars, 0 at the end of the panel.</summary>
    public int Advance() => Advance(BlockBars);

    /// <summary>Evaluates the next block of at most <paramref name="maxRows"/> bars (and at most <see cref="BlockBars"/>); returns its bars.</summary>
    public int Advance(int maxRows)
    {
        var rows = Math.Min(Math.Min(BlockBars, maxRows), _panel.TimeCount - NextBar);
        if (rows <= 0)
            return Rows = 0;
        foreach (var step in _steps)
            step?.Run(NextBar, rows);
        Rows = rows;
        NextBar += rows;
        return rows;
    }

    /// <summary>The values of <paramref name="node"/> over the last block: <see cref="Rows"/> × assets.</summary>
    public ReadOnlySpan<double> Values(int node) =>
        (_steps[node] ?? throw new ArgumentException($"node {node} is not evaluated", nameof(node))).Values(Rows * _panel.AssetCount);

    // the block array behind Values(node), for workers that cannot hold a span
    internal double[] Block(int node) =>
        (_steps[node] ?? throw new ArgumentException($"node {node} is not evaluated", nameof(node))).Block;

    // makes node's next blocks go into block (see NodeStep.WriteInto); false when the node cannot
    internal bool WriteInto(int node, double[] block) =>
        (_steps[node] ?? throw new ArgumentException($"node {node} is not evaluated", nameof(node))).WriteInto(block);

    // a model given as precomputed predictions reads nothing: its inputs and (forward-looking) label served its training
    private static bool[] Needed(StrategyPlan plan, IEnumerable<int> roots, IReadOnlyDictionary<string, double[]> models)
    {
        var needed = new bool[plan.Nodes.Length];
        var stack = new Stack<int>(roots);
        while (stack.Count > 0)
        {
            var id = stack.Pop();
            if (needed[id])
                continue;
            needed[id] = true;
            if (plan.Nodes[id] is ModelOutputNode m && models.ContainsKey(m.Model))
                continue;
            foreach (var d in plan.Nodes[id].Dependencies)
                stack.Push(d);
        }
        return needed;
    }

    private NodeStep In(int node) => _steps[node] ?? throw new InvalidOperationException($"node {node} prepared before its input");

    private double Number(ScalarExpr e) => e.EvaluateNumber(_parameters);

    private int Window(ScalarExpr e, string what)
    {
        var n = Number(e);
        if (double.IsNaN(n) || n < 1 || n != Math.Floor(n))
            throw new PlanException($"{what}: expected a whole number of bars of at least 1, found {n}");
        if (n > _panel.TimeCount)
            throw new WindowBeyondData($"{what}: a window of {n} bars is longer than the {_panel.TimeCount} bars of dataset '{_panel.Name}', so its values are all missing");
        return (int)n;
    }

    // a window no bar of the data can fill: the node is missing everywhere, and nothing is sized by the window
    private sealed class WindowBeyondData(string message) : Exception(message);

    private string Where(SeriesNode node) =>
        _plan.SourceMap.TryGetValue(node.Id, out var at) ? $"{at}: " : "";

    private NodeStep Step(SeriesNode node) => node switch
    {
        ColumnNode c when !_panel.HasColumn(c.Column) =>
            throw new PlanException($"{Where(node)}dataset '{_panel.Name}' has no column '{c.Column}'; it has {string.Join(", ", _panel.Columns)}"),
        ColumnNode c => new ColumnStep(_panel, c.Column, _capacity),
        ConstantNode k => new ConstantStep(Number(k.Value), _capacity),
        OperatorNode op => OperatorOrMissing(op),
        ModelOutputNode m when _models.TryGetValue(m.Model, out var predictions) => predictions.Length == _panel.TimeCount * _panel.AssetCount
            ? new PrecomputedStep(predictions, _panel.AssetCount, _capacity)
            : throw new ArgumentException($"the predictions of model '{m.Model}' do not cover the panel's {_panel.TimeCount} × {_panel.AssetCount} values"),
        ModelOutputNode m =>
            throw new PlanException($"{Where(node)}model '{m.Model}' has no predictions: its walk-forward training must run first (StrategyModels.Train, or strategylab train)"),
        _ => throw new PlanException($"{Where(node)}unknown node kind {node.GetType().Name}"),
    };

    private NodeStep OperatorOrMissing(OperatorNode op)
    {
        try
        {
            return Operator(op);
        }
        catch (WindowBeyondData e)
        {
            _warnings.Add(e.Message);
            return new ConstantStep(double.NaN, _capacity);
        }
    }

    private NodeStep Operator(OperatorNode op)
    {
        var a = _panel.AssetCount;
        var c = _capacity;
        NodeStep X(int i) => In(op.Inputs[i]);
        int W(int i) => Window(op.Args[i], $"{Where(op)}{op.Operator}");
        double N(int i) => Number(op.Args[i]);
        NodeStep Indicator(IIncrementalIndicator indicator, int output = 0) =>
            new IndicatorStep(indicator, [.. op.Inputs.Select(In)], output, _panel, c);
        NodeStep Forward(ForwardStep.Kernel kernel) =>
            new ForwardStep(X(0), kernel, W(0), a, _panel.TimeCount, $"{Where(op)}{op.Operator}");
        return op.Operator switch
        {
            "add" => new BinaryStep<AddOp>(X(0), X(1), a, c),
            "sub" => new BinaryStep<SubOp>(X(0), X(1), a, c),
            "mul" => new BinaryStep<MulOp>(X(0), X(1), a, c),
            "div" => new BinaryStep<DivOp>(X(0), X(1), a, c),
            "pow" => new BinaryStep<PowOp>(X(0), X(1), a, c),
            "lt" => new BinaryStep<LtOp>(X(0), X(1), a, c),
            "le" => new BinaryStep<LeOp>(X(0), X(1), a, c),
            "gt" => new BinaryStep<GtOp>(X(0), X(1), a, c),
            "ge" => new BinaryStep<GeOp>(X(0), X(1), a, c),
            "eq" => new BinaryStep<EqOp>(X(0), X(1), a, c),
            "ne" => new BinaryStep<NeOp>(X(0), X(1), a, c),
            "and" => new BinaryStep<AndOp>(X(0), X(1), a, c),
            "or" => new BinaryStep<OrOp>(X(0), X(1), a, c),
            "least" => new BinaryStep<LeastOp>(X(0), X(1), a, c),
            "greatest" => new BinaryStep<GreatestOp>(X(0), X(1), a, c),
            "neg" => new UnaryStep<NegOp>(X(0), a, c),
            "not" => new UnaryStep<NotOp>(X(0), a, c),
            "abs" => new UnaryStep<AbsOp>(X(0), a, c),
            "log" => new UnaryStep<LogOp>(X(0), a, c),
            "exp" => new UnaryStep<ExpOp>(X(0), a, c),
            "sqrt" => new UnaryStep<SqrtOp>(X(0), a, c),
            "sign" => new UnaryStep<SignOp>(X(0), a, c),
            "select" => new SelectStep(X(0), X(1), X(2), a, c),
            "clip" => new ScalarArgumentStep(X(0), fill: false, N(0), N(1), a, c),
            "fill_nan" => new ScalarArgumentStep(X(0), fill: true, N(0), 0, a, c),
            "lag" => Indicator(new Lag(a, W(0))),
            "diff" => Indicator(new Diff(a, W(0))),
            "return" => Indicator(new SimpleReturn(a, W(0))),
            "log_return" => Indicator(new LogReturn(a, W(0))),
            "mean" => Indicator(new RollingMean(a, W(0))),
            "std" => Indicator(new RollingStd(a, W(0), sample: N(1) != 0)),
            "min" => Indicator(new RollingMin(a, W(0))),
            "max" => Indicator(new RollingMax(a, W(0))),
            "sum" => Indicator(new RollingSum(a, W(0))),
            "zscore" => Indicator(new RollingZScore(a, W(0), sample: N(1) != 0)),
            "sma" => Indicator(new Sma(a, W(0))),
            "ema" => Indicator(new Ema(a, W(0))),
            "roc" => Indicator(new Roc(a, W(0))),
            "momentum" => Indicator(new Momentum(a, W(0))),
            "rsi" => Indicator(new Rsi(a, W(0))),
            "macd" => Indicator(new Macd(a, W(0), W(1), W(2)), 0),
            "macd_signal" => Indicator(new Macd(a, W(0), W(1), W(2)), 1),
            "macd_hist" => Indicator(new Macd(a, W(0), W(1), W(2)), 2),
            "bb_upper" => Indicator(new BollingerBands(a, W(0), N(1), N(1)), 0),
            "bb_middle" => Indicator(new BollingerBands(a, W(0), N(1), N(1)), 1),
            "bb_lower" => Indicator(new BollingerBands(a, W(0), N(1), N(1)), 2),
            "cci" => Indicator(new Cci(a, W(0))),
            "stoch_k" => Indicator(new Stochastic(a, W(0), W(1), W(2)), 0),
            "stoch_d" => Indicator(new Stochastic(a, W(0), W(1), W(2)), 1),
            "stochrsi_k" => Indicator(new StochasticRsi(a, W(0), W(1), W(2)), 0),
            "stochrsi_d" => Indicator(new StochasticRsi(a, W(0), W(1), W(2)), 1),
            "atr" => Indicator(new Atr(a, W(0))),
            "natr" => Indicator(new Natr(a, W(0))),
            "obv" => Indicator(new Obv(a)),
            "mfi" => Indicator(new Mfi(a, W(0))),
            "bop" => Indicator(new Bop(a)),
            "xs_rank" => Indicator(new CrossSectionalRank(a)),
            "xs_percentile" => Indicator(new CrossSectionalPercentile(a)),
            "xs_zscore" => Indicator(new CrossSectionalZScore(a)),
            "xs_demean" => Indicator(new CrossSectionalDemean(a)),
            "xs_quantile" => op.Args[1].Evaluate(_parameters).Text == "date"
                ? Indicator(new DailyQuantileBuckets(a, (int)N(0)))
                : Indicator(new QuantileBuckets(a, (int)N(0))),
            "forward" => Forward(Compute.Forward.Value),
            "forward_return" => Forward(Compute.Forward.Return),
            "forward_log_return" => Forward(Compute.Forward.LogReturn),
            "forward_mean" => Forward(Compute.Forward.Mean),
            _ => throw new PlanException($"{Where(op)}operator '{op.Operator}' has no kernel"),
        };
    }
}
