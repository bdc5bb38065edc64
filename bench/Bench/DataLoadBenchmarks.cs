using BenchmarkDotNet.Attributes;
using StrategyLab.Runtime.Data;

namespace StrategyLab.Bench;

/// <summary>
/// Loading a bundled dataset by parsing its CSV files against loading it from the binary cache
/// (which still hashes the CSV files to prove the cache current, and checksums the cache).
/// Both then read the whole close column, so neither is measured doing less work.
/// </summary>
[MemoryDiagnoser]
public class DataLoadBenchmarks
{
    private DataStore _store = null!;

    [Params("daily_top100", "btcquoted_5m")]
    public string Dataset { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _store = new DataStore(Repository.DataFolder, Path.Combine(Path.GetTempPath(), "strategylab-bench-cache"));
        _store.Load(Dataset).Panel.Dispose(); // build the cache once
    }

    [Benchmark(Baseline = true)]
    public double ParseCsv()
    {
        using var panel = _store.ParseCsv(_store.Catalog.Get(Dataset), new ImportLog());
        return SumClose(panel);
    }

    [Benchmark]
    public double LoadFromCache()
    {
        var result = _store.Load(Dataset);
        if (result.Outcome != CacheOutcome.Hit)
            throw new InvalidOperationException($"expected a cache hit, got {result.Outcome}");
        using var panel = result.Panel;
        return SumClose(panel);
    }

    private static double SumClose(Panel panel)
    {
        var sum = 0.0;
        foreach (var x in panel.Column("close"))
        {
            if (!double.IsNaN(x))
                sum += x;
        }
        return sum;
    }
}

/// <summary>Paths inside the checkout, found by walking up to the solution file.</summary>
internal static class Repository
{
    public static string DataFolder { get; } = Path.Combine(FindRoot(), "data");

    private static string FindRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "StrategyLab.sln")))
                    return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("StrategyLab.sln not found above the current directory");
    }
}
