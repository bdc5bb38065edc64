using System.Diagnostics;
using System.Text.Json;
using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Runs;
using StrategyLab.Runtime.Search;

namespace StrategyLab.Bench;

/// <summary>
/// Sweep throughput against bench/reference/sweep_numpy.py: the daily reference momentum (100 assets ×
/// 3,000 bars) over a 10 × 10 grid (lookback 5..50 by 5, k 1..10), research accounting, as the peer
/// loops the reference backtest. The data is prepared once (a sweep's trials share it); the timed region
/// is the whole grid, best of the repeats. <c>--jobs N</c> sets the trials at a time; run it under
/// <c>taskset -c 0</c> for the one-core figure. With <c>--peer FILE</c> every trial's Sharpe, log total
/// return and turnover are compared with the peer's.
/// </summary>
internal static class SweepBenchmark
{
    public static void Run(string[] args)
    {
        string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var jobs = int.Parse(Option("--jobs") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        var repeats = int.Parse(Option("--repeats") ?? "5", System.Globalization.CultureInfo.InvariantCulture);
        var plan = BacktestBenchmark.Compile(BacktestBenchmark.FindRoot(), "xs_momentum_daily");
        var r = ReferenceData.PanelReturns(minute: false);
        const int Assets = 100;
        using var panel = BacktestBenchmark.Prices(r, BacktestBenchmark.TimeAxis(r.Length / Assets, "1d"), Assets, "1d", new double[r.Length]);
        using var run = PreparedRun.Prepare(plan, panel);
        var axes = Sweep.ParseAxes(plan, ["lookback=5..50:5", "k=1..10"]);
        var objective = Objective.Of("sharpe");
        // a first grid compiles the code the timed ones run
        Sweep.Run(run, axes, RunSettings.Default, Accounting.Weights, objective, jobs);
        var times = new double[repeats];
        SweepResult? result = null;
        var allocated = GC.GetTotalAllocatedBytes();
        var collections = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        for (var i = 0; i < repeats; i++)
        {
            GC.Collect();
            var watch = Stopwatch.StartNew();
            result = Sweep.Run(run, axes, RunSettings.Default, Accounting.Weights, objective, jobs);
            times[i] = watch.Elapsed.TotalSeconds;
        }
        // the collections the grids caused (less the one forced before each)
        var (gen0, gen1, gen2) = (GC.CollectionCount(0) - collections.Item1 - repeats, GC.CollectionCount(1) - collections.Item2 - repeats,
            GC.CollectionCount(2) - collections.Item3 - repeats);
        var perGrid = (GC.GetTotalAllocatedBytes() - allocated) / (double)repeats;
        Array.Sort(times);
        var best = times[0];
        var median = times[repeats / 2];
        var trials = result!.Trials.Count;
        Console.WriteLine($"sweep 10 × 10, {jobs} job(s), {Environment.ProcessorCount} processor(s): best of {repeats} {best * 1e3:F1} ms = {trials / best:F1} trials/s, "
            + $"median {median * 1e3:F1} ms = {trials / median:F1} trials/s; per grid {perGrid / 1e6:F1} MB allocated, "
            + $"collections over the {repeats} grids gen0 {gen0} gen1 {gen1} gen2 {gen2}");
        if (Option("--peer") is not { } path)
            return;
        using var peer = JsonDocument.Parse(File.ReadAllText(path));
        var worst = 0.0;
        foreach (var p in peer.RootElement.GetProperty("results").EnumerateArray())
        {
            var trial = result.Trials.Single(t => t.Swept["lookback"].Number == p.GetProperty("lookback").GetDouble()
                && t.Swept["k"].Number == p.GetProperty("k").GetDouble());
            var m = trial.Outcome!.Metrics;
            worst = Math.Max(worst, Relative(p.GetProperty("sharpe_annualized").GetDouble(), m["sharpe"]));
            worst = Math.Max(worst, Relative(p.GetProperty("max_drawdown").GetDouble(), m["maxdd"]));
        }
        var peerSpeed = peer.RootElement.GetProperty("trials_per_s").GetDouble();
        Console.WriteLine($"  peer {peerSpeed:F1} trials/s: ratio {trials / best / peerSpeed:F2}×; largest relative difference of Sharpe and drawdown over the grid {worst:E2} {(worst <= 1e-9 ? "ok" : "MISMATCH")}");
    }

    private static double Relative(double expected, double actual) => Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-300);
}
