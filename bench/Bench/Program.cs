using BenchmarkDotNet.Running;

namespace StrategyLab.Bench;

internal static class Program
{
    /// <summary>
    /// <c>large-store [FOLDER]</c> runs the cache-at-scale macro benchmark; anything else goes to
    /// BenchmarkDotNet (e.g. <c>--filter *DataLoad*</c>).
    /// </summary>
    private static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "large-store")
        {
            LargeStore.Run(args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "strategylab-large-store"));
            return;
        }
        if (args.Length > 0 && args[0] == "backtest")
        {
            BacktestBenchmark.Run(args);
            return;
        }
        if (args.Length > 0 && args[0] == "gbdt")
        {
            GbdtBenchmark.Run(args);
            return;
        }
        if (args.Length > 0 && args[0] == "sweep")
        {
            SweepBenchmark.Run(args);
            return;
        }
        if (args.Length > 0 && args[0] == "tpe")
        {
            SamplerBenchmark.Run(args);
            return;
        }
        if (args.Length > 0 && args[0] == "latency")
        {
            LatencyBenchmark.Run(args);
            return;
        }
        if (args.Length > 0 && args[0] == "lstm")
        {
            LstmBenchmark.Run(args);
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
