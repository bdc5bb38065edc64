namespace StrategyLab.Runtime.Compute;

/// <summary>
/// Rolling minimum or maximum over the last n bars (TA-Lib MIN/MAX, pandas <c>rolling(n).min()</c>):
/// NaN until the asset has n consecutive values, and NaN while a NaN is in the window. Uses a
/// monotonic queue per asset, so each bar costs O(1) amortised whatever n is. Warm-up: n bars.
/// </summary>
public abstract class RollingExtreme : IncrementalIndicator
{
    private readonly bool _maximum;
    private readonly int _period;
    private readonly double[] _values;
    private readonly int[] _rows;
    private readonly int[] _head;
    private readonly int[] _count;
    private readonly int[] _run;

    private protected RollingExtreme(bool maximum, int assetCount, int period)
        : base($"{(maximum ? "MAX" : "MIN")}({period})", assetCount, period, 1, 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _maximum = maximum;
        _period = period;
        _values = new double[checked(assetCount * period)];
        _rows = new int[checked(assetCount * period)];
        _head = new int[assetCount];
        _count = new int[assetCount];
        _run = new int[assetCount];
    }

    /// <summary>Window length n in bars.</summary>
    public int Period => _period;

    /// <summary>Consumes one row of values and writes one row of outputs.</summary>
    public void Update(ReadOnlySpan<double> value, Span<double> output)
    {
        CheckRow(value, nameof(value));
        CheckRow(output, nameof(output));
        var n = _period;
        var row = Row;
        for (var a = 0; a < value.Length; a++)
        {
            var x = value[a];
            if (double.IsNaN(x))
            {
                _run[a] = 0;
                _count[a] = 0;
                output[a] = double.NaN;
                continue;
            }

            var offset = a * n;
            var head = _head[a];
            var count = _count[a];
            while (count > 0 && _rows[offset + head] <= row - n)
            {
                head = head + 1 == n ? 0 : head + 1;
                count--;
            }

            // the back of the queue gives way to a value at least as extreme, so the front is the extreme
            while (count > 0)
            {
                var last = head + count - 1;
                var back = _values[offset + (last >= n ? last - n : last)];
                if (_maximum ? back > x : back < x)
                {
                    break;
                }

                count--;
            }

            var next = head + count;
            var slot = offset + (next >= n ? next - n : next);
            _values[slot] = x;
            _rows[slot] = row;
            count++;
            _head[a] = head;
            _count[a] = count;
            var run = _run[a] < n ? ++_run[a] : n;
            output[a] = run >= n ? _values[offset + head] : double.NaN;
        }

        Advance();
    }

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(inputRows, outputRows);

    private protected override void ResetState()
    {
        Array.Clear(_head);
        Array.Clear(_count);
        Array.Clear(_run);
    }

    private protected static void Run(RollingExtreme op, ReadOnlySpan<double> input, Span<double> output)
    {
        var rows = ColumnShape.Rows(op.AssetCount, input, output);
        var assets = op.AssetCount;
        for (var t = 0; t < rows; t++)
        {
            op.Update(input.Slice(t * assets, assets), output.Slice(t * assets, assets));
        }
    }
}

/// <summary><c>rolling_min(x, n)</c>: lowest of the last n values; NaN while a NaN is in the window. Warm-up: n bars.</summary>
public sealed class RollingMin : RollingExtreme
{
    /// <summary>Creates an n-bar rolling minimum.</summary>
    public RollingMin(int assetCount, int period)
        : base(false, assetCount, period)
    {
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int period)
    {
        if (!ColumnShape.AllMissing(assetCount, period, input, output))
            Run(new RollingMin(assetCount, period), input, output);
    }
}

/// <summary><c>rolling_max(x, n)</c>: highest of the last n values; NaN while a NaN is in the window. Warm-up: n bars.</summary>
public sealed class RollingMax : RollingExtreme
{
    /// <summary>Creates an n-bar rolling maximum.</summary>
    public RollingMax(int assetCount, int period)
        : base(true, assetCount, period)
    {
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int period)
    {
        if (!ColumnShape.AllMissing(assetCount, period, input, output))
            Run(new RollingMax(assetCount, period), input, output);
    }
}
