using System.Collections;
using System.Collections.Immutable;
using System.Globalization;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Plan;

namespace StrategyLab.Runtime.Runs;

/// <summary>
/// A value for every parameter of one plan, each checked against its declared kind and range: the
/// only form in which parameters reach a run. Built from the defaults, from typed values (a search's
/// trial) or from text (<c>--param k=7</c>); a value the plan cannot take is a <see cref="PlanException"/>.
/// </summary>
public sealed class ParameterSet : IReadOnlyDictionary<string, ScalarValue>
{
    private readonly ImmutableSortedDictionary<string, ScalarValue> _values;

    private ParameterSet(ImmutableSortedDictionary<string, ScalarValue> values) => _values = values;

    /// <summary>Every parameter at its default.</summary>
    public static ParameterSet Defaults(StrategyPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new(plan.Parameters.ToImmutableSortedDictionary(p => p.Name, p => p.Default, StringComparer.Ordinal));
    }

    /// <summary>The defaults with <paramref name="values"/> in their place, each checked; e.g. a search trial's <c>k = 7</c>.</summary>
    /// <exception cref="PlanException">A name the plan lacks, or a value outside the parameter's kind or range.</exception>
    public static ParameterSet Bind(StrategyPlan plan, IReadOnlyDictionary<string, ScalarValue> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var bound = Defaults(plan)._values.ToBuilder();
        foreach (var (name, value) in values)
            bound[name] = Check(Spec(plan, name, "parameter"), value, $"parameter {name}", value.ToString());
        return new(bound.ToImmutable());
    }

    /// <summary>The defaults with values given as text in their place (<c>k=7</c>, <c>kind=ema</c>, <c>long_only=true</c>).</summary>
    /// <exception cref="PlanException">
    /// A name the plan lacks, text that is not a value of the parameter's kind, a value outside its range, or a value
    /// for a parameter declared with <c>when</c> whose condition does not hold under the other values (span=30 with kind=rsi).
    /// </exception>
    public static ParameterSet Parse(StrategyPlan plan, IReadOnlyDictionary<string, string> text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bound = Defaults(plan)._values.ToBuilder();
        foreach (var (name, given) in text)
        {
            var spec = Spec(plan, name, "--param");
            bound[name] = Check(spec, FromText(spec, given), $"--param {name}", given);
        }
        var values = bound.ToImmutable();
        CheckActive(plan, values, text.Keys);
        return new(values);
    }

    /// <summary>
    /// The parameters declared with <c>when</c> whose condition does not hold under <paramref name="values"/> (every
    /// parameter's value, e.g. a binding's), following chains: a parameter whose condition's parameter is itself unused is unused.
    /// </summary>
    public static IReadOnlySet<string> Inactive(StrategyPlan plan, IReadOnlyDictionary<string, ScalarValue> values)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(values);
        return Unused(plan, values).Keys.ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The values by name.</summary>
    public ImmutableSortedDictionary<string, ScalarValue> ToDictionary() => _values;

    /// <summary>The parameters as <c>name=value</c> text by name, for manifests and reports.</summary>
    public ImmutableSortedDictionary<string, string> ToText() =>
        _values.ToImmutableSortedDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", _values.Select(p => $"{p.Key}={p.Value}"));

    private static ParameterSpec Spec(StrategyPlan plan, string name, string what) =>
        plan.Parameters.FirstOrDefault(p => p.Name == name)
            ?? throw new PlanException(plan.Parameters.IsEmpty
                ? $"{what} {name}: strategy '{plan.Name}' has no parameters"
                : $"{what} {name}: strategy '{plan.Name}' has no parameter '{name}'; it has {string.Join(", ", plan.Parameters.Select(p => p.Name))}");

    // a value set by hand for a parameter whose condition does not hold would be ignored in silence, since the
    // strategy only reads it under that condition: refuse it and say what the condition needs
    private static void CheckActive(StrategyPlan plan, ImmutableSortedDictionary<string, ScalarValue> values, IEnumerable<string> given)
    {
        var unused = Unused(plan, values);
        var named = given.ToHashSet(StringComparer.Ordinal);
        foreach (var p in plan.Parameters)
            if (named.Contains(p.Name) && unused.TryGetValue(p.Name, out var why))
                throw new PlanException($"--param {p.Name}: {why}; leave {p.Name} out or change {p.When!.Parameter}");
    }

    // why each parameter whose condition does not hold is unused, in declaration order so that a condition's
    // parameter (always declared earlier) is settled first and a chain of conditions follows through
    private static Dictionary<string, string> Unused(StrategyPlan plan, IReadOnlyDictionary<string, ScalarValue> values)
    {
        var unused = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in plan.Parameters)
        {
            if (p.When is not { } w)
                continue;
            var needs = $"{p.Name} is used only when {w.Parameter} is {Listed(plan, w)}";
            if (unused.TryGetValue(w.Parameter, out var parentWhy))
                unused[p.Name] = $"{needs}, and {parentWhy}";
            else if (!w.Values.Contains(values[w.Parameter]))
                unused[p.Name] = $"{needs}, and {w.Parameter} is {Shown(plan, w.Parameter, values[w.Parameter])}";
        }
        return unused;
    }

    private static string Listed(StrategyPlan plan, ParameterActivation w) =>
        w.Values.Length == 1
            ? Shown(plan, w.Parameter, w.Values[0])
            : "one of " + string.Join(", ", w.Values.Select(v => Shown(plan, w.Parameter, v)));

    // a flag's values as the source writes them
    private static string Shown(StrategyPlan plan, string name, ScalarValue value) =>
        plan.Parameters.First(p => p.Name == name).Kind == ParameterKind.Boolean
            ? (value.Number == 1 ? "true" : "false")
            : value.ToString();

    // text as a value of the parameter's kind: a listed choice, true/false, or a number
    private static ScalarValue FromText(ParameterSpec spec, string text)
    {
        if (spec.Kind == ParameterKind.Choice)
        {
            var choice = spec.Choices.FirstOrDefault(c => c.Text == text || (!c.IsText && double.TryParse(text, CultureInfo.InvariantCulture, out var n) && n == c.Number));
            return spec.Choices.Contains(choice) ? choice : ScalarValue.Of(text); // refused by Check with the choices
        }
        return text switch
        {
            "true" when spec.Kind == ParameterKind.Boolean => ScalarValue.Of(1),
            "false" when spec.Kind == ParameterKind.Boolean => ScalarValue.Of(0),
            _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) => ScalarValue.Of(n),
            _ => throw new PlanException($"--param {spec.Name}: expected a number, found '{text}'"),
        };
    }

    // a value of the parameter's kind inside its range, or why not
    private static ScalarValue Check(ParameterSpec spec, ScalarValue value, string what, string shown)
    {
        if (spec.Kind == ParameterKind.Choice)
            return spec.Choices.Contains(value) ? value : throw new PlanException($"{what}: expected one of {string.Join(", ", spec.Choices)}, found '{shown}'");
        if (value.IsText || !double.IsFinite(value.Number))
            throw new PlanException($"{what}: expected a number, found '{shown}'");
        var x = value.Number;
        if (spec.Kind == ParameterKind.Boolean && x is not (0 or 1))
            throw new PlanException($"{what}: expected true or false, found '{shown}'");
        if (spec.Kind == ParameterKind.Integer && x != Math.Floor(x))
            throw new PlanException($"{what}: expected a whole number, found '{shown}'");
        if ((spec.Min is { } min && x < min) || (spec.Max is { } max && x > max))
            throw new PlanException($"{what}: {shown} is outside its range {spec.Min}..{spec.Max}");
        return value;
    }

    /// <inheritdoc />
    public ScalarValue this[string key] => _values[key];

    /// <inheritdoc />
    public IEnumerable<string> Keys => _values.Keys;

    /// <inheritdoc />
    public IEnumerable<ScalarValue> Values => _values.Values;

    /// <inheritdoc />
    public int Count => _values.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => _values.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(string key, out ScalarValue value) => _values.TryGetValue(key, out value);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, ScalarValue>> GetEnumerator() => _values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
