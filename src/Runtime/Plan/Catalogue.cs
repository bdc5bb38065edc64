using System.Collections.Frozen;
using System.Collections.Immutable;

namespace StrategyLab.Runtime.Plan;

/// <summary>The type of an argument of an operator, model kind, training scheme or order policy.</summary>
public enum ArgumentType
{
    /// <summary>A per-asset time series.</summary>
    Series,
    /// <summary>A list of series (model inputs).</summary>
    SeriesList,
    /// <summary>A positive whole number of bars, or a duration that is a whole number of bars (4h on 1h bars).</summary>
    Window,
    /// <summary>A whole number.</summary>
    Integer,
    /// <summary>A real number; percentages and basis points are fractions.</summary>
    Number,
    /// <summary>True or false.</summary>
    Boolean,
    /// <summary>One of the argument's <see cref="ArgumentSpec.Choices"/>.</summary>
    Text,
    /// <summary>A length of wall-clock time in seconds, e.g. 30s.</summary>
    Duration,
    /// <summary>A list of model names (ensemble members).</summary>
    ModelList,
    /// <summary>A list of numbers (ensemble weights).</summary>
    NumberList,
}

/// <summary>
/// One argument: its name (usable as <c>name: value</c>), type and default. A series argument may
/// default to a data column (<c>cci(period: 20)</c> reads high, low and close); an argument with no
/// default is required.
/// </summary>
public sealed record ArgumentSpec(
    string Name,
    ArgumentType Type,
    ScalarValue? Default = null,
    string? DefaultColumn = null,
    ImmutableArray<string> Choices = default,
    double? Min = null)
{
    /// <summary>True when a call must give this argument.</summary>
    public bool IsRequired => Default is null && DefaultColumn is null && Type != ArgumentType.SeriesList;

    /// <summary>The allowed texts of a <see cref="ArgumentType.Text"/> argument (empty otherwise).</summary>
    public ImmutableArray<string> AllowedChoices => Choices.IsDefault ? [] : Choices;
}

/// <summary>What an operator does, for grouping in docs and in <c>explain</c>.</summary>
public enum OperatorCategory
{
    /// <summary>Arithmetic, comparison and logic on aligned values.</summary>
    Elementwise,
    /// <summary>Lags, differences and returns over past bars of the same asset.</summary>
    Time,
    /// <summary>Rolling-window statistics over past bars of the same asset.</summary>
    Rolling,
    /// <summary>Technical indicators with TA-Lib conventions.</summary>
    Indicator,
    /// <summary>Operations across the assets at one timestamp.</summary>
    CrossSectional,
    /// <summary>Values from future bars; allowed in labels only.</summary>
    Forward,
}

/// <summary>
/// An operator the language offers and the runtime evaluates, as a batch kernel over [time × asset]
/// columns and as an incremental one-bar update.
/// </summary>
/// <param name="Name">The name used in .strat source and in <see cref="OperatorNode.Operator"/>.</param>
/// <param name="Category">The operator's group.</param>
/// <param name="Parameters">Arguments in positional order; series first.</param>
/// <param name="WarmUp">
/// Returns the bars before the first defined value given the scalar argument values (in order); for a
/// forward-looking operator, the bars at the end without a value (its horizon).
/// </param>
/// <param name="WarmUpRule">The same rule in words, for docs.</param>
/// <param name="Summary">One line of meaning and NaN behaviour.</param>
public sealed record OperatorSpec(
    string Name,
    OperatorCategory Category,
    ImmutableArray<ArgumentSpec> Parameters,
    Func<IReadOnlyList<double>, int> WarmUp,
    string WarmUpRule,
    string Summary)
{
    /// <summary>True for operators that read future bars (forward returns); allowed only in labels.</summary>
    public bool IsForwardLooking => Category == OperatorCategory.Forward;

    /// <summary>The series parameters, in the order of <see cref="OperatorNode.Inputs"/>.</summary>
    public IEnumerable<ArgumentSpec> SeriesParameters => Parameters.Where(p => p.Type == ArgumentType.Series);

    /// <summary>The scalar parameters, in the order of <see cref="OperatorNode.Args"/>.</summary>
    public IEnumerable<ArgumentSpec> ScalarParameters => Parameters.Where(p => p.Type != ArgumentType.Series);
}

/// <summary>A configurable thing that is not a series operator: a model kind, training scheme or order policy.</summary>
public sealed record ConfigSpec(string Name, ImmutableArray<ArgumentSpec> Parameters, string Summary);

/// <summary>Every series operator, by name. Both the checker and the compute engine read it.</summary>
public static class OperatorCatalogue
{
    private static ArgumentSpec S(string name, string? column = null) => new(name, ArgumentType.Series, DefaultColumn: column);

    private static ArgumentSpec W(string name, double? dflt = null) =>
        new(name, ArgumentType.Window, dflt is { } d ? ScalarValue.Of(d) : null, Min: 1);

    private static ArgumentSpec N(string name, double? dflt = null) =>
        new(name, ArgumentType.Number, dflt is { } d ? ScalarValue.Of(d) : null);

    private static ArgumentSpec I(string name, double dflt, double min = 0) =>
        new(name, ArgumentType.Integer, ScalarValue.Of(dflt), Min: min);

    private static int At(IReadOnlyList<double> a, int i) => (int)a[i];

    private static OperatorSpec Op(
        string name, OperatorCategory cat, ImmutableArray<ArgumentSpec> ps,
        Func<IReadOnlyList<double>, int> warm, string rule, string summary) =>
        new(name, cat, ps, warm, rule, summary);

    private static OperatorSpec Elementwise(string name, int arity, string summary) =>
        Op(name, OperatorCategory.Elementwise,
            arity == 1 ? [S("x")] : arity == 2 ? [S("a"), S("b")] : [S("condition"), S("then"), S("otherwise")],
            _ => 0, "0", summary);

    /// <summary>All operators, in documentation order.</summary>
    public static ImmutableArray<OperatorSpec> All { get; } =
    [
        Elementwise("add", 2, "a + b; NaN if either is NaN"),
        Elementwise("sub", 2, "a - b; NaN if either is NaN"),
        Elementwise("mul", 2, "a * b; NaN if either is NaN"),
        Elementwise("div", 2, "a / b; NaN if either is NaN or b is 0"),
        Elementwise("pow", 2, "a raised to b"),
        Elementwise("neg", 1, "-x"),
        Elementwise("lt", 2, "1 where a < b, else 0; NaN if either is NaN"),
        Elementwise("le", 2, "1 where a <= b, else 0; NaN if either is NaN"),
        Elementwise("gt", 2, "1 where a > b, else 0; NaN if either is NaN"),
        Elementwise("ge", 2, "1 where a >= b, else 0; NaN if either is NaN"),
        Elementwise("eq", 2, "1 where a == b, else 0; NaN if either is NaN"),
        Elementwise("ne", 2, "1 where a != b, else 0; NaN if either is NaN"),
        Elementwise("and", 2, "1 where both are non-zero; NaN if either is NaN"),
        Elementwise("or", 2, "1 where either is non-zero; NaN if either is NaN"),
        Elementwise("not", 1, "1 where x is 0, else 0; NaN if x is NaN"),
        Elementwise("select", 3, "then where condition is non-zero, else otherwise; NaN where condition is NaN"),
        Elementwise("abs", 1, "absolute value"),
        Elementwise("log", 1, "natural logarithm; NaN for x <= 0"),
        Elementwise("exp", 1, "e raised to x"),
        Elementwise("sqrt", 1, "square root; NaN for x < 0"),
        Elementwise("sign", 1, "-1, 0 or 1"),
        Elementwise("least", 2, "the smaller of a and b"),
        Elementwise("greatest", 2, "the larger of a and b"),
        Op("clip", OperatorCategory.Elementwise, [S("x"), N("lower"), N("upper")], _ => 0, "0",
            "x limited to [lower, upper]"),
        Op("fill_nan", OperatorCategory.Elementwise, [S("x"), N("value", 0)], _ => 0, "0",
            "x with NaN replaced by value (for assets that have a bar)"),
        Op("lag", OperatorCategory.Time, [S("x"), W("n", 1)], a => At(a, 0), "n",
            "x from n bars earlier; x[n] is the same"),
        Op("diff", OperatorCategory.Time, [S("x"), W("n", 1)], a => At(a, 0), "n", "x - x[n]"),
        Op("return", OperatorCategory.Time, [S("x", "close"), W("n", 1)], a => At(a, 0), "n",
            "x / x[n] - 1"),
        Op("log_return", OperatorCategory.Time, [S("x", "close"), W("n", 1)], a => At(a, 0), "n",
            "log(x / x[n])"),
        Op("mean", OperatorCategory.Rolling, [S("x"), W("n")], a => At(a, 0) - 1, "n - 1",
            "rolling mean of the last n bars; NaN until n values"),
        Op("std", OperatorCategory.Rolling, [S("x"), W("n"), I("ddof", 1)], a => At(a, 0) - 1, "n - 1",
            "rolling standard deviation (ddof 1 as pandas, 0 as TA-Lib)"),
        Op("min", OperatorCategory.Rolling, [S("x"), W("n")], a => At(a, 0) - 1, "n - 1", "rolling minimum"),
        Op("max", OperatorCategory.Rolling, [S("x"), W("n")], a => At(a, 0) - 1, "n - 1", "rolling maximum"),
        Op("sum", OperatorCategory.Rolling, [S("x"), W("n")], a => At(a, 0) - 1, "n - 1", "rolling sum"),
        Op("zscore", OperatorCategory.Rolling, [S("x"), W("n"), I("ddof", 1)], a => At(a, 0) - 1, "n - 1",
            "(x - mean(x, n)) / std(x, n)"),
        Op("sma", OperatorCategory.Indicator, [S("x", "close"), W("period", 30)], a => At(a, 0) - 1,
            "period - 1", "simple moving average (TA-Lib SMA)"),
        Op("ema", OperatorCategory.Indicator, [S("x", "close"), W("period", 30)], a => At(a, 0) - 1,
            "period - 1", "exponential moving average seeded with the SMA (TA-Lib EMA)"),
        Op("roc", OperatorCategory.Indicator, [S("x", "close"), W("period", 10)], a => At(a, 0), "period",
            "rate of change in percent (TA-Lib ROC)"),
        Op("momentum", OperatorCategory.Indicator, [S("x", "close"), W("period", 10)], a => At(a, 0),
            "period", "x - x[period] (TA-Lib MOM)"),
        Op("rsi", OperatorCategory.Indicator, [S("x", "close"), W("period", 14)], a => At(a, 0), "period",
            "relative strength index with Wilder smoothing (TA-Lib RSI)"),
        Op("macd", OperatorCategory.Indicator, [S("x", "close"), W("fast", 12), W("slow", 26), W("signal", 9)],
            a => At(a, 1) + At(a, 2) - 2, "slow + signal - 2", "MACD line: ema(fast) - ema(slow) (TA-Lib MACD)"),
        Op("macd_signal", OperatorCategory.Indicator,
            [S("x", "close"), W("fast", 12), W("slow", 26), W("signal", 9)],
            a => At(a, 1) + At(a, 2) - 2, "slow + signal - 2", "EMA of the MACD line"),
        Op("macd_hist", OperatorCategory.Indicator,
            [S("x", "close"), W("fast", 12), W("slow", 26), W("signal", 9)],
            a => At(a, 1) + At(a, 2) - 2, "slow + signal - 2", "MACD line minus its signal"),
        Op("bb_upper", OperatorCategory.Indicator, [S("x", "close"), W("period", 20), N("dev", 2)],
            a => At(a, 0) - 1, "period - 1", "SMA + dev population standard deviations (TA-Lib BBANDS)"),
        Op("bb_middle", OperatorCategory.Indicator, [S("x", "close"), W("period", 20), N("dev", 2)],
            a => At(a, 0) - 1, "period - 1", "the SMA of Bollinger bands"),
        Op("bb_lower", OperatorCategory.Indicator, [S("x", "close"), W("period", 20), N("dev", 2)],
            a => At(a, 0) - 1, "period - 1", "SMA - dev population standard deviations"),
        Op("cci", OperatorCategory.Indicator,
            [S("high", "high"), S("low", "low"), S("close", "close"), W("period", 14)],
            a => At(a, 0) - 1, "period - 1", "commodity channel index (TA-Lib CCI)"),
        Op("stoch_k", OperatorCategory.Indicator,
            [S("high", "high"), S("low", "low"), S("close", "close"), W("fastk", 5), W("slowk", 3), W("slowd", 3)],
            a => At(a, 0) + At(a, 1) + At(a, 2) - 3, "fastk + slowk + slowd - 3",
            "slow stochastic %K with SMA smoothing (TA-Lib STOCH slowk)"),
        Op("stoch_d", OperatorCategory.Indicator,
            [S("high", "high"), S("low", "low"), S("close", "close"), W("fastk", 5), W("slowk", 3), W("slowd", 3)],
            a => At(a, 0) + At(a, 1) + At(a, 2) - 3, "fastk + slowk + slowd - 3",
            "slow stochastic %D (TA-Lib STOCH slowd)"),
        Op("stochrsi_k", OperatorCategory.Indicator,
            [S("x", "close"), W("period", 14), W("fastk", 5), W("fastd", 3)],
            a => At(a, 0) + At(a, 1) + At(a, 2) - 2, "period + fastk + fastd - 2",
            "stochastic RSI fast %K (TA-Lib STOCHRSI fastk)"),
        Op("stochrsi_d", OperatorCategory.Indicator,
            [S("x", "close"), W("period", 14), W("fastk", 5), W("fastd", 3)],
            a => At(a, 0) + At(a, 1) + At(a, 2) - 2, "period + fastk + fastd - 2",
            "stochastic RSI fast %D (TA-Lib STOCHRSI fastd)"),
        Op("atr", OperatorCategory.Indicator,
            [S("high", "high"), S("low", "low"), S("close", "close"), W("period", 14)],
            a => At(a, 0), "period", "average true range with Wilder smoothing (TA-Lib ATR)"),
        Op("natr", OperatorCategory.Indicator,
            [S("high", "high"), S("low", "low"), S("close", "close"), W("period", 14)],
            a => At(a, 0), "period", "ATR as a percentage of close (TA-Lib NATR)"),
        Op("obv", OperatorCategory.Indicator, [S("close", "close"), S("volume", "volume")], _ => 0, "0",
            "on-balance volume (TA-Lib OBV)"),
        Op("mfi", OperatorCategory.Indicator,
            [S("high", "high"), S("low", "low"), S("close", "close"), S("volume", "volume"), W("period", 14)],
            a => At(a, 0), "period", "money flow index (TA-Lib MFI)"),
        Op("bop", OperatorCategory.Indicator,
            [S("open", "open"), S("high", "high"), S("low", "low"), S("close", "close")], _ => 0, "0",
            "balance of power: (close - open) / (high - low) (TA-Lib BOP)"),
        Op("xs_rank", OperatorCategory.CrossSectional, [S("x")], _ => 0, "0",
            "rank among assets with a value at this bar, 1 = lowest; ties share the mean rank"),
        Op("xs_percentile", OperatorCategory.CrossSectional, [S("x")], _ => 0, "0",
            "rank / count among assets with a value, in (0, 1]; NaN where x is NaN"),
        Op("xs_zscore", OperatorCategory.CrossSectional, [S("x")], _ => 0, "0",
            "(x - cross-sectional mean) / cross-sectional standard deviation"),
        Op("xs_demean", OperatorCategory.CrossSectional, [S("x")], _ => 0, "0", "x - cross-sectional mean"),
        Op("xs_quantile", OperatorCategory.CrossSectional,
            [S("x"), I("bins", 10, 2), new ArgumentSpec("scope", ArgumentType.Text, ScalarValue.Of("timestamp"),
                Choices: ["timestamp", "date"])],
            _ => 0, "0", "quantile bucket 1..bins of x, per timestamp or per calendar date"),
        Op("forward", OperatorCategory.Forward, [S("x"), W("h", 1)], a => At(a, 0), "h (at the end)",
            "x from h bars later"),
        Op("forward_return", OperatorCategory.Forward, [S("x", "close"), W("h", 1)], a => At(a, 0),
            "h (at the end)", "x[t+h] / x[t] - 1"),
        Op("forward_log_return", OperatorCategory.Forward, [S("x", "close"), W("h", 1)], a => At(a, 0),
            "h (at the end)", "log(x[t+h] / x[t])"),
        Op("forward_mean", OperatorCategory.Forward, [S("x"), W("h", 1)], a => At(a, 0), "h (at the end)",
            "mean of x over bars t+1 .. t+h (a forward aggregated score)"),
    ];

    private static readonly FrozenDictionary<string, OperatorSpec> ByName =
        All.ToFrozenDictionary(o => o.Name, StringComparer.Ordinal);

    /// <summary>Returns the operator of that name, or null.</summary>
    public static OperatorSpec? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>Data columns every data set has.</summary>
    public static ImmutableArray<string> StandardColumns { get; } = ["open", "high", "low", "close", "volume"];

    /// <summary>Optional columns a data set may have; the runtime refuses a plan needing one its data lacks.</summary>
    public static ImmutableArray<string> ExtraColumns { get; } =
        ["market_cap", "funding_rate", "open_interest", "trades", "quote_volume", "taker_buy_volume"];
}

/// <summary>Model kinds, training schemes and order policies, with their arguments and defaults.</summary>
public static class ModelCatalogue
{
    private static ArgumentSpec Int(string n, double d, double min = 0) => new(n, ArgumentType.Integer, ScalarValue.Of(d), Min: min);
    private static ArgumentSpec Num(string n, double d) => new(n, ArgumentType.Number, ScalarValue.Of(d));
    private static ArgumentSpec Bool(string n, bool d) => new(n, ArgumentType.Boolean, ScalarValue.Of(d ? 1 : 0));
    private static ArgumentSpec Txt(string n, string d, params string[] choices) =>
        new(n, ArgumentType.Text, ScalarValue.Of(d), Choices: [.. choices]);
    private static ArgumentSpec Win(string n, double? d) =>
        new(n, ArgumentType.Window, d is { } v ? ScalarValue.Of(v) : null, Min: 0);
    private static readonly ArgumentSpec Inputs = new("inputs", ArgumentType.SeriesList);

    /// <summary>Model kinds: lstm, gbdt, linear, and ensemble (of different models).</summary>
    public static ImmutableArray<ConfigSpec> Models { get; } =
    [
        new("lstm",
        [
            Inputs, Int("window", 90, 1), Int("hidden", 25, 1), Int("layers", 1, 1), Num("dropout", 0),
            Bool("batch_norm", false), Int("head", 0), Num("head_dropout", 0),
            Txt("objective", "regression", "regression", "binary", "multiclass"), Int("classes", 2, 2),
            Num("lr", 0.001), Num("weight_decay", 0), Int("batch", 32, 1), Int("epochs", 10, 0), Int("steps", 0),
            Num("clip", 0), Int("early_stopping", 0), Int("ensemble", 1, 1), Int("seed", 42),
        ], "stacked LSTM over a window of past bars of each input, with a dense head"),
        new("gbdt",
        [
            Inputs, Txt("objective", "regression", "regression", "binary", "multiclass"), Int("classes", 2, 2),
            Int("rounds", 100, 1), Num("lr", 0.1), Int("leaves", 31, 2), Int("max_depth", -1, -1),
            Int("min_leaf", 20, 1), Num("l2", 0), Num("min_gain", 0), Num("feature_fraction", 1),
            Num("bagging_fraction", 1), Int("bins", 255, 2), Int("early_stopping", 0), Int("ensemble", 1, 1),
            Int("seed", 42),
        ], "histogram gradient-boosted trees, leaf-wise growth"),
        new("linear",
        [
            Inputs, Txt("objective", "regression", "regression", "binary"), Num("l2", 1), Int("seed", 42),
        ], "ridge regression, or logistic regression for a binary objective"),
        new("ensemble",
        [
            new("members", ArgumentType.ModelList), new("weights", ArgumentType.NumberList),
            Bool("fit_weights", false),
        ], "weighted average of other models' predictions; weights fixed or fitted on validation data"),
    ];

    /// <summary>Training schemes; lengths are windows (bars or durations).</summary>
    public static ImmutableArray<ConfigSpec> TrainingSchemes { get; } =
    [
        new("walk_forward",
            [Win("train", null), Win("test", null), Win("purge", 0), Win("embargo", 0), Win("retrain", 0), Win("validation", 0)],
            "fixed-length training window rolled forward; retrain 0 means every test period"),
        new("expanding",
            [Win("train", null), Win("test", null), Win("purge", 0), Win("embargo", 0), Win("retrain", 0), Win("validation", 0)],
            "training window anchored at the start, train is its minimum length"),
    ];

    /// <summary>Order policies of the <c>execution</c> statement.</summary>
    public static ImmutableArray<ConfigSpec> ExecutionPolicies { get; } =
    [
        new("market", [], "market orders"),
        new("limit_maker",
        [
            Num("offset", 0.0005), new("timeout", ArgumentType.Duration, ScalarValue.Of(30), Min: 0),
            Int("retries", 4), Num("shrink", 0.5),
        ], "post-only limit orders offset from the touch; on timeout re-quote with the offset times shrink"),
    ];

    /// <summary>Returns the model kind of that name, or null.</summary>
    public static ConfigSpec? FindModel(string name) => Models.FirstOrDefault(m => m.Name == name);

    /// <summary>Returns the training scheme of that name, or null.</summary>
    public static ConfigSpec? FindTrainingScheme(string name) => TrainingSchemes.FirstOrDefault(m => m.Name == name);

    /// <summary>Returns the order policy of that name, or null.</summary>
    public static ConfigSpec? FindExecutionPolicy(string name) => ExecutionPolicies.FirstOrDefault(m => m.Name == name);
}
