namespace StrategyLab.Runtime.Compute;

/// <summary>
/// Forward-looking operators for labels and targets only (<c>forward(x, h)</c>,
/// <c>forward_return(x, h)</c>, ...): the value at bar t reads bars t + 1 .. t + h, so the last h
/// bars are NaN. They exist only as batch kernels; an incremental form would need the future. Each
/// equals its backward twin moved h bars earlier, bit for bit: <c>forward_return(x, h)[t]</c> is
/// <c>return(x, h)[t + h]</c>, with the same NaN rules.
/// </summary>
public static class Forward
{
    /// <summary><c>forward(x, h)</c>: x[t + h]; NaN where that is NaN and for the last h bars.</summary>
    public static void Value(ReadOnlySpan<double> input, Span<double> output, int assetCount, int horizon = 1)
    {
        var rows = ColumnShape.Rows(assetCount, input, output);
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
        var shift = Math.Min(horizon, rows) * assetCount;
        input[shift..].CopyTo(output);
        output[(input.Length - shift)..].Fill(double.NaN);
    }

    /// <summary><c>forward_return(x, h)</c>: x[t + h] / x[t] − 1, as <see cref="SimpleReturn"/> h bars later.</summary>
    public static void Return(ReadOnlySpan<double> input, Span<double> output, int assetCount, int horizon = 1)
    {
        SimpleReturn.Compute(input, output, assetCount, horizon);
        MoveEarlier(output, assetCount, horizon);
    }

    /// <summary><c>forward_log_return(x, h)</c>: ln(x[t + h] / x[t]), as <see cref="LogReturn"/> h bars later.</summary>
    public static void LogReturn(ReadOnlySpan<double> input, Span<double> output, int assetCount, int horizon = 1)
    {
        Compute.LogReturn.Compute(input, output, assetCount, horizon);
        MoveEarlier(output, assetCount, horizon);
    }

    /// <summary>
    /// <c>forward_mean(x, h)</c>: mean of x over bars t + 1 .. t + h, as <see cref="RollingMean"/> of h
    /// bars read h bars later; NaN if any of those values is NaN.
    /// </summary>
    public static void Mean(ReadOnlySpan<double> input, Span<double> output, int assetCount, int horizon = 1)
    {
        RollingMean.Compute(input, output, assetCount, horizon);
        MoveEarlier(output, assetCount, horizon);
    }

    private static void MoveEarlier(Span<double> output, int assetCount, int horizon)
    {
        var shift = Math.Min(horizon * (long)assetCount, output.Length);
        output[(int)shift..].CopyTo(output);
        output[(output.Length - (int)shift)..].Fill(double.NaN);
    }
}
