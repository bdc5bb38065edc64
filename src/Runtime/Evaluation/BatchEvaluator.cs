using StrategyLab.Runtime.Compute;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Evaluation;

/// <summary>A plan the runtime cannot run as it is: the message says what and, where known, the source line.</summary>
public sealed class PlanException(string message) : Exception(message);

/// <summary>
/// Evaluates a plan's series over a whole panel with the batch kernels: each needed node once, in
/// id order (ids are topological), into a [time × asset] column.
/// </summary>
public sealed class BatchEvaluator
{
    private readonly StrategyPlan _plan;
    private readonly Panel _panel;
    private readonly IReadOnlyDictionary<string, ScalarValue> _parameters;
    private readonly double[]?[] _values;

    private BatchEvaluator(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        _plan = plan;
        _panel = panel;
        _parameters = parameters;
        _values = new double[]?[plan.Nodes.Length];
    }

    /// <summary>
    /// Evaluates <paramref name="roots"/> and everything they read; returns every node's column
    /// (null for nodes not needed).
    /// </summary>
    public static double[]?[] Evaluate(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters, IEnumerable<int> roots)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(panel);
        var evaluator = new BatchEvaluator(plan, panel, parameters);
        var needed = new bool[plan.Nodes.Length];
        var stack = new Stack<int>(roots);
        while (stack.Count > 0)
        {
            var id = stack.Pop();
            if (needed[id])
                continue;
            needed[id] = true;
            foreach (var d in plan.Nodes[id].Dependencies)
                stack.Push(d);
        }
        for (var id = 0; id < needed.Length; id++)
        {
            if (needed[id])
                evaluator._values[id] = evaluator.Compute(plan.Nodes[id]);
        }
        return evaluator._values;
    }

    private int Assets => _panel.AssetCount;

    private double[] New() => new double[_panel.TimeCount * _panel.AssetCount];

    private double[] Of(int node) => _values[node] ?? throw new InvalidOperationException($"node {node} evaluated before its input");

    private double Number(ScalarExpr e) => e.EvaluateNumber(_parameters);

    private int Window(ScalarExpr e, string what)
    {
        var n = Number(e);
        if (double.IsNaN(n) || n < 1 || n != Math.Floor(n))
            throw new PlanException($"{what}: expected a whole number of bars of at least 1, found {n}");
        if (n > _panel.TimeCount)
            throw new PlanException($"{what}: a window of {n} bars is longer than the {_panel.TimeCount} bars of dataset '{_panel.Name}'");
        return (int)n;
    }

    private string Where(SeriesNode node) =>
        _plan.SourceMap.TryGetValue(node.Id, out var at) ? $"{at}: " : "";

    private double[] Compute(SeriesNode node)
    {
        switch (node)
        {
            case ColumnNode c:
                if (!_panel.HasColumn(c.Column))
                    throw new PlanException($"{Where(node)}dataset '{_panel.Name}' has no column '{c.Column}'; it has {string.Join(", ", _panel.Columns)}");
                return _panel.Column(c.Column).ToArray();
            case ConstantNode k:
                var constant = New();
                constant.AsSpan().Fill(Number(k.Value));
                return constant;
            case OperatorNode op:
                return Operator(op);
            case ModelOutputNode m:
                throw new PlanException($"{Where(node)}model '{m.Model}': training models inside a strategy is not available yet, so this strategy cannot be backtested");
            default:
                throw new PlanException($"{Where(node)}unknown node kind {node.GetType().Name}");
        }
    }

    private double[] Operator(OperatorNode op)
    {
        var o = New();
        var a = Assets;
        double[] In(int i) => Of(op.Inputs[i]);
        int W(int i) => Window(op.Args[i], $"{Where(op)}{op.Operator}");
        double N(int i) => Number(op.Args[i]);
        switch (op.Operator)
        {
            case "add": Zip(In(0), In(1), o, (x, y) => x + y); break;
            case "sub": Zip(In(0), In(1), o, (x, y) => x - y); break;
            case "mul": Zip(In(0), In(1), o, (x, y) => x * y); break;
            case "div": Zip(In(0), In(1), o, (x, y) => y == 0 ? double.NaN : x / y); break;
            case "pow": Zip(In(0), In(1), o, Math.Pow); break;
            case "neg": Map(In(0), o, x => -x); break;
            case "lt": Zip(In(0), In(1), o, (x, y) => x < y ? 1 : 0); break;
            case "le": Zip(In(0), In(1), o, (x, y) => x <= y ? 1 : 0); break;
            case "gt": Zip(In(0), In(1), o, (x, y) => x > y ? 1 : 0); break;
            case "ge": Zip(In(0), In(1), o, (x, y) => x >= y ? 1 : 0); break;
            case "eq": Zip(In(0), In(1), o, (x, y) => x == y ? 1 : 0); break;
            case "ne": Zip(In(0), In(1), o, (x, y) => x != y ? 1 : 0); break;
            case "and": Zip(In(0), In(1), o, (x, y) => x != 0 && y != 0 ? 1 : 0); break;
            case "or": Zip(In(0), In(1), o, (x, y) => x != 0 || y != 0 ? 1 : 0); break;
            case "not": Map(In(0), o, x => x == 0 ? 1 : 0); break;
            case "abs": Map(In(0), o, Math.Abs); break;
            case "log": Map(In(0), o, x => x > 0 ? Math.Log(x) : double.NaN); break;
            case "exp": Map(In(0), o, Math.Exp); break;
            case "sqrt": Map(In(0), o, x => x >= 0 ? Math.Sqrt(x) : double.NaN); break;
            case "sign": Map(In(0), o, x => Math.Sign(x)); break;
            case "least": Zip(In(0), In(1), o, Math.Min); break;
            case "greatest": Zip(In(0), In(1), o, Math.Max); break;
            case "select": Select(In(0), In(1), In(2), o); break;
            case "clip":
                {
                    double lo = N(0), hi = N(1);
                    Map(In(0), o, x => Math.Clamp(x, lo, hi));
                    break;
                }
            case "fill_nan":
                {
                    var v = N(0);
                    var x = In(0);
                    for (var i = 0; i < o.Length; i++)
                        o[i] = double.IsNaN(x[i]) ? v : x[i];
                    break;
                }
            case "lag": Lag.Compute(In(0), o, a, W(0)); break;
            case "diff": Diff.Compute(In(0), o, a, W(0)); break;
            case "return": SimpleReturn.Compute(In(0), o, a, W(0)); break;
            case "log_return": LogReturn.Compute(In(0), o, a, W(0)); break;
            case "mean": RollingMean.Compute(In(0), o, a, W(0)); break;
            case "std": RollingStd.Compute(In(0), o, a, W(0), sample: N(1) != 0); break;
            case "min": RollingMin.Compute(In(0), o, a, W(0)); break;
            case "max": RollingMax.Compute(In(0), o, a, W(0)); break;
            case "sum": RollingSum.Compute(In(0), o, a, W(0)); break;
            case "zscore": RollingZScore.Compute(In(0), o, a, W(0), sample: N(1) != 0); break;
            case "sma": Sma.Compute(In(0), o, a, W(0)); break;
            case "ema": Ema.Compute(In(0), o, a, W(0)); break;
            case "roc": Roc.Compute(In(0), o, a, W(0)); break;
            case "momentum": Momentum.Compute(In(0), o, a, W(0)); break;
            case "rsi": Rsi.Compute(In(0), o, a, W(0)); break;
            case "macd": Macd.Compute(In(0), o, New(), New(), a, W(0), W(1), W(2)); break;
            case "macd_signal": Macd.Compute(In(0), New(), o, New(), a, W(0), W(1), W(2)); break;
            case "macd_hist": Macd.Compute(In(0), New(), New(), o, a, W(0), W(1), W(2)); break;
            case "bb_upper": BollingerBands.Compute(In(0), o, New(), New(), a, W(0), N(1), N(1)); break;
            case "bb_middle": BollingerBands.Compute(In(0), New(), o, New(), a, W(0), N(1), N(1)); break;
            case "bb_lower": BollingerBands.Compute(In(0), New(), New(), o, a, W(0), N(1), N(1)); break;
            case "cci": Cci.Compute(In(0), In(1), In(2), o, a, W(0)); break;
            case "stoch_k": Stochastic.Compute(In(0), In(1), In(2), o, New(), a, W(0), W(1), W(2)); break;
            case "stoch_d": Stochastic.Compute(In(0), In(1), In(2), New(), o, a, W(0), W(1), W(2)); break;
            case "stochrsi_k": StochasticRsi.Compute(In(0), o, New(), a, W(0), W(1), W(2)); break;
            case "stochrsi_d": StochasticRsi.Compute(In(0), New(), o, a, W(0), W(1), W(2)); break;
            case "atr": Atr.Compute(In(0), In(1), In(2), o, a, W(0)); break;
            case "natr": Natr.Compute(In(0), In(1), In(2), o, a, W(0)); break;
            case "obv": Obv.Compute(In(0), In(1), o, a); break;
            case "mfi": Mfi.Compute(In(0), In(1), In(2), In(3), o, a, W(0)); break;
            case "bop": Bop.Compute(In(0), In(1), In(2), In(3), o, a); break;
            case "xs_rank": CrossSectionalRank.Compute(In(0), o, a); break;
            case "xs_percentile": CrossSectionalPercentile.Compute(In(0), o, a); break;
            case "xs_zscore": CrossSectionalZScore.Compute(In(0), o, a); break;
            case "xs_demean": CrossSectionalDemean.Compute(In(0), o, a); break;
            case "xs_quantile":
                {
                    var bins = (int)N(0);
                    if (op.Args[1].Evaluate(_parameters).Text == "date")
                        DailyQuantileBuckets.Compute(_panel.Times, In(0), o, a, bins);
                    else
                        QuantileBuckets.Compute(In(0), o, a, bins);
                    break;
                }
            case "forward": Forward.Value(In(0), o, a, W(0)); break;
            case "forward_return": Forward.Return(In(0), o, a, W(0)); break;
            case "forward_log_return": Forward.LogReturn(In(0), o, a, W(0)); break;
            case "forward_mean": Forward.Mean(In(0), o, a, W(0)); break;
            default:
                throw new PlanException($"{Where(op)}operator '{op.Operator}' has no batch kernel");
        }
        return o;
    }

    // NaN in, NaN out for every element-wise operator, as the catalogue documents
    private static void Map(double[] x, double[] o, Func<double, double> f)
    {
        for (var i = 0; i < o.Length; i++)
            o[i] = double.IsNaN(x[i]) ? double.NaN : f(x[i]);
    }

    private static void Zip(double[] x, double[] y, double[] o, Func<double, double, double> f)
    {
        for (var i = 0; i < o.Length; i++)
            o[i] = double.IsNaN(x[i]) || double.IsNaN(y[i]) ? double.NaN : f(x[i], y[i]);
    }

    private static void Select(double[] condition, double[] then, double[] otherwise, double[] o)
    {
        for (var i = 0; i < o.Length; i++)
            o[i] = double.IsNaN(condition[i]) ? double.NaN : condition[i] != 0 ? then[i] : otherwise[i];
    }
}
