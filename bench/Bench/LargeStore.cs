using System.Collections.Immutable;
using System.Diagnostics;
using StrategyLab.Runtime.Data;
using StrategyLab.Runtime.Data.Cache;

namespace StrategyLab.Bench;

/// <summary>
/// A macro benchmark of the cache at scale: 100 symbols × one year of 1-minute bars (52.56 million
/// bars, five columns, about 2.1 GB), written month by month through the append path, then opened.
/// Opening maps the files and checks their ends; it does not read them, so it takes the same time
/// whether or not the data fits in memory. Prices are a synthetic random walk (SplitMix64, fixed seed).
/// </summary>
internal static class LargeStore
{
    private const int Assets = 100;
    private const int MinutesPerDay = 1440;

    public static void Run(string folder)
    {
        Directory.CreateDirectory(folder);
        var cache = Path.Combine(folder, "large_1m");
        var symbols = Enumerable.Range(0, Assets).Select(a => $"SYM{a:000}").ToImmutableArray();
        var start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var rng = new SplitMix64(7);
        var last = Enumerable.Repeat(100.0, Assets).ToArray();

        var write = Stopwatch.StartNew();
        long bars = 0;
        var day = 0;
        for (var month = 1; month <= 12; month++)
        {
            var days = month == 12 ? 365 - day : DateTime.DaysInMonth(2024, month); // 365 days in all
            using var panel = Month(symbols, start + day * 86_400_000L, days * MinutesPerDay, rng, last);
            var manifest = PanelCache.ReadManifest(cache);
            if (manifest is null)
                PanelCache.Write(cache, panel, "bench", []);
            else
                PanelCache.Append(cache, manifest, panel, "bench", []);
            bars += (long)panel.TimeCount * Assets;
            day += days;
        }
        write.Stop();

        var before = Process.GetCurrentProcess().WorkingSet64;
        var open = Stopwatch.StartNew();
        using var opened = PanelCache.TryOpen(cache, PanelCache.ReadManifest(cache)!, out var problem)
            ?? throw new InvalidOperationException(problem);
        open.Stop();
        var afterOpen = Process.GetCurrentProcess().WorkingSet64;

        var scan = Stopwatch.StartNew();
        var sum = 0.0;
        foreach (var x in opened.Column("close"))
            sum += x;
        scan.Stop();

        var bytes = new DirectoryInfo(cache).GetFiles().Sum(f => f.Length);
        Console.WriteLine($"bars (time × asset): {bars:N0} = {opened.TimeCount:N0} minutes × {opened.AssetCount} assets; cache {bytes / 1e9:F2} GB");
        Console.WriteLine($"written month by month (1 write + 11 appends): {write.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"open (map + check file ends): {open.Elapsed.TotalMilliseconds:F1} ms; working set grew {(afterOpen - before) / 1e6:F1} MB");
        Console.WriteLine($"first full pass over the close column ({opened.TimeCount * (long)Assets * 8 / 1e6:F0} MB): {scan.Elapsed.TotalMilliseconds:F0} ms (checksum {sum:E6})");
    }

    private static Panel Month(ImmutableArray<string> symbols, long start, int minutes, SplitMix64 rng, double[] last)
    {
        var times = new long[minutes];
        var columns = Enumerable.Range(0, 5).Select(_ => new double[minutes * Assets]).ToArray();
        for (var t = 0; t < minutes; t++)
        {
            times[t] = start + t * 60_000L;
            for (var a = 0; a < Assets; a++)
            {
                var open = last[a];
                var close = open * (1 + (rng.NextDouble() - 0.5) * 0.002);
                var i = t * Assets + a;
                columns[0][i] = open;
                columns[1][i] = Math.Max(open, close) * 1.0005;
                columns[2][i] = Math.Min(open, close) * 0.9995;
                columns[3][i] = close;
                columns[4][i] = 1 + rng.NextDouble() * 100;
                last[a] = close;
            }
        }
        return new Panel("large_1m", Interval.Parse("1m"), symbols, ["open", "high", "low", "close", "volume"],
            new ArrayColumnStore(times, columns));
    }

    /// <summary>SplitMix64 (Steele, Lea and Flood 2014).</summary>
    private sealed class SplitMix64(ulong state)
    {
        public double NextDouble()
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53));
        }
    }
}
