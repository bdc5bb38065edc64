using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace StrategyLab.Runtime.Plan;

/// <summary>A bar interval such as <c>1m</c>, <c>4h</c> or <c>1d</c>, with its length in seconds.</summary>
public sealed record BarInterval(string Text, int Seconds)
{
    /// <summary>The intervals a strategy may declare with <c>bar</c>.</summary>
    public static readonly ImmutableArray<string> Supported =
        ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "1w"];

    /// <summary>Returns the seconds in one unit: s, m, h, d or w; 0 for anything else.</summary>
    public static int UnitSeconds(char unit) => unit switch
    {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86400,
        'w' => 604800,
        _ => 0,
    };
}

/// <summary>A strategy parameter's type.</summary>
public enum ParameterKind
{
    /// <summary>Whole numbers in a range, e.g. <c>param k = 5 in 3..10</c>.</summary>
    Integer,
    /// <summary>Real numbers in a range, optionally log-scaled for search.</summary>
    Real,
    /// <summary>One of listed values, e.g. <c>param kind = "sma" in ["sma", "ema"]</c>.</summary>
    Choice,
    /// <summary>A feature flag: true (1) or false (0).</summary>
    Boolean,
    /// <summary>A constant that searches never vary (no range given).</summary>
    Fixed,
}

/// <summary>
/// A parameter: its default, and the search space a study draws from. Durations are in seconds,
/// percentages and basis points are fractions.
/// </summary>
/// <param name="When">
/// When a search varies the parameter (e.g. <c>ema_span</c> only when <c>kind = "ema"</c>), or null
/// for always; absent from the canonical JSON when null, so plans without conditions keep their hashes.
/// </param>
public sealed record ParameterSpec(
    string Name,
    ParameterKind Kind,
    ScalarValue Default,
    double? Min,
    double? Max,
    double? Step,
    bool LogScale,
    ImmutableArray<ScalarValue> Choices,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ParameterActivation? When = null);

/// <summary>
/// A parameter matters only while an earlier parameter with choices has one of <see cref="Values"/>:
/// a search leaves it out otherwise, and a run keeps its default.
/// </summary>
public sealed record ParameterActivation(string Parameter, ImmutableArray<ScalarValue> Values)
{
    /// <inheritdoc />
    public bool Equals(ParameterActivation? other) => other is not null && Parameter == other.Parameter && Values.SequenceEqual(other.Values);

    /// <inheritdoc />
    public override int GetHashCode() => Values.Aggregate(Parameter.GetHashCode(StringComparison.Ordinal), (h, c) => HashCode.Combine(h, c));
}

/// <summary>Which assets the strategy may hold.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind")]
[JsonDerivedType(typeof(AllAssetsUniverse), "all")]
[JsonDerivedType(typeof(FixedUniverse), "fixed")]
[JsonDerivedType(typeof(TopUniverse), "top")]
public abstract record UniverseSpec;

/// <summary>Every asset of the data set.</summary>
public sealed record AllAssetsUniverse : UniverseSpec;

/// <summary>A fixed list of symbols, e.g. <c>universe ["BTCUSDT", "ETHUSDT"]</c>.</summary>
public sealed record FixedUniverse(ImmutableArray<string> Symbols) : UniverseSpec;

/// <summary>
/// The top <see cref="Count"/> assets by a column, re-selected every <see cref="EveryBars"/> bars
/// (null: at each rebalance) using only data known at that time.
/// </summary>
public sealed record TopUniverse(ScalarExpr Count, string Column, ScalarExpr? EveryBars) : UniverseSpec;

/// <summary>A named series the source declared with <c>let</c>, <c>signal</c> or <c>label</c>.</summary>
public sealed record NamedSeries(string Name, SeriesRole Role, int Node);

/// <summary>What a named series is for.</summary>
public enum SeriesRole
{
    /// <summary>An intermediate series or feature.</summary>
    Let,
    /// <summary>A trading signal.</summary>
    Signal,
    /// <summary>A forward-looking training target; read by model training only.</summary>
    Label,
}

/// <summary>A model or ensemble: kind, inputs, label, hyperparameters, training scheme.</summary>
/// <param name="Name">The name the source gave the model.</param>
/// <param name="Kind">A kind of <see cref="ModelCatalogue"/>: lstm, gbdt, linear or ensemble.</param>
/// <param name="Inputs">Feature nodes, in order, each optionally enabled by a flag expression.</param>
/// <param name="Label">The label node learned, or null for an ensemble with fixed weights.</param>
/// <param name="Hyperparameters">Every hyperparameter of the kind, defaults filled in, in catalogue order.</param>
/// <param name="Training">The walk-forward scheme.</param>
/// <param name="Members">Member models of an ensemble, with their weights (empty otherwise).</param>
/// <param name="FitWeights">True when ensemble weights are fitted on validation data.</param>
/// <param name="Output">The node holding the model's predictions.</param>
public sealed record ModelSpec(
    string Name,
    string Kind,
    ImmutableArray<ModelInput> Inputs,
    int? Label,
    ImmutableArray<NamedArgument> Hyperparameters,
    TrainingSpec Training,
    ImmutableArray<EnsembleMember> Members,
    bool FitWeights,
    int Output);

/// <summary>A model input; <see cref="EnabledWhen"/> is a feature flag expression, null when always on.</summary>
public sealed record ModelInput(int Node, ScalarExpr? EnabledWhen);

/// <summary>A member of an ensemble of different models, with its (initial) weight.</summary>
public sealed record EnsembleMember(string Model, ScalarExpr Weight);

/// <summary>A named argument with its value, e.g. <c>hidden: 25</c>.</summary>
public sealed record NamedArgument(string Name, ScalarExpr Value);

/// <summary>How training windows move through time.</summary>
public enum TrainingScheme
{
    /// <summary>A fixed-length training window rolled forward by <c>retrain</c> bars.</summary>
    WalkForward,
    /// <summary>A training window anchored at the first bar, growing by <c>retrain</c> bars.</summary>
    Expanding,
}

/// <summary>
/// A training scheme, all lengths in bars: train on <see cref="Train"/> bars, skip
/// <see cref="Purge"/> bars (labels overlapping the test period), predict <see cref="Test"/> bars,
/// leave <see cref="Embargo"/> bars after each test period out of later training, and retrain every
/// <see cref="Retrain"/> bars.
/// </summary>
public sealed record TrainingSpec(
    TrainingScheme Scheme,
    ScalarExpr Train,
    ScalarExpr Test,
    ScalarExpr Purge,
    ScalarExpr Embargo,
    ScalarExpr Retrain,
    ScalarExpr Validation);

/// <summary>Long or short.</summary>
public enum Side
{
    /// <summary>Buy.</summary>
    Long,
    /// <summary>Sell short.</summary>
    Short,
}

/// <summary>One leg of the portfolio: which assets are held on one side.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind")]
[JsonDerivedType(typeof(RankLeg), "rank")]
[JsonDerivedType(typeof(QuantileLeg), "quantile")]
[JsonDerivedType(typeof(ThresholdLeg), "threshold")]
public abstract record LegSpec(Side Side);

/// <summary><c>long top k by score</c>: the <see cref="Count"/> assets with the highest (or lowest) signal.</summary>
public sealed record RankLeg(Side Side, bool Top, ScalarExpr Count, int Signal) : LegSpec(Side);

/// <summary><c>long quantile 10 of 10 by score</c>: assets in quantile bucket <see cref="Bucket"/> (1 = lowest).</summary>
public sealed record QuantileLeg(Side Side, ScalarExpr Bucket, ScalarExpr Bins, int Signal) : LegSpec(Side);

/// <summary>
/// <c>long when entry exit when exit</c>: enter where the <see cref="Entry"/> node is non-zero and
/// hold until the <see cref="Exit"/> node is non-zero (null: while entry holds).
/// </summary>
public sealed record ThresholdLeg(Side Side, int Entry, int? Exit) : LegSpec(Side);

/// <summary>How weights are spread over the assets of a leg.</summary>
public enum Weighting
{
    /// <summary>Each asset the same weight.</summary>
    Equal,
    /// <summary>In proportion to the absolute signal.</summary>
    Proportional,
}

/// <summary>Which assets' values quantile buckets are taken over.</summary>
public enum QuantileScope
{
    /// <summary>Across the assets at each timestamp.</summary>
    Timestamp,
    /// <summary>Across every bar of the same calendar date (UTC), for single-asset strategies.</summary>
    Date,
}

/// <summary>Signals to target weights. Gross is the sum of absolute weights; Net the long minus short sum.</summary>
public sealed record PortfolioSpec(
    ImmutableArray<LegSpec> Legs,
    Weighting Weighting,
    QuantileScope Scope,
    ScalarExpr Gross,
    ScalarExpr? Net,
    ScalarExpr Leverage);

/// <summary>
/// When targets are recomputed (every <see cref="EveryBars"/> bars) and the rank hysteresis: a held
/// asset is kept while its rank stays within <see cref="KeepWithinRank"/> (null: full rebalance).
/// A <see cref="Calendar"/> period (written as a duration, <c>every 1w</c>) starts on the calendar as
/// aggregated bars do: weeks on Monday 00:00 UTC, other periods at the UTC epoch's multiples (days at
/// midnight); a count of bars (<c>every 5</c>) counts from the first bar.
/// </summary>
public sealed record RebalanceSpec(
    ScalarExpr EveryBars,
    ScalarExpr? KeepWithinRank,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Calendar = false);

/// <summary>Trading costs as fractions of traded notional; funding is charged from a data column.</summary>
public sealed record CostSpec(ScalarExpr MakerFee, ScalarExpr TakerFee, ScalarExpr Slippage, string? FundingColumn)
{
    /// <summary>The documented default when a strategy has no <c>costs</c>: 10 bps fees, no slippage.</summary>
    public static CostSpec Default { get; } =
        new(new ScalarConst(0.001), new ScalarConst(0.001), new ScalarConst(0), null);
}

/// <summary>A kind of risk limit.</summary>
public enum RiskLimitKind
{
    /// <summary>Largest absolute weight of one asset, as a fraction of NAV.</summary>
    MaxPosition,
    /// <summary>Loss since the start of the UTC day, as a fraction of NAV.</summary>
    DailyLoss,
    /// <summary>Drawdown from the equity peak, as a fraction.</summary>
    MaxDrawdown,
    /// <summary>Gross exposure over NAV.</summary>
    MaxLeverage,
}

/// <summary>What the runtime does when a limit is hit (flags combine: flatten and halt).</summary>
[Flags]
public enum RiskAction
{
    /// <summary>Clip targets to the limit.</summary>
    Clip = 0,
    /// <summary>Close every position.</summary>
    Flatten = 1,
    /// <summary>Open no new positions until the next UTC day.</summary>
    Halt = 2,
    /// <summary>Stop the strategy for good.</summary>
    Stop = 4,
}

/// <summary>A risk limit enforced by the runtime.</summary>
public sealed record RiskLimit(RiskLimitKind Kind, ScalarExpr Threshold, RiskAction Action);

/// <summary>What to do with an order below the venue's minimum notional.</summary>
public enum MinNotionalRule
{
    /// <summary>Do not send it.</summary>
    Skip,
    /// <summary>Round it up to the minimum.</summary>
    RoundUp,
}

/// <summary>Which price a backtest fills a decision at.</summary>
public enum FillTiming
{
    /// <summary>The next bar's open (the default, free of lookahead).</summary>
    NextOpen,
    /// <summary>The signal bar's close; reports say so, as it is optimistic.</summary>
    SignalClose,
}

/// <summary>
/// The order policy (<c>market</c> or <c>limit_maker</c> with its arguments, defaults filled in),
/// the minimum notional rule, the fill timing and a volume participation cap (fraction of bar volume).
/// </summary>
/// <param name="MarketFallback">
/// <c>fallback market</c>: what a limit-maker order's last quote leaves unfilled goes to market (off by
/// default, and not in the canonical JSON of plans without it).
/// </param>
public sealed record ExecutionSpec(
    string Policy,
    ImmutableArray<NamedArgument> Arguments,
    MinNotionalRule MinNotional,
    FillTiming Fill,
    ScalarExpr? Participation,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool MarketFallback = false)
{
    /// <summary>Market orders, skip under minimum notional, next-open fills, no cap.</summary>
    public static ExecutionSpec Default { get; } = new("market", [], MinNotionalRule.Skip, FillTiming.NextOpen, null);
}

/// <summary>A row of the minimal-ROI table: from <see cref="AfterBars"/> bars held, a position is closed at a gain of <see cref="Return"/>.</summary>
public sealed record RoiRow(ScalarExpr AfterBars, ScalarExpr Return);

/// <summary>
/// Per-position exits, from <c>exits stop_loss 5%, take_profit 10%, trailing_stop 3%, max_hold 48h,
/// roi [0: 4%, 30m: 2%, 2h: 0%], cooldown 4h</c>: the stop-loss, take-profit and trailing stop as
/// fractions of the entry price (the trailing stop of the best price since entry), the maximum
/// holding time, the ROI table's times and the cooldown after an exit in bars. A null member (an
/// empty table) is not set.
/// </summary>
public sealed record ExitSpec(
    ScalarExpr? StopLoss,
    ScalarExpr? TakeProfit,
    ScalarExpr? TrailingStop,
    ScalarExpr? MaxHoldBars,
    ImmutableArray<RoiRow> Roi,
    ScalarExpr? CooldownBars);
