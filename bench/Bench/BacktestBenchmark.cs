using System.Diagnostics;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using StrategyLab.Runtime.Backtest;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Data.Synthetic;
using StrategyLab.Runtime.Evaluation;
using StrategyLab.Runtime.Plan;
using StrategyLab.Runtime.Runs;
using StrategyLab.Strategy.Dsl;

namespace StrategyLab.Bench;

/// <summary>
/// The reference backtest workloads (shared/peers/backtest_numpy.py) through the normal engine:
/// each strategy is a .strat file under bench/strategies, compiled, evaluated with the batch
/// kernels, turned into weights by the portfolio legs and accounted on weights, as the numpy
/// reference does. Inputs are the reference's arrays, regenerated bit for bit. The timed region runs
/// from the returns in memory to the metrics, as the reference's does; the bars' time axis, which the
/// reference does not have, is made with the returns. With <c>--peer FILE</c> (the
/// reference's JSON output) each result is compared with the reference's to 1e-9 relative. Every case
/// also times its memory bound (<see cref="MemoryBound"/>) in the same process, and the output starts
/// with the processor, the vector paths .NET takes on it and the load average.
/// </summary>
internal static class BacktestBenchmark
{
    public static void Run(string[] args)
    {
        Console.WriteLine(MachineLine());
        var peer = args.SkipWhile(a => a != "--peer").Skip(1).FirstOrDefault() is { } path
            ? JsonDocument.Parse(File.ReadAllText(path)).RootElement
            : (JsonElement?)null;
        var root = FindRoot();
        var only = args.SkipWhile(a => a != "--case").Skip(1).FirstOrDefault();
        void Case(string name, StrategyPlan plan, Func<double[]> returns, int assets, string interval, int repeats, JsonElement? peer)
        {
            if (only is null || only == name)
                RunCase(name, plan, returns, assets, interval, repeats, peer);
        }
        Case("xs_momentum_daily", Compile(root, "xs_momentum_daily"), () => ReferenceData.PanelReturns(minute: false), 100, "1d", repeats: 15,
            peer?.GetProperty("xs_daily"));
        Case("xs_momentum_minute", Compile(root, "xs_momentum_minute"), () => ReferenceData.PanelReturns(minute: true), 100, "1m", repeats: 3,
            peer?.GetProperty("xs_minute"));
        Case("sma_crossover", Compile(root, "sma_crossover"), () => ReferenceData.SingleReturns(), 1, "1m", repeats: 3,
            peer?.GetProperty("sma_cross"));
    }

    // peak memory is the process's peak working set less its working set once the input returns exist (and the
    // code is compiled);
    // run one case per process (--case NAME) for a peak that belongs to that case alone
    private static void RunCase(string name, StrategyPlan plan, Func<double[]> returns, int assets, string interval, int repeats, JsonElement? peer)
    {
        var r = returns();
        // a warm-up on the first tenth of the bars (at least 1,000, so that it streams several blocks on two
        // threads as the full run does) compiles the runtime's code and starts the second thread, which are no
        // part of the data's footprint; the peak of the first full run then counts what the run itself holds
        var warmUpBars = Math.Min(r.Length / assets, Math.Max(1_000, r.Length / assets / 10));
        using (var warmUp = Prices(r[..(warmUpBars * assets)], TimeAxis(warmUpBars, interval), assets, interval, new double[warmUpBars * assets]))
        using (var warmUpRun = PreparedRun.Prepare(plan, warmUp))
            warmUpRun.Weights(warmUpRun.Defaults);
        GC.Collect();
        var baseline = Process.GetCurrentProcess().WorkingSet64;
        // the bars' times are input, as the returns are (the reference has none): made before the clock starts,
        // after the baseline, so that the peak still counts them
        var times = TimeAxis(r.Length / assets, interval);
        var rawBytes = (plan.Columns.Length * (long)r.Length + r.Length / assets) * 8;
        // the repeats write their prices into one buffer, made here: a fresh array per repeat would time this
        // machine's page faults (2–4 µs each) more than the backtest (docs/performance.md says what the reference reuses)
        var close = GC.AllocateUninitializedArray<double>(r.Length);
        var best = double.MaxValue;
        WeightRunResult? result = null;
        long peakBytes = 0;
        for (var i = 0; i < repeats; i++)
        {
            GC.Collect();
            var watch = Stopwatch.StartNew();
            using var panel = Prices(r, times, assets, interval, close);
            // the whole run as a command makes it: bound to its data, then run with the defaults
            using var run = PreparedRun.Prepare(plan, panel);
            result = run.Weights(run.Defaults);
            watch.Stop();
            best = Math.Min(best, watch.Elapsed.TotalSeconds);
            // the first run's peak: later runs would count the garbage of earlier ones the collector has not handed back
            if (i == 0)
                peakBytes = Process.GetCurrentProcess().PeakWorkingSet64;
        }
        var m = result!.Metrics;
        var trades = result.Result.PositionChanges;
        var speed = r.Length / best;
        var (bound, boundThreads) = MemoryBound.Measure(r, close, assets, repeats);
        var moved = ((2.0 * r.Length) + (r.Length / assets)) * 8;
        Console.WriteLine($"{name}: {r.Length / assets:N0} bars × {assets} assets, best of {repeats}: {best * 1e3:F2} ms = {speed / 1e6:F1}M bar-asset updates/s");
        Console.WriteLine($"  memory bound (returns read, prices and one output a bar written: {moved / 1e6:F1} MB): {bound * 1e3:F2} ms on {boundThreads} thread(s), "
            + $"{moved / bound / 1e9:F1} GB/s; the run took {best / bound:F2}× the bound");
        Console.WriteLine($"  peak working set {peakBytes / 1e6:F0} MB, {(peakBytes - baseline) / 1e6:F0} MB above the {baseline / 1e6:F0} MB held once the input existed; raw columns the plan reads ({string.Join(", ", plan.Columns)} and the time axis) {rawBytes / 1e6:F0} MB: {(peakBytes - baseline) / (double)rawBytes:F2}× raw");
        Console.WriteLine($"  total return {m.TotalReturn:R}, log total return {m.LogTotalReturn:R}, Sharpe {m.Sharpe:R}, max drawdown {m.MaxDrawdown:R}, turnover {result.Result.TurnoverTotal:R}, position changes {trades}");
        if (peer is not { } p)
            return;
        Compare("log total return", p.GetProperty("log_total_return").GetDouble(), m.LogTotalReturn);
        Compare("Sharpe", p.GetProperty("sharpe_annualized").GetDouble(), m.Sharpe);
        Compare("max drawdown", p.GetProperty("max_drawdown").GetDouble(), m.MaxDrawdown);
        if (p.TryGetProperty("turnover_total", out var turnover))
            Compare("turnover", turnover.GetDouble(), result.Result.TurnoverTotal);
        if (p.TryGetProperty("trades", out var peerTrades))
            Compare("trades", peerTrades.GetDouble(), trades);
        // the reference's best throughput among its implementations (numpy, numba, pandas)
        var fastest = p.EnumerateObject().Where(x => x.Name.EndsWith("_per_s", StringComparison.Ordinal)).MaxBy(x => x.Value.GetDouble());
        if (fastest.Value.ValueKind == JsonValueKind.Number)
            Console.WriteLine($"  reference's best, {fastest.Name} {fastest.Value.GetDouble() / 1e6:F1}M/s: ratio {speed / fastest.Value.GetDouble():F2}×");
    }

    // the processor, the vector paths .NET takes on it, and the load average: every result is read against these
    private static string MachineLine()
    {
        static string Read(string path, Func<string, string> pick) => File.Exists(path) ? pick(File.ReadAllText(path)) : "unknown";
        var model = Read("/proc/cpuinfo", text =>
            text.Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown");
        var load = Read("/proc/loadavg", text => string.Join(" ", text.Split(' ').Take(3)));
        return $"machine: {model}, {Environment.ProcessorCount} cores; Vector<double> {Vector<double>.Count * 64} bits, "
            + $"Vector256 {Accelerated(Vector256.IsHardwareAccelerated)}, Vector512 {Accelerated(Vector512.IsHardwareAccelerated)}, "
            + $"AVX2 {(Avx2.IsSupported ? "on" : "off")}, AVX-512F {(Avx512F.IsSupported ? "on" : "off")}; load average {load}";
    }

    private static string Accelerated(bool yes) => yes ? "accelerated" : "not accelerated";

    private static void Compare(string what, double expected, double actual)
    {
        var relative = Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-300);
        Console.WriteLine($"  {what}: reference {expected:R}, ours {actual:R}, relative difference {relative:E2} {(relative <= 1e-9 ? "ok" : "MISMATCH")}");
    }

    // bar t at t intervals after the epoch
    internal static long[] TimeAxis(int bars, string interval)
    {
        var step = Interval.Parse(interval).Milliseconds;
        var times = GC.AllocateUninitializedArray<long>(bars);
        for (var t = 0; t < bars; t++)
            times[t] = t * step;
        return times;
    }

    // prices from returns as the reference builds them, into close: P[t] = P[t−1] (1 + r[t]), P[−1] = 100
    internal static Panel Prices(double[] r, long[] times, int assets, string interval, double[] close)
    {
        var bars = r.Length / assets;
        for (var a = 0; a < assets; a++)
            close[a] = 100.0 * (1.0 + r[a]);
        // each asset's product runs down its column; the assets of a row are independent, a vector of them at a time
        var i = assets;
        if (assets >= Vector<double>.Count)
        {
            for (var t = 1; t < bars; t++)
            {
                var a = 0;
                for (; a <= assets - Vector<double>.Count; a += Vector<double>.Count, i += Vector<double>.Count)
                    (new Vector<double>(close, i - assets) * (Vector<double>.One + new Vector<double>(r, i))).CopyTo(close, i);
                for (; a < assets; a++, i++)
                    close[i] = close[i - assets] * (1.0 + r[i]);
            }
        }
        // fewer assets than a vector: each asset's product runs down its column with the running price in a
        // register (read back from the array it would wait on the store before each multiplication)
        for (var a = 0; i < r.Length && a < assets; a++)
        {
            var price = close[i - assets + a];
            for (var k = i + a; k < r.Length; k += assets)
                close[k] = price *= 1.0 + r[k];
        }
        var symbols = Enumerable.Range(0, assets).Select(a => $"A{a:00}").ToArray();
        return new Panel("reference", Interval.Parse(interval), [.. symbols], ["open", "high", "low", "close"],
            new ArrayColumnStore(times, [close, close, close, close]));
    }

    internal static StrategyPlan Compile(string root, string name)
    {
        var path = Path.Combine(root, "bench", "strategies", name + ".strat");
        var compiled = Compiler.compile(path, File.ReadAllText(path));
        return compiled.IsOk ? compiled.ResultValue : throw new InvalidOperationException($"{path} does not compile: {compiled.ErrorValue.Head}");
    }

    internal static string FindRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "StrategyLab.sln")))
                    return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("StrategyLab.sln not found");
    }
}
