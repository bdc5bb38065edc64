using System.Numerics;

namespace StrategyLab.Runtime.Compute;

/// <summary>
/// The bookkeeping of per-asset windows over the last n bars that the rolling sums and moments
/// share: a ring of each asset's values (shifted by its run's first value), the length of each
/// asset's run of consecutive values (a NaN ends it, so a window is full only after n of them),
/// how many assets are not full yet, and the ring slot of the next bar.
/// </summary>
internal abstract class WindowRing
{
    private protected WindowRing(int assetCount, int period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        Period = period;
        Ring = new double[checked(assetCount * period)];
        Run = new int[assetCount];
        Shift = new double[assetCount];
        Sum = new double[assetCount];
        Filling = assetCount;
    }

    /// <summary>Window length n in bars.</summary>
    public int Period { get; }

    /// <summary>Shifted values, [slot × asset].</summary>
    private protected double[] Ring { get; }

    /// <summary>Consecutive values of each asset up to the last bar pushed.</summary>
    private protected int[] Run { get; }

    /// <summary>The first value of each asset's run, subtracted before summing.</summary>
    private protected double[] Shift { get; }

    /// <summary>Each asset's sum of shifted values over its window.</summary>
    private protected double[] Sum { get; }

    /// <summary>Assets whose window is not full.</summary>
    private protected int Filling { get; set; }

    /// <summary>The ring slot of the next bar: bar number modulo n, kept as a cursor (a division per bar costs more than the sums).</summary>
    private protected int Slot { get; set; }

    /// <summary>True when asset <paramref name="a"/> has n consecutive values up to the last row pushed.</summary>
    public bool IsFull(int a) => Run[a] >= Period;

    /// <summary>Writes the window means of full assets (shift + sum / n), NaN for the others.</summary>
    public void WriteMean(Span<double> output)
    {
        var n = (double)Period;
        var a = 0;
        if (Filling == 0 && Vector.IsHardwareAccelerated)
        {
            // every window full: a vector of assets at a time, the scalar arithmetic
            var nv = new Vector<double>(n);
            for (; a <= output.Length - Vector<double>.Count; a += Vector<double>.Count)
                (new Vector<double>(Shift.AsSpan(a)) + (new Vector<double>(Sum.AsSpan(a)) / nv)).CopyTo(output[a..]);
        }
        for (; a < output.Length; a++)
            output[a] = IsFull(a) ? Shift[a] + (Sum[a] / n) : double.NaN;
    }

    public virtual void Reset()
    {
        Array.Clear(Run);
        Array.Clear(Ring);
        Filling = Run.Length;
        Slot = 0;
    }

    /// <summary>The ring offset of the next bar's row, advancing the cursor.</summary>
    private protected int NextSlotBase()
    {
        var slotBase = Slot * Run.Length;
        Slot = Slot + 1 == Period ? 0 : Slot + 1;
        return slotBase;
    }

    /// <summary>A NaN ends asset <paramref name="a"/>'s run: its window empties.</summary>
    private protected void EndRun(int a)
    {
        if (Run[a] >= Period)
            Filling++;
        Run[a] = 0;
    }

    /// <summary>Counts a value into asset <paramref name="a"/>'s run while its window fills; returns the new run length.</summary>
    private protected int Lengthen(int a)
    {
        var run = ++Run[a];
        if (run == Period)
            Filling--;
        return run;
    }
}
