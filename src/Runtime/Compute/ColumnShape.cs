namespace StrategyLab.Runtime.Compute;

/// <summary>Argument checks shared by the batch kernels over [time × asset] columns.</summary>
internal static class ColumnShape
{
    /// <summary>Returns the number of time rows after checking that the columns have one shape.</summary>
    public static int Rows(int assetCount, ReadOnlySpan<double> input, Span<double> output, string inputName = "input", string outputName = "output")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(assetCount, 1);
        if (input.Length % assetCount != 0)
        {
            throw new ArgumentException($"column length {input.Length} is not a multiple of the asset count {assetCount}", inputName);
        }

        if (output.Length != input.Length)
        {
            throw new ArgumentException($"output length {output.Length} differs from input length {input.Length}", outputName);
        }

        return input.Length / assetCount;
    }

    /// <summary>
    /// True, with every output NaN, when the column has fewer rows than <paramref name="warmUp"/>:
    /// no output of such a window can be a number, so the kernel neither runs nor sizes a ring by
    /// the window. This is exactly what the incremental form gives, as it is NaN until its warm-up.
    /// </summary>
    public static bool AllMissing(int assetCount, long warmUp, ReadOnlySpan<double> input, Span<double> output)
    {
        if (Rows(assetCount, input, output) >= warmUp)
            return false;
        output.Fill(double.NaN);
        return true;
    }

    public static void SameLength(ReadOnlySpan<double> first, ReadOnlySpan<double> other, string name)
    {
        if (other.Length != first.Length)
        {
            throw new ArgumentException($"column length {other.Length} differs from {first.Length}", name);
        }
    }

    public static void SameLength(ReadOnlySpan<double> first, Span<double> other, string name)
    {
        if (other.Length != first.Length)
        {
            throw new ArgumentException($"column length {other.Length} differs from {first.Length}", name);
        }
    }

    /// <summary>Adds <paramref name="value"/> to a Kahan-compensated sum.</summary>
    public static void KahanAdd(ref double sum, ref double compensation, double value)
    {
        var y = value - compensation;
        var t = sum + y;
        compensation = (t - sum) - y;
        sum = t;
    }
}
