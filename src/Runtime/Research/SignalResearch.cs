using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using StrategyLab.Runtime.Compute;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Data.Csv;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Research;

/// <summary>What to evaluate; a member left null takes the strategy's own choice.</summary>
public sealed record SignalEvaluationOptions
{
    /// <summary>A <c>let</c> or <c>signal</c> by name; null for the series the portfolio trades on.</summary>
    public string? Signal { get; init; }

    /// <summary>Quantile bins (at least 2); null for the quantile leg's bins, or 10 without one.</summary>
    public int? Bins { get; init; }

    /// <summary>Across assets per timestamp, or across the bars of a UTC date; null for the portfolio's scope.</summary>
    public QuantileScope? Scope { get; init; }

    /// <summary>Bars ahead of the forward return <c>forward_return(close, horizon)</c>.</summary>
    public int Horizon { get; init; } = 1;

    /// <summary>A <c>label</c> by name to use instead of the forward return, or null.</summary>
    public string? Label { get; init; }
}

/// <summary>A strategy's signal evaluated against what followed it.</summary>
/// <param name="Strategy">The strategy's name.</param>
/// <param name="Dataset">The dataset.</param>
/// <param name="Signal">The evaluated series: a let or signal name, or <c>portfolio signal</c> for an unnamed one.</param>
/// <param name="Target">What it was measured against, e.g. <c>forward_return(close, 1)</c> or <c>label up</c>.</param>
/// <param name="From">The first evaluated bar (UTC).</param>
/// <param name="To">The last evaluated bar (UTC).</param>
/// <param name="Assets">Assets of the dataset.</param>
/// <param name="Parameters">Every parameter's value.</param>
/// <param name="Analysis">Quantiles, spread, IC and directional accuracy.</param>
public sealed record SignalEvaluation(
    string Strategy,
    string Dataset,
    string Signal,
    string Target,
    string From,
    string To,
    int Assets,
    ImmutableSortedDictionary<string, string> Parameters,
    SignalAnalysisResult Analysis);

/// <summary>
/// Evaluates a plan's signal over a panel with <see cref="SignalAnalysis"/>: parameters resolved as
/// a backtest resolves them, the series computed by <see cref="BatchEvaluator"/> over the whole
/// history (so indicators are warm), the signal masked to the universe, then analysed over the
/// requested period. The forward return at the period's last bars reads prices after the period.
/// </summary>
public static class SignalResearch
{
    /// <summary>The name given to a portfolio signal that the source did not name.</summary>
    public const string UnnamedSignal = "portfolio signal";

    /// <summary>Bins when the strategy has no quantile leg.</summary>
    public const int DefaultBinCount = 10;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The names <see cref="SignalEvaluationOptions.Signal"/> accepts: every <c>let</c> and <c>signal</c> series.</summary>
    public static ImmutableArray<string> SignalChoices(StrategyPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return [.. plan.Named.Where(n => n.Role != SeriesRole.Label).Select(n => n.Name)];
    }

    /// <summary>The names <see cref="SignalEvaluationOptions.Label"/> accepts.</summary>
    public static ImmutableArray<string> LabelChoices(StrategyPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return [.. plan.Named.Where(n => n.Role == SeriesRole.Label).Select(n => n.Name)];
    }

    /// <summary>
    /// The series the portfolio trades on: the signal of its first ranked or quantile leg, else (for
    /// threshold legs) the strategy's only <c>signal</c>; null when there is no such series.
    /// </summary>
    public static (string Name, int Node)? PortfolioSignal(StrategyPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        foreach (var leg in plan.Portfolio.Legs)
        {
            var node = leg switch
            {
                RankLeg r => r.Signal,
                QuantileLeg q => q.Signal,
                _ => -1,
            };
            if (node >= 0)
                return (plan.Named.FirstOrDefault(n => n.Node == node && n.Role != SeriesRole.Label)?.Name ?? UnnamedSignal, node);
        }
        var signals = plan.Named.Where(n => n.Role == SeriesRole.Signal).ToList();
        return signals.Count == 1 ? (signals[0].Name, signals[0].Node) : null;
    }

    /// <summary>The bins of the strategy's first quantile leg, or <see cref="DefaultBinCount"/>.</summary>
    public static int DefaultBins(StrategyPlan plan, IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var leg = plan.Portfolio.Legs.OfType<QuantileLeg>().FirstOrDefault();
        return leg is null ? DefaultBinCount : (int)leg.Bins.EvaluateNumber(parameters);
    }

    /// <summary>
    /// Evaluates the signal <paramref name="options"/> name (or the portfolio's) over bars
    /// [<paramref name="start"/>, <paramref name="end"/>) of a panel at the plan's bar, masked to <paramref name="universe"/>.
    /// </summary>
    /// <exception cref="PlanException">The plan, its options or the data do not allow the evaluation; the message says why.</exception>
    /// <remarks>A plan whose signal reads models needs their out-of-sample predictions in <paramref name="modelOutputs"/>.</remarks>
    internal static SignalEvaluation Evaluate(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters, bool[]? universe,
        int start, int end, SignalEvaluationOptions options, IReadOnlyDictionary<string, double[]>? modelOutputs = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Check(plan, options);
        var (name, node) = Signal(plan, options.Signal);
        var label = options.Label is { } l ? Label(plan, l) : (int?)null;
        var bins = options.Bins ?? DefaultBins(plan, parameters);
        if (bins < 2)
            throw new PlanException($"the quantile leg has {bins} bin(s); evaluating it needs at least 2 (set --bins)");
        if (label is null && (options.Horizon < 1 || options.Horizon >= panel.TimeCount))
            throw new PlanException($"--horizon: expected 1 to {panel.TimeCount - 1} bars for dataset '{panel.Name}', found {options.Horizon}");

        var a = panel.AssetCount;
        var values = BatchEvaluator.Evaluate(plan, panel, parameters, label is { } root ? [node, root] : [node], modelOutputs);
        var signal = values[node]!.ToArray();
        if (universe is not null)
        {
            for (var i = 0; i < signal.Length; i++)
            {
                if (!universe[i])
                    signal[i] = double.NaN;
            }
        }
        double[] forward;
        if (label is { } labelNode)
        {
            forward = values[labelNode]!;
        }
        else
        {
            forward = new double[signal.Length];
            Forward.Return(panel.Column("close"), forward, a, options.Horizon);
        }

        var scope = options.Scope ?? plan.Portfolio.Scope;
        var analysis = SignalAnalysis.Analyze(
            signal.AsSpan((start * a)..(end * a)), forward.AsSpan((start * a)..(end * a)), a, panel.Times[start..end], bins, scope);
        return new SignalEvaluation(
            plan.Name,
            panel.Name,
            name,
            options.Label is { } target ? $"label {target}" : $"forward_return(close, {options.Horizon.ToString(CultureInfo.InvariantCulture)})",
            TimeParser.Format(panel.Times[start]),
            TimeParser.Format(panel.Times[end - 1]),
            a,
            parameters.ToImmutableSortedDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal),
            analysis);
    }

    /// <summary>Checks what can be checked before any data is read: the signal, the label, the bins and the horizon.</summary>
    /// <exception cref="PlanException">One of them is not valid for <paramref name="plan"/>; the message names the valid choices.</exception>
    public static void Check(StrategyPlan plan, SignalEvaluationOptions options)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Bins is < 2)
            throw new PlanException($"--bins: expected at least 2 bins, found {options.Bins}");
        if (options.Horizon < 1)
            throw new PlanException($"--horizon: expected at least 1 bar, found {options.Horizon}");
        Signal(plan, options.Signal);
        if (options.Label is { } label)
            Label(plan, label);
    }

    /// <summary>
    /// The analysis a backtest reports: the portfolio's signal against the next bar's return, in the
    /// quantile leg's bins (at least 2) or 10; null when the portfolio trades on no single signal.
    /// </summary>
    internal static SignalAnalysisResult? AnalyzePortfolioSignal(StrategyPlan plan, Panel panel, IReadOnlyDictionary<string, ScalarValue> parameters,
        bool[]? universe, int start, int end, IReadOnlyDictionary<string, double[]>? modelOutputs = null)
    {
        if (PortfolioSignal(plan) is null)
            return null;
        var bins = Math.Max(2, DefaultBins(plan, parameters));
        return Evaluate(plan, panel, parameters, universe, start, end, new SignalEvaluationOptions { Bins = bins }, modelOutputs).Analysis;
    }

    /// <summary>The evaluation as indented JSON with snake_case names; NaN is written as <c>"NaN"</c>.</summary>
    public static byte[] ToJson(SignalEvaluation evaluation) => JsonSerializer.SerializeToUtf8Bytes(evaluation, Json);

    private static (string Name, int Node) Signal(StrategyPlan plan, string? name)
    {
        var choices = string.Join(", ", SignalChoices(plan));
        if (name is null)
        {
            return PortfolioSignal(plan) ?? throw new PlanException(choices.Length == 0
                ? $"strategy '{plan.Name}' has no signal its portfolio trades on, and no let or signal to evaluate instead"
                : $"strategy '{plan.Name}' has no signal its portfolio trades on; pick one with --signal: {choices}");
        }
        var named = plan.Named.FirstOrDefault(n => n.Name == name && n.Role != SeriesRole.Label);
        if (named is not null)
            return (named.Name, named.Node);
        throw new PlanException(choices.Length == 0
            ? $"--signal {name}: strategy '{plan.Name}' has no let or signal to evaluate"
            : $"--signal {name}: strategy '{plan.Name}' has no let or signal '{name}'; choose one of {choices}");
    }

    private static int Label(StrategyPlan plan, string name)
    {
        var named = plan.Named.FirstOrDefault(n => n.Name == name && n.Role == SeriesRole.Label);
        if (named is not null)
            return named.Node;
        var choices = LabelChoices(plan);
        throw new PlanException(choices.IsEmpty
            ? $"--label {name}: strategy '{plan.Name}' has no labels"
            : $"--label {name}: strategy '{plan.Name}' has no label '{name}'; choose one of {string.Join(", ", choices)}");
    }
}
