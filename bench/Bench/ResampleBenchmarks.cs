using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Bench;

/// <summary>
/// Aggregating one year of 5-minute candles of 100 assets (105,120 bars × 100, five columns,
/// a tenth of the assets listed a quarter of the way in) into 1h and 4h bars.
/// Run: <c>dotnet run -c Release --project bench/Bench -- --filter '*ResampleBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortInProcess))]
public class ResampleBenchmarks
{
    private const int Assets = 100;
    private const int Bars = 365 * 288;
    private Panel _panel = null!;

    [Params("1h", "4h")]
    public string To { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261122);
        var columns = Enumerable.Range(0, 5).Select(_ => new double[Assets * Bars]).ToArray();
        for (var a = 0; a < Assets; a++)
        {
            var price = 10.0 + (a * 3.0);
            var listed = a % 10 == 0 ? Bars / 4 : 0;
            for (var t = 0; t < Bars; t++)
            {
                var i = (t * Assets) + a;
                var open = price;
                price *= Math.Exp(0.002 * ((random.NextDouble() * 2.0) - 1.0));
                var spread = price * 0.002 * random.NextDouble();
                double[] values = [open, Math.Max(open, price) + spread, Math.Min(open, price) - spread, price, random.NextDouble() * 1000];
                for (var c = 0; c < 5; c++)
                    columns[c][i] = t < listed ? double.NaN : values[c];
            }
        }
        var times = Enumerable.Range(0, Bars).Select(t => 1_704_067_200_000L + (t * 300_000L)).ToArray();
        _panel = new Panel("bench_5m", Interval.Parse("5m"), [.. Enumerable.Range(0, Assets).Select(a => $"A{a}")],
            ["open", "high", "low", "close", "volume"], new ArrayColumnStore(times, columns));
    }

    [Benchmark]
    public int Aggregate() => Resample.To(_panel, Interval.Parse(To)).Panel.TimeCount;

    private sealed class ShortInProcess : ManualConfig
    {
        public ShortInProcess()
        {
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5));
            AddColumn(StatisticColumn.Min);
        }
    }
}
