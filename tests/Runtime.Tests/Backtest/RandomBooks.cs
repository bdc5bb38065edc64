using System.Collections.Immutable;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Execution;

namespace StrategyLab.Runtime.Tests.Backtest;

/// <summary>A ledger simulation's inputs: bars, targets, options and the rebalance marks (null: every bar).</summary>
internal sealed record LedgerCase(Panel Panel, double[] Weights, LedgerOptions Options, bool[]? Rebalance);

// Random panels, targets and options that reach every branch of the simulation: listings and
// delistings, price gaps, thin and missing volume, funding, limit orders with re-quotes,
// participation caps, minimum notionals, leverage that can ruin the book, and every risk limit.
internal static class RandomBooks
{
    private const long Start = 1704067200000L; // 2024-01-01

    public static LedgerCase Case(int seed)
    {
        var rng = new Random(seed);
        // wider books too, so that row steps take their vector paths (8 doubles a vector with AVX-512) and their tails
        var assets = rng.NextDouble() < 0.7 ? rng.Next(1, 7) : rng.Next(7, 27);
        var bars = rng.Next(2, 90);
        var step = new[] { 86_400_000L, 3_600_000L, 300_000L }[rng.Next(3)];
        var wild = rng.NextDouble() < 0.3;
        var open = new double[bars * assets];
        var high = new double[bars * assets];
        var low = new double[bars * assets];
        var close = new double[bars * assets];
        var volume = new double[bars * assets];
        var funding = new double[bars * assets];
        for (var i = 0; i < assets; i++)
        {
            var listed = rng.NextDouble() < 0.3 ? rng.Next(0, bars) : 0;
            var delisted = rng.NextDouble() < 0.3 ? rng.Next(listed, bars) : bars;
            var gaps = rng.NextDouble() < 0.3 ? 0.15 : 0.0;
            var price = Math.Exp(rng.NextDouble() * 8 - 2);
            for (var t = 0; t < bars; t++)
            {
                var k = t * assets + i;
                var move = wild ? Math.Exp((rng.NextDouble() - 0.5) * 2.5) - 1 : (rng.NextDouble() - 0.5) * 0.06;
                var o = price * (1 + (rng.NextDouble() - 0.5) * 0.01);
                var c = o * (1 + move);
                var h = Math.Max(o, c) * (1 + rng.NextDouble() * 0.02);
                var l = Math.Min(o, c) * (1 - rng.NextDouble() * 0.02);
                price = c;
                var missing = t < listed || t >= delisted || rng.NextDouble() < gaps;
                open[k] = missing ? double.NaN : o;
                high[k] = missing ? double.NaN : h;
                low[k] = missing ? double.NaN : l;
                close[k] = missing ? double.NaN : c;
                volume[k] = missing || rng.NextDouble() < 0.05 ? double.NaN : rng.NextDouble() * 5_000;
                funding[k] = rng.NextDouble() < 0.5 ? double.NaN : (rng.NextDouble() - 0.4) * 0.002;
            }
        }
        var times = Enumerable.Range(0, bars).Select(t => Start + t * step).ToArray();
        var names = new List<string> { "open", "high", "low", "close" };
        var columns = new List<double[]> { open, high, low, close };
        if (rng.NextDouble() < 0.8)
        {
            names.Add("volume");
            columns.Add(volume);
        }
        if (rng.NextDouble() < 0.5)
        {
            names.Add("funding_rate");
            columns.Add(funding);
        }
        string[] symbols = [.. Enumerable.Range(0, assets).Select(i => $"A{i}")];
        var panel = new Panel("random", new Interval(step), [.. symbols], [.. names], new ArrayColumnStore(times, [.. columns]));
        return new LedgerCase(panel, Weights(rng, bars, assets, wild), Options(rng), rng.NextDouble() < 0.3 ? Marks(rng, bars) : null);
    }

    // targets that hold, flip, go flat or missing, with rows repeated so that some orders are zero
    private static double[] Weights(Random rng, int bars, int assets, bool wild)
    {
        var w = new double[bars * assets];
        var scale = wild ? 3.0 : 1.2;
        for (var t = 0; t < bars; t++)
        {
            for (var i = 0; i < assets; i++)
            {
                var k = t * assets + i;
                var roll = rng.NextDouble();
                w[k] = t > 0 && roll < 0.3 ? w[k - assets]
                    : roll < 0.4 ? double.NaN
                    : roll < 0.5 ? 0
                    : roll < 0.55 ? rng.Next(-1, 2) * 1e-4
                    : (rng.NextDouble() * 2 - 1) * scale / assets * 2;
            }
        }
        return w;
    }

    private static LedgerOptions Options(Random rng)
    {
        double Maybe(double probability, Func<double> value, double otherwise) => rng.NextDouble() < probability ? value() : otherwise;
        return new LedgerOptions
        {
            InitialCapital = new[] { 10_000.0, 1_000.0, 250_000.0 }[rng.Next(3)],
            Timing = rng.NextDouble() < 0.3 ? FillTiming.SignalClose : FillTiming.NextOpen,
            Orders = rng.NextDouble() < 0.4 ? OrderKind.LimitMaker : OrderKind.Market,
            TakerFee = Maybe(0.8, () => rng.NextDouble() * 0.002, 0),
            MakerFee = Maybe(0.8, () => rng.NextDouble() * 0.001 - 0.0002, 0),
            Slippage = Maybe(0.5, () => rng.NextDouble() * 0.001, 0),
            LimitOffset = rng.NextDouble() * 0.01,
            LimitRetries = rng.Next(0, 5),
            LimitShrink = rng.NextDouble(),
            LimitTimeoutSeconds = new[] { 0.0, 30, 3_600, 108_000 }[rng.Next(4)],
            MaxParticipation = Maybe(0.3, () => rng.NextDouble() * 0.5 + 0.001, double.NaN),
            MinNotional = Maybe(0.3, () => rng.NextDouble() * 2_000, 0),
            RoundUpToMinNotional = rng.NextDouble() < 0.5,
            Risk = new RiskLimits(
                new[] { 1.0, 1.0, 3.0, rng.NextDouble() * 0.8 + 0.05 }[rng.Next(4)],
                Maybe(0.3, () => rng.NextDouble() * 0.2 + 0.01, double.NaN),
                Maybe(0.3, () => rng.NextDouble() * 0.5 + 0.05, double.NaN)),
        };
    }

    /// <summary>Per-position exits, each present or not: stops and targets of 0.5–15 %, holding times, a ROI table, cooldowns.</summary>
    public static ExitRules Exits(Random rng)
    {
        double Maybe(double low, double high) => rng.NextDouble() < 0.5 ? low + (rng.NextDouble() * (high - low)) : double.NaN;
        var roi = rng.NextDouble() < 0.4
            ? [.. Enumerable.Range(0, rng.Next(1, 4)).Select(k => new RoiStep(k * rng.Next(1, 6), rng.NextDouble() * 0.1 - 0.01))]
            : ImmutableArray<RoiStep>.Empty;
        return new ExitRules
        {
            StopLoss = Maybe(0.005, 0.15),
            TakeProfit = Maybe(0.005, 0.15),
            TrailingStop = Maybe(0.005, 0.15),
            MaxHoldBars = rng.NextDouble() < 0.4 ? rng.Next(1, 12) : 0,
            Roi = roi,
            CooldownBars = rng.NextDouble() < 0.4 ? rng.Next(1, 6) : 0,
        };
    }

    private static bool[] Marks(Random rng, int bars) => [.. Enumerable.Range(0, bars).Select(_ => rng.NextDouble() < 0.4)];
}
