using System.Globalization;
using System.Text.Json.Serialization;

namespace StrategyLab.Runtime.Plan;

/// <summary>
/// A compile-time value: a number (booleans are 1 and 0) or a text choice such as "date".
/// </summary>
public readonly record struct ScalarValue(double Number, string? Text)
{
    /// <summary>Returns a numeric value, e.g. <c>ScalarValue.Of(5)</c>.</summary>
    public static ScalarValue Of(double number) => new(number, null);

    /// <summary>Returns a text value, e.g. <c>ScalarValue.Of("lstm")</c>.</summary>
    public static ScalarValue Of(string text) => new(double.NaN, text);

    /// <summary>True when the value is a text choice rather than a number.</summary>
    [JsonIgnore]
    public bool IsText => Text is not null;

    /// <inheritdoc />
    public override string ToString() =>
        Text is not null ? "\"" + Text + "\"" : Number.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Operators of scalar expressions; comparisons and logic yield 1 or 0.</summary>
public enum ScalarOp
{
    /// <summary>Arithmetic negation.</summary>
    Negate,
    /// <summary>Logical not.</summary>
    Not,
    /// <summary>Addition.</summary>
    Add,
    /// <summary>Subtraction.</summary>
    Subtract,
    /// <summary>Multiplication.</summary>
    Multiply,
    /// <summary>Division.</summary>
    Divide,
    /// <summary>Exponentiation.</summary>
    Power,
    /// <summary>Less than.</summary>
    Less,
    /// <summary>Less than or equal.</summary>
    LessOrEqual,
    /// <summary>Greater than.</summary>
    Greater,
    /// <summary>Greater than or equal.</summary>
    GreaterOrEqual,
    /// <summary>Equality (numbers or texts).</summary>
    Equal,
    /// <summary>Inequality (numbers or texts).</summary>
    NotEqual,
    /// <summary>Logical and.</summary>
    And,
    /// <summary>Logical or.</summary>
    Or,
}

/// <summary>
/// A scalar known before any bar is read: a constant, a strategy parameter, or arithmetic over them,
/// e.g. <c>k + buffer</c>. A parameter search re-evaluates these with each trial's values.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$kind")]
[JsonDerivedType(typeof(ScalarConst), "const")]
[JsonDerivedType(typeof(ScalarText), "text")]
[JsonDerivedType(typeof(ScalarParam), "param")]
[JsonDerivedType(typeof(ScalarUnary), "unary")]
[JsonDerivedType(typeof(ScalarBinary), "binary")]
[JsonDerivedType(typeof(ScalarIf), "if")]
public abstract record ScalarExpr
{
    /// <summary>
    /// Returns the value under the given parameter assignment; a parameter missing from
    /// <paramref name="parameters"/> is an error of the caller and throws.
    /// </summary>
    public abstract ScalarValue Evaluate(IReadOnlyDictionary<string, ScalarValue> parameters);

    /// <summary>Returns the value as a number, evaluating as <see cref="Evaluate"/> does.</summary>
    public double EvaluateNumber(IReadOnlyDictionary<string, ScalarValue> parameters) => Evaluate(parameters).Number;

    /// <summary>Returns the names of the parameters the expression reads.</summary>
    public abstract IEnumerable<string> Parameters();
}

/// <summary>A numeric constant; percentages and basis points are already fractions (5 bps is 0.0005).</summary>
public sealed record ScalarConst(double Value) : ScalarExpr
{
    /// <inheritdoc />
    public override ScalarValue Evaluate(IReadOnlyDictionary<string, ScalarValue> parameters) => ScalarValue.Of(Value);

    /// <inheritdoc />
    public override IEnumerable<string> Parameters() => [];
}

/// <summary>A text constant, e.g. <c>"date"</c>.</summary>
public sealed record ScalarText(string Value) : ScalarExpr
{
    /// <inheritdoc />
    public override ScalarValue Evaluate(IReadOnlyDictionary<string, ScalarValue> parameters) => ScalarValue.Of(Value);

    /// <inheritdoc />
    public override IEnumerable<string> Parameters() => [];
}

/// <summary>A reference to a strategy parameter by name.</summary>
public sealed record ScalarParam(string Name) : ScalarExpr
{
    /// <inheritdoc />
    public override ScalarValue Evaluate(IReadOnlyDictionary<string, ScalarValue> parameters) =>
        parameters.TryGetValue(Name, out var v)
            ? v
            : throw new KeyNotFoundException($"parameter '{Name}' has no value");

    /// <inheritdoc />
    public override IEnumerable<string> Parameters() => [Name];
}

/// <summary>A unary operation (<see cref="ScalarOp.Negate"/> or <see cref="ScalarOp.Not"/>).</summary>
public sealed record ScalarUnary(ScalarOp Op, ScalarExpr Operand) : ScalarExpr
{
    /// <inheritdoc />
    public override ScalarValue Evaluate(IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        var x = Operand.Evaluate(parameters).Number;
        return ScalarValue.Of(Op switch
        {
            ScalarOp.Negate => -x,
            ScalarOp.Not => x == 0 ? 1 : 0,
            _ => throw new InvalidOperationException($"{Op} is not a unary operator"),
        });
    }

    /// <inheritdoc />
    public override IEnumerable<string> Parameters() => Operand.Parameters();
}

/// <summary>A binary operation; comparisons of texts compare ordinally.</summary>
public sealed record ScalarBinary(ScalarOp Op, ScalarExpr Left, ScalarExpr Right) : ScalarExpr
{
    /// <inheritdoc />
    public override ScalarValue Evaluate(IReadOnlyDictionary<string, ScalarValue> parameters)
    {
        var l = Left.Evaluate(parameters);
        var r = Right.Evaluate(parameters);
        if (l.IsText || r.IsText)
        {
            var same = string.Equals(l.Text, r.Text, StringComparison.Ordinal);
            return Op switch
            {
                ScalarOp.Equal => ScalarValue.Of(same ? 1 : 0),
                ScalarOp.NotEqual => ScalarValue.Of(same ? 0 : 1),
                _ => throw new InvalidOperationException($"{Op} does not apply to texts"),
            };
        }

        double a = l.Number, b = r.Number;
        return ScalarValue.Of(Op switch
        {
            ScalarOp.Add => a + b,
            ScalarOp.Subtract => a - b,
            ScalarOp.Multiply => a * b,
            ScalarOp.Divide => a / b,
            ScalarOp.Power => Math.Pow(a, b),
            ScalarOp.Less => a < b ? 1 : 0,
            ScalarOp.LessOrEqual => a <= b ? 1 : 0,
            ScalarOp.Greater => a > b ? 1 : 0,
            ScalarOp.GreaterOrEqual => a >= b ? 1 : 0,
            ScalarOp.Equal => a == b ? 1 : 0,
            ScalarOp.NotEqual => a != b ? 1 : 0,
            ScalarOp.And => a != 0 && b != 0 ? 1 : 0,
            ScalarOp.Or => a != 0 || b != 0 ? 1 : 0,
            _ => throw new InvalidOperationException($"{Op} is not a binary operator"),
        });
    }

    /// <inheritdoc />
    public override IEnumerable<string> Parameters() => Left.Parameters().Concat(Right.Parameters());
}

/// <summary>A conditional: <c>if use_rsi then 14 else 10</c>.</summary>
public sealed record ScalarIf(ScalarExpr Condition, ScalarExpr Then, ScalarExpr Else) : ScalarExpr
{
    /// <inheritdoc />
    public override ScalarValue Evaluate(IReadOnlyDictionary<string, ScalarValue> parameters) =>
        Condition.Evaluate(parameters).Number != 0 ? Then.Evaluate(parameters) : Else.Evaluate(parameters);

    /// <inheritdoc />
    public override IEnumerable<string> Parameters() =>
        Condition.Parameters().Concat(Then.Parameters()).Concat(Else.Parameters());
}
