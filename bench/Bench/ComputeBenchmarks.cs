using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using StrategyLab.Runtime.Compute;

namespace StrategyLab.Bench;

/// <summary>
/// Batch kernels over one [200,000 × 100] panel (20 M bar × asset cells, daily-like random walks
/// with late listings). Throughput in cells per second is 20 M divided by the time; on a shared
/// machine the minimum is the figure to read.
/// Run: <c>dotnet run -c Release --project bench/Bench -- --filter '*ComputeBenchmarks*'</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ShortInProcess))]
public class ComputeBenchmarks
{
    private const int Assets = 100;
    private const int Bars = 200_000;
    private double[] _high = [];
    private double[] _low = [];
    private double[] _close = [];
    private double[] _output = [];
    private double[] _second = [];
    private double[] _third = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(20261121);
        _high = new double[Assets * Bars];
        _low = new double[Assets * Bars];
        _close = new double[Assets * Bars];
        _output = new double[Assets * Bars];
        _second = new double[Assets * Bars];
        _third = new double[Assets * Bars];
        for (var a = 0; a < Assets; a++)
        {
            var price = 10.0 + (a * 3.0);
            var listed = a % 10 == 0 ? Bars / 4 : 0;
            for (var t = 0; t < Bars; t++)
            {
                var i = (t * Assets) + a;
                price *= Math.Exp(0.01 * ((random.NextDouble() * 2.0) - 1.0));
                var spread = price * 0.005 * random.NextDouble();
                _close[i] = t < listed ? double.NaN : price;
                _high[i] = t < listed ? double.NaN : price + spread;
                _low[i] = t < listed ? double.NaN : price - spread;
            }
        }
    }

    [Benchmark]
    public void Momentum20() => SimpleReturn.Compute(_close, _output, Assets, 20);

    [Benchmark]
    public void Sma20() => Sma.Compute(_close, _output, Assets, 20);

    [Benchmark]
    public void Ema20() => Ema.Compute(_close, _output, Assets, 20);

    [Benchmark]
    public void Rsi14() => Rsi.Compute(_close, _output, Assets, 14);

    [Benchmark]
    public void ZScore20() => RollingZScore.Compute(_close, _output, Assets, 20);

    [Benchmark]
    public void Max20() => RollingMax.Compute(_close, _output, Assets, 20);

    [Benchmark]
    public void Macd12269() => Macd.Compute(_close, _output, _second, _third, Assets);

    [Benchmark]
    public void Atr14() => Atr.Compute(_high, _low, _close, _output, Assets, 14);

    [Benchmark]
    public void CrossSectionalRank() => StrategyLab.Runtime.Compute.CrossSectionalRank.Compute(_close, _output, Assets);

    [Benchmark]
    public void QuantileBuckets10() => StrategyLab.Runtime.Compute.QuantileBuckets.Compute(_close, _output, Assets, 10);

    /// <summary>One process, few iterations: each kernel call already sweeps 20 M cells.</summary>
    private sealed class ShortInProcess : ManualConfig
    {
        public ShortInProcess()
        {
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(5));
            AddColumn(StatisticColumn.Min);
        }
    }
}
