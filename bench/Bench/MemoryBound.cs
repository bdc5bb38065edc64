using System.Diagnostics;

namespace StrategyLab.Bench;

/// <summary>
/// The physical reference of a backtest workload: a pass that reads the returns once, writes the
/// prices once (the input step's traffic) and writes one value per bar (the run's output series), with
/// no arithmetic to speak of. It runs in the benchmark's process on one thread and on two, each thread
/// a half of the bars, and the faster of the two is the bound: no backtest of the same inputs and outputs
/// moves less memory than this pass.
/// </summary>
internal static class MemoryBound
{
    // values copied at a time: the prices of a chunk are still in the first-level cache when the outputs read them
    private const int ChunkValues = 16_384;

    /// <summary>The best time in seconds of <paramref name="repeats"/> passes, and the threads that gave it.</summary>
    public static (double Seconds, int Threads) Measure(double[] returns, double[] close, int assets, int repeats)
    {
        var bars = returns.Length / assets;
        var output = new double[bars];
        // a first pass faults the output's pages in, as the run's first repeat does its own
        Pass(returns, close, output, assets, 0, bars);
        var (best, threads) = (double.MaxValue, 1);
        for (var i = 0; i < repeats; i++)
        {
            foreach (var n in new[] { 1, 2 })
            {
                var watch = Stopwatch.StartNew();
                if (n == 1)
                    Pass(returns, close, output, assets, 0, bars);
                else
                    Parallel.Invoke(() => Pass(returns, close, output, assets, 0, bars / 2), () => Pass(returns, close, output, assets, bars / 2, bars));
                watch.Stop();
                if (watch.Elapsed.TotalSeconds < best)
                    (best, threads) = (watch.Elapsed.TotalSeconds, n);
            }
        }
        return (best, threads);
    }

    // bars [from, to): the returns copied into the prices a chunk at a time, then each bar's first price into its output
    private static void Pass(double[] returns, double[] close, double[] output, int assets, int from, int to)
    {
        var step = Math.Max(1, ChunkValues / assets);
        for (var bar = from; bar < to; bar += step)
        {
            var rows = Math.Min(step, to - bar);
            returns.AsSpan(bar * assets, rows * assets).CopyTo(close.AsSpan(bar * assets));
            for (var t = bar; t < bar + rows; t++)
                output[t] = close[t * assets];
        }
    }
}
