namespace StrategyLab.Runtime.Compute;

/// <summary>Ranks the values of one row with ties averaged, in scratch buffers reused from row to row.</summary>
internal sealed class RowRanker
{
    private readonly double[] _keys;
    private readonly int[] _assets;

    public RowRanker(int assetCount)
    {
        _keys = new double[assetCount];
        _assets = new int[assetCount];
    }

    /// <summary>
    /// Writes into <paramref name="ranks"/> the 1-based rank of every value that is not NaN (ties
    /// get the mean of the ranks they span) and NaN elsewhere; returns how many values were ranked.
    /// </summary>
    public int Rank(ReadOnlySpan<double> row, Span<double> ranks)
    {
        var m = 0;
        for (var a = 0; a < row.Length; a++)
        {
            var x = row[a];
            ranks[a] = double.NaN;
            if (!double.IsNaN(x))
            {
                _keys[m] = x;
                _assets[m] = a;
                m++;
            }
        }

        var keys = _keys.AsSpan(0, m);
        var assets = _assets.AsSpan(0, m);
        keys.Sort(assets);
        var i = 0;
        while (i < m)
        {
            var j = i;
            while (j + 1 < m && keys[j + 1] == keys[i])
            {
                j++;
            }

            var rank = ((i + j) / 2.0) + 1.0;
            for (var k = i; k <= j; k++)
            {
                ranks[assets[k]] = rank;
            }

            i = j + 1;
        }

        return m;
    }
}

/// <summary>
/// Base of the cross-sectional operators: each row is transformed on its own, across the assets
/// that have a value (not NaN) at that bar; NaN stays NaN and nothing carries over between bars.
/// Warm-up: 1 bar.
/// </summary>
public abstract class CrossSectionalOperator : IncrementalIndicator
{
    private protected CrossSectionalOperator(string name, int assetCount)
        : base(name, assetCount, 1, 1, 1)
    {
    }

    /// <summary>Consumes one row of values and writes the transformed row.</summary>
    public void Update(ReadOnlySpan<double> value, Span<double> output)
    {
        CheckRow(value, nameof(value));
        CheckRow(output, nameof(output));
        if (value.Overlaps(output))
        {
            throw new ArgumentException("the output row must not overlap the input row", nameof(output));
        }

        Transform(value, output);
        Advance();
    }

    private protected abstract void Transform(ReadOnlySpan<double> value, Span<double> output);

    private protected override void UpdateRows(long timestampMs, ReadOnlySpan<double> inputRows, Span<double> outputRows) =>
        Update(inputRows, outputRows);

    private protected override void ResetState()
    {
    }

    private protected static void Run(CrossSectionalOperator op, ReadOnlySpan<double> input, Span<double> output)
    {
        var rows = ColumnShape.Rows(op.AssetCount, input, output);
        var assets = op.AssetCount;
        for (var t = 0; t < rows; t++)
        {
            op.Update(input.Slice(t * assets, assets), output.Slice(t * assets, assets));
        }
    }
}

/// <summary>
/// <c>xs_rank(x)</c>: cross-sectional rank of x among the m assets with a value at this bar, ties
/// averaged, scaled to [0, 1] as (rank − 1) / (m − 1): 0 for the lowest, 1 for the highest, 0.5
/// when only one asset has a value. NaN where x is NaN.
/// </summary>
public sealed class CrossSectionalRank : CrossSectionalOperator
{
    private readonly RowRanker _ranker;

    /// <summary>Creates a cross-sectional rank over <paramref name="assetCount"/> assets.</summary>
    public CrossSectionalRank(int assetCount)
        : base("XS_RANK", assetCount) => _ranker = new RowRanker(assetCount);

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount) =>
        Run(new CrossSectionalRank(assetCount), input, output);

    private protected override void Transform(ReadOnlySpan<double> value, Span<double> output)
    {
        var m = _ranker.Rank(value, output);
        for (var a = 0; a < output.Length; a++)
        {
            output[a] = m > 1 ? (output[a] - 1.0) / (m - 1) : output[a] * 0.5;
        }
    }
}

/// <summary>
/// <c>xs_percentile(x)</c>: rank / m, ties averaged, as pandas <c>rank(pct=True)</c>: in (0, 1],
/// 1 for the highest. NaN where x is NaN.
/// </summary>
public sealed class CrossSectionalPercentile : CrossSectionalOperator
{
    private readonly RowRanker _ranker;

    /// <summary>Creates a cross-sectional percentile over <paramref name="assetCount"/> assets.</summary>
    public CrossSectionalPercentile(int assetCount)
        : base("XS_PERCENTILE", assetCount) => _ranker = new RowRanker(assetCount);

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount) =>
        Run(new CrossSectionalPercentile(assetCount), input, output);

    private protected override void Transform(ReadOnlySpan<double> value, Span<double> output)
    {
        var m = _ranker.Rank(value, output);
        for (var a = 0; a < output.Length; a++)
        {
            output[a] /= m;
        }
    }
}

/// <summary>
/// <c>xs_zscore(x)</c>: (x − mean) / sample standard deviation (n − 1, as pandas' default) across the
/// assets with a value at this bar. NaN where x is NaN, and for the whole row when fewer than two
/// assets have a value or all values are equal.
/// </summary>
public sealed class CrossSectionalZScore : CrossSectionalOperator
{
    /// <summary>Creates a cross-sectional z-score over <paramref name="assetCount"/> assets.</summary>
    public CrossSectionalZScore(int assetCount)
        : base("XS_ZSCORE", assetCount)
    {
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount) =>
        Run(new CrossSectionalZScore(assetCount), input, output);

    private protected override void Transform(ReadOnlySpan<double> value, Span<double> output)
    {
        var mean = RowMoments.Mean(value, out var m);
        var squares = 0.0;
        for (var a = 0; a < value.Length; a++)
        {
            var x = value[a];
            if (!double.IsNaN(x))
            {
                squares += (x - mean) * (x - mean);
            }
        }

        var std = m > 1 ? Math.Sqrt(squares / (m - 1)) : 0.0;
        for (var a = 0; a < value.Length; a++)
        {
            output[a] = std > 0.0 ? (value[a] - mean) / std : double.NaN;
        }
    }
}

/// <summary>
/// <c>xs_demean(x)</c>: x minus the mean of the assets with a value at this bar. NaN where x is NaN.
/// </summary>
public sealed class CrossSectionalDemean : CrossSectionalOperator
{
    /// <summary>Creates a cross-sectional demean over <paramref name="assetCount"/> assets.</summary>
    public CrossSectionalDemean(int assetCount)
        : base("XS_DEMEAN", assetCount)
    {
    }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount) =>
        Run(new CrossSectionalDemean(assetCount), input, output);

    private protected override void Transform(ReadOnlySpan<double> value, Span<double> output)
    {
        var mean = RowMoments.Mean(value, out _);
        for (var a = 0; a < value.Length; a++)
        {
            output[a] = value[a] - mean;
        }
    }
}

/// <summary>
/// <c>xs_quantile(x, q)</c>: quantile bucket 1..q of x among the m assets with a value at this bar
/// (q = highest). With r the rank (1..m, ties averaged) the bucket is ⌊(r − 1) × q / m⌋ + 1, so
/// buckets are as equal in size as m allows (pandas <c>qcut</c> of the ranks) and equal values
/// always share a bucket. NaN where x is NaN.
/// </summary>
public sealed class QuantileBuckets : CrossSectionalOperator
{
    private readonly RowRanker _ranker;

    /// <summary>Creates quantile buckets with <paramref name="bins"/> bins (at least 1).</summary>
    public QuantileBuckets(int assetCount, int bins)
        : base($"XS_QUANTILE({bins})", assetCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        Bins = bins;
        _ranker = new RowRanker(assetCount);
    }

    /// <summary>Number of buckets q.</summary>
    public int Bins { get; }

    /// <summary>Batch kernel over a [T×A] column.</summary>
    public static void Compute(ReadOnlySpan<double> input, Span<double> output, int assetCount, int bins) =>
        Run(new QuantileBuckets(assetCount, bins), input, output);

    /// <summary>Bucket 1..q of a 1-based (possibly tie-averaged) rank among m values.</summary>
    internal static double Bucket(double rank, int count, int bins) => Math.Floor((rank - 1.0) * bins / count) + 1.0;

    private protected override void Transform(ReadOnlySpan<double> value, Span<double> output)
    {
        var m = _ranker.Rank(value, output);
        for (var a = 0; a < output.Length; a++)
        {
            output[a] = Bucket(output[a], m, Bins);
        }
    }
}

internal static class RowMoments
{
    /// <summary>Mean of the values that are not NaN (NaN when there are none).</summary>
    public static double Mean(ReadOnlySpan<double> row, out int count)
    {
        var sum = 0.0;
        count = 0;
        for (var a = 0; a < row.Length; a++)
        {
            var x = row[a];
            if (!double.IsNaN(x))
            {
                sum += x;
                count++;
            }
        }

        return count > 0 ? sum / count : double.NaN;
    }
}
