using System.Numerics;
using System.Runtime.CompilerServices;

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
    private int _slot;

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
    // runs every bar and has no loop: optimised from its first call, as a backtest ends before tiering would
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Update(ReadOnlySpan<double> value, Span<double> output)
    {
        CheckRow(value, nameof(value));
        CheckRow(output, nameof(output));
        var assets = AssetCount;
        // the ring slot of bar t − n, which this bar overwrites: a cursor, cheaper than Row % n
        var ring = _ring.AsSpan(_slot * assets, assets);
        _slot = _slot + 1 == _periods ? 0 : _slot + 1;
        if (Row < _periods)
            output.Fill(double.NaN);
        else
            Combine(value, ring, output);
        value.CopyTo(ring);
        Advance();
    }

    // the operator's value from each value and the one n bars before it, element by element
    private void Combine(ReadOnlySpan<double> value, ReadOnlySpan<double> previous, Span<double> output)
    {
        switch (_kind)
        {
            case LagKind.Lag:
                previous.CopyTo(output);
                break;
            case LagKind.Diff:
                Difference(value, previous, output);
                break;
            case LagKind.SimpleReturn:
                Ratio(value, previous, output);
                break;
            case LagKind.LogReturn:
                for (var a = 0; a < value.Length; a++)
                {
                    var (before, current) = (previous[a], value[a]);
                    output[a] = before > 0.0 && current > 0.0 ? Math.Log(current / before) : double.NaN;
                }

                break;
            case LagKind.Roc:
                for (var a = 0; a < value.Length; a++)
                {
                    var (before, current) = (previous[a], value[a]);
                    output[a] = double.IsNaN(before) || double.IsNaN(current) ? double.NaN
                        : before != 0.0 ? ((current / before) - 1.0) * 100.0
                        : 0.0;
                }

                break;
            default:
                throw new InvalidOperationException($"unknown lag kind {_kind}");
        }
    }

    internal override void UpdateBlock(ReadOnlySpan<long> timestampsMs, ReadOnlySpan<double> input, Span<double> output) =>
        Block(timestampsMs.Length, input, output);

    // Rows of values: the first n read bar t − n from the ring, as Update does; the rest read it from the
    // rows themselves, so they run as one pass over contiguous values, and the ring takes the last n rows
    // at the end. The numbers are those of one Update per row.
    private void Block(int rows, ReadOnlySpan<double> input, Span<double> output)
    {
        var (a, n) = (AssetCount, _periods);
        for (var t = 0; t < Math.Min(rows, n); t++)
            Update(input.Slice(t * a, a), output.Slice(t * a, a));
        if (rows <= n)
            return;
        var later = (rows - n) * a;
        Combine(input.Slice(n * a, later), input[..later], output.Slice(n * a, later));
        // row u takes the ring slot u rows after the first row's (which _slot is again, n rows on): the
        // ring then holds the last n rows, where Update would have left them
        for (var u = rows - n; u < rows; u++)
            input.Slice(u * a, a).CopyTo(_ring.AsSpan((_slot + u) % n * a, a));
        _slot = (_slot + rows) % n;
        Advance(rows - n);
    }

    // x − previous, a vector of assets at a time; the scalar tail does the same arithmetic
    private static void Difference(ReadOnlySpan<double> value, ReadOnlySpan<double> previous, Span<double> output)
    {
        var a = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; a <= value.Length - Vector<double>.Count; a += Vector<double>.Count)
            {
                (new Vector<double>(value[a..]) - new Vector<double>(previous[a..])).CopyTo(output[a..]);
            }
        }

        for (; a < value.Length; a++)
        {
            output[a] = value[a] - previous[a];
        }
    }

    // x / previous − 1, NaN where previous is 0
    private static void Ratio(ReadOnlySpan<double> value, ReadOnlySpan<double> previous, Span<double> output)
    {
        var a = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var one = Vector<double>.One;
            var missing = new Vector<double>(double.NaN);
            for (; a <= value.Length - Vector<double>.Count; a += Vector<double>.Count)
            {
                var p = new Vector<double>(previous[a..]);
                var r = (new Vector<double>(value[a..]) / p) - one;
                Vector.ConditionalSelect(Vector.Equals(p, Vector<double>.Zero), missing, r).CopyTo(output[a..]);
            }
        }

        for (; a < value.Length; a++)
        {
            var p = previous[a];
            output[a] = p != 0.0 ? (value[a] / p) - 1.0 : double.NaN;
        }
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(inputRows, outputRows);

    private protected override void ResetState()
    {
        Array.Clear(_ring);
        _slot = 0;
    }

    private protected static void Run(LaggedOperator op, ReadOnlySpan<double> input, Span<double> output) =>
        op.Block(ColumnShape.Rows(op.AssetCount, input, output), input, output);
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
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int periods = 1)
    {
        if (!ColumnShape.AllMissing(assetCount, periods + 1L, input, output))
            Run(new Lag(assetCount, periods), input, output);
    }
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
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int periods = 1)
    {
        if (!ColumnShape.AllMissing(assetCount, periods + 1L, input, output))
            Run(new Diff(assetCount, periods), input, output);
    }
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
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int periods = 1)
    {
        if (!ColumnShape.AllMissing(assetCount, periods + 1L, input, output))
            Run(new SimpleReturn(assetCount, periods), input, output);
    }
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
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int periods = 1)
    {
        if (!ColumnShape.AllMissing(assetCount, periods + 1L, input, output))
            Run(new LogReturn(assetCount, periods), input, output);
    }
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
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int periods = 10)
    {
        if (!ColumnShape.AllMissing(assetCount, periods + 1L, input, output))
            Run(new Roc(assetCount, periods), input, output);
    }
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
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int periods = 10)
    {
        if (!ColumnShape.AllMissing(assetCount, periods + 1L, input, output))
            Run(new Momentum(assetCount, periods), input, output);
    }
}
