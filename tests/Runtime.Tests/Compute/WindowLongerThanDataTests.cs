using StrategyLab.Runtime.Compute;

namespace StrategyLab.Runtime.Tests.Compute;

/// <summary>
/// A window or horizon longer than the data gives missing values, as the incremental form does,
/// without sizing anything by the window: the batch kernels allocate nothing for it.
/// </summary>
public sealed class WindowLongerThanDataTests
{
    private const int Assets = 3;
    private const int Rows = 40;

    private delegate void Kernel(double[][] inputs, double[] output, int window);

    private delegate IIncrementalIndicator Incremental(int window);

    // name, inputs, the batch kernel, and the incremental form it must equal
    private static readonly (string Name, int Inputs, Kernel Batch, Incremental Form)[] Kernels =
    [
        ("lag", 1, (x, o, n) => Lag.Compute(x[0], o, Assets, n), n => new Lag(Assets, n)),
        ("diff", 1, (x, o, n) => Diff.Compute(x[0], o, Assets, n), n => new Diff(Assets, n)),
        ("return", 1, (x, o, n) => SimpleReturn.Compute(x[0], o, Assets, n), n => new SimpleReturn(Assets, n)),
        ("log_return", 1, (x, o, n) => LogReturn.Compute(x[0], o, Assets, n), n => new LogReturn(Assets, n)),
        ("roc", 1, (x, o, n) => Roc.Compute(x[0], o, Assets, n), n => new Roc(Assets, n)),
        ("momentum", 1, (x, o, n) => Momentum.Compute(x[0], o, Assets, n), n => new Momentum(Assets, n)),
        ("sum", 1, (x, o, n) => RollingSum.Compute(x[0], o, Assets, n), n => new RollingSum(Assets, n)),
        ("mean", 1, (x, o, n) => RollingMean.Compute(x[0], o, Assets, n), n => new RollingMean(Assets, n)),
        ("sma", 1, (x, o, n) => Sma.Compute(x[0], o, Assets, n), n => new Sma(Assets, n)),
        ("std", 1, (x, o, n) => RollingStd.Compute(x[0], o, Assets, n), n => new RollingStd(Assets, n)),
        ("zscore", 1, (x, o, n) => RollingZScore.Compute(x[0], o, Assets, n), n => new RollingZScore(Assets, n)),
        ("min", 1, (x, o, n) => RollingMin.Compute(x[0], o, Assets, n), n => new RollingMin(Assets, n)),
        ("max", 1, (x, o, n) => RollingMax.Compute(x[0], o, Assets, n), n => new RollingMax(Assets, n)),
        ("cci", 3, (x, o, n) => Cci.Compute(x[0], x[1], x[2], o, Assets, n), n => new Cci(Assets, n)),
        ("mfi", 4, (x, o, n) => Mfi.Compute(x[0], x[1], x[2], x[3], o, Assets, n), n => new Mfi(Assets, n)),
    ];

    public static TheoryData<string> Names() => [.. Kernels.Select(k => k.Name)];

    // prices around 100 with a few gaps; high ≥ close ≥ low and positive volume for the multi-input kernels
    private static double[][] Inputs(int count)
    {
        var random = new Random(7);
        var close = new double[Rows * Assets];
        for (var i = 0; i < close.Length; i++)
            close[i] = i % 17 == 5 ? double.NaN : 100 + (random.NextDouble() * 10);
        double[] high = [.. close.Select(c => c + 1)];
        double[] low = [.. close.Select(c => c - 1)];
        double[] volume = [.. close.Select((_, i) => 1000.0 + i)];
        return count switch
        {
            1 => [close],
            3 => [high, low, close],
            _ => [high, low, close, volume],
        };
    }

    private static double[] RunIncremental(IIncrementalIndicator form, double[][] inputs)
    {
        var output = new double[Rows * Assets];
        var rows = new double[inputs.Length * Assets];
        for (var t = 0; t < Rows; t++)
        {
            for (var k = 0; k < inputs.Length; k++)
                inputs[k].AsSpan(t * Assets, Assets).CopyTo(rows.AsSpan(k * Assets));
            form.Update(t, rows, output.AsSpan(t * Assets, Assets));
        }
        return output;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Windows_about_the_data_length_give_the_incremental_forms_bits(string name)
    {
        var (_, count, batch, form) = Kernels.Single(k => k.Name == name);
        var inputs = Inputs(count);
        foreach (var window in new[] { Rows - 2, Rows - 1, Rows, Rows + 1, Rows + 5 })
        {
            var output = new double[Rows * Assets];
            batch(inputs, output, window);
            var expected = RunIncremental(form(window), inputs);
            Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), output.Select(BitConverter.DoubleToInt64Bits));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_window_of_millions_of_bars_over_forty_gives_missing_values_and_allocates_nothing_for_it(string name)
    {
        var (_, count, batch, _) = Kernels.Single(k => k.Name == name);
        var inputs = Inputs(count);
        var output = new double[Rows * Assets];
        batch(inputs, output, 10);
        var before = GC.GetAllocatedBytesForCurrentThread();
        batch(inputs, output, 5_000_000);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.All(output, v => Assert.True(double.IsNaN(v)));
        // a ring of 5,000,000 bars × 3 assets would be 120 MB
        Assert.True(allocated < 64 * 1024, $"{name} allocated {allocated} bytes for a window longer than the data");
    }

    [Fact]
    public void A_forward_return_over_the_largest_horizon_is_missing_everywhere()
    {
        var close = Inputs(1)[0];
        var output = new double[close.Length];
        Forward.Return(close, output, Assets, int.MaxValue);
        Assert.All(output, v => Assert.True(double.IsNaN(v)));
        Forward.LogReturn(close, output, Assets, int.MaxValue);
        Assert.All(output, v => Assert.True(double.IsNaN(v)));
        Forward.Mean(close, output, Assets, int.MaxValue);
        Assert.All(output, v => Assert.True(double.IsNaN(v)));
    }
}
