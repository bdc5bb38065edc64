using FsCheck;
using FsCheck.Fluent;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Compute;
using StrategyLab.Runtime.Portfolio;

namespace StrategyLab.Runtime.Tests.Backtest;

// The single-asset block kernels (a strategy on one instrument) must give the numbers of the
// bar-by-bar forms paper and live trading run, bit for bit, whatever the split into blocks.
public sealed class SingleAssetBlockTests
{
    // a price walk with NaN gaps (none, rare or frequent), and the block lengths to cut it into
    private static Arbitrary<(double[] Prices, int[] Blocks)> Walks() =>
        (from n in Gen.Choose(1, 600)
         from steps in Gen.ArrayOf(Gen.Choose(-300, 300), n)
         from gapsIn1000 in Gen.Elements(0, 3, 100)
         from gaps in Gen.ArrayOf(Gen.Choose(0, 999).Select(k => k < gapsIn1000), n)
         from longBlocks in Gen.Elements(false, true)
         from blocks in Gen.ArrayOf(Gen.Choose(1, longBlocks ? 600 : 60), 40)
         select (Walk(steps, gaps), blocks)).ToArbitrary();

    private static double[] Walk(int[] steps, bool[] gaps)
    {
        var prices = new double[steps.Length];
        var p = 25_000.0;
        for (var t = 0; t < steps.Length; t++)
        {
            p *= 1 + (steps[t] * 1e-4);
            prices[t] = gaps[t] ? double.NaN : p;
        }
        return prices;
    }

    // runs a block kernel over the series cut into the given block lengths (repeating them)
    private static void InBlocks(int length, int[] blocks, Action<int, int> block)
    {
        for (int start = 0, k = 0; start < length; k++)
        {
            var rows = Math.Min(blocks[k % blocks.Length], length - start);
            block(start, rows);
            start += rows;
        }
    }

    private static bool SameBits(double[] x, double[] y) =>
        x.Length == y.Length && x.Zip(y).All(p => BitConverter.DoubleToInt64Bits(p.First) == BitConverter.DoubleToInt64Bits(p.Second));

    [Theory]
    [InlineData(1, false)]
    [InlineData(3, false)]
    [InlineData(10, true)]
    [InlineData(50, false)]
    public void MovingSumsInBlocksEqualTheBarByBarForm(int period, bool sum)
    {
        Prop.ForAll(Walks(), c =>
        {
            var (prices, blocks) = c;
            IncrementalIndicator Create() => sum ? new RollingSum(1, period) : new Sma(1, period);
            var byBar = new double[prices.Length];
            var row = Create();
            for (var t = 0; t < prices.Length; t++)
                row.Update(t, prices.AsSpan(t, 1), byBar.AsSpan(t, 1));
            var blocked = new double[prices.Length];
            var column = Create();
            var times = new long[prices.Length];
            InBlocks(prices.Length, blocks, (start, rows) =>
                column.UpdateBlock(times.AsSpan(start, rows), prices.AsSpan(start, rows), blocked.AsSpan(start, rows)));
            return SameBits(byBar, blocked) && column.Samples == prices.Length;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    [Theory]
    [InlineData(10)] // summed afresh every 70 bars
    [InlineData(50)] // every 100 bars
    public void MovingAverageStaysExactOverALongDriftingHistory(int period)
    {
        // 200,000 bars drifting from 100 to about 10,000: the mean of the last n against a fresh sum of the window
        var n = 200_000;
        var prices = new double[n];
        for (var t = 0; t < n; t++)
            prices[t] = 100 * Math.Exp(4.6 * t / n) * (1 + (0.01 * Math.Sin(t * 0.7)));
        var sma = new double[n];
        new Sma(1, period).UpdateBlock(new long[n], prices, sma);
        for (var t = period - 1; t < n; t += 997)
        {
            var fresh = prices.AsSpan(t - period + 1, period).ToArray().Sum() / period;
            Assert.Equal(fresh, sma[t], fresh * 1e-13);
        }
    }

    private static Arbitrary<(double[] Entry, double[] Exit, bool Exits, bool Long, int[] Blocks)> Signals() =>
        (from n in Gen.Choose(1, 300)
         from entry in Gen.ArrayOf(Gen.Elements(0.0, 1.0, 1.0, double.NaN, 2.5), n)
         from exit in Gen.ArrayOf(Gen.Elements(0.0, 0.0, 1.0, double.NaN), n)
         from exits in Gen.Elements(false, true)
         from isLong in Gen.Elements(false, true)
         from blocks in Gen.ArrayOf(Gen.Choose(1, 40), 30)
         select (entry, exit, exits, isLong, blocks)).ToArbitrary();

    [Fact]
    public void ThresholdLegsInBlocksEqualTheBarByBarForm()
    {
        Prop.ForAll(Signals(), c =>
        {
            var (entry, exit, exits, isLong, blocks) = c;
            // one leg, or a long and a short leg on the same signals, with a net target and a leverage cap
            LegRule[] legs = exits
                ? [new ThresholdRule(isLong, 0, 1), new ThresholdRule(!isLong, 1, 0)]
                : [new ThresholdRule(isLong, 0, null)];
            LegPortfolio Create() => new(1, legs, grossExposure: 1.5, leverage: 2, netExposure: exits ? 0.5 : null, maxGross: 2.5);
            var byBar = new double[entry.Length];
            var row = Create();
            for (var t = 0; t < entry.Length; t++)
                row.Update([entry[t], exit[t]], default, byBar.AsSpan(t, 1));
            var blocked = new double[entry.Length];
            var block = Create();
            InBlocks(entry.Length, blocks, (start, rows) =>
                block.UpdateBlock([entry[start..(start + rows)], exit[start..(start + rows)]], default, 0, rows, blocked.AsSpan(start, rows)));
            return SameBits(byBar, blocked);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void SingleAssetAccountingInBlocksEqualsTheBarByBarForm()
    {
        Prop.ForAll(Walks(), Signals(), (walk, signals) =>
        {
            var prices = walk.Prices;
            var n = prices.Length;
            var w = Enumerable.Range(0, n).Select(t => signals.Entry[t % signals.Entry.Length] * (signals.Long ? 0.5 : -1)).ToArray();
            var first = n / 3;
            if (n < 2)
                return true;
            var byBar = new WeightAccountant(n, 1, 0.0007, first);
            for (var t = 0; t < n; t++)
                byBar.Step(w.AsSpan(t, 1), prices.AsSpan(t, 1));
            var blocked = new WeightAccountant(n, 1, 0.0007, first);
            InBlocks(n, walk.Blocks, (start, rows) => blocked.StepRows(w.AsSpan(start, rows), prices.AsSpan(start, rows)));
            var (x, y) = (byBar.Result(), blocked.Result());
            return SameBits(x.Returns, y.Returns) && SameBits(x.GrossReturns, y.GrossReturns)
                && x.TurnoverTotal.Equals(y.TurnoverTotal) && x.PositionChanges == y.PositionChanges
                && x.HeldThroughMissingPrices == y.HeldThroughMissingPrices;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }
}
