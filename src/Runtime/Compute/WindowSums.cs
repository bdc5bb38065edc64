using System.Numerics;

namespace StrategyLab.Runtime.Compute;

/// <summary>
/// Per-asset sums over the last n bars, for the rolling sum and mean (the SMA). A NaN clears the
/// asset's window, so the window is full only after n consecutive values. Values are shifted by
/// the run's first value and summed plainly, one addition per bar; every n bars the sum is taken
/// afresh from the window, so rounding never accumulates beyond one window's worth. The single-asset
/// column kernel runs the same arithmetic bar by bar with the state in registers.
/// </summary>
internal sealed class WindowSums(int assetCount, int period) : WindowRing(assetCount, period)
{
    /// <summary>Adds the next bar's row for every asset.</summary>
    public void PushRow(ReadOnlySpan<double> x)
    {
        var slotBase = NextSlotBase();
        var a = 0;
        if (Filling == 0 && slotBase != 0 && Vector.IsHardwareAccelerated)
        {
            // every window full and no re-summation due: a vector of assets at a time, the scalar arithmetic
            var ring = Ring.AsSpan(slotBase, x.Length);
            for (; a <= x.Length - Vector<double>.Count; a += Vector<double>.Count)
            {
                var v = new Vector<double>(x[a..]);
                if (!Vector.EqualsAll(v, v))
                {
                    for (var lane = a; lane < a + Vector<double>.Count; lane++)
                        Push(slotBase, lane, x[lane]);
                    continue;
                }
                var d = v - new Vector<double>(Shift.AsSpan(a));
                (new Vector<double>(Sum.AsSpan(a)) + (d - new Vector<double>(ring[a..]))).CopyTo(Sum.AsSpan(a));
                d.CopyTo(ring[a..]);
            }
        }
        for (; a < x.Length; a++)
            Push(slotBase, a, x[a]);
    }

    /// <summary>Writes the window sums of full assets, NaN for the others.</summary>
    public void WriteSum(Span<double> output)
    {
        var a = 0;
        if (Filling == 0 && Vector.IsHardwareAccelerated)
        {
            // every window full: a vector of assets at a time, the scalar arithmetic
            var n = new Vector<double>(Period);
            for (; a <= output.Length - Vector<double>.Count; a += Vector<double>.Count)
                ((new Vector<double>(Shift.AsSpan(a)) * n) + new Vector<double>(Sum.AsSpan(a))).CopyTo(output[a..]);
        }
        for (; a < output.Length; a++)
            output[a] = Run[a] >= Period ? SumOf(Shift[a], Sum[a], Period) : double.NaN;
    }

    /// <summary>Writes the window means of full assets, NaN for the others.</summary>
    public void WriteMean(Span<double> output)
    {
        var a = 0;
        if (Filling == 0 && Vector.IsHardwareAccelerated)
        {
            var n = new Vector<double>(Period);
            for (; a <= output.Length - Vector<double>.Count; a += Vector<double>.Count)
                (new Vector<double>(Shift.AsSpan(a)) + (new Vector<double>(Sum.AsSpan(a)) / n)).CopyTo(output[a..]);
        }
        for (; a < output.Length; a++)
            output[a] = Run[a] >= Period ? MeanOf(Shift[a], Sum[a], Period) : double.NaN;
    }

    /// <summary>
    /// The single-asset kernel: pushes <paramref name="x"/> bar by bar and writes each bar's sum or
    /// mean, exactly the numbers <see cref="PushRow"/> and <see cref="WriteSum"/> or <see cref="WriteMean"/> give.
    /// </summary>
    public void PushColumn(ReadOnlySpan<double> x, Span<double> output, bool mean)
    {
        if (Run.Length != 1)
            throw new InvalidOperationException("the column kernel is for a single asset");
        var n = Period;
        var ring = Ring.AsSpan(0, n);
        int run = Run[0], slot = Slot, filling = Filling;
        double shift = Shift[0], sum = Sum[0];
        var t = 0;
        while (t < x.Length)
        {
            if (run >= n && slot != 0)
            {
                t = FullWindow(x, output, ring, t, ref slot, shift, ref sum, mean);
                if (t == x.Length)
                    break;
            }
            var s = slot;
            slot = slot + 1 == n ? 0 : slot + 1;
            var v = x[t];
            if (double.IsNaN(v))
            {
                filling = 1;
                run = 0;
                output[t++] = double.NaN;
                continue;
            }
            if (run == 0)
            {
                shift = v;
                sum = 0.0;
            }
            var d = v - shift;
            if (run >= n)
            {
                sum += d - ring[s];
            }
            else
            {
                sum += d;
                run++;
                filling = run == n ? 0 : 1;
            }
            ring[s] = d;
            if (run >= n && s == 0)
                sum = Total(ring, 0, 1);
            output[t++] = run < n ? double.NaN : mean ? MeanOf(shift, sum, n) : SumOf(shift, sum, n);
        }
        (Run[0], Slot, Filling, Shift[0], Sum[0]) = (run, slot, filling, shift, sum);
    }

    // bars of a full window up to the ring's end (where the sum is taken afresh) or the first NaN: one addition each
    private static int FullWindow(ReadOnlySpan<double> x, Span<double> output, Span<double> ring, int t, ref int slot, double shift, ref double sum, bool mean)
    {
        var n = ring.Length;
        var s = slot;
        var total = sum;
        var stop = Math.Min(x.Length, t + (n - s));
        for (; t < stop; t++, s++)
        {
            var v = x[t];
            if (double.IsNaN(v))
                break;
            var d = v - shift;
            total += d - ring[s];
            ring[s] = d;
            output[t] = mean ? MeanOf(shift, total, n) : SumOf(shift, total, n);
        }
        slot = s == n ? 0 : s;
        sum = total;
        return t;
    }

    private static double SumOf(double shift, double sum, int n) => (shift * n) + sum;

    private static double MeanOf(double shift, double sum, int n) => shift + (sum / n);

    // the window's sum afresh, in four interleaved partial sums so the additions do not wait on each other
    private static double Total(ReadOnlySpan<double> ring, int first, int stride)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        var n = ring.Length / stride;
        var k = 0;
        for (; k + 3 < n; k += 4)
        {
            s0 += ring[first + (k * stride)];
            s1 += ring[first + ((k + 1) * stride)];
            s2 += ring[first + ((k + 2) * stride)];
            s3 += ring[first + ((k + 3) * stride)];
        }
        for (; k < n; k++)
            s0 += ring[first + (k * stride)];
        return (s0 + s1) + (s2 + s3);
    }

    private void Push(int slotBase, int a, double x)
    {
        if (double.IsNaN(x))
        {
            EndRun(a);
            return;
        }
        var run = Run[a];
        if (run == 0)
        {
            Shift[a] = x;
            Sum[a] = 0.0;
        }
        var slot = slotBase + a;
        var d = x - Shift[a];
        if (run >= Period)
        {
            Sum[a] += d - Ring[slot];
        }
        else
        {
            Sum[a] += d;
            run = Lengthen(a);
        }
        Ring[slot] = d;
        if (run >= Period && slotBase == 0)
            Sum[a] = Total(Ring, a, Run.Length);
    }
}
