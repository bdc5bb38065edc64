using System.Collections.Immutable;
using System.Globalization;

namespace StrategyLab.Runtime.Search;

/// <summary>
/// The trials of a multi-objective study that no other trial beats in every objective at once
/// (e.g. Sharpe up, max drawdown down), and the dominance test behind it.
/// </summary>
public static class ParetoFront
{
    /// <summary>
    /// The complete trials with finite values in every objective (and, when <paramref name="constraints"/> is given,
    /// satisfying all of them) that no other such trial dominates, in trial-number order. Trials with equal
    /// values are all kept.
    /// </summary>
    public static IReadOnlyList<FrozenTrial> Of(IReadOnlyList<FrozenTrial> trials, IReadOnlyList<Direction> directions, ConstraintSet? constraints = null)
    {
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(directions);
        var candidates = trials
            .Where(t => t.State == TrialState.Complete && t.Values.Length == directions.Count && t.Values.All(double.IsFinite))
            .Where(t => constraints is null || constraints.IsSatisfiedBy(t))
            .OrderBy(t => t.Number)
            .ToList();
        var losses = candidates.Select(t => Losses(t.Values.AsSpan(), directions)).ToList();
        var front = new List<FrozenTrial>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var dominated = false;
            for (var j = 0; j < candidates.Count && !dominated; j++)
                dominated = j != i && Dominates(losses[j], losses[i]);
            if (!dominated)
                front.Add(candidates[i]);
        }
        return front;
    }

    /// <summary>True when values <paramref name="a"/> dominate <paramref name="b"/>: no worse in any objective, better in one.</summary>
    public static bool Dominates(ReadOnlySpan<double> a, ReadOnlySpan<double> b, IReadOnlyList<Direction> directions)
    {
        ArgumentNullException.ThrowIfNull(directions);
        return Dominates(Losses(a, directions), Losses(b, directions));
    }

    /// <summary>Dominance between loss vectors (every objective minimised).</summary>
    internal static bool Dominates(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var better = false;
        for (var j = 0; j < a.Length; j++)
        {
            if (a[j] > b[j])
                return false;
            better |= a[j] < b[j];
        }
        return better;
    }

    /// <summary>
    /// The non-domination rank of each loss vector: 0 for the front, 1 for the front of the rest, and so on.
    /// </summary>
    internal static int[] Ranks(IReadOnlyList<double[]> losses)
    {
        var ranks = Enumerable.Repeat(-1, losses.Count).ToArray();
        var left = losses.Count;
        for (var rank = 0; left > 0; rank++)
        {
            var current = new List<int>();
            for (var i = 0; i < losses.Count; i++)
            {
                if (ranks[i] != -1)
                    continue;
                var dominated = false;
                for (var j = 0; j < losses.Count && !dominated; j++)
                    dominated = j != i && ranks[j] == -1 && Dominates(losses[j], losses[i]);
                if (!dominated)
                    current.Add(i);
            }
            foreach (var i in current)
                ranks[i] = rank;
            left -= current.Count;
        }
        return ranks;
    }

    /// <summary>Values turned into losses: maximised objectives negated, so lower is better everywhere.</summary>
    internal static double[] Losses(ReadOnlySpan<double> values, IReadOnlyList<Direction> directions)
    {
        if (values.Length != directions.Count)
            throw new ArgumentException($"expected {directions.Count} objective values, found {values.Length}");
        var losses = new double[values.Length];
        for (var j = 0; j < values.Length; j++)
            losses[j] = directions[j] == Direction.Maximize ? -values[j] : values[j];
        return losses;
    }
}

/// <summary>How a <see cref="Constraint"/> compares its metric with its bound.</summary>
public enum ConstraintOperator
{
    /// <summary>metric &lt; bound.</summary>
    Less,
    /// <summary>metric ≤ bound (written <c>&lt;=</c>).</summary>
    LessOrEqual,
    /// <summary>metric &gt; bound.</summary>
    Greater,
    /// <summary>metric ≥ bound (written <c>&gt;=</c>).</summary>
    GreaterOrEqual,
    /// <summary>metric = bound (written <c>==</c>).</summary>
    Equal,
}

/// <summary>
/// A bar a trial's metric must clear, e.g. <c>maxdd &lt; 0.25</c>: the metric's name, a comparison and a
/// number. Parsed from text "NAME OP NUMBER" by <see cref="ConstraintSet.Parse(IEnumerable{string})"/>.
/// </summary>
public sealed record Constraint(string Metric, ConstraintOperator Operator, double Bound)
{
    /// <summary>The operator as written: &lt;, &lt;=, &gt;, &gt;= or ==.</summary>
    public string OperatorText => Operator switch
    {
        ConstraintOperator.Less => "<",
        ConstraintOperator.LessOrEqual => "<=",
        ConstraintOperator.Greater => ">",
        ConstraintOperator.GreaterOrEqual => ">=",
        ConstraintOperator.Equal => "==",
        _ => throw new InvalidOperationException($"unknown constraint operator {Operator}"),
    };

    /// <summary>Checks the metric's value among <paramref name="metrics"/>; a missing or NaN metric fails with an infinite violation.</summary>
    public ConstraintCheck Check(IReadOnlyDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (!metrics.TryGetValue(Metric, out var x) || double.IsNaN(x))
            return new ConstraintCheck(this, null, false, double.PositiveInfinity);
        var satisfied = Operator switch
        {
            ConstraintOperator.Less => x < Bound,
            ConstraintOperator.LessOrEqual => x <= Bound,
            ConstraintOperator.Greater => x > Bound,
            ConstraintOperator.GreaterOrEqual => x >= Bound,
            _ => x == Bound,
        };
        return new ConstraintCheck(this, x, satisfied, satisfied ? 0 : Math.Abs(x - Bound));
    }

    /// <summary>The constraint as text that parses back to it, e.g. <c>maxdd &lt; 0.25</c>.</summary>
    public override string ToString() => $"{Metric} {OperatorText} {Bound.ToString("R", CultureInfo.InvariantCulture)}";
}

/// <summary>
/// One constraint checked on one trial's metrics: the metric's value (null when missing), whether the bar
/// is cleared, and by how much it is missed (|metric − bound|, 0 when cleared, infinite when the metric is
/// missing). A strict bound met with equality fails with violation 0.
/// </summary>
public sealed record ConstraintCheck(Constraint Constraint, double? Value, bool Satisfied, double Violation);

/// <summary>
/// The bars a trial must clear to count as feasible, e.g. seed 001's acceptance bar
/// <c>sharpe &gt; 1</c>, <c>mar &gt;= 0.5</c>, <c>maxdd &lt; 0.25</c>. Constraints read the metrics a trial stores
/// in its attributes (<see cref="TrialMetrics"/>), so a different bar can be applied to a finished study.
/// </summary>
public sealed class ConstraintSet
{
    /// <summary>Creates a set of the given constraints.</summary>
    public ConstraintSet(IEnumerable<Constraint> constraints) => Constraints = [.. constraints];

    /// <summary>The constraints, in the order given.</summary>
    public ImmutableArray<Constraint> Constraints { get; }

    /// <summary>The empty set: every trial is feasible.</summary>
    public static ConstraintSet None { get; } = new([]);

    /// <summary>The constraints as one line, joined by "and" (empty for none): how a study keeps them.</summary>
    public override string ToString() => string.Join(" and ", Constraints);

    /// <summary>Reads the text <see cref="ToString"/> writes (constraints joined by "and"; also by ";", "," or lines).</summary>
    /// <exception cref="FormatException">A constraint that does not parse, in one line.</exception>
    public static ConstraintSet Read(string text)
    {
        var parts = (text ?? "").Split([" and ", ";", ",", "\n"], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Length == 0 ? None : Parse(parts);
    }

    /// <summary>
    /// Parses each text as "NAME OP NUMBER" (OP one of &lt; &lt;= &gt; &gt;= ==; NUMBER in invariant culture,
    /// a trailing % dividing it by 100); throws <see cref="FormatException"/> with a one-line message for the
    /// first bad text. Metric names are not checked here: the caller knows which exist.
    /// </summary>
    public static ConstraintSet Parse(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var parsed = new List<Constraint>();
        foreach (var text in texts)
            parsed.Add(TryParse(text, out var c, out var error) ? c : throw new FormatException(error));
        return new ConstraintSet(parsed);
    }

    /// <summary>Parses one constraint; on failure <paramref name="error"/> says, in one line, what is wrong.</summary>
    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Constraint? constraint, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        constraint = null;
        error = null;
        text ??= "";
        var shown = text.Trim();
        var i = SkipSpace(text, 0);
        if (i == text.Length)
        {
            error = "constraint is empty; expected NAME OP NUMBER, e.g. 'maxdd < 0.25'";
            return false;
        }
        var nameStart = i;
        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '.'))
            i++;
        var name = text[nameStart..i];
        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_'))
        {
            error = $"constraint '{shown}': expected a metric name at the start, found '{Token(text, nameStart)}'";
            return false;
        }
        i = SkipSpace(text, i);
        var op = ReadOperator(text, ref i);
        if (op is null)
        {
            error = $"constraint '{shown}': expected one of < <= > >= == after '{name}', found '{Token(text, i)}'";
            return false;
        }
        i = SkipSpace(text, i);
        var numberText = text[i..].TrimEnd();
        var percent = numberText.EndsWith('%');
        if (percent)
            numberText = numberText[..^1].TrimEnd();
        if (numberText.Length == 0 || !double.TryParse(numberText, NumberStyles.Float, CultureInfo.InvariantCulture, out var bound) || !double.IsFinite(bound))
        {
            error = $"constraint '{shown}': expected a number after '{name} {ToText(op.Value)}', found '{(numberText.Length == 0 ? "nothing" : numberText)}'";
            return false;
        }
        constraint = new Constraint(name, op.Value, percent ? bound / 100 : bound);
        return true;
    }

    /// <summary>Checks every constraint on <paramref name="metrics"/>.</summary>
    public ImmutableArray<ConstraintCheck> Check(IReadOnlyDictionary<string, double> metrics) => [.. Constraints.Select(c => c.Check(metrics))];

    /// <summary>True when <paramref name="metrics"/> clear every bar.</summary>
    public bool IsSatisfiedBy(IReadOnlyDictionary<string, double> metrics) => Constraints.All(c => c.Check(metrics).Satisfied);

    /// <summary>True when the metrics stored in <paramref name="trial"/>'s attributes clear every bar.</summary>
    public bool IsSatisfiedBy(FrozenTrial trial) => Constraints.IsEmpty || IsSatisfiedBy(TrialMetrics.Read(trial));

    /// <summary>
    /// The total violation of the metrics stored in <paramref name="trial"/>: 0 when feasible, the sum of
    /// the missed margins otherwise (a strict bound met with equality counts the smallest positive number,
    /// so the trial still ranks as infeasible), infinite when a metric is missing.
    /// </summary>
    public double Violation(FrozenTrial trial)
    {
        if (Constraints.IsEmpty)
            return 0;
        var metrics = TrialMetrics.Read(trial);
        double total = 0;
        foreach (var c in Constraints)
        {
            var check = c.Check(metrics);
            if (!check.Satisfied)
                total += Math.Max(check.Violation, double.Epsilon);
        }
        return total;
    }

    private static int SkipSpace(string text, int i)
    {
        while (i < text.Length && char.IsWhiteSpace(text[i]))
            i++;
        return i;
    }

    private static string Token(string text, int i)
    {
        if (i >= text.Length)
            return "nothing";
        var end = i;
        while (end < text.Length && !char.IsWhiteSpace(text[end]))
            end++;
        return text[i..end];
    }

    private static ConstraintOperator? ReadOperator(string text, ref int i)
    {
        var rest = text.AsSpan(i);
        (string Text, ConstraintOperator Op)[] operators =
            [("<=", ConstraintOperator.LessOrEqual), (">=", ConstraintOperator.GreaterOrEqual), ("==", ConstraintOperator.Equal), ("<", ConstraintOperator.Less), (">", ConstraintOperator.Greater)];
        foreach (var (t, op) in operators)
            if (rest.StartsWith(t, StringComparison.Ordinal))
            {
                // '<>' or '=<' are not operators: the operator must be followed by the number
                if (rest.Length > t.Length && rest[t.Length] is '<' or '>' or '=')
                    return null;
                i += t.Length;
                return op;
            }
        return null;
    }

    private static string ToText(ConstraintOperator op) => new Constraint("", op, 0).OperatorText;
}

/// <summary>The best trial of a study: the best complete trial that clears every constraint.</summary>
public static class BestTrial
{
    /// <summary>
    /// The complete trial with the best finite value of objective <paramref name="objective"/> among those
    /// clearing every constraint (ties to the lowest number), or null when none does.
    /// </summary>
    public static FrozenTrial? Select(IReadOnlyList<FrozenTrial> trials, Direction direction, ConstraintSet? constraints = null, int objective = 0)
    {
        ArgumentNullException.ThrowIfNull(trials);
        FrozenTrial? best = null;
        foreach (var t in trials.OrderBy(t => t.Number))
        {
            if (t.State != TrialState.Complete || t.Values.Length <= objective || !double.IsFinite(t.Values[objective]))
                continue;
            if (constraints is not null && !constraints.IsSatisfiedBy(t))
                continue;
            if (best is null || (direction == Direction.Maximize ? t.Values[objective] > best.Values[objective] : t.Values[objective] < best.Values[objective]))
                best = t;
        }
        return best;
    }
}
