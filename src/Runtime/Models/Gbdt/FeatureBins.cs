using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace StrategyLab.Runtime.Models.Gbdt;

/// <summary>
/// Quantile bins of every feature. Feature f has <c>Count(f)</c> numeric bins, bin b holding the
/// values x with upper(b − 1) &lt; x ≤ upper(b) (the last upper bound is +∞), and one more bin,
/// numbered <c>Count(f)</c>, for NaN. A split "bin ≤ t" is therefore the split "x ≤ upper(t)" on raw values.
/// A feature with no NaN among the rows that placed its bounds may have 256 numeric bins (XGBoost's
/// max_bin = 256); a byte then has no number left for its missing bin, so it must stay free of NaN.
/// </summary>
internal sealed class FeatureBins
{
    /// <summary>
    /// Rows that place the bin bounds: all of them up to this many, so that the bounds do not
    /// depend on the rows' order; beyond it this many, evenly spaced.
    /// </summary>
    internal const int SampleRows = 1_000_000;

    private readonly double[][] _upper;

    internal FeatureBins(double[][] upper) => _upper = upper;

    internal int FeatureCount => _upper.Length;

    /// <summary>Numeric bins of feature f; the missing bin is this number.</summary>
    internal int Count(int feature) => _upper[feature].Length;

    internal ReadOnlySpan<double> Upper(int feature) => _upper[feature];

    /// <summary>The first bin whose upper bound is at least x; NaN goes to the missing bin.</summary>
    internal int BinOf(int feature, double x)
    {
        var upper = _upper[feature];
        if (double.IsNaN(x))
            return upper.Length;
        int lo = 0, hi = upper.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >> 1;
            if (x <= upper[mid])
                hi = mid;
            else
                lo = mid + 1;
        }
        return lo;
    }

    /// <summary>Bins a byte can number, the missing bin included.</summary>
    internal const int ByteBins = 256;

    /// <summary>
    /// Places at most <paramref name="maxBins"/> numeric bins per feature at quantiles of the rows (or a sample of them);
    /// at most 255 for a feature with NaN among the rows, so that its missing bin has a byte number.
    /// </summary>
    internal static FeatureBins Fit(ReadOnlyMemory<double> features, int rows, int featureCount, int maxBins, int threads)
    {
        var sample = Math.Min(rows, SampleRows);
        var upper = new double[featureCount][];
        Parallel.For(0, featureCount, new ParallelOptions { MaxDegreeOfParallelism = threads }, f =>
        {
            var x = features.Span;
            var values = new double[sample];
            var m = 0;
            for (var s = 0; s < sample; s++)
            {
                var row = (int)((long)s * rows / sample);
                var v = x[row * featureCount + f];
                if (!double.IsNaN(v))
                    values[m++] = v;
            }
            var bins = maxBins < ByteBins || !HasNaN(x, rows, featureCount, f, m < sample) ? maxBins : ByteBins - 1;
            upper[f] = Bounds(values.AsSpan(0, m), bins);
        });
        return new FeatureBins(upper);
    }

    // whether feature f has a NaN in any row; the sample's answer when it holds every row
    private static bool HasNaN(ReadOnlySpan<double> x, int rows, int featureCount, int f, bool sampleHasNaN)
    {
        if (sampleHasNaN || rows <= SampleRows)
            return sampleHasNaN;
        for (var row = 0; row < rows; row++)
            if (double.IsNaN(x[row * featureCount + f]))
                return true;
        return false;
    }

    private static double[] Bounds(Span<double> values, int maxBins)
    {
        if (values.Length == 0)
            return [double.PositiveInfinity];
        values.Sort();
        var distinct = 1;
        for (var i = 1; i < values.Length; i++)
            if (values[i] != values[i - 1])
                distinct++;
        var bounds = new List<double>(Math.Min(distinct, maxBins));
        if (distinct <= maxBins)
        {
            for (var i = 1; i < values.Length; i++)
                if (values[i] != values[i - 1])
                    bounds.Add(Between(values[i - 1], values[i]));
        }
        else
        {
            for (var k = 1; k < maxBins; k++)
            {
                var at = (int)((long)k * values.Length / maxBins);
                var cut = values[at] != values[at - 1] ? Between(values[at - 1], values[at]) : values[at];
                if (cut < values[^1] && (bounds.Count == 0 || cut > bounds[^1]))
                    bounds.Add(cut);
            }
        }
        bounds.Add(double.PositiveInfinity);
        return [.. bounds];
    }

    // a bound b with lo ≤ b < hi, so that lo goes left and hi right
    private static double Between(double lo, double hi)
    {
        var mid = lo * 0.5 + hi * 0.5;
        return mid >= lo && mid < hi ? mid : lo;
    }

    /// <summary>Bins every row into a row-major matrix [rows × features] of bin numbers.</summary>
    internal byte[] Apply(ReadOnlyMemory<double> features, int rows, int threads)
    {
        var featureCount = FeatureCount;
        var binned = new byte[(long)rows * featureCount];
        // bounds padded to 256 with +∞ so that a fixed eight-step search needs no length checks
        var padded = new double[featureCount * 256];
        for (var f = 0; f < featureCount; f++)
        {
            var upper = _upper[f];
            for (var b = 0; b < 256; b++)
                padded[f * 256 + b] = b < upper.Length ? upper[b] : double.PositiveInfinity;
        }
        // a feature with 256 numeric bins has no missing number: ApplyRows refuses NaN there
        var missing = new int[featureCount];
        for (var f = 0; f < featureCount; f++)
            missing[f] = _upper[f].Length;
        const int block = 8192;
        var blocks = (rows + block - 1) / block;
        try
        {
            Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, b =>
            {
                var end = Math.Min(rows, (b + 1) * block);
                ApplyRows(features.Span, binned, padded, missing, b * block, end);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions[0] is ArgumentException refused)
        {
            // the caller sees the refusal of a NaN itself, not the threads' wrapper
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refused);
        }
        return binned;
    }

    // step when bound < v, else 0, without a branch: a binary search's branches are a coin toss each
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Below(double bound, double v, int step) =>
        (int)Vector128.LessThan(Vector128.CreateScalarUnsafe(bound), Vector128.CreateScalarUnsafe(v)).AsInt64().ToScalar() & step;

    // runs once per block for many rows, so it is compiled optimised at once rather than tiered up mid-loop
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ApplyRows(ReadOnlySpan<double> x, byte[] binned, double[] padded, int[] missing, int first, int end)
    {
        var featureCount = missing.Length;
        for (var row = first; row < end; row++)
        {
            var values = x.Slice(row * featureCount, featureCount);
            var output = binned.AsSpan(row * featureCount, featureCount);
            for (var f = 0; f < featureCount; f++)
            {
                var v = values[f];
                if (double.IsNaN(v))
                {
                    output[f] = missing[f] < ByteBins
                        ? (byte)missing[f]
                        : throw new ArgumentException($"feature {f} has a missing value (NaN) in row {row}, but its 256 bins were placed on rows without any; train with at most 255 bins to allow missing values");
                    continue;
                }
                var bounds = padded.AsSpan(f * 256, 256);
                var i = 0;
                // counts the bounds below v: the first bin whose bound is at least v
                i += Below(bounds[i + 127], v, 128);
                i += Below(bounds[i + 63], v, 64);
                i += Below(bounds[i + 31], v, 32);
                i += Below(bounds[i + 15], v, 16);
                i += Below(bounds[i + 7], v, 8);
                i += Below(bounds[i + 3], v, 4);
                i += Below(bounds[i + 1], v, 2);
                i += Below(bounds[i], v, 1);
                output[f] = (byte)i;
            }
        }
    }
}
