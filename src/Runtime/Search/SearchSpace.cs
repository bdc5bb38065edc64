using System.Collections.Immutable;
using System.Text.Json.Serialization;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Search;

/// <summary>Where a parameter's values are drawn from.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(IntDistribution), "int")]
[JsonDerivedType(typeof(FloatDistribution), "float")]
[JsonDerivedType(typeof(CategoricalDistribution), "categorical")]
public abstract record Distribution
{
    /// <summary>True when <paramref name="value"/> is one this distribution can give.</summary>
    public abstract bool Contains(ScalarValue value);
}

/// <summary>Whole numbers <see cref="Low"/>..<see cref="High"/> (inclusive) on a grid of <see cref="Step"/>, searched on a log scale when <see cref="Log"/>.</summary>
public sealed record IntDistribution(long Low, long High, long Step = 1, bool Log = false) : Distribution
{
    /// <inheritdoc />
    public override bool Contains(ScalarValue value) =>
        !value.IsText && value.Number >= Low && value.Number <= High && value.Number == Math.Floor(value.Number)
        && ((long)value.Number - Low) % Step == 0;
}

/// <summary>Real numbers <see cref="Low"/>..<see cref="High"/> (inclusive), on a grid of <see cref="Step"/> when given, searched on a log scale when <see cref="Log"/>.</summary>
public sealed record FloatDistribution(double Low, double High, double? Step = null, bool Log = false) : Distribution
{
    /// <inheritdoc />
    public override bool Contains(ScalarValue value) =>
        !value.IsText && value.Number >= Low && value.Number <= High
        && (Step is not { } s || Math.Abs(Math.Round((value.Number - Low) / s) * s - (value.Number - Low)) <= 1e-9 * Math.Max(1, Math.Abs(s)));
}

/// <summary>One of listed values (numbers or text), without order.</summary>
public sealed record CategoricalDistribution(ImmutableArray<ScalarValue> Choices) : Distribution
{
    /// <inheritdoc />
    public override bool Contains(ScalarValue value) => Choices.Contains(value);

    /// <inheritdoc />
    public bool Equals(CategoricalDistribution? other) => other is not null && Choices.SequenceEqual(other.Choices);

    /// <inheritdoc />
    public override int GetHashCode() => Choices.Aggregate(0, (h, c) => HashCode.Combine(h, c));
}

/// <summary>A parameter is searched only while another has one of the listed values (e.g. <c>ema_span</c> when <c>kind = "ema"</c>).</summary>
public sealed record ParameterCondition(string Parameter, ImmutableArray<ScalarValue> Values)
{
    /// <inheritdoc />
    public bool Equals(ParameterCondition? other) => other is not null && Parameter == other.Parameter && Values.SequenceEqual(other.Values);

    /// <inheritdoc />
    public override int GetHashCode() => Values.Aggregate(Parameter.GetHashCode(StringComparison.Ordinal), (h, c) => HashCode.Combine(h, c));
}

/// <summary>A searched parameter: its name, its distribution and, for a conditional one, when it is active.</summary>
public sealed record SearchParameter(string Name, Distribution Distribution, ParameterCondition? When = null);

/// <summary>
/// The parameters a study searches, in a fixed order (conditions refer only to parameters before
/// them). A trial's parameters hold a value for every active parameter and none for an inactive one.
/// </summary>
public sealed record SearchSpace(ImmutableArray<SearchParameter> Parameters)
{
    /// <summary>The parameter of that name, or null.</summary>
    public SearchParameter? Find(string name) => Parameters.FirstOrDefault(p => p.Name == name);

    /// <summary>True when <paramref name="parameter"/> is active given the values chosen so far.</summary>
    public static bool IsActive(SearchParameter parameter, IReadOnlyDictionary<string, ScalarValue> chosen)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(chosen);
        return parameter.When is not { } c || (chosen.TryGetValue(c.Parameter, out var v) && c.Values.Contains(v));
    }

    /// <inheritdoc />
    public bool Equals(SearchSpace? other) => other is not null && Parameters.SequenceEqual(other.Parameters);

    /// <inheritdoc />
    public override int GetHashCode() => Parameters.Aggregate(0, (h, p) => HashCode.Combine(h, p));
}
