using StrategyLab.Runtime.Compute;

namespace StrategyLab.Runtime.Tests.Compute;

/// <summary>The documented edge cases where the operators decide something TA-Lib or pandas leave open or do differently.</summary>
public sealed class EdgeCaseTests
{
    [Fact]
    public void RocFromZeroIsZeroAsInTaLib()
    {
        var output = new double[3];
        Roc.Compute([0.0, 5.0, 10.0], output, 1, 1);
        Assert.Equal([double.NaN, 0.0, 100.0], output);
    }

    [Fact]
    public void LogReturnOfNonPositivePricesIsMissing()
    {
        var output = new double[4];
        LogReturn.Compute([-1.0, 2.0, 0.0, 4.0], output, 1, 1);
        Assert.All(output, x => Assert.True(double.IsNaN(x)));
    }

    [Fact]
    public void BalanceOfPowerOfAFlatBarIsZero()
    {
        var output = new double[2];
        // (close − open) / (high − low) = (2 − 1) / (2 − 0) for the first asset; the second bar has no range
        Bop.Compute([1.0, 1.0], [2.0, 1.0], [0.0, 1.0], [2.0, 1.0], output, 2);
        Assert.Equal([0.5, 0.0], output);
    }

    [Fact]
    public void MoneyFlowIndexWithoutFlowIsZero()
    {
        // constant typical price: neither positive nor negative flow over the window
        double[] flat = [5.0, 5.0, 5.0, 5.0];
        var output = new double[4];
        Mfi.Compute(flat, flat, flat, [1e-6, 1e-6, 1e-6, 1e-6], output, 1, 3);
        Assert.Equal([double.NaN, double.NaN, double.NaN, 0.0], output);
    }

    [Fact]
    public void MoneyFlowIndexKeepsSmallFlows()
    {
        // TA-Lib writes 0 when the total flow is below 1; here 2 rises and 1 fall of tiny flows give 100 × 2 / 3
        double[] price = [1e-4, 2e-4, 3e-4, 2e-4, 4e-4];
        var output = new double[5];
        Mfi.Compute(price, price, price, [1.0, 1.0, 1.0, 1.0, 1.0], output, 1, 3);
        var up = 3e-4 + 4e-4;
        Assert.Equal(100.0 * up / (up + 2e-4), output[4], 12);
    }

    [Fact]
    public void RsiOfAFlatSeriesIsZeroAsInTaLib()
    {
        var output = new double[4];
        Rsi.Compute([7.0, 7.0, 7.0, 7.0], output, 1, 2);
        Assert.Equal([double.NaN, double.NaN, 0.0, 0.0], output);
    }

    [Fact]
    public void NormalisedAtrOfAZeroCloseIsMissing()
    {
        var output = new double[3];
        Natr.Compute([2.0, 2.0, 2.0], [0.0, 0.0, 0.0], [1.0, 1.0, 0.0], output, 1, 1);
        Assert.Equal(200.0, output[1]);
        Assert.True(double.IsNaN(output[2]));
    }

    [Fact]
    public void StochasticOfAFlatRangeIsZeroAsInTaLib()
    {
        double[] flat = [3.0, 3.0, 3.0];
        var k = new double[3];
        var d = new double[3];
        Stochastic.Compute(flat, flat, flat, k, d, 1, 1, 2, 2);
        Assert.Equal([double.NaN, double.NaN, 0.0], k);
        Assert.Equal([double.NaN, double.NaN, 0.0], d);
    }

    [Fact]
    public void MacdNeedsTheFastPeriodBelowTheSlowOne() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Macd(1, 26, 12, 9));

    [Fact]
    public void UpdateRejectsARowOfTheWrongWidth()
    {
        var sma = new Sma(3, 2);
        var output = new double[3];
        Assert.Throws<ArgumentException>(() => sma.Update(new double[2], output));
        Assert.Throws<ArgumentException>(() => ((IIncrementalIndicator)new Atr(3)).Update(0, new double[6], output));
    }

    [Fact]
    public void BatchKernelRejectsColumnsOfDifferentLengths()
    {
        Assert.Throws<ArgumentException>(() => Sma.Compute(new double[6], new double[4], 2, 2));
        Assert.Throws<ArgumentException>(() => Sma.Compute(new double[5], new double[5], 2, 2));
        Assert.Throws<ArgumentException>(() => Atr.Compute(new double[4], new double[6], new double[6], new double[6], 2, 2));
    }

    [Fact]
    public void RollingDeviationStaysAccurateAfterManyBars()
    {
        // 100,000 bars of 50,000 + U(-1, 1) with an upward drift; the last windows are checked
        // against a two-pass mean and deviation computed here from the definition
        const int rows = 100_000;
        const int n = 20;
        var random = new Random(7);
        var x = new double[rows];
        for (var t = 0; t < rows; t++)
        {
            x[t] = 50_000.0 + (t * 0.5) + ((random.NextDouble() * 2.0) - 1.0);
        }

        var output = new double[rows];
        RollingStd.Compute(x, output, 1, n, sample: false);
        for (var t = rows - 10; t < rows; t++)
        {
            var window = x[(t - n + 1)..(t + 1)];
            var mean = window.Sum() / n;
            var expected = Math.Sqrt(window.Sum(v => (v - mean) * (v - mean)) / n);
            Assert.Equal(expected, output[t], 1e-9 * expected);
        }
    }
}
