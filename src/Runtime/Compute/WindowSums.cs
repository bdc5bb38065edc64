using System.Numerics;

namespace StrategyLab.Runtime.Compute;

/// <summary>
/// Per-asset sums over the last n bars, for the rolling sum and mean (the SMA). A NaN clears the
/// asset's window, so the window is full only after n consecutive values. Values are shifted by
/// the run's first value and summed plainly, one addition per bar; at the ring's first slot, once
/// every few passes over the ring (about every 64 bars, every pass for windows shorter than 8), the sum
/// is taken afresh from the window, so rounding never accumulates beyond that many additions. The
/// single-asset column kernel runs the same arithmetic bar by bar with the state in registers.
/// </summary>
internal sealed class WindowSums(int assetCount, int period) : WindowRing(assetCount, period)
{
    // passes over the ring from one re-summation to the next: short windows re-sum every pass, so that a
    // window of one bar is that bar exactly; longer ones spread the re-summation's cost over 64 bars or so
    private readonly int _passesPerTotal = period < 8 ? 1 : (64 + period - 1) / period;

    // the pass of the ring the last bar at slot 0 began, counted from 0 to _passesPerTotal − 1
    private int _pass;

    public override void Reset()
    {
        base.Reset();
        _pass = 0;
    }

    /// <summary>Adds the next bar's row for every asset.</summary>
    public void PushRow(ReadOnlySpan<double> x)
    {
        var slotBase = NextSlotBase();
        var total = slotBase == 0 && NextPass(ref _pass, _passesPerTotal) == 0;
        var a = 0;
        if (Filling == 0 && !total && Vector.IsHardwareAccelerated)
        {
            // every window full and no re-summation due: a vector of assets at a time, the scalar arithmetic
            var ring = Ring.AsSpan(slotBase, x.Length);
            for (; a <= x.Length - Vector<double>.Count; a += Vector<double>.Count)
            {
                var v = new Vector<double>(x[a..]);
                if (!Vector.EqualsAll(v, v))
                {
                    for (var lane = a; lane < a + Vector<double>.Count; lane++)
                        Push(slotBase, lane, x[lane], total);
                    continue;
                }
                var d = v - new Vector<double>(Shift.AsSpan(a));
                (new Vector<double>(Sum.AsSpan(a)) + (d - new Vector<double>(ring[a..]))).CopyTo(Sum.AsSpan(a));
                d.CopyTo(ring[a..]);
            }
        }
        for (; a < x.Length; a++)
            Push(slotBase, a, x[a], total);
    }

    // advances the pass counter at a bar in the ring's first slot; returns the new pass
    private static int NextPass(ref int pass, int passes) => pass = pass + 1 == passes ? 0 : pass + 1;

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
        int run = Run[0], slot = Slot, filling = Filling, pass = _pass;
        double shift = Shift[0], sum = Sum[0];
        var t = 0;
        while (t < x.Length)
        {
            if (run >= n && slot != 0)
            {
                t = FullWindow(x, output, ring, t, ref slot, ref pass, _passesPerTotal, shift, ref sum, mean);
                if (t == x.Length)
                    break;
            }
            var s = slot;
            slot = slot + 1 == n ? 0 : slot + 1;
            var total = s == 0 && NextPass(ref pass, _passesPerTotal) == 0;
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
            if (run >= n && total)
                sum = Total(ring, 0, 1);
            output[t++] = run < n ? double.NaN : mean ? MeanOf(shift, sum, n) : SumOf(shift, sum, n);
        }
        (Run[0], Slot, Filling, Shift[0], Sum[0], _pass) = (run, slot, filling, shift, sum, pass);
    }

    // Bars of a full window up to the first NaN or the next re-summation: one addition each, the ring's
    // slots in a tight loop pass after pass (the bar at the ring's first slot advances the pass count)
    private static int FullWindow(ReadOnlySpan<double> x, Span<double> output, Span<double> ring, int t, ref int slot, ref int pass, int passes,
        double shift, ref double sum, bool mean)
    {
        var n = ring.Length;
        var s = slot;
        var total = sum;
        while (true)
        {
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
            // a NaN, the block's end, or a re-summation due at the next bar ends the stretch; the caller takes
            // that bar, advancing the pass count for it
            if (s < n || t == x.Length || double.IsNaN(x[t]) || pass + 1 == passes)
                break;
            s = 0;
            NextPass(ref pass, passes);
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

    private void Push(int slotBase, int a, double x, bool total)
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
        if (run >= Period && total)
            Sum[a] = Total(Ring, a, Run.Length);
    }
}
