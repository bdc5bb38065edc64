namespace StrategyLab.Runtime.Compute;

/// <summary>
/// Operators that combine the value of bar t with the value of bar t − n of the same asset
/// (lag, diff, returns, ROC, momentum). The output at t is NaN when either of the two values is
/// NaN or when fewer than n bars precede t; values in between do not matter, so a gap only
/// affects the outputs that read it. Warm-up: n + 1 bars.
/// </summary>
public abstract class LaggedOperator : IncrementalIndicator
{
    private readonly LagKind _kind;
    private readonly int _periods;
    private readonly double[] _ring;

    private protected LaggedOperator(LagKind kind, string name, int assetCount, int periods)
        : base($"{name}({periods})", assetCount, periods + 1, 1, 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(periods, 1);
        _kind = kind;
        _periods = periods;
        _ring = new double[checked(assetCount * periods)];
    }

    private protected enum LagKind
    {
        Lag,
        Diff,
        SimpleReturn,
        LogReturn,
        Roc,
    }

    /// <summary>Number of bars n between the two values.</summary>
    public int Periods => _periods;

    /// <summary>Consumes one row of values and writes one row of outputs.</summary>
    public void Update(ReadOnlySpan<double> value, Span<double> output)
    {
        CheckRow(value, nameof(value));
        CheckRow(output, nameof(output));
        var assets = AssetCount;
        var ring = _ring.AsSpan((Row % _periods) * assets, assets);
        var warm = Row >= _periods;
        switch (_kind)
        {
            case LagKind.Lag:
                for (var a = 0; a < assets; a++)
                {
                    output[a] = warm ? ring[a] : double.NaN;
                }

                break;
            case LagKind.Diff:
                for (var a = 0; a < assets; a++)
                {
                    output[a] = warm ? value[a] - ring[a] : double.NaN;
                }

                break;
            case LagKind.SimpleReturn:
                for (var a = 0; a < assets; a++)
                {
                    var previous = ring[a];
                    output[a] = warm && previous != 0.0 ? (value[a] / previous) - 1.0 : double.NaN;
                }

                break;
            case LagKind.LogReturn:
                for (var a = 0; a < assets; a++)
                {
                    var previous = ring[a];
                    var current = value[a];
                    output[a] = warm && previous > 0.0 && current > 0.0 ? Math.Log(current / previous) : double.NaN;
                }

                break;
            case LagKind.Roc:
                for (var a = 0; a < assets; a++)
                {
                    var previous = ring[a];
                    var current = value[a];
                    output[a] = !warm || double.IsNaN(previous) || double.IsNaN(current) ? double.NaN
                        : previous != 0.0 ? ((current / previous) - 1.0) * 100.0
                        : 0.0;
                }

                break;
            default:
                throw new InvalidOperationException($"unknown lag kind {_kind}");
        }

        value.CopyTo(ring);
        Advance();
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(inputRows, outputRows);

    private protected override void ResetState() => Array.Clear(_ring);

    private protected static void Run(LaggedOperator op, ReadOnlySpan<double> input, Span<double> output)
    {
        var rows = Panel.Rows(op.AssetCount, input, output);
        var assets = op.AssetCount;
        for (var t = 0; t < rows; t++)
        {
            op.Update(input.Slice(t * assets, assets), output.Slice(t * assets, assets));
        }
    }
}

/// <summary>
/// <c>lag(x, n)</c> (pandas <c>shift(n)</c>): the value of n bars ago; NaN for the first n bars
/// and where that value was NaN. Warm-up: n + 1 bars.
/// </summary>
public sealed class Lag : LaggedOperator
{
    /// <summary>Creates a lag of <paramref name="periods"/> bars over <paramref name="assetCount"/> assets.</summary>
    public Lag(int assetCount, int periods = 1)
        : base(LagKind.Lag, "LAG", assetCount, periods)
    {
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int periods = 1) =>
        Run(new Lag(assetCount, periods), input, output);
}

/// <summary>
/// <c>diff(x, n)</c> (pandas <c>diff(n)</c>): x[t] − x[t−n]; NaN if either is NaN. Warm-up: n + 1 bars.
/// </summary>
public sealed class Diff : LaggedOperator
{
    /// <summary>Creates an n-bar difference.</summary>
    public Diff(int assetCount, int periods = 1)
        : base(LagKind.Diff, "DIFF", assetCount, periods)
    {
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int periods = 1) =>
        Run(new Diff(assetCount, periods), input, output);
}

/// <summary>
/// <c>return(x, n)</c>: simple return x[t] / x[t−n] − 1 (pandas <c>pct_change(n, fill_method=None)</c>);
/// NaN if either value is NaN or x[t−n] is 0. Warm-up: n + 1 bars.
/// </summary>
public sealed class SimpleReturn : LaggedOperator
{
    /// <summary>Creates an n-bar simple return.</summary>
    public SimpleReturn(int assetCount, int periods = 1)
        : base(LagKind.SimpleReturn, "RETURN", assetCount, periods)
    {
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int periods = 1) =>
        Run(new SimpleReturn(assetCount, periods), input, output);
}

/// <summary>
/// <c>log_return(x, n)</c>: ln(x[t] / x[t−n]); NaN if either value is NaN or not positive.
/// Warm-up: n + 1 bars.
/// </summary>
public sealed class LogReturn : LaggedOperator
{
    /// <summary>Creates an n-bar log return.</summary>
    public LogReturn(int assetCount, int periods = 1)
        : base(LagKind.LogReturn, "LOG_RETURN", assetCount, periods)
    {
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int periods = 1) =>
        Run(new LogReturn(assetCount, periods), input, output);
}

/// <summary>
/// <c>roc(x, n)</c>, TA-Lib ROC: (x[t] / x[t−n] − 1) × 100; 0 when x[t−n] is 0 (as TA-Lib);
/// NaN if either value is NaN. Warm-up: n + 1 bars (TA-Lib lookback n).
/// </summary>
public sealed class Roc : LaggedOperator
{
    /// <summary>Creates an n-bar rate of change in percent (TA-Lib default n = 10).</summary>
    public Roc(int assetCount, int periods = 10)
        : base(LagKind.Roc, "ROC", assetCount, periods)
    {
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int periods = 10) =>
        Run(new Roc(assetCount, periods), input, output);
}

/// <summary>
/// <c>momentum(x, n)</c>, TA-Lib MOM: x[t] − x[t−n]; NaN if either value is NaN.
/// Warm-up: n + 1 bars (TA-Lib lookback n).
/// </summary>
public sealed class Momentum : LaggedOperator
{
    /// <summary>Creates an n-bar momentum (TA-Lib default n = 10).</summary>
    public Momentum(int assetCount, int periods = 10)
        : base(LagKind.Diff, "MOM", assetCount, periods)
    {
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int periods = 10) =>
        Run(new Momentum(assetCount, periods), input, output);
}
